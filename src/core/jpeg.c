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

struct cw_jpeg_encoder {
    tjhandle tj;
    unsigned char *out; /* the compressed picture, big enough for the worst case */
    unsigned long out_cap;
};

struct cw_jpeg_encoder *cw_jpeg_encoder_new(void)
{
    struct cw_jpeg_encoder *e = calloc(1, sizeof(*e));
    if (e && !(e->tj = tjInitCompress())) {
        cw_log_error("jpeg", "cannot start the JPEG encoder: %s", tjGetErrorStr());
        free(e);
        return NULL;
    }
    if (!e)
        cw_log_error("jpeg", "out of memory for a JPEG encoder");
    return e;
}

void cw_jpeg_encoder_free(struct cw_jpeg_encoder *e)
{
    if (!e)
        return;
    tjDestroy(e->tj);
    tjFree(e->out);
    free(e);
}

int cw_jpeg_write_yuv420(struct cw_jpeg_encoder *enc, const char *path,
                         const uint8_t *const planes[3], const int strides[3], int w, int h,
                         int quality, bool tv_range)
{
    struct cw_jpeg_encoder *e = enc ? enc : cw_jpeg_encoder_new();
    if (!e)
        return CW_ENOMEM;
    int err = CW_ENOMEM;
    uint8_t *full = NULL; /* a TV-range picture stretched to full range, while it is encoded */
    const unsigned char *src[3] = {planes[0], planes[1], planes[2]};
    int str[3] = {strides[0], strides[1], strides[2]};
    unsigned long bound = tjBufSize(w, h, TJSAMP_420);
    if (bound == (unsigned long)-1) {
        cw_log_error("jpeg", "%s: cannot encode a %dx%d picture: %s", path, w, h, tjGetErrorStr());
        err = CW_EINVAL;
        goto out;
    }
    if (e->out_cap < bound) {
        tjFree(e->out);
        e->out_cap = 0;
        if (!(e->out = tjAlloc((int)bound))) {
            cw_log_error("jpeg", "%s: out of memory for a %dx%d picture", path, w, h);
            goto out;
        }
        e->out_cap = bound;
    }
    if (tv_range) {
        int cw = (w + 1) / 2, ch = (h + 1) / 2;
        size_t ys = (size_t)w * h, cs = (size_t)cw * ch;
        uint8_t lut[2][256];
        /* not kept between pictures: 3 MB a 1080p camera would hold for a few pictures a minute */
        if (!(full = malloc(ys + 2 * cs))) {
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
    unsigned char *buf = e->out;
    unsigned long len = e->out_cap;
    if (tjCompressFromYUVPlanes(e->tj, src, w, str, h, TJSAMP_420, &buf, &len,
                                quality < 1     ? 1
                                : quality > 100 ? 100
                                                : quality,
                                TJFLAG_NOREALLOC)) {
        cw_log_error("jpeg", "%s: cannot encode a %dx%d picture: %s", path, w, h,
                     tjGetErrorStr2(e->tj));
        err = CW_EIO;
        goto out;
    }
    err = cw__write_file_atomic("jpeg", path, buf, len);
out:
    free(full);
    if (!enc)
        cw_jpeg_encoder_free(e);
    return err;
}
