/* Internal: how the logger renders one line (shared with its tests). */
#ifndef CW_CORE_LOG_FORMAT_H
#define CW_CORE_LOG_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "crosswatch/log.h"

/* Renders one log line, newline included, for a message at wall time @wall_ns. */
void cw__log_format(char *line, size_t size, enum cw_log_format format, int64_t wall_ns,
                    enum cw_log_level level, const char *module, const char *msg);

#endif
