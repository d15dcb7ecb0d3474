/* Tests of the motion detector on hand-made pictures: a moving square, a waiting one, a shadow,
 * a sudden change of exposure, an ignore zone, bad input. */
#include "helpers.h"

#include <math.h>

#include "crosswatch/detection.h"
#include "crosswatch/frame.h"
#include "crosswatch/motion.h"
#include "crosswatch/motion_stage.h"
#include "crosswatch/scene.h"

#define W 96
#define H 64

static uint8_t pix[W * H], cu[(W / 2) * (H / 2)], cv[(W / 2) * (H / 2)];
static struct cw_image grey = {W, H, W, pix}, U = {W / 2, H / 2, W / 2, cu},
                       V = {W / 2, H / 2, W / 2, cv};

/* A textured road, times @gain, with an optional bright square at (@sx, @sy). */
static void paint(double gain, int sx, int sy)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            pix[y * W + x] = (uint8_t)fmin(255, (90 + ((x * 7 + y * 13) % 23)) * gain);
    memset(cu, 128, sizeof(cu));
    memset(cv, 128, sizeof(cv));
    if (sx >= 0)
        for (int y = sy; y < sy + 12 && y < H; y++)
            for (int x = sx; x < sx + 8 && x < W; x++) {
                pix[y * W + x] = 220;
                cu[(y / 2) * (W / 2) + x / 2] = 90; /* a coloured coat */
            }
}

/* The defaults, for small hand-made pictures that start from an empty road. */
static struct cw_motion_config config(void)
{
    struct cw_motion_config cfg;
    cw_options_defaults(cw_motion_options, &cfg);
    cfg.min_area = 10;
    cfg.bootstrap_s = 0; /* these tests start from an empty road */
    return cfg;
}

static struct cw_motion *make(double absorb_s)
{
    struct cw_motion_config cfg = config();
    cfg.absorb_s = absorb_s;
    return cw_motion_new(&cfg, W, H);
}

/* Thirty frames (1.2 s) of the empty road lit @gain times the day's, for the model to learn. */
/* The defaults with their start-up period, for the tests of what the start-up leaves. */
static struct cw_motion *make_with_startup(void)
{
    struct cw_motion_config cfg;
    cw_options_defaults(cw_motion_options, &cfg);
    cfg.min_area = 10;
    return cw_motion_new(&cfg, W, H);
}

static void learn_road(struct cw_motion *m, double gain)
{
    struct cw_blob b[8];
    for (int f = 0; f < 30; f++) {
        paint(gain, -1, 0);
        assert_true(cw_motion_process(m, &grey, &U, &V, 0.04, b, 8) >= 0);
    }
}

static void learn_empty_road(struct cw_motion *m)
{
    learn_road(m, 1);
}

static int count(const struct cw_motion *m, uint8_t value)
{
    int n = 0;
    for (int i = 0; i < W * H; i++)
        n += cw_motion_mask(m)[i] == value;
    return n;
}

static void test_moving_square(void **state)
{
    struct cw_motion *m = make(120);
    struct cw_blob b[8];
    int n = 0;
    (void)state;
    learn_empty_road(m);
    for (int f = 0; f < 20; f++) {
        paint(1, 10 + 2 * f, 20);
        n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    }
    /* the square is at x 48..55, y 20..31 in the last frame */
    assert_int_equal(n, 1);
    assert_true(abs(b[0].x0 - 48) <= 1 && abs(b[0].x1 - 55) <= 1);
    assert_true(abs(b[0].y0 - 20) <= 1 && abs(b[0].y1 - 31) <= 1);
    assert_true(b[0].area >= 80);
    /* nothing else is foreground */
    assert_true(count(m, CW_MOTION_FG) <= 8 * 12 + 8);
    cw_motion_free(m);
}

static void test_waiting_rider_is_not_absorbed(void **state)
{
    struct cw_motion *m = make(120);
    struct cw_blob b[8];
    (void)state;
    learn_empty_road(m);
    /* stands still for 100 s (2500 frames): still foreground */
    int n = 0;
    for (int f = 0; f < 2500; f++) {
        paint(1, 40, 30);
        n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    }
    assert_int_equal(n, 1);
    cw_motion_free(m);
    /* with absorb_s = 2 s it is taken into the background after a while */
    m = make(2);
    learn_empty_road(m);
    for (int f = 0; f < 400; f++) {
        paint(1, 40, 30);
        n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    }
    assert_int_equal(n, 0);
    cw_motion_free(m);
}

static void test_no_ghost_after_start(void **state)
{
    struct cw_blob b[8];
    int n = -1;
    (void)state;
    struct cw_motion *m = make_with_startup();
    /* a car stands there when the camera starts, and drives off after half a second */
    for (int f = 0; f < 150; f++) {
        paint(1, f < 12 ? 40 : -1, 30);
        n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    }
    /* the road it uncovered is background by the end of the start-up period, not a ghost */
    assert_int_equal(n, 0);
    assert_true(count(m, CW_MOTION_FG) == 0);
    cw_motion_free(m);
}

/* A walker in grey comes in 1 s into the 2 s start-up and creeps along at 0.1 px a frame: the
 * model, learning everything then, takes it in within the start-up. The start-up's pictures do not
 * show it in most of them, so at the end the model takes their median there: the road. Right
 * after the start-up the walker is a road user again, all of it, and stays one. */
static void test_late_comer_is_seen_after_start(void **state)
{
    struct cw_blob b[8];
    int n = -1;
    (void)state;
    struct cw_motion *m = make_with_startup();
    for (int f = 0; f < 80; f++) {
        paint(1, f >= 24 ? 40 + (f - 24) / 10 : -1, 30);
        memset(cu, 128, sizeof(cu)); /* grey: seen by the grey model alone */
        n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
        if (f >= 52) { /* the start-up is over */
            assert_int_equal(n, 1);
            assert_true(b[0].area >= 8 * 12 * 9 / 10);
        }
    }
    assert_int_equal(n, 1);
    cw_motion_free(m);
}

/* A car arrives in the first second and stands through the start-up, when the model learns
 * everything, so it becomes background; when it drives off, the road it uncovers is unknown to
 * the model: a ghost that never moves. Its outline is in the model, not in the picture, so it
 * is taken into the background within a few seconds (a waiting rider, whose outline is in the
 * picture, is not: test_waiting_rider_is_not_absorbed). */
static void test_ghost_is_taken_away(void **state)
{
    (void)state;
    struct cw_blob b[8];
    struct cw_motion *m = make_with_startup();
    int n = -1, ghost_frames = 0;
    for (int f = 0; f < 300; f++) {
        paint(1, f >= 20 && f < 150 ? 40 : -1, 30); /* there from 0.8 s to 6 s */
        n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
        if (f >= 150)
            ghost_frames += n > 0;
    }
    assert_int_equal(n, 0);
    assert_true(ghost_frames > 0 && ghost_frames < 100); /* seen, then gone within 4 s */
    cw_motion_free(m);
}

/* A cloud's shadow lies over a band of the road through the start-up, when the model learns
 * everything, then moves on: the road it leaves is brighter than the model, as a shadow is darker,
 * with the road's colour and grain and no outline of its own, and is taken into the background
 * within two seconds. A flat light-grey road user of the same brightness standing there after the
 * start-up keeps its outline and stays. */
static void test_lifted_shadow_is_taken_away(void **state)
{
    (void)state;
    struct cw_blob b[8];
    struct cw_motion *m = make_with_startup();
    int n = -1, band_frames = 0;
    for (int f = 0; f < 250; f++) {
        paint(1, -1, 0);
        if (f < 110) /* the shadow, soft-edged over four rows, until 4.4 s */
            for (int y = 16; y < 44; y++) {
                double edge = fmin(1, fmin(y - 15, 44 - y) / 4.0), k = 1 - 0.3 * edge;
                for (int x = 0; x < W; x++)
                    pix[y * W + x] = (uint8_t)(pix[y * W + x] * k);
            }
        if (f >= 150) /* the light-grey road user, from 6 s */
            for (int y = 24; y < 36; y++)
                for (int x = 60; x < 68; x++)
                    pix[y * W + x] = 130;
        n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
        if (f >= 110 && f < 150)
            band_frames += n > 0;
        if (f == 149)
            assert_int_equal(n, 0); /* the band is gone */
    }
    assert_true(band_frames > 0); /* it was foreground at first */
    assert_int_equal(n, 1);       /* the road user is there after 4 s standing */
    assert_true(b[0].x0 >= 58 && b[0].x1 <= 69 && b[0].y0 >= 22 && b[0].y1 <= 37);
    cw_motion_free(m);
}

static void test_sudden_exposure_change(void **state)
{
    struct cw_motion *m = make(120);
    struct cw_blob b[8];
    (void)state;
    learn_empty_road(m);
    paint(1.3, -1, 0); /* the camera's exposure jumps by 30 % */
    int n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    assert_int_equal(n, 0);
    assert_true(fabs(cw_motion_gain(m) - 1.3) < 0.05);
    assert_true(count(m, CW_MOTION_FG) < W * H / 50);
    cw_motion_free(m);
}

static void test_shadow(void **state)
{
    struct cw_motion *m = make(120);
    struct cw_blob b[8];
    (void)state;
    learn_empty_road(m);
    /* a region darkened to 70 % with its colour unchanged: a cast shadow */
    paint(1, -1, 0);
    for (int y = 10; y < 40; y++)
        for (int x = 10; x < 50; x++)
            pix[y * W + x] = (uint8_t)(pix[y * W + x] * 0.7);
    int n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    assert_int_equal(n, 0);
    assert_true(count(m, CW_MOTION_SHADOW) > 30 * 40 * 9 / 10);
    /* the same darkening with the colour changed is an object */
    paint(1, -1, 0);
    for (int y = 10; y < 40; y++)
        for (int x = 10; x < 50; x++) {
            pix[y * W + x] = (uint8_t)(pix[y * W + x] * 0.7);
            cv[(y / 2) * (W / 2) + x / 2] = 170;
        }
    n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    assert_int_equal(n, 1);
    cw_motion_free(m);
}

/* Yellow paint (a centre line) on the road, then a car's shadow over road and paint at 70 %: on
 * the paint the shadow scales the colour with the brightness, as on a camera's YUV it does, so
 * the colour no longer equals the background's. It is shadow all the same. A grey thing as dark
 * over the paint is not. */
static void paint_line(double shade, int grey_thing)
{
    paint(1, -1, 0);
    for (int y = 0; y < H; y++)
        for (int x = 40; x < 56; x++) {
            pix[y * W + x] = 170;
            cu[(y / 2) * (W / 2) + x / 2] = 66;
            cv[(y / 2) * (W / 2) + x / 2] = 150;
        }
    for (int y = 10; y < 40; y++)
        for (int x = 30; x < 66; x++)
            pix[y * W + x] = (uint8_t)(pix[y * W + x] * shade);
    for (int y = 5; y < 20; y++)
        for (int x = 15; x < 33; x++) {
            uint8_t *pu = &cu[y * (W / 2) + x], *pv = &cv[y * (W / 2) + x];
            if (grey_thing) {
                *pu = *pv = 128;
            } else {
                *pu = (uint8_t)lround(128 + shade * (*pu - 128));
                *pv = (uint8_t)lround(128 + shade * (*pv - 128));
            }
        }
}

static void test_shadow_on_paint(void **state)
{
    struct cw_motion *m = make(120);
    struct cw_blob b[8];
    (void)state;
    for (int i = 0; i < 30; i++) {
        paint_line(1, 0);
        cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    }
    paint_line(0.7, 0);
    assert_int_equal(cw_motion_process(m, &grey, &U, &V, 0.04, b, 8), 0);
    assert_true(count(m, CW_MOTION_SHADOW) > 30 * 36 * 9 / 10);
    paint_line(0.7, 1);
    assert_int_equal(cw_motion_process(m, &grey, &U, &V, 0.04, b, 8), 1);
    cw_motion_free(m);
}

/* A car from behind: coloured roof and bonnet with a dark windscreen between them that darkens
 * the road's look without changing its colour (so it passes the shadow test), and its own shadow
 * on the road below. The windscreen is the car's; the shadow is not. With shadow_bridge 0 the
 * windscreen is shadow. */
static void test_dark_middle_is_not_shadow(void **state)
{
    (void)state;
    for (int bridge = 0; bridge <= 1; bridge++) {
        struct cw_motion_config cfg = config();
        cfg.shadow_bridge = bridge ? 40 : 0;
        struct cw_motion *m = cw_motion_new(&cfg, W, H);
        struct cw_blob b[8];
        learn_empty_road(m);
        paint(1, -1, 0);
        for (int y = 10; y < 46; y++)
            for (int x = 20; x < 60; x++) {
                bool car = y < 18 || (y >= 26 && y < 36);
                if (car) {
                    pix[y * W + x] = 200;
                    cv[(y / 2) * (W / 2) + x / 2] = 180;
                } else {
                    pix[y * W + x] = (uint8_t)(pix[y * W + x] * 0.7);
                }
            }
        assert_int_equal(cw_motion_process(m, &grey, &U, &V, 0.04, b, 8), 1);
        const uint8_t *mk = cw_motion_mask(m);
        int screen = 0, shadow = 0;
        for (int y = 20; y < 24; y++)
            for (int x = 24; x < 56; x++)
                screen += mk[y * W + x] == 255;
        for (int y = 38; y < 46; y++)
            for (int x = 24; x < 56; x++)
                shadow += mk[y * W + x] == CW_MOTION_SHADOW;
        if (bridge)
            assert_int_equal(screen, 4 * 32);
        else
            assert_true(screen < 4 * 32 / 4);
        assert_true(shadow > 8 * 32 * 9 / 10); /* the cast shadow stays shadow either way */
        /* the blob is the car: roof to bonnet, not the shadow below */
        assert_true(b[0].y0 <= 10 && b[0].y1 >= 35 && b[0].y1 <= 37);
        cw_motion_free(m);
    }
}

/* A rider over a dark bike as dark as shade, standing on its own shadow, which the sun casts to
 * the right: the bike is the band of "shadow" right under the rider, as wide as it, on which the
 * wider cast shadow begins — the blob reaches down to the wheels, not to the saddle. (A shadow
 * straight below, no wider than its road user, stays shadow: test_dark_middle_is_not_shadow.) */
static void test_dark_lower_part(void **state)
{
    (void)state;
    for (int foot = 0; foot <= 1; foot++) {
        struct cw_motion_config cfg = config();
        cfg.shadow_foot = foot ? 20 : 0;
        struct cw_motion *m = cw_motion_new(&cfg, W, H);
        struct cw_blob b[8];
        learn_empty_road(m);
        paint(1, -1, 0);
        for (int y = 10; y < 32; y++)
            for (int x = 28; x < 52; x++) {
                uint8_t *p = &pix[y * W + x];
                if (y < 22 && x >= 30 && x < 36) { /* the rider */
                    *p = 200;
                    cv[(y / 2) * (W / 2) + x / 2] = 180;
                } else if (y >= 22 && y < 28 && x >= 29 && x < 37) { /* the bike */
                    *p = (uint8_t)(*p * 0.68);
                } else if (y >= 28 && x >= 29) { /* the cast shadow, to the right */
                    *p = (uint8_t)(*p * 0.65);
                }
            }
        assert_int_equal(cw_motion_process(m, &grey, &U, &V, 0.04, b, 8), 1);
        assert_true(b[0].y0 <= 10);
        if (foot)
            assert_true(b[0].y1 >= 26 && b[0].y1 <= 28);
        else
            assert_true(b[0].y1 <= 22);
        cw_motion_free(m);
    }
}

/* A magenta coat exactly as bright as the road under it: the grey model cannot see it, its
 * colour can. Standing still, it is learned after absorb_s like any road user. */
static void test_colour_only_road_user(void **state)
{
    (void)state;
    for (int colour = 0; colour <= 1; colour++) {
        struct cw_motion_config cfg = config();
        cfg.absorb_s = 2;
        cfg.colour = colour ? 32 : 0;
        struct cw_motion *m = cw_motion_new(&cfg, W, H);
        struct cw_blob b[8];
        learn_empty_road(m);
        int seen = 0, last = -1;
        for (int f = 0; f < 100; f++) {
            paint(1, -1, 0);
            for (int y = 20; y < 36; y++)
                for (int x = 30; x < 40; x++) {
                    cu[(y / 2) * (W / 2) + x / 2] = 170;
                    cv[(y / 2) * (W / 2) + x / 2] = 190;
                }
            int n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
            assert_true(n >= 0);
            if (f == 10 && n == 1) {
                seen = 1;
                assert_true(b[0].x0 <= 30 && b[0].x1 >= 39 && b[0].y0 <= 20 && b[0].y1 >= 35);
            }
            last = n;
        }
        assert_int_equal(seen, colour);
        assert_int_equal(last, 0); /* 4 s standing, absorb_s 2: learned */
        cw_motion_free(m);
    }
}

/* A yellow coat as bright as the road, its chroma 26 levels off the road's: by day a coloured
 * road user shows more colour than that and this is the road's own variation (colour 32), but at
 * night its colour is dimmed with its brightness and it is a road user (colour_night 24) — the
 * night scene's cyclist, its yellow top on the grey pavement. */
static void test_dim_colour_at_night(void **state)
{
    (void)state;
    for (int night = 0; night <= 1; night++) {
        struct cw_motion *m = make(120);
        struct cw_blob b[8];
        double gain = night ? 0.2 : 1;
        learn_road(m, gain);
        int n = 0;
        for (int f = 0; f < 5; f++) {
            paint(gain, -1, 0);
            for (int y = 20; y < 36; y++)
                for (int x = 30; x < 40; x++)
                    cu[(y / 2) * (W / 2) + x / 2] = 128 - 26;
            n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
        }
        assert_int_equal(n, night);
        if (night)
            assert_true(b[0].x0 <= 30 && b[0].x1 >= 39 && b[0].y0 <= 20 && b[0].y1 >= 35);
        cw_motion_free(m);
    }
}

/* A road at night (a fifth of the day's brightness, its grain kept) lit by a headlight beam that
 * brightens a patch 2.5 times without changing its colour: light, not a road user — unless the
 * light test is off. */
static void test_headlight_beam_at_night(void **state)
{
    (void)state;
    for (int on = 0; on <= 1; on++) {
        struct cw_motion_config cfg = config();
        cfg.light_dark = on ? 40 : 0;
        struct cw_motion *m = cw_motion_new(&cfg, W, H);
        struct cw_blob b[8];
        learn_road(m, 0.2); /* a road at night */
        paint(0.2, -1, 0);
        for (int y = 10; y < 40; y++)
            for (int x = 20; x < 70; x++)
                pix[y * W + x] = (uint8_t)(pix[y * W + x] * 2.5);
        int n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
        assert_int_equal(n, on ? 0 : 1);
        cw_motion_free(m);
    }
}

/* A camera 6 m above the road looking down it, in the 96 × 64 picture, with @more (JSON
 * members, or "") added to its scene; its pinhole in *@cam. */
static struct cw_scene *road_camera(const char *more, struct cw_pinhole *cam)
{
    char json[1024];
    snprintf(
        json, sizeof(json),
        "{\"version\": 1, \"site\": {\"id\": \"n\"}, \"camera\": {\"id\": \"c\", \"width\": "
        "96, \"height\": 64}, \"ground\": {\"image_to_ground\": [2.21520544, 0, -106.329861, 0, "
        "-0.757644881, 190.773612, 0, 0.346935367, -1]}%s}",
        more);
    struct cw_scene *sc;
    assert_int_equal(cw_scene_parse(json, strlen(json), "road.json", &sc), 0);
    assert_int_equal(cw_pinhole_from_homography(&sc->ground_to_img, 48, 32, cam), 0);
    return sc;
}

/* The one detection a fresh detector makes of a light box standing on the empty road from
 * ground x @x0 to @x1 at ground y @gy, @z m high (clipped to the picture). */
static struct cw_detection standing_box(const struct cw_scene *sc, const struct cw_pinhole *cam,
                                        double x0, double x1, double gy, double z)
{
    struct cw_point l, r, top;
    assert_true(cw_homography_apply(&sc->ground_to_img, (struct cw_point){x0, gy}, &l));
    assert_true(cw_homography_apply(&sc->ground_to_img, (struct cw_point){x1, gy}, &r));
    assert_true(cw_pinhole_project(cam, (struct cw_point){(x0 + x1) / 2, gy}, z, &top));
    struct cw_motion_config cfg = config();
    cfg.min_area = 4;
    struct cw_motion *m = cw_motion_new(&cfg, W, H);
    struct cw_blob b[8];
    struct cw_detection d[8];
    learn_empty_road(m);
    paint(1, -1, 0);
    for (int y = (int)fmax(0, lround(top.y)); y < (int)fmin(H, lround(l.y)); y++)
        for (int x = (int)fmax(0, lround(l.x)); x < (int)fmin(W, lround(r.x)); x++)
            pix[y * W + x] = 200;
    int n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    assert_int_equal(n, 1);
    assert_int_equal(cw_motion_detections(m, b, n, sc, W, H, d), 1);
    cw_motion_free(m);
    return d[0];
}

/* At night a two-wheeler shows one lamp, about 0.7 m up. Seen by a camera 6 m above the road
 * looking down it, a lone lamp becomes a two-wheeler's box standing where the ray through the
 * lamp is 0.7 m above the road — nearer than where that ray meets the road — 1.7 m high. */
static void test_lone_lamp_at_night(void **state)
{
    (void)state;
    struct cw_pinhole cam;
    struct cw_scene *sc = road_camera("", &cam);
    struct cw_point lamp;
    assert_true(cw_pinhole_project(&cam, (struct cw_point){1, 8}, 0.7, &lamp));
    for (int on = 0; on <= 1; on++) {
        struct cw_motion_config cfg = config();
        cfg.light_dark = on ? 40 : 0;
        cfg.min_area = 1;
        struct cw_motion *m = cw_motion_new(&cfg, W, H);
        struct cw_blob b[8];
        struct cw_detection d[8];
        learn_road(m, 0.2);
        paint(0.2, -1, 0);
        int lx = (int)lamp.x - 1, ly = (int)lamp.y - 1;
        for (int y = ly; y < ly + 3; y++)
            for (int x = lx; x < lx + 3; x++)
                pix[y * W + x] = 250;
        int n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
        assert_int_equal(n, 1);
        n = cw_motion_detections(m, b, n, sc, W, H, d);
        assert_int_equal(n, 1);
        if (!on) { /* by day it is the blob it is */
            assert_true(d[0].box.h <= 4);
        } else {
            assert_int_equal(d[0].cls, CW_CLASS_TWO_WHEELER);
            assert_true(d[0].score >= 0.85f); /* enough to start a track */
            assert_true(d[0].has_ground);
            assert_true(fabs(d[0].ground.x - 1) < 0.3 && fabs(d[0].ground.y - 8) < 0.3);
            assert_true(d[0].box.h > 2 * d[0].box.w && d[0].box.y + d[0].box.h > lamp.y + 3);
        }
        cw_motion_free(m);
    }
    cw_scene_free(sc);
}

/* At night the one part of a walker that shows may be a small patch darker than the lit ground
 * (its trousers on the pavement, its coat lost against the grass). It pairs with nothing, but it
 * is no lamp 0.7 m up: its box stands on its bottom edge (the night scene's walker had been boxed
 * 10 px nearer the camera than it walked, half its frames unmatched). */
static void test_dark_patch_at_night(void **state)
{
    (void)state;
    struct cw_pinhole cam;
    struct cw_scene *sc = road_camera("", &cam);
    struct cw_point foot;
    assert_true(cw_pinhole_project(&cam, (struct cw_point){1, 8}, 0, &foot));
    struct cw_motion_config cfg = config();
    cfg.min_area = 1;
    struct cw_motion *m = cw_motion_new(&cfg, W, H);
    struct cw_blob b[8];
    struct cw_detection d[8];
    learn_road(m, 0.35);
    paint(0.35, -1, 0);
    int fx = (int)lround(foot.x), fy = (int)lround(foot.y);
    for (int y = fy - 4; y < fy; y++)
        for (int x = fx - 1; x <= fx + 1; x++)
            pix[y * W + x] = 4;
    int n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    assert_int_equal(n, 1);
    n = cw_motion_detections(m, b, n, sc, W, H, d);
    assert_int_equal(n, 1);
    assert_true(d[0].has_ground);
    assert_true(fabs(d[0].ground.x - 1) < 0.3 && fabs(d[0].ground.y - 8) < 0.3);
    assert_true(d[0].box.h > 2 * d[0].box.w && fabs(d[0].box.y + d[0].box.h - fy) <= 1);
    cw_motion_free(m);
    cw_scene_free(sc);
}

/* The same box 3.2 m wide at its foot is a bus seen square from behind, straight ahead of the
 * camera, but a car in the next lane: seen from behind and from the side, its near side shows
 * across the foot too (a camera 6 m up looking down a lane that runs up the picture). */
static void test_class_seen_from_the_side(void **state)
{
    (void)state;
    struct cw_pinhole cam;
    struct cw_scene *sc = road_camera("", &cam);
    /* one lane over the whole picture, running away from the camera */
    struct cw_point tail, tip;
    assert_true(cw_homography_apply(&sc->ground_to_img,
                                    (struct cw_point){cam.foot.x, cam.foot.y + 8}, &tail));
    assert_true(cw_homography_apply(&sc->ground_to_img,
                                    (struct cw_point){cam.foot.x, cam.foot.y + 12}, &tip));
    cw_scene_free(sc);
    char lane[512];
    snprintf(lane, sizeof(lane),
             ", \"lanes\": [{\"id\": \"l\", \"kind\": \"motor\", \"polygon\": [[0, 10], [96, 10], "
             "[96, 64], [0, 64]], \"direction\": [[%.2f, %.2f], [%.2f, %.2f]]}]",
             tail.x, tail.y, tip.x, tip.y);
    sc = road_camera(lane, &cam);
    const int want[2] = {CW_CLASS_BUS_TRUCK, CW_CLASS_CAR};
    for (int k = 0; k < 2; k++) {
        double x = cam.foot.x + 3.5 * k;
        struct cw_detection d = standing_box(sc, &cam, x - 1.6, x + 1.6, cam.foot.y + 9, 1.5);
        assert_true(fabs(d.width_m - 3.2) < 0.35);
        assert_int_equal(d.cls, want[k]);
    }
    cw_scene_free(sc);
}

/* A blob 1.5 m wide but only 0.45 m high where it stands (a piece of a shadow, a patch of road)
 * is no road user: its detection may keep a track going but not start one; 1.5 m high, it may. */
static void test_low_blob_starts_no_track(void **state)
{
    (void)state;
    struct cw_pinhole cam;
    struct cw_scene *sc = road_camera("", &cam);
    double x = cam.foot.x, y = cam.foot.y + 8;
    struct cw_detection low = standing_box(sc, &cam, x - 0.75, x + 0.75, y, 0.45);
    struct cw_detection high = standing_box(sc, &cam, x - 0.75, x + 0.75, y, 1.5);
    assert_true(high.score >= 0.85f); /* enough to start a track */
    assert_true(low.score < 0.85f && low.score > 0);
    cw_scene_free(sc);
}

/* A blob one pixel (0.13 m) wide and 1.7 m high where it stands (a car's shadow edge left over on
 * the yellow centre lines, driving along with the car) is no road user either; four pixels
 * (0.5 m) wide, a walker, it is. So too where the picture's bottom cuts them. */
static void test_thin_blob_starts_no_track(void **state)
{
    (void)state;
    struct cw_pinhole cam;
    struct cw_scene *sc = road_camera("", &cam);
    struct cw_motion_config cfg = config();
    struct cw_motion *m = cw_motion_new(&cfg, W, H);
    learn_empty_road(m);
    const int foot = 50, x = 48;
    struct cw_point g, top;
    assert_true(cw_homography_apply(&sc->img_to_ground, (struct cw_point){x, foot + 1}, &g));
    assert_true(cw_pinhole_project(&cam, g, 1.7, &top));
    struct cw_blob b[2];
    struct cw_detection d[2];
    for (int k = 0; k < 2; k++) {
        int wide = k ? 4 : 1, y0 = (int)lround(top.y);
        b[k] = (struct cw_blob){x, y0, x + wide - 1, foot, wide * (foot - y0 + 1), false};
    }
    assert_int_equal(cw_motion_detections(m, b, 2, sc, W, H, d), 2);
    assert_true(d[0].width_m < 0.2 && d[1].width_m > 0.3);
    assert_true(d[1].score >= 0.85f); /* enough to start a track */
    assert_true(d[0].score < 0.85f && d[0].score > 0);
    /* the same cut off by the picture's bottom (its width there a bound from above) */
    for (int k = 0; k < 2; k++)
        b[k].y1 = H - 1, b[k].area = (b[k].x1 - b[k].x0 + 1) * (H - b[k].y0);
    assert_int_equal(cw_motion_detections(m, b, 2, sc, W, H, d), 2);
    assert_true(!d[0].has_ground && !d[1].has_ground);
    assert_true(d[1].score >= 0.85f);
    assert_true(d[0].score < 0.85f && d[0].score > 0);
    cw_motion_free(m);
    cw_scene_free(sc);
}

/* Paints the road with a bright 4 × 4 patch (16 pixels) at (@x, @y), or none where @x < 0. */
static void paint_patch(int x, int y)
{
    paint(1, -1, 0);
    for (int j = y; x >= 0 && j < y + 4; j++)
        for (int i = x; i < x + 4; i++)
            pix[j * W + i] = 220;
}

/* The painted planes (pix, cu, cv) as a frame for the motion stage, its analysis image the
 * picture itself. */
static struct cw_frame painted_frame(void)
{
    return (struct cw_frame){
        .width = W, .height = H, .plane = {pix, cu, cv}, .stride = {W, W / 2, W / 2}, .grey = grey};
}

/* Far off a road user is a few pixels: with min_area 24, a 16-pixel blob is dropped; where the
 * rows' own smallest areas allow 12, it is kept — on those rows only. */
static void test_row_area(void **state)
{
    (void)state;
    struct cw_motion_config cfg = config();
    cfg.min_area = 24;
    struct cw_motion *m = cw_motion_new(&cfg, W, H);
    struct cw_blob b[8];
    learn_empty_road(m);
    int32_t area[H];
    for (int y = 0; y < H; y++)
        area[y] = y < H / 2 ? 12 : 100; /* (above min_area: min_area) */
    for (int pass = 0; pass < 2; pass++) {
        cw_motion_set_row_area(m, pass ? area : NULL);
        paint_patch(40, 10);
        assert_int_equal(cw_motion_process(m, &grey, &U, &V, 0.04, b, 8), pass);
        paint_patch(40, 50);
        assert_int_equal(cw_motion_process(m, &grey, &U, &V, 0.04, b, 8), 0);
    }
    cw_motion_free(m);
}

/* A fresh motion stage on the road camera's empty road: the number of detections (@n) that
 * @draw, painted at each of the rows @at, gives with @min_area. */
static void stage_far_and_near(int min_area, const int at[2], void (*draw)(int y), int n[2])
{
    struct cw_pinhole cam;
    struct cw_scene *sc = road_camera("", &cam);
    struct cw_motion_config cfg = config();
    cfg.min_area = min_area;
    for (int k = 0; k < 2; k++) {
        struct cw_motion_stage *st = cw_motion_stage_new(&cfg, sc);
        assert_non_null(st);
        struct cw_frame f = painted_frame();
        struct cw_detection d[8];
        for (int i = 0; i < 30; i++) {
            paint_patch(-1, 0);
            assert_int_equal(cw_motion_stage_run(st, &f, 0.04, d, 8), 0);
        }
        draw(at[k]);
        n[k] = cw_motion_stage_run(st, &f, 0.04, d, 8);
        cw_motion_stage_free(st);
    }
    cw_scene_free(sc);
}

static void patch_at(int y)
{
    paint_patch(40, y);
}

/* The motion stage sets the rows' smallest areas from the scene's ground: the same 16-pixel
 * patch is a detection far up the road (a metre across is one pixel there), not near the camera
 * (seven), where min_area 24 holds. */
static void test_stage_keeps_far_small_blobs(void **state)
{
    (void)state;
    const int at[2] = {12, 48};
    int n[2];
    stage_far_and_near(24, at, patch_at, n);
    assert_true(n[0] == 1 && n[1] == 0);
}

/* A road user's look (cw_pixel_ops.look) taken of a patterned, coloured square is found again
 * (cw_pixel_ops.find) where the square has moved, within the radius; not where a nearer road
 * user's box hides all or most of where it is foreseen, unless that one's own look leaves the
 * part of its box over the square open; and a look of bare road, or off the picture, is no
 * look. */
/* The road with an 8 × 12 square at (@x, @y) patterned across (a car's windows and lamps), so
 * that each part of it is found in one place only. */
static void paint_pattern(int x, int y)
{
    paint(1, x, y);
    for (int j = 0; j < 12; j++)
        for (int i = 0; i < 8; i++)
            pix[(y + j) * W + x + i] = (uint8_t)(150 + (i * 37 + j * 11) % 70);
}

static void test_stage_finds_a_look(void **state)
{
    (void)state;
    struct cw_motion_config cfg = config();
    struct cw_motion_stage *st = cw_motion_stage_new(&cfg, NULL);
    assert_non_null(st);
    struct cw_frame f = painted_frame();
    struct cw_detection d[8];
    const struct cw_pixel_ops *px = &cw_motion_stage_pixels;
    for (int i = 0; i < 30; i++) {
        paint(1, -1, 0);
        assert_int_equal(cw_motion_stage_run(st, &f, 0.04, d, 8), 0);
    }
    struct cw_look lk, none;
    struct cw_box at = {20, 20, 8, 12}, found;
    px->look(st, &at, &none); /* the empty road: nobody's pixels */
    assert_int_equal(none.n_own, 0);
    paint_pattern(20, 20);
    assert_int_equal(cw_motion_stage_run(st, &f, 0.04, d, 8), 1);
    px->look(st, &at, &lk);
    assert_int_equal(lk.n_own, CW_LOOK_N * CW_LOOK_N);
    px->look(st, &(struct cw_box){W + 10, 20, 8, 12}, &none);
    assert_int_equal(none.n_own, 0);

    paint_pattern(23, 18); /* moved 3 right and 2 up */
    assert_int_equal(cw_motion_stage_run(st, &f, 0.04, d, 8), 1);
    double diff = px->find(st, &lk, &at, 4, NULL, NULL, 0, 0.3, &found);
    assert_true(diff < 2);
    assert_true(fabs(found.x - 23) < 0.01 && fabs(found.y - 18) < 0.01);
    assert_true(found.w == at.w && found.h == at.h);
    /* searched only 1 pixel each way, the best is a poor fit */
    assert_true(px->find(st, &lk, &at, 1, NULL, NULL, 0, 0.3, &found) > 10);
    /* a nearer road user's box over all of it: nothing left to compare */
    struct cw_box nearer = {10, 10, 30, 30};
    assert_true(isinf(px->find(st, &lk, &at, 4, &nearer, NULL, 1, 0.3, &found)));
    /* over the left quarter of where it is foreseen: the rest is found */
    nearer = (struct cw_box){10, 10, 12, 30};
    assert_true(px->find(st, &lk, &at, 4, &nearer, NULL, 1, 0.3, &found) < 2);
    assert_true(fabs(found.x - 23) < 0.01 && fabs(found.y - 18) < 0.01);
    /* over seven eighths of it there: not looked for elsewhere (where less of it is hidden) */
    nearer = (struct cw_box){10, 10, 17, 30};
    assert_true(isinf(px->find(st, &lk, &at, 4, &nearer, NULL, 1, 0.3, &found)));
    /* the same box, but the nearer road user's own pixels fill only its left column of cells
     * (a car seen from behind fills the bottom of its box, not the corners beside its roof):
     * what its box covers and its look does not shows the road user behind, which is found */
    struct cw_look near_look = {0};
    for (int j = 0; j < CW_LOOK_N; j++)
        near_look.own[j * CW_LOOK_N] = 1, near_look.n_own++;
    const struct cw_look *near_looks[1] = {&near_look};
    assert_true(px->find(st, &lk, &at, 4, &nearer, near_looks, 1, 0.3, &found) < 2);
    assert_true(fabs(found.x - 23) < 0.01 && fabs(found.y - 18) < 0.01);
    /* a nearer road user without a look hides its whole box, as one given none */
    near_look.n_own = 0;
    assert_true(isinf(px->find(st, &lk, &at, 4, &nearer, near_looks, 1, 0.3, &found)));
    assert_true(isinf(px->find(st, &none, &at, 4, NULL, NULL, 0, 0.3, &found)));
    cw_motion_stage_free(st);
}

/* A road user coming in at a side of the picture shows only part of its width, but all of its
 * height: 3 m tall where it stands, it is a bus or truck, however narrow the part seen; 1.5 m
 * tall, it is not. */
static void test_bus_coming_in_at_the_side(void **state)
{
    (void)state;
    struct cw_pinhole cam;
    struct cw_scene *sc = road_camera("", &cam);
    struct cw_point foot, edge;
    double y = cam.foot.y + 12;
    assert_true(cw_homography_apply(&sc->ground_to_img, (struct cw_point){cam.foot.x, y}, &foot));
    assert_true(cw_homography_apply(&sc->img_to_ground, (struct cw_point){W, foot.y}, &edge));
    for (int k = 0; k < 2; k++) {
        /* its left metre shows, the rest is beyond the picture's right edge */
        struct cw_detection d =
            standing_box(sc, &cam, edge.x - 1.0, edge.x + 1.5, y, k ? 1.5 : 3.0);
        assert_true(d.cut_off && d.has_ground);
        if (k)
            assert_int_not_equal(d.cls, CW_CLASS_BUS_TRUCK);
        else
            assert_int_equal(d.cls, CW_CLASS_BUS_TRUCK);
    }
    cw_scene_free(sc);
}

/* A road user coming in at the bottom of the picture: its foot is below it, and its width
 * measured on the picture's bottom row is too much (that row is farther than its foot: each pixel
 * is wider there): a van 2.3 m wide measures 2.7 m, a bus's width. As wide as a bus there but no
 * taller than a car, it is a car; taller, a bus. */
static void test_car_coming_in_at_the_bottom(void **state)
{
    (void)state;
    struct cw_pinhole cam;
    struct cw_scene *sc = road_camera("", &cam);
    struct cw_point g;
    assert_true(cw_homography_apply(&sc->img_to_ground, (struct cw_point){48, H + 10}, &g));
    for (int k = 0; k < 2; k++) {
        struct cw_detection d = standing_box(sc, &cam, g.x - 1.15, g.x + 1.15, g.y, k ? 3.4 : 1.6);
        assert_true(d.cut_off && !d.has_ground);
        assert_true(d.width_m > 2.6); /* a bus's width, measured there */
        assert_int_equal(d.cls, k ? CW_CLASS_BUS_TRUCK : CW_CLASS_CAR);
    }
    cw_scene_free(sc);
}

/* Two lamps on a road at night (a fifth of the day's brightness), @w × @h analysis pixels at
 * @level, their left edges at x @xa and @xb, their top at y @y, seen in a top view of @m_px metres
 * a pixel, with the night tests on or off (@on). Returns the detections in @d (up to 8), and the
 * blobs in @nb. */
static int two_lamps(double m_px, bool on, int xa, int xb, int y, int w, int h, uint8_t level,
                     int *nb, struct cw_detection *d)
{
    char json[256];
    snprintf(json, sizeof(json),
             "{\"version\": 1, \"site\": {\"id\": \"n\"}, \"camera\": {\"id\": \"c\", "
             "\"width\": %d, \"height\": %d}, \"ground\": {\"image_to_ground\": [%g, 0, 0, 0, "
             "%g, 0, 0, 0, 1]}}",
             W, H, m_px, m_px);
    struct cw_scene *sc;
    assert_int_equal(cw_scene_parse(json, strlen(json), "night.json", &sc), 0);
    struct cw_motion_config cfg = config();
    cfg.light_dark = on ? 40 : 0;
    struct cw_motion *m = cw_motion_new(&cfg, W, H);
    struct cw_blob b[8];
    learn_road(m, 0.2);
    paint(0.2, -1, 0);
    for (int yy = y; yy < y + h; yy++)
        for (int x = 0; x < w; x++)
            pix[yy * W + xa + x] = pix[yy * W + xb + x] = level;
    *nb = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    int n = *nb > 0 ? cw_motion_detections(m, b, *nb, sc, W, H, d) : 0;
    cw_motion_free(m);
    cw_scene_free(sc);
    return n;
}

/* At night a car is its lamps: two small bright blobs on one row, a car's width apart on the
 * ground (a top view here, 0.1 m a pixel), are one detection — a car — boxed above and around
 * them; by day (or with the night tests off) they stay two blobs. */
static void test_lamp_pair_at_night(void **state)
{
    (void)state;
    struct cw_detection d[8];
    int nb;
    assert_int_equal(two_lamps(0.1, false, 30, 46, 40, 4, 4, 250, &nb, d), 2);
    assert_int_equal(nb, 2);
    assert_int_equal(two_lamps(0.1, true, 30, 46, 40, 4, 4, 250, &nb, d), 1);
    assert_int_equal(nb, 2);
    assert_true(d[0].box.x <= 30 && d[0].box.x + d[0].box.w >= 50);
    assert_true(d[0].box.y < 30 && d[0].box.y + d[0].box.h > 44);
    assert_int_equal(d[0].cls, CW_CLASS_CAR);
    assert_true(d[0].score >= 0.85f); /* enough to start a track */
}

/* Far off, a car's lamps are a pixel or two of the analysis image, and the picture's averaging
 * leaves them at 160 on a road of 20: within what light cast on the road can brighten it (up to
 * eight times). They are lights all the same, too bright to be cast light: lamps, kept through
 * the opening and below min_area, and paired into a car. By day such specks are noise. */
static void test_small_lamps_at_night(void **state)
{
    (void)state;
    struct cw_detection d[8];
    int nb;
    assert_int_equal(two_lamps(0.1, false, 31, 47, 41, 2, 2, 160, &nb, d), 0);
    assert_int_equal(nb, 0);
    assert_int_equal(two_lamps(0.1, true, 31, 47, 41, 2, 2, 160, &nb, d), 1);
    assert_int_equal(nb, 2);
    assert_int_equal(d[0].cls, CW_CLASS_CAR);
    assert_true(d[0].box.x <= 31 && d[0].box.x + d[0].box.w >= 49);
    /* farther still, a lamp is one pixel: a pair of them is a car (the night scene's oncoming
     * car, unseen for its first 130 frames), one alone — a speck, two too close to be a car's —
     * nothing */
    assert_int_equal(two_lamps(0.1, false, 31, 47, 41, 1, 1, 160, &nb, d), 0);
    assert_int_equal(two_lamps(0.1, true, 31, 47, 41, 1, 1, 160, &nb, d), 1);
    assert_int_equal(nb, 2);
    assert_int_equal(d[0].cls, CW_CLASS_CAR);
    assert_int_equal(two_lamps(0.1, true, 31, 34, 41, 1, 1, 160, &nb, d), 0);
    assert_int_equal(nb, 2);
}

/* Near the camera a car's tail lamps are large: 10 × 9 analysis pixels each (90, more than a far
 * lamp's 80), 0.2 m wide on the road here (0.02 m a pixel), 1.6 m apart. Still a pair: a car. */
static void test_near_lamps_at_night(void **state)
{
    (void)state;
    struct cw_detection d[8];
    int nb;
    assert_int_equal(two_lamps(0.02, true, 3, 83, 40, 10, 9, 250, &nb, d), 1);
    assert_int_equal(nb, 2);
    assert_int_equal(d[0].cls, CW_CLASS_CAR);
}

static void test_ignore_zone(void **state)
{
    struct cw_motion *m = make(120);
    struct cw_blob b[8];
    static uint8_t ignore[W * H];
    (void)state;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W / 2; x++)
            ignore[y * W + x] = 1; /* the left half: a tree */
    cw_motion_set_ignore(m, ignore);
    learn_empty_road(m);
    paint(1, 10, 10);
    assert_int_equal(cw_motion_process(m, &grey, &U, &V, 0.04, b, 8), 0);
    paint(1, 70, 10);
    assert_int_equal(cw_motion_process(m, &grey, &U, &V, 0.04, b, 8), 1);
    cw_motion_free(m);
}

/* The vector kernels (AVX2 where the CPU has it, and SSE2) against the plain C one (checkasm
 * style): the same masks and the same model, bit for bit, frame after frame — through noise, a
 * change of light, a square that stands still long enough to be absorbed (absorb 1 s) and an
 * ignore zone. */
static void test_simd_matches_plain_c(void **state)
{
    struct cw_motion *fast = make(1), *sse2, *plain;
    struct cw_blob b[8];
    static uint8_t ignore[W * H];
    unsigned seed = 99;
    (void)state;
    setenv("CW_SIMD", "sse", 1);
    sse2 = make(1);
    unsetenv("CW_SIMD");
    setenv("CW_NO_SIMD", "1", 1);
    plain = make(1);
    unsetenv("CW_NO_SIMD");
    for (int y = 40; y < H; y++)
        memset(ignore + y * W + 60, 1, W - 60);
    cw_motion_set_ignore(fast, ignore);
    cw_motion_set_ignore(sse2, ignore);
    cw_motion_set_ignore(plain, ignore);
    for (int f = 0; f < 200; f++) {
        int sx = f > 20 && f < 100 ? (f * 3) % 80 : f >= 100 && f < 160 ? 50 : -1;
        paint(f > 60 && f < 70 ? 1.2 : 1, sx, f < 100 ? (f * 7) % 50 : 44);
        for (int i = 0; i < W * H; i++) {
            seed = seed * 1103515245u + 12345u;
            pix[i] = (uint8_t)fmin(255, pix[i] + ((seed >> 16) % 9) - 4.0);
        }
        int n1 = cw_motion_process(fast, &grey, &U, &V, 0.04, b, 8);
        int n2 = cw_motion_process(plain, &grey, &U, &V, 0.04, b, 8);
        int n3 = cw_motion_process(sse2, &grey, &U, &V, 0.04, b, 8);
        assert_int_equal(n1, n2);
        assert_int_equal(n3, n2);
        assert_memory_equal(cw_motion_mask(fast), cw_motion_mask(plain), W * H);
        assert_memory_equal(cw_motion_mask(sse2), cw_motion_mask(plain), W * H);
        assert_true(cw_motion_model_hash(fast) == cw_motion_model_hash(plain));
        assert_true(cw_motion_model_hash(sse2) == cw_motion_model_hash(plain));
    }
    cw_motion_free(fast);
    cw_motion_free(sse2);
    cw_motion_free(plain);
}

/* Labelling: two squares that meet only corner to corner are one road user (8-connected); a
 * third one clear of them, side by side, is another. Areas and boxes are exact. */
static void test_components(void **state)
{
    struct cw_motion *m = make(120);
    struct cw_blob b[8];
    int n = 0;
    (void)state;
    learn_empty_road(m);
    paint(1, -1, 0);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < W; x++) {
            bool first = x >= 10 && x < 20 && y >= 10 && y < 20;
            bool corner = x >= 20 && x < 30 && y >= 20 && y < 30; /* touches first at (19,19) */
            bool apart = x >= 60 && x < 72 && y >= 12 && y < 36;
            if (first || corner || apart)
                pix[y * W + x] = 230;
        }
    n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    assert_int_equal(n, 2);
    /* largest first: the lone one (12 × 24 = 288 pixels), then the pair (2 × 10 × 10) */
    assert_int_equal(b[0].area, 288);
    assert_true(b[0].x0 == 60 && b[0].x1 == 71 && b[0].y0 == 12 && b[0].y1 == 35);
    assert_int_equal(b[1].area, 200);
    assert_true(b[1].x0 == 10 && b[1].x1 == 29 && b[1].y0 == 10 && b[1].y1 == 29);
    cw_motion_free(m);
}

/* Two bright 8-pixel-wide pieces at x 40..47, rows @y0 to @y0 + 3 and @y0 + 8 to @y0 + 11: four
 * rows of road between them. */
static void paint_stacked(int y0)
{
    paint(1, -1, 0);
    for (int y = y0; y < y0 + 12; y++)
        for (int x = 40; y - y0 != 4 && y - y0 != 5 && y - y0 != 6 && y - y0 != 7 && x < 48; x++)
            pix[y * W + x] = 230;
}

/* Pieces four rows apart are one road user under merge_gap (10); where the rows' own join gap
 * is 3 (far up the road, where 4 rows are metres), they are two. */
static void test_row_gap(void **state)
{
    (void)state;
    struct cw_motion *m = make(120);
    struct cw_blob b[8];
    learn_empty_road(m);
    int32_t gap[H];
    for (int y = 0; y < H; y++)
        gap[y] = 3;
    for (int pass = 0; pass < 2; pass++) {
        cw_motion_set_row_gap(m, pass ? gap : NULL);
        paint_stacked(20);
        assert_int_equal(cw_motion_process(m, &grey, &U, &V, 0.04, b, 8), pass ? 2 : 1);
    }
    cw_motion_free(m);
}

/* The motion stage sets the join gap from the scene's ground (a metre on the road): the same two
 * pieces four rows apart are two road users far up the road (a metre across is a pixel or two
 * there), one near the camera (five or six). */
static void test_stage_joins_by_the_metre(void **state)
{
    (void)state;
    const int at[2] = {6, 36};
    int n[2];
    stage_far_and_near(4, at, paint_stacked, n);
    assert_true(n[0] == 2 && n[1] == 1);
}

/* Pieces of one road user stacked a few rows apart are joined; a small road user standing within
 * a large one's box but far from its pixels (a rider beside the slanted side of a bus) is not —
 * and the pixels tell whose the rider's box is (cw_motion_support) and where a blob is across
 * (cw_motion_span). */
static void test_pieces(void **state)
{
    struct cw_motion *m = make(120);
    struct cw_blob b[8];
    (void)state;
    learn_empty_road(m);
    paint(1, -1, 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            bool top = x >= 4 && x < 20 && y >= 4 && y < 16;         /* a roof */
            bool body = x >= 4 && x < 20 && y >= 22 && y < 40;       /* 6 rows below it */
            bool slope = x >= 30 && x <= 30 + y && y >= 4 && y < 60; /* a bus's slanted side */
            bool rider = x >= 80 && x < 88 && y >= 6 && y < 20; /* beside its top, in its box */
            if (top || body || slope || rider)
                pix[y * W + x] = 230;
        }
    int n = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    assert_int_equal(n, 3);
    int roof_and_body = -1, rider = -1, slope = -1;
    for (int i = 0; i < n; i++) {
        if (b[i].x0 == 4 && b[i].y0 == 4 && b[i].y1 == 39 && b[i].area == 16 * 12 + 16 * 18)
            roof_and_body = i;
        else if (b[i].x0 == 80 && b[i].x1 == 87 && b[i].y0 == 6 && b[i].y1 == 19)
            rider = i;
        else
            slope = i;
    }
    assert_true(roof_and_body >= 0 && rider >= 0 && slope >= 0);
    /* whose pixels fill a box (cw_motion_support): the rider's box is all the rider's, none of
     * the bus's whose box holds it; the roof and body fill 480 of their box's 576 pixels */
    assert_true(fabs(cw_motion_support(m, rider, 80, 6, 88, 20) - 1) < 1e-9);
    assert_true(cw_motion_support(m, slope, 80, 6, 88, 20) == 0);
    assert_true(fabs(cw_motion_support(m, roof_and_body, 4, 4, 20, 40) - 480.0 / 576) < 1e-9);
    assert_true(fabs(cw_motion_support(m, rider, 76, 6, 84, 20) - 0.5) < 1e-9); /* half on it */
    assert_true(cw_motion_support(m, 7, 0, 0, W, H) == 0 &&
                cw_motion_support(m, -1, 0, 0, 4, 4) == 0);
    /* and where its pixels are across in a band of rows (cw_motion_span): the bus's slanted side
     * spans x 30 to 30 + y + 1 in rows 4 to 9; the rider has none below row 20 */
    double lo, hi;
    assert_true(cw_motion_span(m, slope, 0, 4, W, 10, &lo, &hi) && lo == 30 && hi == 40);
    assert_true(cw_motion_span(m, slope, 33, 4, 36, 10, &lo, &hi) && lo == 33 && hi == 36);
    assert_false(cw_motion_span(m, rider, 0, 20, W, H, &lo, &hi));
    cw_motion_free(m);
}

/* The picture shifted by (-2, +1) pixels (a camera shaking on its pole): the shift is found and
 * undone, so the road's edges do not light up, and a road user is placed where it stands against
 * the background. With stabilize 0 the edges do light up. */
static void shaken(int stabilize, int *fg, int *dx, int *dy, struct cw_blob *blob, int *nblobs)
{
    struct cw_motion_config cfg;
    cw_options_defaults(cw_motion_options, &cfg);
    cfg.min_area = 10;
    cfg.bootstrap_s = 0;
    cfg.stabilize = stabilize;
    struct cw_motion *m = cw_motion_new(&cfg, W, H);
    struct cw_blob b[8];
    assert_non_null(m);
    /* a road with strong, irregular texture: grey levels drawn at random for 2x2 blocks */
    static uint8_t road[W * H];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint32_t k = (uint32_t)(x / 2) * 2654435761u ^ (uint32_t)(y / 2) * 40503u;
            k ^= k >> 13;
            k *= 0x5bd1e995u;
            road[y * W + x] = (uint8_t)(60 + (k >> 8) % 140);
        }
    memset(cu, 128, sizeof(cu));
    memset(cv, 128, sizeof(cv));
    for (int f = 0; f < 30; f++) {
        memcpy(pix, road, sizeof(pix));
        assert_true(cw_motion_process(m, &grey, &U, &V, 0.04, b, 8) >= 0);
    }
    /* shifted: pix(x, y) = road(x + 2, y - 1), and a bright square at road (40..47, 20..31) */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int sx = x + 2 < W ? x + 2 : W - 1, sy = y - 1 >= 0 ? y - 1 : 0;
            bool in = sx >= 40 && sx < 48 && sy >= 20 && sy < 32;
            pix[y * W + x] = in ? 250 : road[sy * W + sx];
        }
    *nblobs = cw_motion_process(m, &grey, &U, &V, 0.04, b, 8);
    *fg = count(m, CW_MOTION_FG);
    cw_motion_shift(m, dx, dy);
    if (*nblobs > 0)
        *blob = b[0];
    cw_motion_free(m);
}

static void test_camera_shake(void **state)
{
    int fg, dx, dy, n;
    struct cw_blob b;
    (void)state;
    shaken(3, &fg, &dx, &dy, &b, &n);
    assert_int_equal(dx, -2); /* road (x, y) shows at (x - 2, y + 1) */
    assert_int_equal(dy, 1);
    assert_int_equal(n, 1);
    assert_true(b.x0 == 40 && b.x1 == 47 && b.y0 == 20 && b.y1 == 31);
    assert_true(fg <= 8 * 12 + 8);
    shaken(0, &fg, &dx, &dy, &b, &n);
    assert_true(dx == 0 && dy == 0);
    assert_true(fg > 500); /* the texture moved: a tenth of the picture and more */
}

static void test_bad_input(void **state)
{
    struct log_capture c;
    struct cw_motion_config cfg;
    struct cw_blob b[4];
    (void)state;
    cw_options_defaults(cw_motion_options, &cfg);
    capture_start(&c);
    assert_null(cw_motion_new(&cfg, 4, 4));
    struct cw_motion *m = cw_motion_new(&cfg, W / 2, H);
    assert_int_equal(cw_motion_process(m, &grey, NULL, NULL, 0.04, b, 4), -1);
    capture_stop();
    assert_logged(&c, "bad analysis size 4x4");
    assert_logged(&c, "frame is 96x64, detector was made for 48x64");
    /* without chroma, and with a silly time step, it still runs */
    cw_motion_free(m);
    m = cw_motion_new(&cfg, W, H);
    paint(1, -1, 0);
    assert_int_equal(cw_motion_process(m, &grey, NULL, NULL, NAN, b, 4), 0);
    assert_int_equal(cw_motion_process(m, &grey, NULL, NULL, -1, b, 4), 0);
    cw_motion_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moving_square),
        cmocka_unit_test(test_waiting_rider_is_not_absorbed),
        cmocka_unit_test(test_no_ghost_after_start),
        cmocka_unit_test(test_ghost_is_taken_away),
        cmocka_unit_test(test_late_comer_is_seen_after_start),
        cmocka_unit_test(test_lifted_shadow_is_taken_away),
        cmocka_unit_test(test_sudden_exposure_change),
        cmocka_unit_test(test_shadow),
        cmocka_unit_test(test_shadow_on_paint),
        cmocka_unit_test(test_dark_middle_is_not_shadow),
        cmocka_unit_test(test_dark_lower_part),
        cmocka_unit_test(test_colour_only_road_user),
        cmocka_unit_test(test_dim_colour_at_night),
        cmocka_unit_test(test_headlight_beam_at_night),
        cmocka_unit_test(test_lamp_pair_at_night),
        cmocka_unit_test(test_small_lamps_at_night),
        cmocka_unit_test(test_near_lamps_at_night),
        cmocka_unit_test(test_lone_lamp_at_night),
        cmocka_unit_test(test_dark_patch_at_night),
        cmocka_unit_test(test_class_seen_from_the_side),
        cmocka_unit_test(test_low_blob_starts_no_track),
        cmocka_unit_test(test_thin_blob_starts_no_track),
        cmocka_unit_test(test_row_area),
        cmocka_unit_test(test_row_gap),
        cmocka_unit_test(test_stage_joins_by_the_metre),
        cmocka_unit_test(test_stage_keeps_far_small_blobs),
        cmocka_unit_test(test_stage_finds_a_look),
        cmocka_unit_test(test_bus_coming_in_at_the_side),
        cmocka_unit_test(test_car_coming_in_at_the_bottom),
        cmocka_unit_test(test_ignore_zone),
        cmocka_unit_test(test_simd_matches_plain_c),
        cmocka_unit_test(test_components),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_camera_shake),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
