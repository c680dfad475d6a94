#include "tsc.h"

#include <errno.h>
#include <time.h>

static uint64_t rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
#else
    return 0;
#endif
}

static uint64_t raw_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t kb_tsc_khz_from(uint64_t tsc0, uint64_t ns0, uint64_t tsc1, uint64_t ns1)
{
    uint64_t dt, dns;

    if (tsc1 <= tsc0 || ns1 <= ns0)
        return 0;
    dt = tsc1 - tsc0;
    dns = ns1 - ns0;
    if (dns < 1000000 || dt / dns > 100) /* < 1 ms, or > 100 GHz: nonsense */
        return 0;
    return (uint32_t)((dt * 1000000u + dns / 2) / dns);
}

/* A sample bracketed by two clock reads; the midpoint is its time. */
static void sample(uint64_t *tsc, uint64_t *ns)
{
    uint64_t a = raw_ns();
    *tsc = rdtsc();
    *ns = a + (raw_ns() - a) / 2;
}

int kb_host_tsc_khz(uint32_t *khz, kb_err *err)
{
    struct timespec pause = { 0, 20 * 1000 * 1000 };
    uint64_t t0, n0, t1, n1;

    sample(&t0, &n0);
    while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
        ;
    sample(&t1, &n1);
    *khz = kb_tsc_khz_from(t0, n0, t1, n1);
    if (!*khz)
        return kb_error(err, 0, "measure the host TSC rate: no usable TSC");
    return 0;
}
