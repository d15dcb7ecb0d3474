/* Internal: input names as they may be shown to people. */
#ifndef CW_CORE_URL_H
#define CW_CORE_URL_H

#include <stddef.h>

/* Copies @input into @buf with any password in a URL replaced by "***", so that camera
 * credentials never reach a log, a report or the screen. Returns @buf. */
const char *cw__redact(const char *input, char *buf, size_t size);

#endif
