#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/version.h"
#include "tap.h"

int main(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ok(kb_version() && *kb_version(), "version is set (%s)", kb_version());
    kb_version_print(f);
    fclose(f);
    ok(strncmp(buf, "katabox ", 8) == 0, "report starts with katabox");
    ok(strstr(buf, "\nmusl: ") && strstr(buf, "\nBearSSL: ") && strstr(buf, "\nlibarchive: libarchive 3.") &&
           strstr(buf, "\nzlib: 1.") && strstr(buf, "\nyajl: 2.") && strstr(buf, "\nlibseccomp: ") && strstr(buf, "\nguest kernel: ") && strstr(buf, "\ncommit: "),
       "report names musl, BearSSL, libarchive, zlib, guest kernel and commit");
    free(buf);
    return tap_done();
}
