#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../core/assets.h"
#include "../../core/err.h"
#include "../../core/hypervisor/accel.h"
#include "../../core/transport/transport.h"
#include "runtime.h"

/* One line per requirement; r is the check's result, err its failure. */
static int report(const char *what, int r, const char *found, const kb_err *err)
{
    char why[sizeof err->msg + 128];

    if (r == 0)
        printf("ok: %s: %s\n", what, found);
    else
        printf("FAIL: %s: %s\n", what, kb_error_str(err, why, sizeof why));
    return r < 0;
}

/* kata-runtime check: can this host run katabox sandboxes? Exit 0 when
 * every hard requirement holds; no KVM is only a warning. */
int runtime_check(const struct rt_globals *g, int argc, char **argv)
{
    char path[PATH_MAX], why[256];
    int failed = 0;
    kb_err err;

    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "katabox: %s: check takes no arguments\n", RUNTIME_APPLET);
        return 2;
    }
    failed += report("hypervisor", kb_find_exec(KB_QEMU_NAME, path, sizeof path, &err), path, &err);
    failed += report("guest kernel", kb_asset_path(KB_KERNEL_NAME, path, sizeof path, &err), path, &err);
    failed += report("initramfs", kb_asset_path(KB_INITRD_NAME, path, sizeof path, &err), path, &err);
    if (kb_accel_pick(why, sizeof why) == KB_ACCEL_KVM)
        printf("ok: accelerator: kvm\n");
    else
        printf("warning: accelerator: tcg (emulation, much slower): KVM is not usable: %s\n", why);
    {
        const struct kb_transport *t = kb_transport_choose(getenv(KB_TRANSPORT_ENV), why, sizeof why, &err);
        if (t)
            printf("ok: agent transport: %s (%s)\n", t->name, why);
        else
            failed += report("agent transport", -1, NULL, &err);
    }
    printf("%s\n", failed ? "FAIL: this host cannot run katabox sandboxes"
                          : "ok: this host can run katabox sandboxes");
    return failed ? 1 : 0;
}
