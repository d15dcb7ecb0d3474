#include "crosswatch/resample.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/log.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

typedef void (*box3_fn)(const uint8_t *, const uint8_t *, const uint8_t *, uint8_t *, int);
static box3_fn box3_select(bool allow_simd);

struct cw_resampler {
    int sw, sh, dw, dh;
    int fx, fy;       /* whole-number ratios, or 0 when the ratio is fractional */
    uint16_t *rowsum; /* fy source rows summed, one entry per source column */
    /* bilinear tables: source index and 8-bit weight of the next sample, per output x / y */
    int32_t *xi, *yi;
    uint16_t *xw, *yw;
    box3_fn box3; /* the 3×3 kernel for this CPU */
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
        rs->box3 = box3_select(!getenv("CW_NO_SIMD"));
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

/* 3×3 box, scalar: rows r0..r2 into @n outputs. */
static void box3_row_c(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2, uint8_t *out, int n)
{
    for (int x = 0; x < n; x++) {
        unsigned s = (unsigned)r0[3 * x] + r0[3 * x + 1] + r0[3 * x + 2] + r1[3 * x] +
                     r1[3 * x + 1] + r1[3 * x + 2] + r2[3 * x] + r2[3 * x + 1] + r2[3 * x + 2];
        out[x] = (uint8_t)((s + 4) / 9);
    }
}

#ifdef HAVE_X86
/* pshufb masks that gather every third 16-bit lane (phase k = 0, 1, 2) out of three vectors
 * holding 24 consecutive sums: mask[k][v] picks from vector v, zeroes the rest. */
static uint8_t box3_masks[3][3][16];

static void box3_init_masks(void)
{
    for (int k = 0; k < 3; k++)
        for (int v = 0; v < 3; v++)
            for (int j = 0; j < 8; j++) {
                int i = 3 * j + k, from = i / 8, e = i % 8;
                box3_masks[k][v][2 * j] = from == v ? (uint8_t)(2 * e) : 0x80;
                box3_masks[k][v][2 * j + 1] = from == v ? (uint8_t)(2 * e + 1) : 0x80;
            }
}

__attribute__((target("ssse3"))) static __m128i box3_gather(__m128i a, __m128i b, __m128i c, int k)
{
    const __m128i *m = (const __m128i *)box3_masks[k];
    return _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, _mm_loadu_si128(m)),
                                     _mm_shuffle_epi8(b, _mm_loadu_si128(m + 1))),
                        _mm_shuffle_epi8(c, _mm_loadu_si128(m + 2)));
}

/* Eight outputs from 24 column sums: (sum of 3 + 4) / 9, exact for sums up to 9 × 255
 * (multiply-high by ⌈65536 / 9⌉ errs by under 1/100 of a level). */
__attribute__((target("ssse3"))) static __m128i box3_eight(__m128i a, __m128i b, __m128i c)
{
    __m128i s = _mm_add_epi16(_mm_add_epi16(box3_gather(a, b, c, 0), box3_gather(a, b, c, 1)),
                              box3_gather(a, b, c, 2));
    return _mm_mulhi_epu16(_mm_add_epi16(s, _mm_set1_epi16(4)), _mm_set1_epi16(7282));
}

/* 3×3 box, SSSE3: 16 outputs from 48 bytes of each of three rows per step. */
__attribute__((target("ssse3"))) static void box3_row_ssse3(const uint8_t *r0, const uint8_t *r1,
                                                            const uint8_t *r2, uint8_t *out, int n)
{
    const __m128i z = _mm_setzero_si128();
    int x = 0;
    for (; x + 16 <= n; x += 16) {
        __m128i v[6];
        for (int k = 0; k < 3; k++) {
            __m128i a = _mm_loadu_si128((const __m128i *)(r0 + 3 * x + 16 * k));
            __m128i b = _mm_loadu_si128((const __m128i *)(r1 + 3 * x + 16 * k));
            __m128i c = _mm_loadu_si128((const __m128i *)(r2 + 3 * x + 16 * k));
            v[2 * k] =
                _mm_add_epi16(_mm_add_epi16(_mm_unpacklo_epi8(a, z), _mm_unpacklo_epi8(b, z)),
                              _mm_unpacklo_epi8(c, z));
            v[2 * k + 1] =
                _mm_add_epi16(_mm_add_epi16(_mm_unpackhi_epi8(a, z), _mm_unpackhi_epi8(b, z)),
                              _mm_unpackhi_epi8(c, z));
        }
        __m128i lo = box3_eight(v[0], v[1], v[2]);
        __m128i hi = box3_eight(v[3], v[4], v[5]);
        _mm_storeu_si128((__m128i *)(out + x), _mm_packus_epi16(lo, hi));
    }
    box3_row_c(r0 + 3 * x, r1 + 3 * x, r2 + 3 * x, out + x, n - x);
}
#endif

#ifdef HAVE_X86
/* The same steps as box3_row_ssse3 on two blocks of 16 outputs at once, one in each 128-bit
 * half (pshufb and the packs work within halves), so 32 outputs per step and the same bits. */
__attribute__((target("avx2"))) static __m256i box3_gather2(__m256i a, __m256i b, __m256i c, int k)
{
    const __m128i *m = (const __m128i *)box3_masks[k];
    __m256i m0 = _mm256_broadcastsi128_si256(_mm_loadu_si128(m));
    __m256i m1 = _mm256_broadcastsi128_si256(_mm_loadu_si128(m + 1));
    __m256i m2 = _mm256_broadcastsi128_si256(_mm_loadu_si128(m + 2));
    return _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, m0), _mm256_shuffle_epi8(b, m1)),
                           _mm256_shuffle_epi8(c, m2));
}

__attribute__((target("avx2"))) static __m256i box3_eight2(__m256i a, __m256i b, __m256i c)
{
    __m256i s =
        _mm256_add_epi16(_mm256_add_epi16(box3_gather2(a, b, c, 0), box3_gather2(a, b, c, 1)),
                         box3_gather2(a, b, c, 2));
    return _mm256_mulhi_epu16(_mm256_add_epi16(s, _mm256_set1_epi16(4)), _mm256_set1_epi16(7282));
}

/* 48 bytes of one row for outputs x .. x + 15 (low half) and x + 16 .. x + 31 (high half),
 * vector @k of 3. */
__attribute__((target("avx2"))) static __m256i box3_load2(const uint8_t *r, int x, int k)
{
    __m128i lo = _mm_loadu_si128((const __m128i *)(r + 3 * x + 16 * k));
    __m128i hi = _mm_loadu_si128((const __m128i *)(r + 3 * x + 48 + 16 * k));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

__attribute__((target("avx2"))) static void box3_row_avx2(const uint8_t *r0, const uint8_t *r1,
                                                          const uint8_t *r2, uint8_t *out, int n)
{
    const __m256i z = _mm256_setzero_si256();
    int x = 0;
    for (; x + 32 <= n; x += 32) {
        __m256i v[6];
        for (int k = 0; k < 3; k++) {
            __m256i a = box3_load2(r0, x, k), b = box3_load2(r1, x, k), c = box3_load2(r2, x, k);
            v[2 * k] = _mm256_add_epi16(
                _mm256_add_epi16(_mm256_unpacklo_epi8(a, z), _mm256_unpacklo_epi8(b, z)),
                _mm256_unpacklo_epi8(c, z));
            v[2 * k + 1] = _mm256_add_epi16(
                _mm256_add_epi16(_mm256_unpackhi_epi8(a, z), _mm256_unpackhi_epi8(b, z)),
                _mm256_unpackhi_epi8(c, z));
        }
        __m256i lo = box3_eight2(v[0], v[1], v[2]);
        __m256i hi = box3_eight2(v[3], v[4], v[5]);
        _mm256_storeu_si256((__m256i *)(out + x), _mm256_packus_epi16(lo, hi));
    }
    box3_row_ssse3(r0 + 3 * x, r1 + 3 * x, r2 + 3 * x, out + x, n - x);
}
#endif

/* The fastest 3×3 kernel this CPU runs; chosen once (CW_SIMD=sse keeps the SSSE3 one). */
static box3_fn box3_select(bool allow_simd)
{
#ifdef HAVE_X86
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    const char *level = getenv("CW_SIMD");
    if (allow_simd && __builtin_cpu_supports("ssse3")) {
        pthread_once(&once, box3_init_masks);
        if (__builtin_cpu_supports("avx2") && !(level && !strncmp(level, "sse", 3)))
            return box3_row_avx2;
        return box3_row_ssse3;
    }
#endif
    (void)allow_simd;
    return box3_row_c;
}

static void run_box(struct cw_resampler *rs, const uint8_t *src, int stride, struct cw_image *dst)
{
    const int fx = rs->fx, fy = rs->fy, n = fx * fy, dw = rs->dw;
    uint16_t *sum = rs->rowsum;

    if (fx == 3 && fy == 3) {
        for (int y = 0; y < rs->dh; y++) {
            const uint8_t *r0 = src + (size_t)(3 * y) * stride;
            rs->box3(r0, r0 + stride, r0 + 2 * (size_t)stride, dst->data + (size_t)y * dst->stride,
                     dw);
        }
        return;
    }
    for (int y = 0; y < rs->dh; y++) {
        uint8_t *out = dst->data + (size_t)y * dst->stride;
        sum_rows(src + (size_t)y * fy * stride, stride, fy, rs->sw, sum);
        /* Division by a constant becomes a multiply; the common ratios get their own loops. */
        if (fx == 2 && fy == 2) {
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
