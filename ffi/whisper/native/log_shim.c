// A log callback for whisper.cpp / ggml that filters by level in native code, so that no JavaScript
// callback is ever entered from whisper.cpp's worker threads. Built by ffi/whisper/build.ts.
// Levels follow enum ggml_log_level: 0 none, 1 debug, 2 info, 3 warn, 4 error, 5 cont.
#include <stdatomic.h>
#include <stdio.h>

static atomic_int min_level = 3;
static _Thread_local int last_level = 0;

static void hum_log_callback(int level, const char *text, void *user_data) {
    (void)user_data;
    if (level == 5) level = last_level; else last_level = level;
    if (level >= atomic_load(&min_level) && text) fputs(text, stderr);
}

/** Sets the lowest level printed (to stderr); 5 or more silences everything. */
void hum_log_set_min_level(int level) { atomic_store(&min_level, level); }

/** Address of the callback, for whisper_log_set(). */
void *hum_log_callback_ptr(void) { return (void *)&hum_log_callback; }
