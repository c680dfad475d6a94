/* --console-socket: a host pty for a terminal that lives in the guest. */
#ifndef KB_SANDBOX_CONSOLE_H
#define KB_SANDBOX_CONSOLE_H

#include "../err.h"

/* Send a new pty's master to the unix socket socket_path as runc does;
 * *slave gets the raw slave, made the caller's controlling terminal when
 * the caller leads a session without one. */
int kb_console_socket_pty(const char *socket_path, int *slave, kb_err *err);

#endif
