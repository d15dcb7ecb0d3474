#include "crosswatch/resample.h"

#include <stdlib.h>
#include <string.h>

#include "crosswatch/log.h"

struct cw_resampler {
    int sw, sh, dw, dh;
    int fx, fy;        /* whole-number ratios, or 0 when the ratio is fractional */
    uint16_t *rowsum;  /* fy source rows summed, one entry per source column */
    /* bilinear tables: source index and 8-bit weight of the next sample, per output x / y */
    int32_t *xi, *yi;
    uint16_t *xw, *yw;
};

void cw_analysis_size(int w, int h, int want_w, int want_h, int *out_w, int *out_h)
{
    int ow, oh;
    if (want_w <= 0 && want_h <= 0)
        want_w = 640;
    if (want_w > 0 && want_h > 0) {
        ow = want_w;
        oh = want_h;
    } else if (want_w > 0) {
        ow = want_w;
        oh = (int)((int64_t)h * want_w / w);
    } else {
        oh = want_h;
        ow = (int)((int64_t)w * want_h / h);
    }
    if (ow > w || oh > h) {
        ow = w;
        oh = h;
    }
    ow &= ~1;
    oh &= ~1;
    *out_w = ow < 16 ? (w < 16 ? w : 16) : ow;
    *out_h = oh < 2 ? (h < 2 ? h : 2) : oh;
}

struct cw_resampler *cw_resampler_new(int sw, int sh, int dw, int dh)
{
    struct cw_resampler *rs;
    if (sw < 1 || sh < 1 || dw < 1 || dh < 1 || dw > sw || dh > sh) {
        cw_log_error("resample", "cannot resample %dx%d to %dx%d", sw, sh, dw, dh);
        return NULL;
    }
    rs = calloc(1, sizeof(*rs));
    if (!rs)
        goto out_nomem;
    rs->sw = sw;
    rs->sh = sh;
    rs->dw = dw;
    rs->dh = dh;
    if (sw % dw == 0 && sh % dh == 0 && sw / dw <= 16 && sh / dh <= 16) {
        rs->fx = sw / dw;
        rs->fy = sh / dh;
        rs->rowsum = malloc(sizeof(*rs->rowsum) * (size_t)sw);
        if (!rs->rowsum)
            goto out_free;
        return rs;
    }
    rs->xi = malloc(sizeof(*rs->xi) * (size_t)dw);
    rs->xw = malloc(sizeof(*rs->xw) * (size_t)dw);
    rs->yi = malloc(sizeof(*rs->yi) * (size_t)dh);
    rs->yw = malloc(sizeof(*rs->yw) * (size_t)dh);
    if (!rs->xi || !rs->xw || !rs->yi || !rs->yw)
        goto out_free;
    /* Sample at the centre of each output pixel, mapped into the source. */
    for (int x = 0; x < dw; x++) {
        double s = ((double)x + 0.5) * sw / dw - 0.5;
        int i = s < 0 ? 0 : (int)s;
        if (i > sw - 2)
            i = sw > 1 ? sw - 2 : 0;
        double f = s - i;
        rs->xi[x] = i;
        rs->xw[x] = (uint16_t)(f < 0 ? 0 : f > 1 ? 256 : (int)(f * 256 + 0.5));
    }
    for (int y = 0; y < dh; y++) {
        double s = ((double)y + 0.5) * sh / dh - 0.5;
        int i = s < 0 ? 0 : (int)s;
        if (i > sh - 2)
            i = sh > 1 ? sh - 2 : 0;
        double f = s - i;
        rs->yi[y] = i;
        rs->yw[y] = (uint16_t)(f < 0 ? 0 : f > 1 ? 256 : (int)(f * 256 + 0.5));
    }
    return rs;

out_free:
    cw_resampler_free(rs);
out_nomem:
    cw_log_error("resample", "out of memory");
    return NULL;
}

void cw_resampler_free(struct cw_resampler *rs)
{
    if (!rs)
        return;
    free(rs->rowsum);
    free(rs->xi);
    free(rs->xw);
    free(rs->yi);
    free(rs->yw);
    free(rs);
}

/* Sums @fy rows of @w bytes into @sum; written so the compiler vectorises it. */
static void sum_rows(const uint8_t *src, int stride, int fy, int w, uint16_t *restrict sum)
{
    const uint8_t *r0 = src;
    if (fy == 1) {
        for (int x = 0; x < w; x++)
            sum[x] = r0[x];
        return;
    }
    const uint8_t *r1 = src + stride;
    if (fy == 2) {
        for (int x = 0; x < w; x++)
            sum[x] = (uint16_t)(r0[x] + r1[x]);
        return;
    }
    const uint8_t *r2 = src + 2 * stride;
    for (int x = 0; x < w; x++)
        sum[x] = (uint16_t)(r0[x] + r1[x] + r2[x]);
    for (int k = 3; k < fy; k++) {
        const uint8_t *rk = src + (size_t)k * stride;
        for (int x = 0; x < w; x++)
            sum[x] = (uint16_t)(sum[x] + rk[x]);
    }
}

static void run_box(struct cw_resampler *rs, const uint8_t *src, int stride, struct cw_image *dst)
{
    const int fx = rs->fx, fy = rs->fy, n = fx * fy, dw = rs->dw;
    uint16_t *sum = rs->rowsum;

    for (int y = 0; y < rs->dh; y++) {
        uint8_t *out = dst->data + (size_t)y * dst->stride;
        sum_rows(src + (size_t)y * fy * stride, stride, fy, rs->sw, sum);
        /* Division by a constant becomes a multiply; the common ratios get their own loops. */
        if (fx == 3 && fy == 3) {
            for (int x = 0; x < dw; x++)
                out[x] = (uint8_t)((sum[3 * x] + sum[3 * x + 1] + sum[3 * x + 2] + 4) / 9);
        } else if (fx == 2 && fy == 2) {
            for (int x = 0; x < dw; x++)
                out[x] = (uint8_t)((sum[2 * x] + sum[2 * x + 1] + 2) >> 2);
        } else if (fx == 1 && fy == 1) {
            for (int x = 0; x < dw; x++)
                out[x] = (uint8_t)sum[x];
        } else {
            for (int x = 0; x < dw; x++) {
                unsigned s = 0;
                for (int k = 0; k < fx; k++)
                    s += sum[fx * x + k];
                out[x] = (uint8_t)((s + (unsigned)n / 2) / (unsigned)n);
            }
        }
    }
}

static void run_bilinear(struct cw_resampler *rs, const uint8_t *src, int stride,
                         struct cw_image *dst)
{
    for (int y = 0; y < rs->dh; y++) {
        const uint8_t *a = src + (size_t)rs->yi[y] * stride;
        const uint8_t *b = rs->sh > 1 ? a + stride : a;
        unsigned wy = rs->yw[y];
        uint8_t *out = dst->data + (size_t)y * dst->stride;
        for (int x = 0; x < rs->dw; x++) {
            int i = rs->xi[x];
            int j = rs->sw > 1 ? i + 1 : i;
            unsigned wx = rs->xw[x];
            unsigned top = a[i] * (256 - wx) + a[j] * wx;
            unsigned bot = b[i] * (256 - wx) + b[j] * wx;
            out[x] = (uint8_t)((top * (256 - wy) + bot * wy + 32768) >> 16);
        }
    }
}

void cw_resampler_run(struct cw_resampler *rs, const uint8_t *src, int src_stride,
                      struct cw_image *dst)
{
    if (rs->fx)
        run_box(rs, src, src_stride, dst);
    else
        run_bilinear(rs, src, src_stride, dst);
}
