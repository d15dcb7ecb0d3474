/* Unit tests: polygons and homographies. */
#include "helpers.h"

#include <math.h>

#include "crosswatch/error.h"
#include "crosswatch/geom.h"

static void test_polygon(void **state)
{
    const struct cw_point sq[] = {{0, 0}, {4, 0}, {4, 4}, {0, 4}};
    const struct cw_point bow[] = {{0, 0}, {4, 4}, {4, 0}, {0, 4}};
    int a = -1, b = -1;
    (void)state;
    assert_true(fabs(fabs(cw_polygon_area(sq, 4)) - 16) < 1e-12);
    assert_true(cw_polygon_contains(sq, 4, (struct cw_point){2, 2}));
    assert_false(cw_polygon_contains(sq, 4, (struct cw_point){5, 2}));
    assert_false(cw_polygon_self_intersects(sq, 4, NULL, NULL));
    assert_true(cw_polygon_self_intersects(bow, 4, &a, &b));
    assert_int_equal(a, 0);
    assert_int_equal(b, 2);
    /* A vertex touching a non-adjacent edge counts as intersecting. */
    const struct cw_point touch[] = {{0, 0}, {4, 0}, {2, 0}, {2, 4}};
    assert_true(cw_polygon_self_intersects(touch, 4, NULL, NULL));
    assert_true(cw_segments_intersect((struct cw_point){0, 0}, (struct cw_point){2, 2},
                                      (struct cw_point){0, 2}, (struct cw_point){2, 0}));
    assert_false(cw_segments_intersect((struct cw_point){0, 0}, (struct cw_point){1, 1},
                                       (struct cw_point){2, 2}, (struct cw_point){3, 0}));
}

/* A camera-like homography, and points pushed through it. */
static const struct cw_homography truth = {{0.02, 0.001, -5, 0.0005, 0.05, -20, 0.00001, 0.002, 1}};

static void test_homography_exact_four(void **state)
{
    struct cw_point img[4] = {{100, 300}, {1800, 320}, {1700, 1000}, {200, 1050}}, gnd[4];
    struct cw_homography h, inv;
    double rms;
    (void)state;
    for (int i = 0; i < 4; i++)
        assert_true(cw_homography_apply(&truth, img[i], &gnd[i]));
    assert_int_equal(cw_homography_solve(img, gnd, 4, &h, &rms), 0);
    assert_true(rms < 1e-6);
    for (int i = 0; i < 9; i++)
        assert_true(fabs(h.m[i] - truth.m[i]) < 1e-6 * (fabs(truth.m[i]) + 1e-3));
    assert_int_equal(cw_homography_invert(&h, &inv), 0);
    struct cw_point p = {960, 700}, q, back;
    assert_true(cw_homography_apply(&h, p, &q));
    assert_true(cw_homography_apply(&inv, q, &back));
    assert_true(fabs(back.x - p.x) < 1e-6 && fabs(back.y - p.y) < 1e-6);
}

static void test_homography_least_squares(void **state)
{
    struct cw_point img[12], gnd[12];
    struct cw_homography h;
    double rms;
    (void)state;
    for (int i = 0; i < 12; i++) {
        img[i] = (struct cw_point){150.0 + 140 * i, 400.0 + 50 * (i % 5)};
        assert_true(cw_homography_apply(&truth, img[i], &gnd[i]));
        /* ±2 cm of survey noise */
        gnd[i].x += 0.02 * ((i % 3) - 1);
        gnd[i].y -= 0.02 * ((i % 2) ? 1 : -1);
    }
    assert_int_equal(cw_homography_solve(img, gnd, 12, &h, &rms), 0);
    assert_true(rms < 0.03);
    assert_true(rms > 0.001);
}

static void test_homography_degenerate(void **state)
{
    struct cw_point img[4] = {{0, 0}, {100, 0}, {200, 0}, {50, 80}};
    struct cw_point gnd[4] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    struct cw_homography h, inv;
    const struct cw_homography singular = {{1, 2, 3, 2, 4, 6, 0, 0, 1}};
    (void)state;
    assert_int_equal(cw_homography_solve(img, gnd, 4, &h, NULL), CW_EINVAL);
    assert_int_equal(cw_homography_solve(img, gnd, 3, &h, NULL), CW_EINVAL);
    assert_true(cw_homography_is_singular(&singular));
    assert_int_equal(cw_homography_invert(&singular, &inv), CW_EINVAL);
    /* Beyond the horizon: w <= 0. */
    const struct cw_homography hz = {{1, 0, 0, 0, 1, 0, 0, -0.01, 1}};
    struct cw_point out = {-1, -1};
    assert_false(cw_homography_apply(&hz, (struct cw_point){0, 200}, &out));
    assert_true(out.x == -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_polygon),
        cmocka_unit_test(test_homography_exact_four),
        cmocka_unit_test(test_homography_least_squares),
        cmocka_unit_test(test_homography_degenerate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
