/* Internal: JSON string escaping shared by the logger and the JSON writers. */
#ifndef CW_CORE_JSON_ESCAPE_H
#define CW_CORE_JSON_ESCAPE_H

#include <stddef.h>

/* Writes @in into @out (capacity @size, always NUL-terminated) as the inside of a JSON string:
 * quotes, backslashes and control characters escaped. Cuts at a character boundary if it does
 * not fit. Returns the length written. */
size_t cw__json_escape(char *out, size_t size, const char *in);

#endif
