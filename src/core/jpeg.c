/* JPEG reading and writing through libjpeg-turbo. */
#include "crosswatch/jpeg.h"

#include <stdlib.h>
#include <turbojpeg.h>

#include "core/file.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"

#define MAX_JPEG_BYTES (64u << 20)
#define MAX_PIXELS     (100000000ull)

int cw_jpeg_read_rgb(const char *path, uint8_t **rgb, int *w, int *h)
{
    char *data;
    size_t len;
    int err = cw__read_file("jpeg", path, MAX_JPEG_BYTES, &data, &len);
    *rgb = NULL;
    if (err)
        return err;
    tjhandle tj = tjInitDecompress();
    int sub, cs;
    err = CW_EFORMAT;
    if (!tj) {
        cw_log_error("jpeg", "%s: cannot start the JPEG decoder: %s", path, tjGetErrorStr());
        goto out;
    }
    if (tjDecompressHeader3(tj, (const unsigned char *)data, (unsigned long)len, w, h, &sub, &cs) ||
        *w < 1 || *h < 1 || (unsigned long long)*w * (unsigned long long)*h > MAX_PIXELS) {
        cw_log_error("jpeg", "%s: not a JPEG picture crosswatch can read (%s)", path,
                     tjGetErrorStr2(tj));
        goto out;
    }
    *rgb = malloc((size_t)*w * *h * 3);
    if (!*rgb) {
        err = CW_ENOMEM;
        goto out;
    }
    if (tjDecompress2(tj, (const unsigned char *)data, (unsigned long)len, *rgb, *w, *w * 3, *h,
                      TJPF_RGB, TJFLAG_ACCURATEDCT)) {
        cw_log_error("jpeg", "%s: damaged JPEG data (%s)", path, tjGetErrorStr2(tj));
        free(*rgb);
        *rgb = NULL;
        goto out;
    }
    err = 0;
out:
    if (tj)
        tjDestroy(tj);
    free(data);
    return err;
}

int cw_jpeg_write_yuv420(const char *path, const uint8_t *const planes[3], const int strides[3],
                         int w, int h, int quality)
{
    unsigned char *buf = NULL;
    unsigned long len = 0;
    int err = CW_EIO;
    tjhandle tj = tjInitCompress();
    if (!tj) {
        cw_log_error("jpeg", "%s: cannot start the JPEG encoder: %s", path, tjGetErrorStr());
        return CW_ENOMEM;
    }
    const unsigned char *src[3] = {planes[0], planes[1], planes[2]};
    if (tjCompressFromYUVPlanes(tj, src, w, strides, h, TJSAMP_420, &buf, &len,
                                quality < 1     ? 1
                                : quality > 100 ? 100
                                                : quality,
                                0)) {
        cw_log_error("jpeg", "%s: cannot encode a %dx%d picture: %s", path, w, h,
                     tjGetErrorStr2(tj));
        goto out;
    }
    err = cw__write_file_atomic("jpeg", path, buf, len);
out:
    tjFree(buf);
    tjDestroy(tj);
    return err;
}
