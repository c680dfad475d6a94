#include "assets.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int kb_asset_path(const char *name, char *buf, size_t len, kb_err *err)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

    if (n < 0)
        return kb_error_errno(err, "find this binary's directory (/proc/self/exe)");
    self[n] = '\0';
    if (kb_path_sibling(buf, len, self, name) < 0)
        return kb_error(err, ENAMETOOLONG, "path of %s beside %s", name, self);
    if (access(buf, R_OK) < 0)
        return kb_error_errno(err, "no %s beside %s", name, self);
    return 0;
}

int kb_find_exec(const char *name, char *buf, size_t len, kb_err *err)
{
    const char *path = getenv("PATH");

    if (strchr(name, '/')) {
        if ((size_t)snprintf(buf, len, "%s", name) >= len)
            return kb_error(err, ENAMETOOLONG, "find %s", name);
        if (access(buf, X_OK) < 0)
            return kb_error_errno(err, "find %s", name);
        return 0;
    }
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t dlen = end ? (size_t)(end - path) : strlen(path);
        int n = snprintf(buf, len, "%.*s/%s", (int)dlen, dlen ? path : ".", name);

        if (n > 0 && (size_t)n < len && access(buf, X_OK) == 0)
            return 0;
        path += dlen + (end ? 1 : 0);
    }
    return kb_error(err, ENOENT, "find %s in PATH", name);
}
