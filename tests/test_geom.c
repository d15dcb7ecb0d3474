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

/* Overlap of boxes: intersection over union, and the share of one inside another. */
static void test_boxes(void **state)
{
    (void)state;
    struct cw_box a = {0, 0, 10, 10}, b = {5, 0, 10, 10}, c = {2, 2, 4, 4}, far = {50, 50, 5, 5};
    struct cw_box empty = {1, 1, 0, 0};
    assert_float_equal(cw_box_iou(&a, &b), 50.0 / 150.0, 1e-12);
    assert_float_equal(cw_box_iou(&a, &far), 0, 0);
    assert_float_equal(cw_box_cover(&a, &b), 0.5, 1e-12);
    assert_float_equal(cw_box_cover(&c, &a), 1, 1e-12); /* inside */
    assert_float_equal(cw_box_cover(&a, &c), 16.0 / 100.0, 1e-12);
    assert_float_equal(cw_box_cover(&a, &far), 0, 0);
    assert_float_equal(cw_box_cover(&empty, &a), 0, 0);
}

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

/* A camera 7 m up, 12 m behind the origin, looking along +y pitched 18° down, f 1065 px: its
 * ground homography, at any scale and sign, gives the camera back, and points above the road
 * project where the camera puts them. */
static void camera_point(const double R[3][3], const double C[3], double f, double X, double Y,
                         double Z, double *u, double *v)
{
    double p[3];
    for (int i = 0; i < 3; i++)
        p[i] = R[i][0] * (X - C[0]) + R[i][1] * (Y - C[1]) + R[i][2] * (Z - C[2]);
    *u = f * p[0] / p[2] + 640;
    *v = f * p[1] / p[2] + 360;
}

/* Distances on the ground between picture points; none above the horizon. */
static void test_ground_span(void **state)
{
    (void)state;
    /* a camera looking down a road: w = 0.05 y - 1 > 0 below row 20 (the horizon) */
    struct cw_homography h = {{0.1, 0, 0, 0, 1, 0, 0, 0.05, -1}};
    double near = cw_ground_span(&h, (struct cw_point){0, 60}, (struct cw_point){10, 60});
    double far = cw_ground_span(&h, (struct cw_point){0, 30}, (struct cw_point){10, 30});
    assert_float_equal(near, 1.0 / 2, 1e-9);  /* 10 px × 0.1 / w, w = 2 */
    assert_float_equal(far, 1.0 / 0.5, 1e-9); /* w = 0.5: a pixel is more road far away */
    assert_true(isinf(cw_ground_span(&h, (struct cw_point){0, 10}, (struct cw_point){10, 60})));
}

static void test_pinhole_from_homography(void **state)
{
    (void)state;
    const double pitch = 18 * M_PI / 180, f = 1065, C[3] = {1.5, -12, 7};
    const double R[3][3] = {{1, 0, 0}, {0, -sin(pitch), -cos(pitch)}, {0, cos(pitch), -sin(pitch)}};
    double t[3];
    for (int i = 0; i < 3; i++)
        t[i] = -(R[i][0] * C[0] + R[i][1] * C[1] + R[i][2] * C[2]);
    for (int k = 0; k < 2; k++) {
        double scale = k ? -3.7 : 0.01;
        struct cw_homography g;
        for (int col = 0; col < 3; col++) {
            double r[3] = {col < 2 ? R[0][col] : t[0], col < 2 ? R[1][col] : t[1],
                           col < 2 ? R[2][col] : t[2]};
            g.m[col] = scale * (f * r[0] + 640 * r[2]);
            g.m[3 + col] = scale * (f * r[1] + 360 * r[2]);
            g.m[6 + col] = scale * r[2];
        }
        struct cw_pinhole cam;
        assert_int_equal(cw_pinhole_from_homography(&g, 640, 360, &cam), 0);
        assert_float_equal(cam.f, f, 1e-6);
        assert_float_equal(cam.height_m, 7, 1e-9);
        assert_float_equal(cam.foot.x, 1.5, 1e-9);
        assert_float_equal(cam.foot.y, -12, 1e-9);
        static const double pts[][3] = {{0, 10, 1.5}, {-3, 25, 2.1}, {2, 3, 0}, {0, 60, 4}};
        for (int i = 0; i < 4; i++) {
            struct cw_point img;
            double u, v;
            assert_true(
                cw_pinhole_project(&cam, (struct cw_point){pts[i][0], pts[i][1]}, pts[i][2], &img));
            camera_point(R, C, f, pts[i][0], pts[i][1], pts[i][2], &u, &v);
            assert_float_equal(img.x, u, 1e-6);
            assert_float_equal(img.y, v, 1e-6);
        }
        /* behind the camera */
        struct cw_point img;
        assert_false(cw_pinhole_project(&cam, (struct cw_point){0, -20}, 0, &img));
    }
    /* a straight-down map (no perspective) and a sheared one are no camera's view */
    struct cw_homography flat = {{0.05, 0, 0, 0, 0.05, 0, 0, 0, 1}};
    struct cw_pinhole cam;
    assert_int_equal(cw_pinhole_from_homography(&flat, 640, 360, &cam), CW_EINVAL);
    struct cw_homography shear = {{1, 0.9, 0, 0, 0.1, 0, 0.001, 0.002, 1}};
    assert_int_equal(cw_pinhole_from_homography(&shear, 640, 360, &cam), CW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_polygon),
        cmocka_unit_test(test_boxes),
        cmocka_unit_test(test_homography_exact_four),
        cmocka_unit_test(test_homography_least_squares),
        cmocka_unit_test(test_homography_degenerate),
        cmocka_unit_test(test_pinhole_from_homography),
        cmocka_unit_test(test_ground_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
