// Prints the offset and size of every soxr.h struct field the Deno binding depends on, and the
// value of every constant it uses, as JSON. Compiled against the system <soxr.h> by
// ffi/soxr/layout_test.ts and compared with layout.ts and symbols.ts.
#include <stddef.h>
#include <stdio.h>
#include <soxr.h>

#define C(name) printf("%s\"%s\": %lld", first ? "" : ", ", #name, (long long)(name)), first = 0
#define F(S, name) printf("%s\"%s\": [%zu, %zu]", first ? "" : ", ", #name, offsetof(S, name), sizeof(((S *)0)->name)), first = 0

int main(void) {
    int first;
    printf("{\n");

    first = 1;
    printf("\"soxr_quality_spec_t\": {\"size\": %zu, \"fields\": {", sizeof(soxr_quality_spec_t));
    F(soxr_quality_spec_t, precision);
    F(soxr_quality_spec_t, phase_response);
    F(soxr_quality_spec_t, passband_end);
    F(soxr_quality_spec_t, stopband_begin);
    F(soxr_quality_spec_t, e);
    F(soxr_quality_spec_t, flags);
    printf("}},\n");

    first = 1;
    printf("\"constants\": {");
    C(SOXR_QQ);
    C(SOXR_LQ);
    C(SOXR_MQ);
    C(SOXR_HQ);
    C(SOXR_VHQ);
    C(SOXR_FLOAT32_I);
    printf("}\n");

    printf("}\n");
    return 0;
}
