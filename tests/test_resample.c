/* Unit tests: the analysis image against a plain reference (checkasm style). */
#include "helpers.h"

#include <math.h>

#include "crosswatch/resample.h"

/* Reference: exact box average for whole ratios, rounded half up. */
static uint8_t ref_box(const uint8_t *src, int stride, int fx, int fy, int x, int y)
{
    unsigned s = 0;
    for (int j = 0; j < fy; j++)
        for (int i = 0; i < fx; i++)
            s += src[(size_t)(y * fy + j) * stride + x * fx + i];
    return (uint8_t)((s + (unsigned)(fx * fy) / 2) / (unsigned)(fx * fy));
}

static void fill(uint8_t *p, int w, int h, int stride, unsigned seed)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            seed = seed * 1103515245u + 12345u;
            p[(size_t)y * stride + x] = (uint8_t)(seed >> 16);
        }
}

static void check_box(int sw, int sh, int dw, int dh)
{
    int stride = sw + 13; /* rows not packed */
    uint8_t *src = malloc((size_t)stride * sh);
    struct cw_image dst = {dw, dh, dw + 7, malloc((size_t)(dw + 7) * dh)};
    struct cw_resampler *rs = cw_resampler_new(sw, sh, dw, dh);
    assert_non_null(rs);
    fill(src, sw, sh, stride, (unsigned)(sw * 31 + dh));
    cw_resampler_run(rs, src, stride, &dst);
    for (int y = 0; y < dh; y++)
        for (int x = 0; x < dw; x++)
            if (dst.data[(size_t)y * dst.stride + x] !=
                ref_box(src, stride, sw / dw, sh / dh, x, y))
                fail_msg("%dx%d -> %dx%d differs at (%d, %d)", sw, sh, dw, dh, x, y);
    cw_resampler_free(rs);
    free(src);
    free(dst.data);
}

static void test_box_ratios(void **state)
{
    (void)state;
    /* each with the fastest kernels, then with the SSSE3 ones (CW_SIMD=sse) */
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            setenv("CW_SIMD", "sse", 1);
        check_box(1920, 1080, 640, 360); /* 3x3 */
        check_box(159, 9, 53, 3);        /* 3x3: 32 + 16 + 5 outputs a row (AVX2, SSSE3, C) */
        check_box(1280, 720, 640, 360);  /* 2x2 */
        check_box(640, 360, 640, 360);   /* copy */
        check_box(1600, 1200, 400, 300); /* 4x4, generic loop */
        check_box(1200, 800, 400, 400);  /* 3x2 */
    }
    unsetenv("CW_SIMD");
}

static void test_bilinear(void **state)
{
    /* A smooth ramp stays a ramp: values within one level of the exact sample. */
    int sw = 1000, sh = 700, dw = 640, dh = 448;
    uint8_t *src = malloc((size_t)sw * sh);
    struct cw_image dst = {dw, dh, dw, malloc((size_t)dw * dh)};
    struct cw_resampler *rs = cw_resampler_new(sw, sh, dw, dh);
    (void)state;
    for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x++)
            src[(size_t)y * sw + x] = (uint8_t)((x * 255) / (sw - 1));
    cw_resampler_run(rs, src, sw, &dst);
    for (int y = 0; y < dh; y++)
        for (int x = 0; x < dw; x++) {
            double sx = (x + 0.5) * sw / dw - 0.5;
            double want = sx * 255.0 / (sw - 1);
            assert_true(fabs(dst.data[(size_t)y * dw + x] - want) <= 1.5);
        }
    cw_resampler_free(rs);
    free(src);
    free(dst.data);
}

static void test_sizes(void **state)
{
    int w, h;
    struct log_capture c;
    (void)state;
    cw_analysis_size(1920, 1080, 640, 0, &w, &h);
    assert_int_equal(w, 640);
    assert_int_equal(h, 360);
    cw_analysis_size(640, 352, 640, 0, &w, &h);
    assert_int_equal(w, 640);
    assert_int_equal(h, 352);
    cw_analysis_size(320, 240, 640, 0, &w, &h); /* never upscaled */
    assert_int_equal(w, 320);
    assert_int_equal(h, 240);
    cw_analysis_size(1920, 1080, 0, 270, &w, &h);
    assert_int_equal(w, 480);
    assert_int_equal(h, 270 & ~1);
    capture_start(&c);
    assert_null(cw_resampler_new(100, 100, 200, 50));
    capture_stop();
    assert_logged(&c, "cannot resample 100x100 to 200x50");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_box_ratios),
        cmocka_unit_test(test_bilinear),
        cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
