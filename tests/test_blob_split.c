/* Unit tests: blobs holding several road users cut by their size on the ground. The masks are
 * drawn from boxes in metres through a known camera, so the right answer is known. */
#include "helpers.h"

#include <math.h>

#include "crosswatch/blob_split.h"
#include "crosswatch/geom.h"
#include "crosswatch/scene.h"

#define W 640
#define H 360

/* The camera of the synthetic scenarios: 7 m up, 12 m behind the origin, pitched 18° down,
 * 1280×720 pictures; analysis pixels are 2 × 2 of its pixels. */
static struct cw_pinhole cam;
static struct cw_scene scene;

static void make_scene(void)
{
    const double pitch = 18 * M_PI / 180, f = 640 / tan(31 * M_PI / 180);
    const double R[3][3] = {{1, 0, 0}, {0, -sin(pitch), -cos(pitch)}, {0, cos(pitch), -sin(pitch)}};
    const double C[3] = {0, -12, 7};
    double t[3];
    for (int i = 0; i < 3; i++)
        t[i] = -(R[i][0] * C[0] + R[i][1] * C[1] + R[i][2] * C[2]);
    memset(&scene, 0, sizeof(scene));
    for (int col = 0; col < 3; col++) {
        double r[3] = {col < 2 ? R[0][col] : t[0], col < 2 ? R[1][col] : t[1],
                       col < 2 ? R[2][col] : t[2]};
        scene.ground_to_img.m[col] = f * r[0] + 640 * r[2];
        scene.ground_to_img.m[3 + col] = f * r[1] + 360 * r[2];
        scene.ground_to_img.m[6 + col] = r[2];
    }
    assert_int_equal(cw_homography_invert(&scene.ground_to_img, &scene.img_to_ground), 0);
    scene.camera.width = 1280, scene.camera.height = 720;
    scene.path = (char *)"test-scene.json";
    assert_int_equal(cw_pinhole_from_homography(&scene.ground_to_img, 640, 360, &cam), 0);
}

/* A road user: its rear at ground (x, y), extending @len m along +y (away from the camera),
 * @wid wide and @hgt tall. */
struct solid {
    double x, y, len, wid, hgt;
};

/* Fills the analysis pixels the solid covers (the convex outline of its eight corners). */
static void draw(uint8_t *mask, const struct solid *s)
{
    struct cw_point p[8];
    for (int k = 0; k < 8; k++) {
        struct cw_point g = {s->x + (k & 1 ? s->wid / 2 : -s->wid / 2),
                             s->y + (k & 2 ? s->len : 0)};
        assert_true(cw_pinhole_project(&cam, g, k & 4 ? s->hgt : 0, &p[k]));
        p[k].x /= 2, p[k].y /= 2;
    }
    /* convex hull by gift wrapping, then a pixel is in when it is left of every edge */
    struct cw_point hull[9];
    int n = 0, start = 0;
    for (int k = 1; k < 8; k++)
        if (p[k].x < p[start].x)
            start = k;
    int cur = start;
    do {
        hull[n++] = p[cur];
        int next = (cur + 1) % 8;
        for (int k = 0; k < 8; k++)
            if (cw_line_side(p[cur], p[next], p[k]) < 0)
                next = k;
        cur = next;
    } while (cur != start && n < 9);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            struct cw_point q = {x + 0.5, y + 0.5};
            bool in = true;
            for (int k = 0; k < n && in; k++)
                in = cw_line_side(hull[k], hull[(k + 1) % n], q) >= 0;
            if (in)
                mask[y * W + x] = 255;
        }
}

/* The bounds of everything drawn, as one blob. */
static struct cw_blob whole(const uint8_t *mask)
{
    struct cw_blob b = {W, H, -1, -1, 0};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (mask[y * W + x]) {
                b.x0 = x < b.x0 ? x : b.x0, b.x1 = x > b.x1 ? x : b.x1;
                b.y0 = y < b.y0 ? y : b.y0, b.y1 = y > b.y1 ? y : b.y1;
                b.area++;
            }
    return b;
}

/* Splits what @solids draw; returns the pieces, bottom first. */
static int split(const struct solid *solids, int n, struct cw_blob *out, int cap)
{
    static uint8_t mask[W * H];
    memset(mask, 0, sizeof(mask));
    for (int i = 0; i < n; i++)
        draw(mask, &solids[i]);
    struct cw_blob b = whole(mask);
    struct cw_blob_splitter *s = cw_blob_splitter_new(&scene, W, H, 2, 2, 24);
    assert_non_null(s);
    int m = cw_blob_split(s, mask, &b, 1, out, NULL, cap);
    cw_blob_splitter_free(s);
    return m;
}

/* Each piece knows the blob it was cut from (the tracker asks that blob's pixels): the same queue
 * given twice is cut twice, its pieces in order, each pointing at its own. */
static void test_pieces_know_their_blob(void **state)
{
    (void)state;
    make_scene();
    const struct solid q[] = {
        {1.75, 12.0, 4.5, 1.8, 1.5}, {1.75, 5.5, 4.5, 1.8, 1.5}, {1.75, -1.0, 4.5, 1.8, 1.5}};
    static uint8_t mask[W * H];
    memset(mask, 0, sizeof(mask));
    for (int i = 0; i < 3; i++)
        draw(mask, &q[i]);
    struct cw_blob in[2] = {whole(mask), whole(mask)}, out[8];
    int parent[8];
    struct cw_blob_splitter *s = cw_blob_splitter_new(&scene, W, H, 2, 2, 24);
    assert_non_null(s);
    int m = cw_blob_split(s, mask, in, 2, out, parent, 8);
    cw_blob_splitter_free(s);
    assert_int_equal(m, 4);
    assert_int_equal(parent[0], 0);
    assert_int_equal(parent[1], 0);
    assert_int_equal(parent[2], 1);
    assert_int_equal(parent[3], 1);
}

static void test_queue_is_cut_per_car(void **state)
{
    (void)state;
    make_scene();
    /* three cars nose to tail, 2 m apart, seen from behind: one blob */
    const struct solid q[] = {
        {1.75, 12.0, 4.5, 1.8, 1.5}, {1.75, 5.5, 4.5, 1.8, 1.5}, {1.75, -1.0, 4.5, 1.8, 1.5}};
    struct cw_blob out[8];
    int n = split(q, 3, out, 8);
    /* the nearest car is cut off where it ends; what shows of the two behind it (the farthest
     * only 29 rows above the middle one) stays one piece: a largest van on the middle one's
     * hidden foot would reach as high */
    assert_int_equal(n, 2);
    struct cw_point rear, top;
    assert_true(cw_pinhole_project(&cam, (struct cw_point){q[2].x, q[2].y}, 0, &rear));
    assert_true(
        cw_pinhole_project(&cam, (struct cw_point){q[2].x, q[2].y + q[2].len}, q[2].hgt, &top));
    assert_true(fabs(out[0].y1 - rear.y / 2) <= 2);
    assert_true(fabs(out[0].y0 - top.y / 2) <= 2);
    assert_int_equal(out[1].y1, out[0].y0 - 1);
    assert_true(
        cw_pinhole_project(&cam, (struct cw_point){q[0].x, q[0].y + q[0].len}, q[0].hgt, &top));
    assert_true(fabs(out[1].y0 - top.y / 2) <= 1);
    /* two cars: two pieces */
    assert_int_equal(split(q + 1, 2, out, 8), 2);
    assert_true(
        cw_pinhole_project(&cam, (struct cw_point){q[2].x, q[2].y + q[2].len}, q[2].hgt, &top));
    assert_true(fabs(out[0].y0 - top.y / 2) <= 2);
    /* room for one blob only: the blob as it was */
    assert_int_equal(split(q, 3, out, 1), 1);
}

static void test_single_road_users_are_kept_whole(void **state)
{
    (void)state;
    make_scene();
    const struct solid one[][1] = {
        {{1.75, 5.0, 4.5, 1.8, 1.5}},  /* a car */
        {{1.75, 15.0, 5.8, 2.0, 2.3}}, /* a tall van far off */
        {{1.75, 2.0, 11.0, 2.5, 3.2}}, /* a bus: too wide to be cut */
        {{-3.0, 8.0, 0.5, 0.5, 1.75}}, /* a pedestrian */
        {{5.5, 4.0, 1.8, 0.6, 1.7}},   /* a cyclist */
    };
    for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
        struct cw_blob out[8];
        int n = split(one[i], 1, out, 8);
        if (n != 1)
            fail_msg("road user %zu was cut into %d", i, n);
    }
}

static void test_no_camera_no_split(void **state)
{
    (void)state;
    struct cw_scene flat;
    memset(&flat, 0, sizeof(flat));
    flat.ground_to_img = (struct cw_homography){{20, 0, 0, 0, 20, 0, 0, 0, 1}};
    assert_int_equal(cw_homography_invert(&flat.ground_to_img, &flat.img_to_ground), 0);
    flat.path = (char *)"flat.json";
    struct log_capture c;
    capture_start(&c);
    assert_null(cw_blob_splitter_new(&flat, W, H, 2, 2, 24));
    capture_stop();
    assert_logged(&c, "blobs holding several road users are not split");
    assert_null(cw_blob_splitter_new(NULL, W, H, 2, 2, 24));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_is_cut_per_car),
        cmocka_unit_test(test_pieces_know_their_blob),
        cmocka_unit_test(test_single_road_users_are_kept_whole),
        cmocka_unit_test(test_no_camera_no_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
