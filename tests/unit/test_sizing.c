#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "../../core/hypervisor/sizing.h"
#include "tap.h"

#define HOST_CPUS 8
#define HOST_MIB 16384

/* kb_vm_size on the defaults (1 vCPU, 128 MiB) of an 8-CPU, 16 GiB host. */
static int size(const struct kb_resources *r, struct kb_vm_config *cfg, kb_err *err)
{
    kb_vm_config_defaults(cfg);
    return kb_vm_size(r, HOST_CPUS, HOST_MIB, cfg, err);
}

static int cpus_of(const char *list)
{
    unsigned n = 0;
    kb_err err;

    return kb_cpuset_count(list, &n, &err) < 0 ? -1 : (int)n;
}

int main(void)
{
    struct kb_resources r;
    struct kb_vm_config cfg;
    kb_err err;

    memset(&r, 0, sizeof r);
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 1 && cfg.mem_mib == 128,
       "no resources: the defaults, 1 vCPU and 128 MiB");
    ok(size(NULL, &cfg, &err) == 0 && cfg.vcpus == 1 && cfg.mem_mib == 128, "NULL resources: the same");
    kb_vm_config_defaults(&cfg);
    cfg.vcpus = 4;
    ok(kb_vm_size(&r, 2, HOST_MIB, &cfg, &err) == 0 && cfg.vcpus == 2,
       "a configured default above the host's CPUs is capped too");

    /* vCPUs from the quota */
    r.cpu_quota = 200000;
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 2, "quota 200000 / default period 100000: 2 vCPUs");
    r.cpu_quota = 150000;
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 2, "1.5 periods round up to 2 vCPUs");
    r.cpu_quota = 50000;
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 1, "half a CPU: 1 vCPU");
    r.cpu_quota = 1000;
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 1, "the smallest quota the kernel takes: 1 vCPU");
    r.cpu_quota = 300000;
    r.cpu_period = 50000;
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 6, "quota 300000 / period 50000: 6 vCPUs");
    r.cpu_quota = 3000000;
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == HOST_CPUS, "60 CPUs' worth is capped to the host's 8");
    r.cpu_quota = INT64_MAX;
    r.cpu_period = 1000;
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == HOST_CPUS, "an enormous quota does not overflow");
    kb_vm_config_defaults(&cfg);
    ok(kb_vm_size(&r, 1000, HOST_MIB, &cfg, &err) == 0 && cfg.vcpus == 255,
       "never more than QEMU's 255 vCPUs, even on a bigger host");
    kb_vm_config_defaults(&cfg);
    ok(kb_vm_size(&r, 0, HOST_MIB, &cfg, &err) == 0 && cfg.vcpus == 255, "host CPUs 0: unknown, no cap");
    r.cpu_period = 0;
    r.cpu_quota = 200000;
    r.cpus = "0-5";
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 2, "a quota wins over a cpuset");
    r.cpu_quota = -1;
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 6, "quota -1 (unlimited) counts as none: the cpuset decides");

    /* vCPUs from the cpuset */
    r.cpu_quota = 0;
    r.cpus = "0-3,5";
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 5, "cpus 0-3,5: 5 vCPUs");
    r.cpus = "2";
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 1, "cpus 2: 1 vCPU");
    r.cpus = "0-63";
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == HOST_CPUS, "cpus 0-63 capped to the host's 8");
    r.cpus = "";
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 1, "an empty cpuset counts as none");
    ok(cpus_of("0-3,2,3-4") == 5, "overlapping ranges count each CPU once");
    ok(cpus_of("7,1,4") == 3, "unsorted CPUs");
    ok(cpus_of("0-8191") == 8192, "every CPU the kernel can have");
    ok(cpus_of("3-3") == 1, "a one-CPU range");
    {
        static const char *const bad[] = { "a", "-1", "1-", "-", "3-1", "1,", ",1", "1,,2", "0-3 ",
                                           " 0", "1;2", "0x1", "8192", "0-99999999999999999999",
                                           "1-2-3", "0-7:2/4" };
        for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            r.cpus = (char *)bad[i];
            kb_vm_config_defaults(&cfg);
            cfg.vcpus = 3;
            ok(kb_vm_size(&r, HOST_CPUS, HOST_MIB, &cfg, &err) < 0 && err.errnum == EINVAL &&
                   strstr(err.msg, "linux.resources.cpu.cpus") && cfg.vcpus == 3,
               "cpus '%s' refused, nothing changed (%s)", bad[i], err.msg);
        }
    }
    r.cpus = NULL;

    /* CPU values the kernel would refuse */
    r.cpu_quota = 999;
    ok(size(&r, &cfg, &err) < 0 && strstr(err.msg, "linux.resources.cpu.quota"),
       "a quota below 1 ms is refused (%s)", err.msg);
    r.cpu_quota = -2;
    ok(size(&r, &cfg, &err) < 0 && strstr(err.msg, "linux.resources.cpu.quota"), "quota -2 is refused");
    r.cpu_quota = 100000;
    r.cpu_period = 999;
    ok(size(&r, &cfg, &err) < 0 && strstr(err.msg, "linux.resources.cpu.period"),
       "a period below 1 ms is refused (%s)", err.msg);
    r.cpu_period = 1000001;
    ok(size(&r, &cfg, &err) < 0 && strstr(err.msg, "linux.resources.cpu.period"), "a period above 1 s is refused");
    r.cpu_period = 1000000;
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 1, "a period of exactly 1 s is fine");
    memset(&r, 0, sizeof r);

    /* memory */
    r.memory_limit = 256ll << 20;
    ok(size(&r, &cfg, &err) == 0 && cfg.mem_mib == 128 + 256, "256 MiB limit: 128 MiB base + 256");
    r.memory_limit = (256ll << 20) + 1;
    ok(size(&r, &cfg, &err) == 0 && cfg.mem_mib == 128 + 257, "a byte over 256 MiB rounds up to 257");
    r.memory_limit = 4096;
    ok(size(&r, &cfg, &err) == 0 && cfg.mem_mib == 129, "a tiny limit adds 1 MiB (runc leaves it to the kernel)");
    r.memory_limit = -1;
    ok(size(&r, &cfg, &err) == 0 && cfg.mem_mib == 128, "limit -1 (unlimited): the base alone");
    r.memory_limit = (int64_t)HOST_MIB << 20;
    ok(size(&r, &cfg, &err) == 0 && cfg.mem_mib == 128 + HOST_MIB, "a limit of all the host's memory is allowed");
    r.memory_limit = ((int64_t)HOST_MIB << 20) + 1;
    kb_vm_config_defaults(&cfg);
    ok(kb_vm_size(&r, HOST_CPUS, HOST_MIB, &cfg, &err) < 0 && err.errnum == EINVAL &&
           strstr(err.msg, "linux.resources.memory.limit") && strstr(err.msg, "16384 MiB") && cfg.mem_mib == 128,
       "a limit above the host's memory is refused, nothing changed (%s)", err.msg);
    r.memory_limit = INT64_MAX;
    ok(size(&r, &cfg, &err) < 0 && strstr(err.msg, "linux.resources.memory.limit"), "INT64_MAX is refused");
    kb_vm_config_defaults(&cfg);
    ok(kb_vm_size(&r, HOST_CPUS, UINT64_MAX, &cfg, &err) < 0 && strstr(err.msg, "too large"),
       "a total that does not fit QEMU's -m is refused even on an endless host");
    r.memory_limit = -2;
    ok(size(&r, &cfg, &err) < 0 && strstr(err.msg, "linux.resources.memory.limit"), "limit -2 is refused");
    ok(strncmp(err.msg, "size the VM: ", 13) == 0, "errors say what was being done (%s)", err.msg);
    kb_vm_config_defaults(&cfg);
    cfg.mem_mib = 512;
    r.memory_limit = 1 << 30;
    ok(kb_vm_size(&r, HOST_CPUS, HOST_MIB, &cfg, &err) == 0 && cfg.mem_mib == 512 + 1024,
       "the base is the configured memory, not a constant");

    r.memory_limit = 512ll << 20;
    r.cpu_quota = 250000;
    ok(size(&r, &cfg, &err) == 0 && cfg.vcpus == 3 && cfg.mem_mib == 640, "both at once: 3 vCPUs, 640 MiB");
    return tap_done();
}
