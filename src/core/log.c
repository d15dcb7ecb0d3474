#include "crosswatch/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "crosswatch/error.h"
#include "core/json_escape.h"
#include "core/log_format.h"
#include "crosswatch/clock.h"

/* Process-wide configuration: set by the program at start-up, read by every thread. */
static _Atomic int log_level = CW_LOG_INFO;
static _Atomic int log_format = CW_LOG_TEXT;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static cw_log_sink_fn log_sink;
static void *log_sink_opaque;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

void cw_log_set_level(enum cw_log_level level)
{
    atomic_store(&log_level, (int)level);
}

enum cw_log_level cw_log_get_level(void)
{
    return (enum cw_log_level)atomic_load(&log_level);
}

void cw_log_set_format(enum cw_log_format format)
{
    atomic_store(&log_format, (int)format);
}

void cw_log_set_sink(cw_log_sink_fn sink, void *opaque)
{
    pthread_mutex_lock(&log_lock);
    log_sink = sink;
    log_sink_opaque = opaque;
    pthread_mutex_unlock(&log_lock);
}

const char *cw_log_level_name(enum cw_log_level level)
{
    if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
        return "?";
    return level_names[level];
}

int cw_log_level_parse(const char *name, enum cw_log_level *out)
{
    for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (name && strcmp(name, level_names[i]) == 0) {
            *out = (enum cw_log_level)i;
            return 0;
        }
    }
    return CW_EINVAL;
}

int cw_log_format_parse(const char *name, enum cw_log_format *out)
{
    if (name && strcmp(name, "text") == 0)
        *out = CW_LOG_TEXT;
    else if (name && strcmp(name, "json") == 0)
        *out = CW_LOG_JSON;
    else
        return CW_EINVAL;
    return 0;
}

bool cw_log_enabled(enum cw_log_level level)
{
    return (int)level <= atomic_load(&log_level);
}

void cw__log_format(char *line, size_t size, enum cw_log_format format, int64_t wall_ns,
                    enum cw_log_level level, const char *module, const char *msg)
{
    char stamp[64];
    cw_clock_format_wall(wall_ns, stamp, sizeof(stamp));
    if (format == CW_LOG_JSON) {
        char emod[128], emsg[4096];
        cw__json_escape(emod, sizeof(emod), module);
        cw__json_escape(emsg, sizeof(emsg), msg);
        snprintf(line, size, "{\"ts\":\"%s\",\"level\":\"%s\",\"module\":\"%s\",\"msg\":\"%s\"}\n",
                 stamp, cw_log_level_name(level), emod, emsg);
    } else {
        snprintf(line, size, "%s %-5s %s: %s\n", stamp, cw_log_level_name(level), module, msg);
    }
}

void cw_log(enum cw_log_level level, const char *module, const char *fmt, ...)
{
    /* A message longer than this is cut: log lines are for people and line-based collectors. */
    char msg[2048];
    char line[8192];
    va_list ap;

    if (!cw_log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* Keep the one-line promise even if a message carries a newline from a library. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (!module)
        module = "crosswatch";

    pthread_mutex_lock(&log_lock);
    if (log_sink) {
        log_sink(log_sink_opaque, level, module, msg);
        pthread_mutex_unlock(&log_lock);
        return;
    }
    cw__log_format(line, sizeof(line), (enum cw_log_format)atomic_load(&log_format),
                   cw_clock_wall_ns(), level, module, msg);
    fputs(line, stderr);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}
