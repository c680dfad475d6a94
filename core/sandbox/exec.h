/* The relay's side of exec (exec.c), for run.c's loop: frames for the
 * execs' streams and exits, their fds to poll, their end. */
#ifndef KB_SANDBOX_EXEC_H
#define KB_SANDBOX_EXEC_H

#include <poll.h>
#include <stdbool.h>

#include "run.h"

/* poll entries an exec may need: its client, stdin, stdout, stderr */
#define KB_EXEC_POLLFDS 4

/* The exec owning stream id, or NULL. */
struct kb_relay_exec *kb_exec_by_stream(struct kb_relay *r, uint32_t id);
/* A STDIO or CREDIT frame for one of e's streams. */
int kb_exec_stream_frame(struct kb_relay *r, struct kb_relay_exec *e, const struct kb_frame_hdr *h,
                         const uint8_t *p, size_t len, kb_err *err);
/* The agent reported the exit of exec_id ("": the init) of container cid (unknown ones are ignored: late). */
void kb_exec_exited(struct kb_relay *r, const char *cid, const char *exec_id, int status);
/* Tell a pod member's command of its cgroup's OOM kills ("oom N"). */
void kb_exec_oom(struct kb_relay_exec *e, uint64_t oom_kills);
/* The init of pod member cid while it runs or relays, or NULL. */
struct kb_relay_exec *kb_exec_member(struct kb_relay *r, const char *cid);
/* Fill pollfds for every exec (at most max); map[i] says whose entry it is. */
int kb_exec_pollfds(struct kb_relay *r, struct pollfd *p, int max, int *map);
/* Act on poll results; an exec whose process ended and output is out
 * tells its client and is freed. */
int kb_exec_service(struct kb_relay *r, const struct pollfd *p, const int *map, int n, kb_err *err);
/* Forget member cid's init (its client hears "exit 137" if it had not exited): the guest deleted it. */
void kb_exec_drop_member(struct kb_relay *r, const char *cid);
/* Any exec still running or relaying? */
bool kb_exec_any(const struct kb_relay *r);
/* Free every exec (their clients hear nothing more). */
void kb_exec_fini_all(struct kb_relay *r);

#endif
