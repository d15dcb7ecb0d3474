/* Unit tests: vehicles cut out of merged blobs along their paint. The pictures are painted here:
 * flat-shaded vehicles seen from behind (a light roof, a dark window band, the back in shade),
 * so which pixels are whose is known. */
#include "helpers.h"

#include <stdlib.h>

#include "crosswatch/colour_split.h"

#define W   320
#define H   180
#define MPP 0.04 /* metres on the road per analysis pixel, every row: 50 px are 2 m */

static uint8_t grey[W * H], cu[(W / 2) * (H / 2)], cv[(W / 2) * (H / 2)];
static int32_t map[W * H];
static struct cw_image g = {W, H, W, grey}, u = {W / 2, H / 2, W / 2, cu},
                       v = {W / 2, H / 2, W / 2, cv};

static void clear_picture(void)
{
    memset(grey, 90, sizeof(grey));
    memset(cu, 128, sizeof(cu));
    memset(cv, 128, sizeof(cv));
    for (int i = 0; i < W * H; i++)
        map[i] = -1;
}

/* Paints [x0, x1) × [y0, y1) grey @y with chroma (@du, @dv) off grey, as part of blob 0. Chroma is
 * half size: edges fall on even pixels. */
static void paint(int x0, int y0, int x1, int y1, int y, int du, int dv)
{
    for (int yy = y0; yy < y1; yy++)
        for (int xx = x0; xx < x1; xx++) {
            grey[yy * W + xx] = (uint8_t)y;
            map[yy * W + xx] = 0;
            cu[(yy / 2) * (W / 2) + xx / 2] = (uint8_t)(128 + du);
            cv[(yy / 2) * (W / 2) + xx / 2] = (uint8_t)(128 + dv);
        }
}

/* A vehicle from behind, @w wide and @h tall from (@x, @y): its roof in full light, a dark
 * window band, its back in shade (the same paint, 0.7 as bright). */
static void vehicle(int x, int y, int w, int h, int bright, int du, int dv)
{
    int roof = h * 3 / 10 & ~1, band = h * 2 / 10 & ~1;
    paint(x, y, x + w, y + roof, bright, du, dv);
    paint(x, y + roof, x + w, y + roof + band, 40, 0, 0);
    paint(x, y + roof + band, x + w, y + h, bright * 7 / 10, du * 7 / 10, dv * 7 / 10);
}

static struct cw_blob bounds(void)
{
    struct cw_blob b = {W, H, -1, -1, 0, false};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (map[y * W + x] == 0) {
                b.x0 = x < b.x0 ? x : b.x0, b.x1 = x > b.x1 ? x : b.x1;
                b.y0 = y < b.y0 ? y : b.y0, b.y1 = y > b.y1 ? y : b.y1;
                b.area++;
            }
    return b;
}

/* Cuts the painted blob seen at @m metres per pixel on every row; returns how many blobs came
 * out (@parent checked to be 0 for all). */
static int cut_at(double m, struct cw_blob *out, int cap)
{
    double mpp[H];
    for (int y = 0; y < H; y++)
        mpp[y] = m;
    struct cw_colour_splitter *s = cw_colour_splitter_new(W, H, mpp);
    assert_non_null(s);
    struct cw_blob in = bounds();
    int parent[16];
    int n = cw_colour_split(s, map, &g, &u, &v, &in, 1, out, parent, cap);
    for (int i = 0; i < n; i++)
        assert_int_equal(parent[i], 0);
    cw_colour_splitter_free(s);
    return n;
}

static int cut(struct cw_blob *out, int cap)
{
    return cut_at(MPP, out, cap);
}

static void assert_box(const struct cw_blob *b, int x0, int y0, int x1, int y1)
{
    assert_int_equal(b->x0, x0);
    assert_int_equal(b->y0, y0);
    assert_int_equal(b->x1, x1);
    assert_int_equal(b->y1, y1);
}

static void assert_same(const struct cw_blob *a, const struct cw_blob *b)
{
    assert_box(a, b->x0, b->y0, b->x1, b->y1);
    assert_int_equal(a->area, b->area);
    assert_int_equal(a->foot_hidden, b->foot_hidden);
}

/* A queue from behind: the far car's lower part hidden by the near one, which is wider in the
 * picture. Each is cut out whole as far as it shows; the far one's foot is hidden. */
static void test_queue_is_cut_per_vehicle(void **state)
{
    (void)state;
    clear_picture();
    vehicle(100, 40, 40, 40, 120, 40, -30); /* purple, far */
    vehicle(92, 70, 56, 56, 170, -40, -30); /* teal, near: over the far one's lower part */
    struct cw_blob out[16];
    int n = cut(out, 16);
    assert_int_equal(n, 2);
    const struct cw_blob *far = out[0].y0 < out[1].y0 ? &out[0] : &out[1];
    const struct cw_blob *near = far == &out[0] ? &out[1] : &out[0];
    assert_box(near, 92, 70, 147, 125);
    assert_box(far, 100, 40, 139, 69);
    assert_true(far->foot_hidden);
    assert_false(near->foot_hidden);
}

/* The same queue far up the road (a metre 12.5 pixels: its paint is a few regions of a few pixels
 * each, up there), or standing on the picture's bottom edge (a bus under the camera shows its
 * side in bands), is not cut: the blob comes out as it went in. */
static void test_far_or_cut_off_queue_stays_whole(void **state)
{
    (void)state;
    clear_picture();
    vehicle(100, 40, 40, 40, 120, 40, -30);
    vehicle(92, 70, 56, 56, 170, -40, -30);
    struct cw_blob in = bounds(), out[16];
    assert_int_equal(cut_at(0.08, out, 16), 1);
    assert_same(&out[0], &in);
    clear_picture();
    vehicle(100, H - 86, 40, 40, 120, 40, -30);
    vehicle(92, H - 56, 56, 56, 170, -40, -30); /* its bottom row the picture's */
    in = bounds();
    assert_int_equal(in.y1, H - 1);
    assert_int_equal(cut(out, 16), 1);
    assert_same(&out[0], &in);
}

/* One vehicle's roof, window band and back are one road user: the blob comes out as it went in. */
static void test_one_vehicle_stays_whole(void **state)
{
    (void)state;
    clear_picture();
    vehicle(100, 40, 60, 60, 150, 30, 30);
    struct cw_blob out[16], in = bounds();
    assert_int_equal(cut(out, 16), 1);
    assert_same(&out[0], &in);
}

/* A vehicle whose roof is another shade of its paint (seen in other light) is one road user. */
static void test_roof_in_other_light_is_the_same_vehicle(void **state)
{
    (void)state;
    clear_picture();
    paint(100, 40, 160, 58, 200, 24, 40);
    paint(100, 58, 160, 70, 40, 0, 0);
    paint(100, 70, 160, 100, 110, 12, 21);
    assert_int_equal(cut((struct cw_blob[16]){0}, 16), 1);
}

/* Texture (every pixel its own colour) forms no vehicle body: the blob is left whole. */
static void test_texture_is_not_cut(void **state)
{
    (void)state;
    clear_picture();
    srand(7);
    for (int y = 40; y < 120; y++)
        for (int x = 60; x < 200; x++) {
            grey[y * W + x] = (uint8_t)(rand() % 256);
            map[y * W + x] = 0;
            cu[(y / 2) * (W / 2) + x / 2] = (uint8_t)(rand() % 256);
            cv[(y / 2) * (W / 2) + x / 2] = (uint8_t)(rand() % 256);
        }
    struct cw_blob out[16], in = bounds();
    assert_int_equal(cut(out, 16), 1);
    assert_same(&out[0], &in);
}

/* A grey car behind a painted one: the painted one is cut out, the grey one is what is left. */
static void test_grey_car_behind_is_the_rest(void **state)
{
    (void)state;
    clear_picture();
    paint(100, 40, 140, 70, 200, 0, 0);    /* white, far */
    vehicle(92, 70, 56, 56, 150, 40, -20); /* blue, near */
    struct cw_blob out[16];
    assert_int_equal(cut(out, 16), 2);
    assert_box(&out[0], 92, 70, 147, 125);
    assert_box(&out[1], 100, 40, 139, 69);
    assert_int_equal(out[1].area, 40 * 30);
    assert_true(out[1].foot_hidden);
}

/* A walker in front of a car's side, narrower than a vehicle and standing lower: the car is cut
 * out, the walker (its coat as painted as it likes) stays a piece of its own. */
static void test_walker_beside_a_car_stays_apart(void **state)
{
    (void)state;
    clear_picture();
    vehicle(100, 40, 50, 50, 150, 40, -20);
    paint(150, 50, 160, 76, 180, -30, 30); /* coat */
    paint(150, 76, 160, 100, 50, 0, 0);    /* trousers */
    struct cw_blob out[16];
    assert_int_equal(cut(out, 16), 2);
    assert_box(&out[0], 100, 40, 149, 89);
    assert_box(&out[1], 150, 50, 159, 99);
}

/* Under the near car of a queue, a wheel (10 px: narrower than the car's lower part would be,
 * and 0.3 m tall) is the car's; a walker in front of it, as narrow but 1.4 m of it showing, is
 * someone of their own. */
static void test_short_piece_under_a_car_is_the_car(void **state)
{
    (void)state;
    clear_picture();
    vehicle(100, 40, 40, 40, 120, 40, -30);
    vehicle(92, 70, 56, 56, 170, -40, -30);
    paint(132, 126, 142, 134, 30, 0, 0); /* a wheel */
    struct cw_blob out[16];
    assert_int_equal(cut(out, 16), 2);
    const struct cw_blob *near = out[0].y1 > out[1].y1 ? &out[0] : &out[1];
    assert_box(near, 92, 70, 147, 133);
    paint(100, 118, 112, 161, 60, 0, 0); /* a walker, dark clothes, in front of it */
    assert_int_equal(cut(out, 16), 3);
    int walkers = 0;
    for (int i = 0; i < 3; i++)
        walkers += out[i].x0 == 100 && out[i].x1 == 111 && out[i].y0 == 126 && out[i].y1 == 160;
    assert_int_equal(walkers, 1);
}

/* Out of room, it writes no more than it may. */
static void test_room_is_kept(void **state)
{
    (void)state;
    clear_picture();
    vehicle(100, 40, 40, 40, 120, 40, -30);
    vehicle(92, 70, 56, 56, 170, -40, -30);
    struct cw_blob out[2] = {{0}};
    out[1].x0 = 12345;
    assert_int_equal(cut(out, 1), 1);
    assert_int_equal(out[1].x0, 12345);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_is_cut_per_vehicle),
        cmocka_unit_test(test_far_or_cut_off_queue_stays_whole),
        cmocka_unit_test(test_one_vehicle_stays_whole),
        cmocka_unit_test(test_roof_in_other_light_is_the_same_vehicle),
        cmocka_unit_test(test_texture_is_not_cut),
        cmocka_unit_test(test_grey_car_behind_is_the_rest),
        cmocka_unit_test(test_walker_beside_a_car_stays_apart),
        cmocka_unit_test(test_short_piece_under_a_car_is_the_car),
        cmocka_unit_test(test_room_is_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
