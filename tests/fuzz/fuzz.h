/* Shared by the fuzz targets: the entry point libFuzzer calls, and silence for the errors the
 * parsers are meant to log on bad input. */
#ifndef CW_FUZZ_H
#define CW_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "crosswatch/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_discard(void *opaque, enum cw_log_level level, const char *module, const char *msg)
{
    (void)opaque;
    (void)level;
    (void)module;
    (void)msg;
}

static inline void fuzz_quiet_logs(void)
{
    cw_log_set_sink(fuzz_discard, NULL);
}

#endif
