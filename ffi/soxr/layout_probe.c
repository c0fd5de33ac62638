// Prints the offset and size of every soxr.h struct field the Deno binding depends on, and the
// value of every constant it uses, as JSON. Compiled against the system <soxr.h> by
// ffi/soxr/layout_test.ts and compared with layout.ts and symbols.ts.
#include <soxr.h>
#include "layout_probe.h"

int main(void) {
    PROBE_BEGIN();

    STRUCT_BEGIN("soxr_quality_spec_t", soxr_quality_spec_t);
    F(soxr_quality_spec_t, precision);
    F(soxr_quality_spec_t, phase_response);
    F(soxr_quality_spec_t, passband_end);
    F(soxr_quality_spec_t, stopband_begin);
    F(soxr_quality_spec_t, e);
    F(soxr_quality_spec_t, flags);
    STRUCT_END();

    CONSTANTS_BEGIN();
    C(SOXR_QQ);
    C(SOXR_LQ);
    C(SOXR_MQ);
    C(SOXR_HQ);
    C(SOXR_VHQ);
    C(SOXR_FLOAT32_I);
    CONSTANTS_END();

    PROBE_END();
    return 0;
}
