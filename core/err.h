/* One error convention: functions return < 0 and fill the kb_err passed
 * last; callers add context on the way up; the applet prints it once. */
#ifndef KB_ERR_H
#define KB_ERR_H

#include <stddef.h>

typedef struct kb_err {
    int errnum;        /* errno of the root cause, 0 when none */
    char msg[1024];    /* "what failed", innermost context last */
} kb_err;

/* Record a failure with errno value `errnum` (0: none); returns -1. */
int kb_error(kb_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record a failure with the current errno; returns -1. */
int kb_error_errno(kb_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefix the recorded message with more context ("ctx: old"); returns -1. */
int kb_error_wrap(kb_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Format as "what failed: why" into buf. */
const char *kb_error_str(const kb_err *err, char *buf, size_t len);
/* Print "katabox: <applet>: what failed: why" to stderr. */
void kb_error_print(const char *applet, const kb_err *err);

#endif
