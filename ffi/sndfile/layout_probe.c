// Prints the offset and size of every sndfile.h struct field the Deno binding touches, and the
// value of every constant it uses, as JSON.
// Compiled against the system <sndfile.h> by ffi/sndfile/layout_test.ts and compared with layout.ts
// and symbols.ts.
#include <sndfile.h>
#include "layout_probe.h"

int main(void) {
    PROBE_BEGIN();

    STRUCT_BEGIN("SF_INFO", SF_INFO);
    F(SF_INFO, frames);
    F(SF_INFO, samplerate);
    F(SF_INFO, channels);
    F(SF_INFO, format);
    F(SF_INFO, sections);
    F(SF_INFO, seekable);
    STRUCT_END();

    STRUCT_BEGIN("SF_FORMAT_INFO", SF_FORMAT_INFO);
    F(SF_FORMAT_INFO, format);
    F(SF_FORMAT_INFO, name);
    F(SF_FORMAT_INFO, extension);
    STRUCT_END();

    // The enum constants the binding passes to or compares with the library.
    CONSTANTS_BEGIN();
    C(SF_TRUE);
    C(SF_FALSE);
    C(SFM_READ);
    C(SFM_WRITE);
    C(SFC_GET_LOG_INFO);
    C(SFC_SET_NORM_FLOAT);
    C(SFC_SET_SCALE_FLOAT_INT_READ);
    C(SFC_GET_FORMAT_INFO);
    C(SF_FORMAT_WAV);
    C(SF_FORMAT_AIFF);
    C(SF_FORMAT_AU);
    C(SF_FORMAT_RAW);
    C(SF_FORMAT_W64);
    C(SF_FORMAT_WAVEX);
    C(SF_FORMAT_FLAC);
    C(SF_FORMAT_CAF);
    C(SF_FORMAT_OGG);
    C(SF_FORMAT_RF64);
    C(SF_FORMAT_MPEG);
    C(SF_FORMAT_PCM_S8);
    C(SF_FORMAT_PCM_16);
    C(SF_FORMAT_PCM_24);
    C(SF_FORMAT_PCM_32);
    C(SF_FORMAT_PCM_U8);
    C(SF_FORMAT_FLOAT);
    C(SF_FORMAT_DOUBLE);
    C(SF_FORMAT_VORBIS);
    C(SF_FORMAT_OPUS);
    C(SF_FORMAT_MPEG_LAYER_III);
    C(SF_FORMAT_SUBMASK);
    C(SF_FORMAT_TYPEMASK);
    C(SF_FORMAT_ENDMASK);
    C(SF_ERR_NO_ERROR);
    C(SF_ERR_UNRECOGNISED_FORMAT);
    C(SF_ERR_SYSTEM);
    C(SF_ERR_MALFORMED_FILE);
    C(SF_ERR_UNSUPPORTED_ENCODING);
    CONSTANTS_END();

    PROBE_END();
    return 0;
}
