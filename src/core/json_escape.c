#include "core/json_escape.h"

#include <stdio.h>

size_t cw__json_escape(char *out, size_t size, const char *in)
{
    size_t n = 0;
    if (size == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        char esc[8];
        const char *s = esc;
        size_t len;
        switch (*p) {
        case '"':
            s = "\\\"";
            break;
        case '\\':
            s = "\\\\";
            break;
        case '\n':
            s = "\\n";
            break;
        case '\r':
            s = "\\r";
            break;
        case '\t':
            s = "\\t";
            break;
        default:
            if (*p < 0x20)
                snprintf(esc, sizeof(esc), "\\u%04x", *p);
            else {
                esc[0] = (char)*p;
                esc[1] = 0;
            }
        }
        for (len = 0; s[len]; len++)
            ;
        if (n + len + 1 > size)
            break;
        for (size_t i = 0; i < len; i++)
            out[n++] = s[i];
    }
    out[n] = 0;
    return n;
}
