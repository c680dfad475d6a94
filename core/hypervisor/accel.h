/* Which accelerator QEMU gets: KVM only when it can really run a guest.
 * Some hosts expose a /dev/kvm that cannot (no vmx/svm, or a paravirtual
 * KVM such as PVM that hangs ordinary guests), so we look before we leap. */
#ifndef KB_ACCEL_H
#define KB_ACCEL_H

#include <stddef.h>

enum kb_accel { KB_ACCEL_TCG, KB_ACCEL_KVM };

/* True when `flags` (a /proc/cpuinfo "flags" line) names vmx or svm. */
int kb_cpuinfo_has_virt(const char *cpuinfo);
/* 1 if KVM at `dev` runs a probe guest to its hlt, 0 if not (why in `why`). */
int kb_kvm_usable(const char *dev, const char *cpuinfo_path, char *why, size_t whylen);
/* KVM if usable, else TCG; `why` says why KVM was not picked. */
enum kb_accel kb_accel_pick(char *why, size_t whylen);
const char *kb_accel_name(enum kb_accel a);

#endif
