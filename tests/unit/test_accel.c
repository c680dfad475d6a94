#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/hypervisor/accel.h"
#include "tap.h"

static const char *write_tmp(const char *content)
{
    static char path[64];
    FILE *f;

    snprintf(path, sizeof path, "/tmp/kb-test-cpuinfo-%d", (int)getpid());
    f = fopen(path, "w");
    fputs(content, f);
    fclose(f);
    return path;
}

int main(void)
{
    char why[256];
    const char *p;

    ok(kb_cpuinfo_has_virt("processor\t: 0\nflags\t\t: fpu vme vmx sse\n"), "vmx found");
    ok(kb_cpuinfo_has_virt("flags\t\t: fpu svm\n"), "svm found at the end");
    ok(!kb_cpuinfo_has_virt("flags\t\t: fpu vmxx xvmx sse\n"), "only whole words count");
    ok(!kb_cpuinfo_has_virt("flags\t\t: fpu sse\nflags: vmx\n"), "only the first CPU's flags");
    ok(!kb_cpuinfo_has_virt("model name: vmx svm\n"), "flags line only");
    ok(!kb_cpuinfo_has_virt(""), "empty cpuinfo");

    p = write_tmp("flags\t\t: fpu sse\n");
    ok(!kb_kvm_usable("/dev/kvm", p, why, sizeof why) && strstr(why, "no vmx/svm"),
       "no virtualization flag: not usable, and says why (%s)", why);
    p = write_tmp("flags\t\t: fpu vmx\n");
    ok(!kb_kvm_usable("/nonexistent/kvm", p, why, sizeof why) && strstr(why, "/nonexistent/kvm"),
       "missing device: not usable, names the device (%s)", why);
    ok(!kb_kvm_usable("/dev/null", p, why, sizeof why) && strstr(why, "KVM API"),
       "a device that is not KVM: not usable (%s)", why);
    unlink(p);
    ok(!kb_kvm_usable("/dev/kvm", "/nonexistent/cpuinfo", why, sizeof why) &&
           strstr(why, "/nonexistent/cpuinfo"), "unreadable cpuinfo: not usable");

    setenv("KATABOX_ACCEL", "tcg", 1);
    ok(kb_accel_pick(why, sizeof why) == KB_ACCEL_TCG && strstr(why, "KATABOX_ACCEL"),
       "KATABOX_ACCEL=tcg forces TCG");
    unsetenv("KATABOX_ACCEL");
    ok(strcmp(kb_accel_name(KB_ACCEL_KVM), "kvm") == 0 && strcmp(kb_accel_name(KB_ACCEL_TCG), "tcg") == 0,
       "names");
    return tap_done();
}
