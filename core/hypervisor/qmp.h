/* A QMP client: QEMU's JSON control protocol over the unix socket that
 * kb_vm_config.qmp_socket asks QEMU to serve. QEMU is trusted more than a
 * guest, but a hung or broken QEMU must not hang the caller: every wait
 * has a deadline and every message a size cap.
 *
 * Errors read "qmp: <what>: <why>"; a command QEMU refuses gives QEMU's
 * own description and error class. After a broken stream (garbage, an
 * over-long line, the socket closed) the connection is closed and further
 * commands fail with ENOTCONN; after a time-out it stays usable, a late
 * reply is recognised by its id and skipped. */
#ifndef KB_QMP_H
#define KB_QMP_H

#include <stddef.h>

#include <yajl/yajl_tree.h>

#include "../err.h"

/* QMP sends one JSON object per line; a longer line is an error. Enough
 * for every reply we use (query-schema output is larger, and not used). */
#define KB_QMP_LINE_MAX (64 * 1024)

struct kb_qmp {
    int fd;            /* -1: not connected */
    unsigned next_id;  /* "id" of the next command; QEMU echoes it in the reply */
    char *buf;         /* KB_QMP_LINE_MAX bytes: received, not yet parsed */
    size_t len;
};

/* Connect to QEMU's QMP socket, read the greeting, negotiate capabilities.
 * A socket that is not there yet or refuses (QEMU still starting) is
 * retried until the time-out. On failure *q is left closed. */
int kb_qmp_connect(struct kb_qmp *q, const char *path, unsigned timeout_ms, kb_err *err);
/* Run one command without arguments ("query-status"); events in between are
 * skipped. *reply (when reply is not NULL) gets the "return" value, to be
 * freed with yajl_tree_free; it is NULL on error. */
int kb_qmp_execute(struct kb_qmp *q, const char *command, unsigned timeout_ms, yajl_val *reply,
                   kb_err *err);
/* Send "quit"; its return, or the socket closing instead, is success. */
int kb_qmp_quit(struct kb_qmp *q, unsigned timeout_ms, kb_err *err);
/* Close the socket and free the buffer; safe to call twice, or after a
 * failed connect. */
void kb_qmp_close(struct kb_qmp *q);

#endif
