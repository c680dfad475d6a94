#include "../../core/hypervisor/tsc.h"
#include "tap.h"

int main(void)
{
    uint32_t khz = 0;
    kb_err err;

    ok(kb_tsc_khz_from(0, 0, 2200000000ull, 1000000000ull) == 2200000, "2.2 GHz over 1 s");
    ok(kb_tsc_khz_from(1000, 5000000, 1000 + 44000000ull, 25000000) == 2200000, "2.2 GHz over 20 ms");
    ok(kb_tsc_khz_from(10, 0, 5, 20000000) == 0, "a TSC going backwards is refused");
    ok(kb_tsc_khz_from(0, 0, 1000, 500) == 0, "an interval under 1 ms is refused");
    ok(kb_tsc_khz_from(0, 0, 1ull << 62, 20000000) == 0, "an absurd rate is refused");
#if defined(__x86_64__)
    ok(kb_host_tsc_khz(&khz, &err) == 0 && khz > 100000 && khz < 10000000,
       "the host TSC measures between 100 MHz and 10 GHz (%u kHz)", khz);
#else
    tap_skip("not x86_64");
#endif
    return tap_done();
}
