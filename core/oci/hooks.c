/* placeholder until the hooks work lands */
#include "hooks.h"

#include <errno.h>

int kb_hooks_parse(yajl_val v, struct kb_hooks **out, kb_err *err)
{
    *out = NULL;
    if (!v || YAJL_IS_NULL(v))
        return 0;
    return kb_error(err, ENOTSUP, "hooks: not supported yet");
}

void kb_hooks_free(struct kb_hooks *h)
{
    (void)h;
}
