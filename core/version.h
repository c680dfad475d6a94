/* What this binary is and what it was built from (--version). */
#ifndef KB_VERSION_H
#define KB_VERSION_H

#include <stdio.h>

/* katabox's own version, e.g. "0.1.0". */
const char *kb_version(void);
/* Print the version report: katabox, commit, musl, BearSSL, libarchive,
 * zlib, yajl and the guest kernel. */
void kb_version_print(FILE *f);

#endif
