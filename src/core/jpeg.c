/* JPEG reading and writing through libjpeg-turbo. */
#include "crosswatch/jpeg.h"

#include <math.h>
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

/* TV range (luma 16–235, chroma 16–240 around 128) to full range, one table per kind. */
static void full_range_tables(uint8_t luma[256], uint8_t chroma[256])
{
    for (int v = 0; v < 256; v++) {
        int y = (int)lround((v - 16) * 255.0 / 219), c = (int)lround((v - 128) * 255.0 / 224 + 128);
        luma[v] = (uint8_t)(y < 0 ? 0 : y > 255 ? 255 : y);
        chroma[v] = (uint8_t)(c < 0 ? 0 : c > 255 ? 255 : c);
    }
}

int cw_jpeg_write_yuv420(const char *path, const uint8_t *const planes[3], const int strides[3],
                         int w, int h, int quality, bool tv_range)
{
    unsigned char *buf = NULL, *full = NULL;
    unsigned long len = 0;
    int err = CW_EIO;
    tjhandle tj = tjInitCompress();
    if (!tj) {
        cw_log_error("jpeg", "%s: cannot start the JPEG encoder: %s", path, tjGetErrorStr());
        return CW_ENOMEM;
    }
    const unsigned char *src[3] = {planes[0], planes[1], planes[2]};
    int str[3] = {strides[0], strides[1], strides[2]};
    if (tv_range) {
        int cw = (w + 1) / 2, ch = (h + 1) / 2;
        size_t ys = (size_t)w * h, cs = (size_t)cw * ch;
        uint8_t lut[2][256];
        if (!(full = malloc(ys + 2 * cs))) {
            err = CW_ENOMEM;
            cw_log_error("jpeg", "%s: out of memory for a %dx%d picture", path, w, h);
            goto out;
        }
        full_range_tables(lut[0], lut[1]);
        for (int p = 0; p < 3; p++) {
            int pw = p ? cw : w, ph = p ? ch : h;
            uint8_t *d = full + (p ? ys + (size_t)(p - 1) * cs : 0);
            const uint8_t *t = lut[p != 0];
            for (int y = 0; y < ph; y++) {
                const uint8_t *row = planes[p] + (size_t)y * strides[p];
                for (int x = 0; x < pw; x++)
                    d[(size_t)y * pw + x] = t[row[x]];
            }
            src[p] = d;
            str[p] = pw;
        }
    }
    if (tjCompressFromYUVPlanes(tj, src, w, str, h, TJSAMP_420, &buf, &len,
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
    free(full);
    tjDestroy(tj);
    return err;
}
