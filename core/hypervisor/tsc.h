/* The host TSC rate. Under TCG the guest's TSC ticks at the host's rate;
 * telling the guest kernel (tsc_early_khz=) skips its timer calibration,
 * which on an emulated microvm hangs about every other boot. */
#ifndef KB_TSC_H
#define KB_TSC_H

#include <stdint.h>

#include "../err.h"

/* khz from two (tsc, ns) samples; 0 when the interval is unusable. */
uint32_t kb_tsc_khz_from(uint64_t tsc0, uint64_t ns0, uint64_t tsc1, uint64_t ns1);
/* Measure the host TSC rate in kHz over about 20 ms. */
int kb_host_tsc_khz(uint32_t *khz, kb_err *err);

#endif
