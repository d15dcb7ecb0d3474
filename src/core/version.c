#include "crosswatch/version.h"

#include <cjson/cJSON.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <stdio.h>

const char *cw_version(void)
{
    return CW_VERSION_STRING;
}

const char *cw_version_libraries(void)
{
    static _Thread_local char buf[256];
    unsigned f = avformat_version(), c = avcodec_version(), u = avutil_version();
    snprintf(buf, sizeof(buf),
             "libavformat %u.%u.%u, libavcodec %u.%u.%u, libavutil %u.%u.%u, "
             "cJSON %s",
             AV_VERSION_MAJOR(f), AV_VERSION_MINOR(f), AV_VERSION_MICRO(f), AV_VERSION_MAJOR(c),
             AV_VERSION_MINOR(c), AV_VERSION_MICRO(c), AV_VERSION_MAJOR(u), AV_VERSION_MINOR(u),
             AV_VERSION_MICRO(u), cJSON_Version());
    return buf;
}
