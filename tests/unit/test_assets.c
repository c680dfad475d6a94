#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/assets.h"
#include "tap.h"

int main(void)
{
    char buf[PATH_MAX];
    kb_err err;

    setenv("PATH", "/nonexistent:/bin:/usr/bin", 1);
    ok(kb_find_exec("sh", buf, sizeof buf, &err) == 0 && strcmp(buf + strlen(buf) - 3, "/sh") == 0,
       "finds sh in PATH (%s)", buf);
    ok(kb_find_exec("kb-no-such-binary", buf, sizeof buf, &err) < 0 && err.errnum == ENOENT &&
           strstr(err.msg, "kb-no-such-binary"), "missing binary: ENOENT naming it");
    ok(kb_find_exec("/bin/sh", buf, sizeof buf, &err) == 0 && strcmp(buf, "/bin/sh") == 0,
       "a path is taken as given");
    ok(kb_find_exec("/etc/passwd", buf, sizeof buf, &err) < 0, "a non-executable path is refused");
    ok(kb_asset_path("kb-no-such-asset", buf, sizeof buf, &err) < 0 && strstr(err.msg, "kb-no-such-asset"),
       "missing asset names itself and where it looked");
    ok(kb_asset_path(KB_KERNEL_NAME, buf, 4, &err) < 0 && err.errnum == ENAMETOOLONG,
       "asset path that does not fit is refused");
    return tap_done();
}
