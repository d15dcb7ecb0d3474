/* Shared by crosswatch's cmocka tests: log capture and test media lookup. */
#ifndef CW_TESTS_HELPERS_H
#define CW_TESTS_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crosswatch/log.h"

/* Everything logged while a capture is on, one message per line ("level module: msg"). */
struct log_capture {
    char text[65536];
    size_t len;
    int lines;
    int errors;
};

static inline void capture_sink(void *opaque, enum cw_log_level level, const char *module,
                                const char *msg)
{
    struct log_capture *c = opaque;
    int n = snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s %s: %s\n",
                     cw_log_level_name(level), module, msg);
    if (n > 0 && c->len + (size_t)n < sizeof(c->text))
        c->len += (size_t)n;
    c->lines++;
    if (level == CW_LOG_ERROR)
        c->errors++;
}

static inline void capture_start(struct log_capture *c)
{
    memset(c, 0, sizeof(*c));
    cw_log_set_sink(capture_sink, c);
}

static inline void capture_stop(void)
{
    cw_log_set_sink(NULL, NULL);
}

/* Fails the test, showing the log, when @needle was not logged. */
#define assert_logged(c, needle)                                                                   \
    do {                                                                                           \
        if (!strstr((c)->text, (needle)))                                                          \
            fail_msg("expected the log to contain \"%s\"; it was:\n%s", (needle), (c)->text);      \
    } while (0)

/* Path of a generated test medium (tests/media/make_media.py writes them to CW_TEST_MEDIA). */
static inline const char *media(const char *name)
{
    static char path[1024];
    const char *dir = getenv("CW_TEST_MEDIA");
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "media", name);
    return path;
}

#endif
