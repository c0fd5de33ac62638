// Prints the value of every libopus constant the Deno binding uses, as JSON. Compiled against the
// system <opus/opus.h> by ffi/opus/layout_test.ts and compared with symbols.ts. The binding
// touches no libopus struct: encoders and decoders are opaque pointers.
#include <opus/opus.h>
#include "layout_probe.h"

int main(void) {
    PROBE_BEGIN();

    CONSTANTS_BEGIN();
    C(OPUS_OK);
    C(OPUS_BAD_ARG);
    C(OPUS_BUFFER_TOO_SMALL);
    C(OPUS_INVALID_PACKET);
    C(OPUS_APPLICATION_VOIP);
    C(OPUS_APPLICATION_AUDIO);
    C(OPUS_SET_BITRATE_REQUEST);
    C(OPUS_SET_INBAND_FEC_REQUEST);
    C(OPUS_SET_PACKET_LOSS_PERC_REQUEST);
    CONSTANTS_END();

    PROBE_END();
    return 0;
}
