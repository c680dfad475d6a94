#include "sizing.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* QEMU's (and kb_qemu_argv's) ceiling */
#define MAX_VCPUS 255
/* The kernel refuses CFS periods outside 1 ms..1 s and quotas below 1 ms. */
#define PERIOD_MIN 1000
#define PERIOD_MAX 1000000
#define QUOTA_MIN 1000
#define MIB (1024 * 1024)

/* A decimal CPU number below KB_CPUSET_MAX at *p; advances *p. */
static int cpu_number(const char **p, unsigned *out)
{
    unsigned v = 0;

    if (**p < '0' || **p > '9')
        return -1;
    while (**p >= '0' && **p <= '9') {
        v = v * 10 + (unsigned)(**p - '0');
        if (v >= KB_CPUSET_MAX)
            return -1;
        (*p)++;
    }
    *out = v;
    return 0;
}

int kb_cpuset_count(const char *list, unsigned *count, kb_err *err)
{
    unsigned char seen[KB_CPUSET_MAX / 8] = { 0 };
    const char *p = list;
    unsigned n = 0;

    /* the plain list form, as Kubernetes and Kata parse it: "N" or "N-M",
     * comma-separated; CPUs listed twice count once */
    for (;;) {
        unsigned lo, hi;

        if (cpu_number(&p, &lo) < 0)
            goto bad;
        hi = lo;
        if (*p == '-') {
            p++;
            if (cpu_number(&p, &hi) < 0 || hi < lo)
                goto bad;
        }
        for (unsigned c = lo; c <= hi; c++)
            if (!(seen[c / 8] & (1u << (c % 8)))) {
                seen[c / 8] |= (unsigned char)(1u << (c % 8));
                n++;
            }
        if (*p == '\0')
            break;
        if (*p++ != ',')
            goto bad;
    }
    *count = n;
    return 0;
bad:
    return kb_error(err, EINVAL, "linux.resources.cpu.cpus: '%s' is not a CPU list like 0-3,5 "
                                 "(CPU numbers below %d)", list, KB_CPUSET_MAX);
}

static int size_cpus(const struct kb_resources *r, unsigned host_cpus, unsigned *vcpus, kb_err *err)
{
    uint64_t want = *vcpus, period = r->cpu_period ? r->cpu_period : KB_CPU_PERIOD_DEFAULT;

    if (r->cpu_period && (period < PERIOD_MIN || period > PERIOD_MAX))
        return kb_error(err, EINVAL, "linux.resources.cpu.period: %llu us is outside %d..%d",
                        (unsigned long long)period, PERIOD_MIN, PERIOD_MAX);
    if (r->cpu_quota < -1)
        return kb_error(err, EINVAL, "linux.resources.cpu.quota: %lld is negative",
                        (long long)r->cpu_quota);
    if (r->cpu_quota > 0 && r->cpu_quota < QUOTA_MIN)
        return kb_error(err, EINVAL, "linux.resources.cpu.quota: %lld us is below the kernel's "
                        "minimum of %d", (long long)r->cpu_quota, QUOTA_MIN);
    if (r->cpu_quota > 0) {
        /* a quota of 1.5 periods needs 2 CPUs to be reachable */
        want = ((uint64_t)r->cpu_quota + period - 1) / period;
    } else if (r->cpus && *r->cpus) {
        unsigned n;
        if (kb_cpuset_count(r->cpus, &n, err) < 0)
            return -1;
        want = n;
    }
    if (host_cpus && want > host_cpus)
        want = host_cpus;
    if (want > MAX_VCPUS)
        want = MAX_VCPUS;
    *vcpus = want ? (unsigned)want : 1;
    return 0;
}

static int size_memory(const struct kb_resources *r, uint64_t host_mem_mib, unsigned *mem_mib,
                       kb_err *err)
{
    uint64_t limit_mib, total;

    /* -1 is the spec's "unlimited", as 0 is ours (kb_spec_parse maps it) */
    if (r->memory_limit < -1)
        return kb_error(err, EINVAL, "linux.resources.memory.limit: %lld is negative",
                        (long long)r->memory_limit);
    if (r->memory_limit <= 0)
        return 0;
    limit_mib = ((uint64_t)r->memory_limit + MIB - 1) / MIB;
    if (limit_mib > host_mem_mib)
        return kb_error(err, EINVAL, "linux.resources.memory.limit: %lld bytes is more than the "
                        "host's %llu MiB", (long long)r->memory_limit,
                        (unsigned long long)host_mem_mib);
    total = *mem_mib + limit_mib;
    if (total > UINT_MAX)
        return kb_error(err, EINVAL, "linux.resources.memory.limit: %lld bytes is too large",
                        (long long)r->memory_limit);
    *mem_mib = (unsigned)total;
    return 0;
}

int kb_vm_size(const struct kb_resources *r, unsigned host_cpus, uint64_t host_mem_mib,
               struct kb_vm_config *cfg, kb_err *err)
{
    const struct kb_resources none = { 0 };
    unsigned vcpus = cfg->vcpus, mem = cfg->mem_mib;

    if (!r)
        r = &none;
    /* nothing is changed unless everything is valid */
    if (size_cpus(r, host_cpus, &vcpus, err) < 0 || size_memory(r, host_mem_mib, &mem, err) < 0)
        return kb_error_wrap(err, "size the VM");
    cfg->vcpus = vcpus;
    cfg->mem_mib = mem;
    return 0;
}
