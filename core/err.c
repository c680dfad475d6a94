#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set_msg(kb_err *err, const char *fmt, va_list ap)
{
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int kb_error(kb_err *err, int errnum, const char *fmt, ...)
{
    va_list ap;

    err->errnum = errnum;
    va_start(ap, fmt);
    set_msg(err, fmt, ap);
    va_end(ap);
    return -1;
}

int kb_error_errno(kb_err *err, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    err->errnum = saved;
    va_start(ap, fmt);
    set_msg(err, fmt, ap);
    va_end(ap);
    errno = saved;
    return -1;
}

int kb_error_wrap(kb_err *err, const char *fmt, ...)
{
    char prefix[sizeof err->msg];
    size_t plen, olen;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    plen = strlen(prefix);
    if (plen + 2 >= sizeof err->msg)
        plen = sizeof err->msg - 3;
    /* the new context goes first; what no longer fits is cut from the end */
    olen = strnlen(err->msg, sizeof err->msg - 1);
    if (plen + 2 + olen >= sizeof err->msg)
        olen = sizeof err->msg - 1 - plen - 2;
    memmove(err->msg + plen + 2, err->msg, olen);
    memcpy(err->msg, prefix, plen);
    memcpy(err->msg + plen, ": ", 2);
    err->msg[plen + 2 + olen] = '\0';
    return -1;
}

const char *kb_error_str(const kb_err *err, char *buf, size_t len)
{
    if (err->errnum)
        snprintf(buf, len, "%s: %s", err->msg, strerror(err->errnum));
    else
        snprintf(buf, len, "%s", err->msg);
    return buf;
}

void kb_error_print(const char *applet, const kb_err *err)
{
    char buf[sizeof err->msg + 128];

    fprintf(stderr, "katabox: %s: %s\n", applet, kb_error_str(err, buf, sizeof buf));
}
