#include "core/url.h"

#include <stdio.h>
#include <string.h>

const char *cw__redact(const char *input, char *buf, size_t size)
{
    const char *scheme = strstr(input, "://");
    const char *auth, *at, *colon, *slash;
    snprintf(buf, size, "%s", input);
    if (!scheme)
        return buf;
    auth = scheme + 3;
    slash = strchr(auth, '/');
    at = strchr(auth, '@');
    if (!at || (slash && slash < at))
        return buf;
    colon = memchr(auth, ':', (size_t)(at - auth));
    if (colon)
        snprintf(buf, size, "%.*s:***%s", (int)(colon - input), input, at);
    return buf;
}
