/* crosswatch — logging.
 *
 * One process-wide logger, configured once at start-up by the program (level, format, sink) and
 * then used from any thread. Each message becomes exactly one line: human text
 * ("2026-11-29T15:31:36.123Z warn  video: …") or, when asked, a JSON object per line
 * ({"ts":"…","level":"warn","module":"video","msg":"…"}). Lines from different threads never
 * interleave.
 */
#ifndef CROSSWATCH_LOG_H
#define CROSSWATCH_LOG_H

#include <stdbool.h>

enum cw_log_level {
    CW_LOG_ERROR = 0, /* the operation failed; the message says what to fix */
    CW_LOG_WARN,      /* something was wrong and was recovered from (reconnect, skipped data) */
    CW_LOG_INFO,      /* normal progress worth a line */
    CW_LOG_DEBUG,     /* detail for developers */
    CW_LOG_TRACE,     /* per-frame or per-packet detail */
};

enum cw_log_format {
    CW_LOG_TEXT = 0, /* human-readable lines */
    CW_LOG_JSON,     /* one JSON object per line */
};

/* Receives every message at or above the current level instead of stderr. @msg is the formatted
 * text without a trailing newline; it is valid only during the call. */
typedef void (*cw_log_sink_fn)(void *opaque, enum cw_log_level level, const char *module,
                               const char *msg);

void cw_log_set_level(enum cw_log_level level);
enum cw_log_level cw_log_get_level(void);
void cw_log_set_format(enum cw_log_format format);

/* Routes messages to @sink (NULL: back to stderr). For embedding and for tests. */
void cw_log_set_sink(cw_log_sink_fn sink, void *opaque);

/* Parses "error", "warn", "info", "debug" or "trace". Returns 0 or CW_EINVAL. */
int cw_log_level_parse(const char *name, enum cw_log_level *out);
/* Parses "text" or "json". Returns 0 or CW_EINVAL. */
int cw_log_format_parse(const char *name, enum cw_log_format *out);
const char *cw_log_level_name(enum cw_log_level level);

/* True when a message at @level would be written; use it to skip costly formatting. */
bool cw_log_enabled(enum cw_log_level level);

/* Writes one message. @module names the part of crosswatch speaking ("video", "scene", …). */
void cw_log(enum cw_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define cw_log_error(module, ...) cw_log(CW_LOG_ERROR, module, __VA_ARGS__)
#define cw_log_warn(module, ...)  cw_log(CW_LOG_WARN, module, __VA_ARGS__)
#define cw_log_info(module, ...)  cw_log(CW_LOG_INFO, module, __VA_ARGS__)
#define cw_log_debug(module, ...) cw_log(CW_LOG_DEBUG, module, __VA_ARGS__)

#endif
