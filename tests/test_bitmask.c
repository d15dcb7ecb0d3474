/* Unit tests: masks one bit a pixel against a plain byte reference (checkasm style). */
#include "helpers.h"

#include "crosswatch/bitmask.h"
#include "crosswatch/error.h"

static unsigned next_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 16;
}

/* Reference: 3×3 erosion or dilation of a 0/1 byte mask, pixels beyond the edges repeating it. */
static void ref_morph(uint8_t *dst, const uint8_t *src, int w, int h, bool dilate)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int any = 0, all = 1;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
                    int xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
                    any |= src[yy * w + xx];
                    all &= src[yy * w + xx];
                }
            dst[y * w + x] = (uint8_t)(dilate ? any : all);
        }
}

/* Random blobs of foreground: values 0, 7 and 9, of which 9 is "set"; @fill of 16 set. */
static void random_mask(uint8_t *bytes, int w, int h, unsigned seed, int fill)
{
    for (int i = 0; i < w * h; i++) {
        unsigned r = next_rand(&seed) % 16;
        bytes[i] = (uint8_t)((int)r < fill ? 9 : r & 1 ? 7 : 0);
    }
}

static void test_morph_matches_reference(void **state)
{
    (void)state;
    static const int widths[] = {1, 2, 7, 63, 64, 65, 127, 128, 130, 640};
    static const int heights[] = {1, 2, 3, 17};
    for (size_t wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++)
        for (size_t hi = 0; hi < sizeof(heights) / sizeof(heights[0]); hi++)
            for (int fill = 2; fill <= 14; fill += 6) {
                const int w = widths[wi], h = heights[hi];
                uint8_t *bytes = malloc((size_t)w * h), *ref = malloc((size_t)w * h),
                        *want = malloc((size_t)w * h), *got = malloc((size_t)w * h);
                struct cw_bitmask a, b, t;
                assert_int_equal(cw_bitmask_init(&a, w, h), 0);
                assert_int_equal(cw_bitmask_init(&b, w, h), 0);
                assert_int_equal(cw_bitmask_init(&t, w, h), 0);
                random_mask(bytes, w, h, (unsigned)(w * 131 + h * 7 + fill), fill);
                for (int i = 0; i < w * h; i++)
                    ref[i] = bytes[i] == 9;
                cw_bitmask_from_bytes(&a, bytes, (size_t)w, 9);
                /* packing and unpacking alone */
                cw_bitmask_to_bytes(&a, got, 200);
                for (int i = 0; i < w * h; i++)
                    assert_int_equal(got[i], ref[i] ? 200 : 0);
                /* the detector's clean-up: erode, dilate, dilate, erode */
                const bool order[] = {false, true, true, false};
                for (int k = 0; k < 4; k++) {
                    ref_morph(want, ref, w, h, order[k]);
                    memcpy(ref, want, (size_t)w * h);
                    cw_bitmask_morph(&b, &a, &t, order[k]);
                    struct cw_bitmask swap = a;
                    a = b, b = swap;
                    cw_bitmask_to_bytes(&a, got, 1);
                    if (memcmp(got, want, (size_t)w * h))
                        fail_msg("%dx%d fill %d: step %d differs from the reference", w, h, fill,
                                 k);
                }
                /* bits past the width stay clear */
                for (int y = 0; y < h; y++)
                    if (w % 64)
                        assert_int_equal(a.bits[(size_t)y * a.words + a.words - 1] >> (w % 64), 0);
                cw_bitmask_free(&a), cw_bitmask_free(&b), cw_bitmask_free(&t);
                free(bytes), free(ref), free(want), free(got);
            }
}

static void test_rows_with_stride_and_border(void **state)
{
    (void)state;
    const int w = 70, h = 9, stride = 83;
    uint8_t bytes[83 * 9], got[70 * 9];
    memset(bytes, 255, sizeof(bytes));
    struct cw_bitmask m;
    assert_int_equal(cw_bitmask_init(&m, w, h), 0);
    cw_bitmask_from_bytes(&m, bytes, (size_t)stride, 255);
    cw_bitmask_clear_border(&m, 1, 2, 3, 66);
    cw_bitmask_to_bytes(&m, got, 255);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            bool set = y >= 1 && y < h - 2 && x >= 3 && x < w - 66;
            assert_int_equal(got[y * w + x], set ? 255 : 0);
        }
    cw_bitmask_free(&m);
    assert_int_equal(cw_bitmask_init(&m, 0, 5), CW_EINVAL);
    assert_null(m.bits);
}

/* Reference of cw_bitmask_bridge_down, column by column: a run of pixels not set that are gap or
 * next to gap vertically, with a set pixel right above and right below, at most @max_run long,
 * becomes set. */
static void ref_bridge(uint8_t *set, const uint8_t *gap, int w, int h, int max_run)
{
    for (int x = 0; x < w; x++)
        for (int y = 1; y < h; y++) {
            if (!set[(y - 1) * w + x] || set[y * w + x])
                continue;
            int end = y;
            while (end < h && !set[end * w + x] &&
                   (gap[end * w + x] || (end > 0 && gap[(end - 1) * w + x]) ||
                    (end < h - 1 && gap[(end + 1) * w + x])))
                end++;
            if (end < h && set[end * w + x] && end - y <= max_run)
                for (int k = y; k < end; k++)
                    set[k * w + x] = 1;
            y = end;
        }
}

static void test_bridge_matches_reference(void **state)
{
    (void)state;
    static const int widths[] = {1, 5, 64, 65, 130, 640};
    for (size_t wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++)
        for (int max_run = 1; max_run <= 9; max_run += 4) {
            const int w = widths[wi], h = 41;
            uint8_t *bytes = malloc((size_t)w * h), *set = malloc((size_t)w * h),
                    *gap = malloc((size_t)w * h), *got = malloc((size_t)w * h);
            unsigned seed = (unsigned)(w * 17 + max_run);
            /* vertical stripes of set, gap and neither, so that runs of every length occur */
            for (int x = 0; x < w; x++)
                for (int y = 0; y < h;) {
                    unsigned kind = next_rand(&seed) % 3, len = 1 + next_rand(&seed) % 8;
                    for (unsigned k = 0; k < len && y < h; k++, y++)
                        bytes[y * w + x] = (uint8_t)(kind == 0 ? 9 : kind == 1 ? 7 : 0);
                }
            for (int i = 0; i < w * h; i++)
                set[i] = bytes[i] == 9, gap[i] = bytes[i] == 7;
            struct cw_bitmask s, g, o;
            assert_int_equal(cw_bitmask_init(&s, w, h), 0);
            assert_int_equal(cw_bitmask_init(&g, w, h), 0);
            assert_int_equal(cw_bitmask_init(&o, w, h), 0);
            uint16_t *run = calloc((size_t)w, sizeof(uint16_t));
            cw_bitmask_from_bytes(&s, bytes, (size_t)w, 9);
            cw_bitmask_from_bytes(&g, bytes, (size_t)w, 7);
            cw_bitmask_bridge_down(&s, &g, &o, max_run, run);
            ref_bridge(set, gap, w, h, max_run);
            cw_bitmask_to_bytes(&s, got, 1);
            if (memcmp(got, set, (size_t)w * h))
                fail_msg("%d wide, runs up to %d: differs from the reference", w, max_run);
            cw_bitmask_free(&s), cw_bitmask_free(&g), cw_bitmask_free(&o);
            free(bytes), free(set), free(gap), free(got), free(run);
        }
}

/* A car seen from behind: roof, a dark windscreen taken for shadow, one seam row that matches
 * the road, the bonnet; its own shadow on the road below it; a rider's shadow too long to be a
 * windscreen. */
static void test_bridge_windscreen_not_shadow(void **state)
{
    (void)state;
    const int w = 3, h = 20;
    static const char *const column[3] = {
        "..RRRWWWW.BBBSSS....", /* windscreen and seam bridged; the shadow below stays */
        "..RRRWWWWWWWWWWWBB..", /* eleven rows of gap: longer than 10 */
        "..RRRSSS............", /* a shadow below a road user and the road */
    };
    uint8_t bytes[3 * 20];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            char c = column[x][y];
            bytes[y * w + x] = c == 'R' || c == 'B' ? 9 : c == 'W' || c == 'S' ? 7 : 0;
        }
    struct cw_bitmask s, g, o;
    uint16_t run[3];
    assert_int_equal(cw_bitmask_init(&s, w, h), 0);
    assert_int_equal(cw_bitmask_init(&g, w, h), 0);
    assert_int_equal(cw_bitmask_init(&o, w, h), 0);
    cw_bitmask_from_bytes(&s, bytes, (size_t)w, 9);
    cw_bitmask_from_bytes(&g, bytes, (size_t)w, 7);
    cw_bitmask_bridge_down(&s, &g, &o, 10, run);
    uint8_t got[3 * 20];
    cw_bitmask_to_bytes(&s, got, 1);
    for (int y = 0; y < h; y++) {
        assert_int_equal(got[y * w + 0], y >= 2 && y <= 12);
        assert_int_equal(got[y * w + 1], (y >= 2 && y <= 4) || (y >= 16 && y <= 17));
        assert_int_equal(got[y * w + 2], y >= 2 && y <= 4);
    }
    cw_bitmask_free(&s), cw_bitmask_free(&g), cw_bitmask_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_morph_matches_reference),
        cmocka_unit_test(test_rows_with_stride_and_border),
        cmocka_unit_test(test_bridge_matches_reference),
        cmocka_unit_test(test_bridge_windscreen_not_shadow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
