/* placeholder until the libseccomp work lands */
#include "seccomp.h"

#include <errno.h>

int kb_seccomp_parse(yajl_val v, struct kb_seccomp **out, kb_err *err)
{
    *out = NULL;
    if (!v || YAJL_IS_NULL(v))
        return 0;
    return kb_error(err, ENOTSUP, "linux.seccomp: not supported yet");
}

void kb_seccomp_free(struct kb_seccomp *s)
{
    (void)s;
}
