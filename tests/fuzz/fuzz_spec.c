/* config.json is the user's, and the guest agent parses what the host
 * forwards: any bytes must give a spec or a clear error, never a crash. */
#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>

#include "../../core/oci/guest_spec.h"
#include "../../core/oci/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kb_spec spec;
    kb_err err;

    if (kb_spec_parse((const char *)data, size, &spec, &err) == 0) {
        /* what a successful parse promises its users */
        if (!spec.process.args || !spec.process.args[0] || !spec.process.cwd ||
            spec.process.cwd[0] != '/' || !spec.root_path || !spec.process.env)
            __builtin_trap();
        /* the copy the guest gets is written again from the same bytes */
        char *guest = NULL;
        size_t len = 0;
        if (kb_spec_for_guest((const char *)data, size, &spec, 0, &guest, &len, &err) == 0 && !guest)
            __builtin_trap();
        free(guest);
    }
    kb_spec_free(&spec);
    return 0;
}
