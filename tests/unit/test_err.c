#include <errno.h>
#include <string.h>

#include "../../core/err.h"
#include "tap.h"

int main(void)
{
    kb_err err;
    char buf[2048];

    ok(kb_error(&err, ENOENT, "open %s", "x") == -1, "kb_error returns -1");
    ok(err.errnum == ENOENT, "errnum kept");
    is_str(kb_error_str(&err, buf, sizeof buf), "open x: No such file or directory",
           "message carries what and why");
    kb_error_wrap(&err, "load %s", "config");
    is_str(err.msg, "load config: open x", "wrap puts context first");
    ok(err.errnum == ENOENT, "wrap keeps errnum");

    kb_error(&err, 0, "plain");
    is_str(kb_error_str(&err, buf, sizeof buf), "plain", "no errno: no colon");

    errno = EACCES;
    kb_error_errno(&err, "mkdir %s", "/d");
    ok(err.errnum == EACCES && errno == EACCES, "kb_error_errno takes errno and keeps it");

    /* a long chain is cut, never overflowed, and stays NUL-terminated */
    memset(buf, 'a', 900);
    buf[900] = '\0';
    kb_error(&err, 0, "%s", buf);
    kb_error_wrap(&err, "%s", buf);
    kb_error_wrap(&err, "%s", buf);
    ok(strlen(err.msg) == sizeof err.msg - 1, "over-long context is truncated to the buffer");
    ok(strncmp(err.msg, buf, 900) == 0 && err.msg[900] == ':', "newest context survives truncation");
    return tap_done();
}
