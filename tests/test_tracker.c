/* Tests of the image-plane tracker: identities through motion, misses and occlusion; crossing
 * paths; weak detections; bad and excessive input. */
#include "helpers.h"

#include <math.h>

#include "crosswatch/detection.h"
#include "crosswatch/error.h"
#include "crosswatch/scene.h"
#include "crosswatch/tracker.h"

static struct cw_tracker *make(void)
{
    struct cw_tracker_config cfg;
    cw_options_defaults(cw_tracker_options, &cfg);
    cfg.fps = 25;
    return cw_tracker_new(&cfg);
}

static struct cw_detection det(double x, double y, double w, double h, float score)
{
    struct cw_detection d;
    memset(&d, 0, sizeof(d));
    d.box = (struct cw_box){x, y, w, h};
    d.score = score;
    return d;
}

static void test_one_walker_keeps_its_id(void **state)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[8];
    int first_id = -1, reported = 0;
    (void)state;
    for (int f = 0; f < 100; f++) {
        struct cw_detection d = det(100 + 3 * f, 200, 40, 100, 0.95f);
        /* missed for ten frames in the middle: an occlusion */
        int n = cw_tracker_update(t, &d, f >= 40 && f < 50 ? 0 : 1, out, 8);
        assert_true(n >= 0);
        if (n == 1) {
            if (first_id < 0)
                first_id = out[0].id;
            assert_int_equal(out[0].id, first_id);
            /* the filter follows the walker */
            assert_true(fabs(out[0].box.x - (100 + 3 * f)) < 6);
            reported++;
        }
    }
    /* the first frame's track is reported at once; nothing while hidden */
    assert_int_equal(reported, 90);
    cw_tracker_free(t);
}

/* A car entering at the bottom of a 720-high picture: first its roof, a wide flat strip, then more
 * of it each frame (the box cut off, 240 wide), then all of it, 240 × 200, driving away. The
 * filtered box keeps the car's width: its aspect is not the strip's, carried on by the filter. */
static void test_entering_box_keeps_its_width(void **state)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[8];
    (void)state;
    for (int f = 0; f < 40; f++) {
        double h = f < 20 ? 10 + 10 * f : 200, y = f < 20 ? 720 - h : 520 - 4 * (f - 20);
        struct cw_detection d = det(500, y, 240, h, 0.95f);
        d.cut_off = f < 20;
        int n = cw_tracker_update(t, &d, 1, out, 8);
        assert_true(n >= 0);
        if (n == 1 && f >= 2)
            assert_true(fabs(out[0].box.w - 240) < 24);
    }
    cw_tracker_free(t);
}

static void test_crossing_paths(void **state)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[8];
    int id_left = -1, id_right = -1;
    (void)state;
    /* two people walk past each other at different heights of the picture */
    for (int f = 0; f < 80; f++) {
        struct cw_detection d[2] = {det(50 + 5 * f, 200, 40, 100, 0.9f),
                                    det(450 - 5 * f, 230, 40, 100, 0.9f)};
        int n = cw_tracker_update(t, d, 2, out, 8);
        assert_int_equal(n, 2);
        for (int i = 0; i < n; i++) {
            bool left = fabs(out[i].box.x - (50 + 5 * f)) < fabs(out[i].box.x - (450 - 5 * f));
            if (f == 0)
                *(left ? &id_left : &id_right) = out[i].id;
            else if (f < 35 || f > 45) /* away from the moment they overlap */
                assert_int_equal(out[i].id, left ? id_left : id_right);
        }
    }
    assert_true(id_left != id_right);
    cw_tracker_free(t);
}

static void test_weak_detections_keep_tracks(void **state)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[8];
    (void)state;
    for (int f = 0; f < 60; f++) {
        /* confident at first, then only weak (0.3): the second round keeps the track alive */
        struct cw_detection d = det(100 + 2 * f, 100, 30, 80, f < 20 ? 0.9f : 0.3f);
        int n = cw_tracker_update(t, &d, 1, out, 8);
        assert_int_equal(n, 1);
        assert_int_equal(out[0].id, 1);
    }
    /* a weak detection alone never starts a track */
    cw_tracker_free(t);
    t = make();
    for (int f = 0; f < 10; f++) {
        struct cw_detection d = det(100, 100, 30, 80, 0.5f);
        assert_int_equal(cw_tracker_update(t, &d, 1, out, 8), 0);
    }
    cw_tracker_free(t);
}

static void test_tentative_tracks(void **state)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[8];
    (void)state;
    /* frame 1 has nobody; a flicker that appears for two frames is never reported */
    assert_int_equal(cw_tracker_update(t, NULL, 0, out, 8), 0);
    for (int f = 0; f < 2; f++) {
        struct cw_detection d = det(300, 300, 30, 80, 0.95f);
        assert_int_equal(cw_tracker_update(t, &d, 1, out, 8), 0);
    }
    for (int f = 0; f < 5; f++)
        assert_int_equal(cw_tracker_update(t, NULL, 0, out, 8), 0);
    /* one that stays is reported from its third hit */
    for (int f = 0; f < 3; f++) {
        struct cw_detection d = det(500 + f, 300, 30, 80, 0.95f);
        assert_int_equal(cw_tracker_update(t, &d, 1, out, 8), f == 2 ? 1 : 0);
    }
    assert_int_equal(out[0].id, 1); /* ids are given only to reported tracks */
    cw_tracker_free(t);
}

/* Attributes are voted over the detections that said them, weighted by score; a detection that
 * says nothing (zeroed) does not vote. */
static void test_attribute_votes(void **state)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[4];
    int n = 0;
    (void)state;
    for (int f = 0; f < 12; f++) {
        struct cw_detection d = det(100 + 2 * f, 100, 30, 80, 0.9f);
        if (f < 6)
            d.attr[CW_ATTR_HELMET] = CW_ATTR_NO;
        else if (f < 8)
            d.attr[CW_ATTR_HELMET] = CW_ATTR_YES;
        n = cw_tracker_update(t, &d, 1, out, 4);
    }
    assert_int_equal(n, 1);
    assert_int_equal(out[0].attr[CW_ATTR_HELMET], CW_ATTR_NO);
    assert_int_equal(out[0].attr_seen[CW_ATTR_HELMET], 8);
    assert_float_equal(out[0].attr_share[CW_ATTR_HELMET], 0.75, 1e-6);
    assert_int_equal(out[0].attr[CW_ATTR_PASSENGER], CW_ATTR_UNKNOWN);
    assert_int_equal(out[0].attr_seen[CW_ATTR_PASSENGER], 0);
    cw_tracker_free(t);
}

static void test_ground_plane(void **state)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[8];
    struct cw_point traj[64];
    int frames[64], n = 0;
    (void)state;
    /* a cyclist riding north at 5 m/s, seen at 25 frames/s: 0.2 m a frame on the ground */
    for (int f = 0; f < 50; f++) {
        struct cw_detection d = det(300, 400 - 2 * f, 30, 60, 0.9f);
        d.has_ground = true;
        d.ground = (struct cw_point){3.0, 10.0 + 0.2 * f};
        d.ground_sigma_m = 0.1f;
        n = cw_tracker_update(t, &d, 1, out, 8);
    }
    assert_int_equal(n, 1);
    assert_true(out[0].has_ground);
    assert_true(fabs(out[0].speed - 5.0) < 0.3);
    assert_true(fabs(out[0].vel.y - 5.0) < 0.3 && fabs(out[0].vel.x) < 0.3);
    assert_true(fabs(out[0].ground.y - (10.0 + 0.2 * 49)) < 0.3);
    int k = cw_tracker_trajectory(t, out[0].id, traj, frames, 64);
    assert_int_equal(k, 50);
    assert_int_equal(frames[49], 50);
    assert_true(traj[49].y > traj[0].y + 9);
    assert_int_equal(cw_tracker_trajectory(t, 999, traj, frames, 64), 0);
    /* a box in the same place in the picture but 30 m away on the ground is someone else */
    struct cw_detection far = det(300, 302, 30, 60, 0.9f);
    far.has_ground = true;
    far.ground = (struct cw_point){3.0, 50.0};
    far.ground_sigma_m = 0.1f;
    n = cw_tracker_update(t, &far, 1, out, 8);
    assert_int_equal(n, 0); /* a new, tentative track; the cyclist is not updated */
    cw_tracker_free(t);
}

static struct cw_detection on_ground(double x, double y, double w, double h, double gx, double gy)
{
    struct cw_detection d = det(x, y, w, h, 0.9f);
    d.has_ground = true;
    d.ground = (struct cw_point){gx, gy};
    d.ground_sigma_m = 0.1f;
    return d;
}

/* A rider passes a waiting car and touches it in the picture: for 30 frames the detector sees one
 * blob covering both. Both are held on their predictions and keep their identities; the rider
 * comes out of the merge ahead of where its box's straight line put it and is found again on the
 * ground. */
static void test_merged_road_users(void **state)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[8];
    int car = -1, rider = -1;
    (void)state;
    for (int f = 0; f < 100; f++) {
        /* the car stands at x 400..520; the rider rides left to right at 4 px (0.2 m) a frame,
         * nearer the camera (lower in the picture) */
        double rx = 300 + 4 * f, gx = 2 + 0.2 * f;
        struct cw_detection d[2] = {on_ground(400, 300, 120, 80, 10, 8),
                                    on_ground(rx, 330, 30, 70, gx, 8)};
        int nd = 2;
        if (f >= 20 && f < 50) { /* merged: one box around both */
            double x0 = fmin(400, rx), x1 = fmax(520, rx + 30);
            d[0] = on_ground(x0, 300, x1 - x0, 100, 10, 8);
            nd = 1;
        }
        if (f >= 50 && f < 54)
            nd = 1;  /* the rider is hidden a little longer */
        if (f >= 54) /* and comes out 30 px further on than a straight line says */
            d[1] = on_ground(rx + 30, 330, 30, 70, gx, 8);
        int n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++) {
            bool is_rider = out[i].box.w < 60;
            int *id = is_rider ? &rider : &car;
            if (*id < 0)
                *id = out[i].id;
            assert_int_equal(out[i].id, *id);
            if (!is_rider) /* the car's box does not swallow the rider */
                assert_true(out[i].box.w < 140);
        }
        if (f == 45) { /* held: both reported, the rider where it should be on the ground */
            assert_int_equal(n, 2);
            for (int i = 0; i < n; i++)
                assert_true(out[i].predicted); /* for the rules: not measured now */
            for (int i = 0; i < n; i++)
                if (out[i].id == rider)
                    assert_true(fabs(out[i].ground.x - gx) < 0.5);
        }
    }
    assert_true(car > 0 && rider > 0 && car != rider);
    assert_false(out[0].predicted); /* measured again */
    cw_tracker_free(t);
}

/* A 1000×1000 camera looking straight down: the ground is the picture / 10, in metres. */
static struct cw_scene *top_view(void)
{
    static const char *json =
        "{\"version\": 1, \"site\": {\"id\": \"t\"}, \"camera\": {\"id\": \"c\", \"width\": "
        "1000, \"height\": 1000}, \"ground\": {\"image_to_ground\": [0.1, 0, 0, 0, 0.1, 0, 0, 0, "
        "1]}}";
    struct cw_scene *sc = NULL;
    assert_int_equal(cw_scene_parse(json, strlen(json), "top.json", &sc), 0);
    return sc;
}

/* Two cars one behind the other in a top view (ground = picture / 10), 60 × 100 px, their tops
 * at @ay (the front one) and @by: two detections, or one blob when they touch. Returns how many. */
static int queue_of_two(double ay, double by, struct cw_detection d[2])
{
    if (by - (ay + 100) < 10) {
        d[0] = on_ground(400, ay, 60, by + 100 - ay, 43, (by + 100) / 10);
        return 1;
    }
    d[0] = on_ground(400, ay, 60, 100, 43, (ay + 100) / 10);
    d[1] = on_ground(400, by, 60, 100, 43, (by + 100) / 10);
    return 2;
}

/* As test_merged_road_users, but the rider sets off hard while merged with the standing car: at
 * 4 m/s² for 1.6 s it comes out 5 m further along its way than its filter's steady speed says.
 * A road user unseen may have sped up or braked along its way far more than it swerved: it is
 * found again there, with its identity (the red light it ran while merged is then seen). Its
 * speed is learnt again from there (the filter's after the gap is the gap's average, lower than
 * what it rides at now, and a box 30 px wide at 9 px a frame is soon lost: checked only as it
 * comes out). */
static void test_rider_sets_off_while_held(void **state)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[8];
    int rider = -1;
    (void)state;
    for (int f = 0; f < 61; f++) {
        double s = fmin(f, 60) - 20 > 0 ? (fmin(f, 60) - 20) / 25 : 0; /* seconds setting off */
        double gx = 2 + 0.2 * fmin(f, 20) + 5 * s + 2 * s * s + (f > 60 ? 0.456 * (f - 60) : 0);
        double rx = 300 + 20 * (gx - 2);
        struct cw_detection d[2] = {on_ground(400, 300, 120, 80, 10, 8),
                                    on_ground(rx, 330, 30, 70, gx, 8)};
        int nd = 2;
        if (f >= 20 && f < 60) { /* merged: one box around both */
            double x0 = fmin(400, rx), x1 = fmax(520, rx + 30);
            d[0] = on_ground(x0, 300, x1 - x0, 100, 10, 8);
            nd = 1;
        }
        int n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        bool seen = false;
        for (int i = 0; i < n; i++)
            if (out[i].box.w < 60 && (f < 20 || f == 60)) {
                if (rider < 0)
                    rider = out[i].id;
                assert_int_equal(out[i].id, rider);
                seen = true;
            }
        assert_true(seen || (f >= 20 && f != 60));
    }
    assert_true(rider > 0);
    cw_tracker_free(t);
}

/* A queue at the red, seen from above (ground = picture / 10): car A waits at the line; car B
 * drives up behind it and stops touching it, and for twelve seconds — far longer than hold_s —
 * the detector sees one blob. A is held where it stands; B, the nearer, is measured on the
 * blob's bottom edge, where its foot is. On green A drives off and both keep their identities. */
static void test_queue_at_the_red(void **state)
{
    (void)state;
    struct cw_scene *sc = top_view();
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, sc);
    struct cw_track_out out[8];
    int a_id = -1, b_id = -1;
    for (int f = 0; f < 480; f++) {
        double ay = f < 400 ? 200 : 200 - 3 * (f - 400); /* A's top; it leaves on green */
        double by = f < 100 ? 500 - 2 * f : 300;         /* B's top; it stops at A's back */
        struct cw_detection d[2];
        int nd = queue_of_two(ay, by, d);
        int n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        if (f == 60) {
            assert_int_equal(n, 2);
            a_id = out[0].box.y < out[1].box.y ? out[0].id : out[1].id;
            b_id = out[0].box.y < out[1].box.y ? out[1].id : out[0].id;
        }
        if (f == 300 || f == 470) { /* in the queue, and after it */
            assert_int_equal(n, 2);
            for (int i = 0; i < n; i++) {
                bool is_a = out[i].box.y + out[i].box.h < 360;
                assert_int_equal(out[i].id, is_a ? a_id : b_id);
                if (f == 300 && !is_a) { /* B measured on the blob's bottom */
                    assert_false(out[i].predicted);
                    assert_true(fabs(out[i].box.y + out[i].box.h - 400) < 3);
                    assert_true(fabs(out[i].ground.y - 40) < 0.5);
                }
                if (f == 300 && is_a) /* A held where it stands */
                    assert_true(out[i].predicted && fabs(out[i].box.y - 200) < 5);
            }
        }
    }
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* The stand-in picture of test_queue_sets_off: two cars, and cw_pixel_ops over them. A look
 * is which car's box it was taken under (in y[0]); it is found where that car is now, within the
 * radius, unless a nearer road user's box hides all of it. */
struct two_cars {
    struct cw_box car[2];
};

static double cars_support(const void *ctx, int blob, const struct cw_box *box)
{
    const struct two_cars *tc = ctx;
    (void)blob;
    return cw_box_cover(box, &tc->car[0]) + cw_box_cover(box, &tc->car[1]);
}

static bool cars_span(const void *ctx, int blob, const struct cw_box *box, double *x0, double *x1)
{
    const struct two_cars *tc = ctx;
    (void)blob;
    *x0 = fmax(box->x, tc->car[0].x), *x1 = fmin(box->x + box->w, tc->car[0].x + tc->car[0].w);
    return *x1 > *x0;
}

static void cars_look(const void *ctx, const struct cw_box *box, struct cw_look *lk)
{
    const struct two_cars *tc = ctx;
    lk->n_own = 0;
    for (int c = 0; c < 2; c++)
        if (cw_box_iou(box, &tc->car[c]) > 0.7)
            lk->y[0] = (uint8_t)c, lk->n_own = 1;
}

static double cars_find(const void *ctx, const struct cw_look *lk, const struct cw_box *box,
                        double radius, const struct cw_box *skip,
                        const struct cw_look *const *skip_look, int nskip, double min_share,
                        struct cw_box *found)
{
    const struct two_cars *tc = ctx;
    (void)min_share, (void)skip_look;
    *found = *box;
    if (lk->n_own == 0)
        return INFINITY;
    const struct cw_box *c = &tc->car[lk->y[0]];
    if (fabs(c->x - box->x) > radius || fabs(c->y - box->y) > radius)
        return INFINITY;
    for (int k = 0; k < nskip; k++)
        if (cw_box_cover(c, &skip[k]) > 0.99)
            return INFINITY;
    found->x = c->x + c->w / 2 - box->w / 2, found->y = c->y + c->h - box->h; /* on its foot */
    return 0;
}

static const struct cw_pixel_ops cars_pixels = {cars_support, cars_span, cars_look, cars_find};

/* A tracker on scene @sc whose pixels are the two cars of @tc. */
static struct cw_tracker *two_cars_tracker(const struct cw_scene *sc, struct two_cars *tc)
{
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, sc);
    cw_tracker_set_pixels(t, &cars_pixels, tc);
    return t;
}

/* The track of @out (@n) numbered @id (> 0), or NULL. */
static const struct cw_track_out *with_id(const struct cw_track_out *out, int n, int id)
{
    for (int i = 0; id > 0 && i < n; i++)
        if (out[i].id == id)
            return &out[i];
    return NULL;
}

/* Car B drives up behind car A (a top view, ground = picture / 10) and follows it, touching: one
 * blob for eight seconds, far longer than hold_s, both on the move. A is held and found by its
 * look every frame: seen, not foreseen, so its hold does not run out while it is found. */
static void test_found_road_user_stays_held(void **state)
{
    (void)state;
    struct cw_scene *sc = top_view();
    struct two_cars tc;
    struct cw_tracker *t = two_cars_tracker(sc, &tc);
    struct cw_track_out out[8];
    int a_id = -1;
    for (int f = 0; f <= 250; f++) {
        double ay = 600 - 2 * f, by = fmax(760 - 3 * f, ay + 105); /* 5 m/s; B closes up */
        tc.car[0] = (struct cw_box){400, ay, 60, 100};
        tc.car[1] = (struct cw_box){400, by, 60, 100};
        struct cw_detection d[2];
        int nd = queue_of_two(ay, by, d);
        for (int i = 0; i < nd; i++)
            d[i].blob = i + 1, d[i].cls = CW_CLASS_CAR, d[i].cls_conf = 0.9f;
        int n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        for (int i = 0; f == 30 && i < n; i++)
            if (out[i].box.y < ay + 50)
                a_id = out[i].id;
        if (f == 250) {
            const struct cw_track_out *a = with_id(out, n, a_id);
            assert_non_null(a);
            assert_true(a->predicted);
            assert_true(fabs(a->box.y - ay) < 5);
        }
    }
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* A rider rides up beside car A, waiting at the line (a top view, ground = picture / 10), touches
 * it in the picture and stops there: one blob for twelve seconds. A, the nearer, is measured on the
 * blob's bottom; the rider is held, and found by its look where it stands. Its ground speed follows
 * what its look shows, so it stands still and is held as long as the merge lasts; with the speed it
 * rode in at, it was dropped after hold_s. */
static void test_found_rider_stops(void **state)
{
    (void)state;
    struct cw_scene *sc = top_view();
    struct two_cars tc;
    struct cw_tracker *t = two_cars_tracker(sc, &tc);
    struct cw_track_out out[8];
    int rider = -1;
    for (int f = 0; f < 350; f++) {
        double rx = 300 + 2 * fmin(f, 50); /* 5 m/s, standing from frame 50 */
        tc.car[0] = (struct cw_box){400, 300, 120, 80};
        tc.car[1] = (struct cw_box){rx, 240, 30, 70};
        struct cw_detection d[2] = {on_ground(400, 300, 120, 80, 46, 38),
                                    on_ground(rx, 240, 30, 70, (rx + 15) / 10, 31)};
        d[0].cls = CW_CLASS_CAR, d[1].cls = CW_CLASS_TWO_WHEELER;
        int nd = 2;
        if (rx + 30 >= 400) { /* touching: one blob */
            double x0 = fmin(400, rx), x1 = fmax(520, rx + 30);
            d[0] = on_ground(x0, 240, x1 - x0, 140, (x0 + x1) / 20, 38);
            d[0].cls = CW_CLASS_CAR;
            nd = 1;
        }
        for (int i = 0; i < nd; i++)
            d[i].blob = i + 1, d[i].cls_conf = 0.9f;
        int n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        for (int i = 0; f == 20 && i < n; i++)
            if (out[i].box.w < 60)
                rider = out[i].id;
        if (f == 349) {
            const struct cw_track_out *r = with_id(out, n, rider);
            assert_non_null(r);
            assert_true(fabs(r->box.x - rx) < 5 && fabs(r->box.y - 240) < 5);
            assert_true(r->speed < 1);
        }
    }
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* As test_queue_at_the_red, but on green A and B set off together, still one blob (a top view,
 * ground = picture / 10). B, the nearer, is measured on the blob's bottom; A, held, is found by
 * the look it had when seen alone, wherever it has moved to: its box goes with it, and its foot,
 * not hidden by B, is measured on the ground. Held on its prediction alone, it stood where it
 * had waited as the queue drove off. */
static void test_queue_sets_off(void **state)
{
    (void)state;
    struct cw_scene *sc = top_view();
    struct two_cars tc;
    struct cw_tracker *t = two_cars_tracker(sc, &tc);
    struct cw_track_out out[8];
    int a_id = -1, b_id = -1;
    for (int f = 0; f < 376; f++) {
        double go = f < 300 ? 0 : (f - 300) / 25.0; /* seconds since the green */
        double ay = 200 - 10 * 0.5 * 2.5 * go * go; /* A's top: it sets off at 2.5 m/s² */
        double by = f < 300 ? fmax(500 - 2 * f, 305) : ay + 105; /* B's: 5 px behind A */
        tc.car[0] = (struct cw_box){400, ay, 60, 100};
        tc.car[1] = (struct cw_box){400, by, 60, 100};
        struct cw_detection d[2];
        int nd = queue_of_two(ay, by, d);
        for (int i = 0; i < nd; i++)
            d[i].blob = i + 1, d[i].cls = CW_CLASS_CAR, d[i].cls_conf = 0.9f;
        int n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        if (f == 60) {
            assert_int_equal(n, 2);
            a_id = out[0].box.y < out[1].box.y ? out[0].id : out[1].id;
            b_id = out[0].box.y < out[1].box.y ? out[1].id : out[0].id;
        }
        if (f == 375) { /* 3 s on, 11 m further, at 7.5 m/s */
            assert_int_equal(n, 2);
            for (int i = 0; i < n; i++) {
                bool is_a = out[i].box.y < by - 50;
                assert_int_equal(out[i].id, is_a ? a_id : b_id);
                if (is_a) {
                    assert_true(fabs(out[i].box.y - ay) < 5);
                    assert_true(out[i].has_ground && fabs(out[i].ground.y - (ay + 100) / 10) < 1);
                }
            }
        }
    }
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* A bus comes in at the bottom of the picture (a top view, ground = picture / 10) behind car A
 * waiting at the line, its box cut off there (no ground point yet), and closes up to A: one blob,
 * cut off, from A's roof to the picture's bottom. A is held where it stands, as in a queue,
 * though the bus has no ground speed to differ from A's: it moves in the picture. */
static void test_entering_bus_holds_the_car(void **state)
{
    (void)state;
    struct cw_scene *sc = top_view();
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, sc);
    struct cw_track_out out[8];
    int a_id = -1, held = 0;
    for (int f = 0; f < 200; f++) {
        double top = fmax(1000 - 8 * f, 404); /* the bus's roof, coming up to A's back */
        struct cw_detection d[2];
        int nd = 2;
        d[0] = on_ground(400, 300, 60, 100, 43, 40);
        d[1] = det(370, top, 120, 1000 - top, 0.9f);
        d[1].cut_off = true;
        if (top < 410) { /* touching: one blob */
            d[0] = det(370, 300, 120, 700, 0.9f);
            d[0].cut_off = true;
            nd = 1;
        }
        int n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++) {
            bool is_a = out[i].box.y + out[i].box.h < 420;
            if (f == 40 && is_a)
                a_id = out[i].id;
            if (f > 80 && is_a) {
                assert_int_equal(out[i].id, a_id);
                assert_true(fabs(out[i].box.y - 300) < 5 && fabs(out[i].box.h - 100) < 5);
                held += out[i].predicted;
            }
        }
    }
    assert_true(a_id > 0);
    assert_true(held >= 110); /* held through the merge, frames 80 to 199 */
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* As test_entering_bus_holds_the_car, but the bus is taller than car A in the picture (a
 * camera looking down the road sees its roof over A) and drives on until it is wholly in the
 * picture, its roof above A's: the blob is cut off for a few frames, then stands on the bus's
 * bottom. The bus's track goes on through that (it has no ground point until then), its top
 * rising over A while cut off; A, held behind it, is hidden: there, but not in sight. */
static void test_bus_behind_the_car_hides_it(void **state)
{
    (void)state;
    struct cw_scene *sc = top_view();
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, sc);
    struct cw_track_out out[8];
    int bus_id = -1;
    for (int f = 0; f < 130; f++) {
        double top = fmax(1000 - 8 * f, 280), bottom = fmin(1000, top + 620);
        struct cw_detection d[2];
        int nd = 2;
        d[0] = on_ground(400, 300, 60, 100, 43, 40);
        d[1] = det(370, top, 120, bottom - top, 0.9f);
        if (top < 410) { /* touching: one blob */
            d[0] = det(370, fmin(top, 300), 120, bottom - fmin(top, 300), 0.9f);
            nd = 1;
        }
        if (bottom >= 999)
            d[nd - 1].cut_off = true;
        else /* wholly in the picture: its foot is on the ground */
            d[nd - 1].has_ground = true, d[nd - 1].ground = (struct cw_point){43, bottom / 10};
        int n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        for (int i = 0; f == 40 && i < n; i++)
            if (out[i].box.y + out[i].box.h > 900)
                bus_id = out[i].id;
        if (f == 129) {
            assert_int_equal(n, 2);
            const struct cw_track_out *a =
                out[0].box.y + out[0].box.h < out[1].box.y + out[1].box.h ? &out[0] : &out[1];
            const struct cw_track_out *bus = a == &out[0] ? &out[1] : &out[0];
            assert_int_equal(bus->id, bus_id);
            assert_true(bus->has_ground && fabs(bus->ground.y - 90) < 1);
            assert_true(bus->box.y < 300 && !bus->hidden); /* its roof over A */
            assert_true(a->predicted && a->hidden);
        }
    }
    assert_true(bus_id > 0);
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* The pixels of two blobs, each a few rectangles (the test's stand-in for a motion detector's
 * runs), and struct cw_pixel_ops over them. */
struct two_blobs {
    struct cw_box part[2][3];
    int nparts[2];
};

static double rect_support(const void *ctx, int blob, const struct cw_box *box)
{
    const struct two_blobs *tb = ctx;
    double px = 0;
    for (int i = 0; blob >= 1 && blob <= 2 && i < tb->nparts[blob - 1]; i++)
        px += cw_box_cover(box, &tb->part[blob - 1][i]);
    return px;
}

static bool rect_span(const void *ctx, int blob, const struct cw_box *box, double *x0, double *x1)
{
    const struct two_blobs *tb = ctx;
    *x0 = INFINITY, *x1 = -INFINITY;
    for (int i = 0; blob >= 1 && blob <= 2 && i < tb->nparts[blob - 1]; i++) {
        const struct cw_box *r = &tb->part[blob - 1][i];
        if (r->x < box->x + box->w && box->x < r->x + r->w && r->y < box->y + box->h &&
            box->y < r->y + r->h)
            *x0 = fmin(*x0, fmax(r->x, box->x)),
            *x1 = fmax(*x1, fmin(r->x + r->w, box->x + box->w));
    }
    return *x1 > *x0;
}

static const struct cw_pixel_ops rect_pixels = {rect_support, rect_span};

/* A tracker with the scene's zones that asks @tb for the detections' pixels. */
static struct cw_tracker *over_blobs(const struct cw_scene *sc, struct two_blobs *tb)
{
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, sc);
    cw_tracker_set_pixels(t, &rect_pixels, tb);
    return t;
}

static struct cw_detection blob_box(const struct two_blobs *tb, int blob)
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int i = 0; i < tb->nparts[blob - 1]; i++) {
        const struct cw_box *r = &tb->part[blob - 1][i];
        x0 = fmin(x0, r->x), y0 = fmin(y0, r->y);
        x1 = fmax(x1, r->x + r->w), y1 = fmax(y1, r->y + r->h);
    }
    struct cw_detection d = det(x0, y0, x1 - x0, y1 - y0, 0.9f);
    d.blob = blob;
    if (y1 >= 999)
        d.cut_off = true;
    else
        d.has_ground = true, d.ground = (struct cw_point){(x0 + x1) / 20, y1 / 10};
    return d;
}

/* A bus comes in at the picture's bottom (a top view, ground = picture / 10), cut off there, and
 * a rider beside it, further up, touches its roof: one blob, the rider a narrow part above the
 * bus's top. The bus's box is the blob's part below where it narrows, not the whole blob. */
static void test_entering_box_leaves_what_rides_above(void **state)
{
    (void)state;
    struct cw_scene *sc = top_view();
    struct two_blobs tb = {.nparts = {2, 0}};
    struct cw_tracker *t = over_blobs(sc, &tb);
    struct cw_track_out out[8];
    int n = 0;
    double top = 0;
    for (int f = 1; f <= 30; f++) {
        top = 1000 - 8 * f;
        tb.part[0][0] = (struct cw_box){400, top, 120, 1000 - top}; /* the bus */
        tb.part[0][1] = (struct cw_box){480, top - 60, 30, 60};     /* the rider */
        struct cw_detection d = blob_box(&tb, 1);
        d.cls = CW_CLASS_BUS_TRUCK, d.cls_conf = 0.5f;
        n = cw_tracker_update(t, &d, 1, out, 8);
        assert_true(n >= 0);
    }
    assert_int_equal(n, 1);
    assert_true(fabs(out[0].box.y - top) < 12);
    assert_true(fabs(out[0].box.x - 400) < 3 && fabs(out[0].box.w - 120) < 3);
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* Two lanes side by side (a top view). In the right one cars R1 and R2 stand one behind the
 * other, one blob; a bus comes in at the bottom behind them and joins it, its box now wide and
 * reaching the picture's bottom. In the left lane a long vehicle stands whose blob's box (its
 * shadow reaching right) holds R1's and R2's boxes and overlaps them more than the new right
 * blob's does. The held cars stay in their own blob's merge — its pixels are where they are —
 * so the bus is measured as the nearest of it, not given the whole blob as its box. */
static void test_merge_follows_the_pixels(void **state)
{
    (void)state;
    struct cw_scene *sc = top_view();
    struct two_blobs tb = {.nparts = {2, 2}};
    struct cw_tracker *t = over_blobs(sc, &tb);
    struct cw_track_out out[8];
    int r1 = -1, r2 = -1;
    int n = 0;
    for (int f = 0; f < 115; f++) {
        double r2y = fmax(700 - 5 * f, 305), bus = 1000 - 8 * (f - 30);
        bool joined = f >= 30 && bus < 410;                  /* the bus has come up to R2 */
        tb.part[0][0] = (struct cw_box){300, 150, 100, 400}; /* the long vehicle */
        tb.part[0][1] = (struct cw_box){400, 500, 100, 50};  /* its shadow */
        tb.part[1][0] = (struct cw_box){420, 200, 60, 100};  /* R1 */
        tb.part[1][1] = (struct cw_box){420, r2y, 60, 100};  /* R2 */
        tb.part[1][2] = (struct cw_box){420, bus, 280, 1000 - bus};
        tb.nparts[1] = joined ? 3 : 2;
        struct cw_detection d[4] = {blob_box(&tb, 1)};
        int nd = 1;
        if (r2y < 310 || joined) { /* touching: one blob */
            d[nd++] = blob_box(&tb, 2);
        } else {
            d[nd] = det(420, 200, 60, 100, 0.9f), d[nd].has_ground = true;
            d[nd++].ground = (struct cw_point){45, 30};
            d[nd] = det(420, r2y, 60, 100, 0.9f), d[nd].has_ground = true;
            d[nd++].ground = (struct cw_point){45, (r2y + 100) / 10};
        }
        if (f >= 30 && !joined) {
            d[nd] = det(420, bus, 280, 1000 - bus, 0.9f);
            d[nd++].cut_off = true;
        }
        n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++) {
            double bottom = out[i].box.y + out[i].box.h, x = out[i].box.x;
            if (f == 90 && x > 410 && fabs(bottom - 300) < 5)
                r1 = out[i].id;
            if (f == 90 && x > 410 && fabs(bottom - 405) < 5)
                r2 = out[i].id;
            if (f == 114 && out[i].box.w > 200) /* the bus: its own top, rising */
                assert_true(fabs(out[i].box.y - bus) < 20);
        }
    }
    int kept = 0;
    for (int i = 0; i < n; i++)
        kept += (out[i].id == r1 || out[i].id == r2) && out[i].predicted;
    assert_true(r1 > 0 && r2 > 0 && kept == 2);
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* Cars A and B wait one behind the other, one blob (a top view, ground = picture / 10): A's box
 * from 200 down @a_h, B driving up from @b_from to stand just behind it. A road user comes in at
 * the picture's bottom right behind B — seen along the road, its roof hides B's bottom — so it is
 * part of the blob from its first frame, which now reaches the picture's bottom. A and B are held;
 * the part of the blob below them, filled by its pixels, is the newcomer: tracked, its box from
 * B's bottom to the picture's, while A and B keep their identities. */
static void comes_in_behind_the_queue(double a_h, double b_from)
{
    struct cw_scene *sc = top_view();
    struct two_blobs tb = {.nparts = {2, 0}};
    struct cw_tracker *t = over_blobs(sc, &tb);
    struct cw_track_out out[8];
    int a_id = -1, b_id = -1, n = 0;
    double b_stop = 200 + a_h + 5, below = b_stop + 100;
    for (int f = 0; f < 190; f++) {
        double by = fmax(b_from - 5 * f, b_stop); /* B's top: it closes up to A, then stands */
        bool newcomer = f >= 160;
        tb.part[0][0] = (struct cw_box){420, 200, 60, a_h};             /* A */
        tb.part[0][1] = (struct cw_box){420, by, 60, 100};              /* B */
        tb.part[0][2] = (struct cw_box){400, below, 100, 1000 - below}; /* cut off */
        tb.nparts[0] = newcomer ? 3 : 2;
        struct cw_detection d[2];
        int nd = 1;
        if (by < b_stop + 5) {
            d[0] = blob_box(&tb, 1);
        } else {
            d[0] = on_ground(420, 200, 60, a_h, 45, (200 + a_h) / 10);
            d[1] = on_ground(420, by, 60, 100, 45, (by + 100) / 10);
            nd = 2;
        }
        for (int i = 0; i < nd; i++)
            d[i].cls = CW_CLASS_CAR, d[i].cls_conf = 0.9f;
        n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);

        if (f == 90) {
            assert_int_equal(n, 2);
            a_id = out[0].box.y < out[1].box.y ? out[0].id : out[1].id;
            b_id = out[0].box.y < out[1].box.y ? out[1].id : out[0].id;
        }
    }
    int newcomer_seen = 0, kept = 0;
    for (int i = 0; i < n; i++) {
        const struct cw_box *b = &out[i].box;
        if (out[i].id == a_id || out[i].id == b_id) {
            kept++;
            assert_true(b->y + b->h < below + 15);
        } else if (b->y + b->h > 990 && fabs(b->y - below) < 10 && b->w > 90) {
            newcomer_seen++;
            assert_false(out[i].predicted);
        }
    }
    assert_int_equal(kept, 2);
    assert_int_equal(newcomer_seen, 1);
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* A bus comes in behind a queue of two cars: most of the blob's height below them. */
static void test_bus_comes_in_behind_the_queue(void **state)
{
    (void)state;
    comes_in_behind_the_queue(100, 700);
}

/* A car comes in under a queue whose blob is 800 px tall — a long vehicle, then B standing near
 * the picture's bottom — and shows 95 px of itself: an eighth of the blob. (queue-red-green's
 * pink car behind the teal bus showed 45 px under a blob 486 tall, and was never tracked while
 * the part below had to be 15 % of the blob's height.) */
static void test_car_comes_in_under_a_long_queue(void **state)
{
    (void)state;
    comes_in_behind_the_queue(600, 890);
}

/* Car B drives up at a slant behind car A, which waits further left, and stops touching it: one
 * blob, B its nearest, measured on the blob's bottom. Its box must stay where B stands — placed
 * across by the blob's pixels at its foot — not go on sideways as its box's straight line had
 * it going when the blob began. */
static void test_standing_nearest_stays_put(void **state)
{
    (void)state;
    struct cw_scene *sc = top_view();
    struct two_blobs tb = {.nparts = {2, 0}};
    struct cw_tracker *t = over_blobs(sc, &tb);
    struct cw_track_out out[8];
    int n = 0;
    double bx = 0;
    for (int f = 0; f < 150; f++) {
        double by = fmax(700 - 5 * f, 305); /* B's top: up, and slanting right, then standing */
        bx = 380 + 2.5 * (700 - by) / 5;
        tb.part[0][0] = (struct cw_box){300, 200, 60, 100}; /* A */
        tb.part[0][1] = (struct cw_box){bx, by, 60, 100};   /* B */
        struct cw_detection d[2];
        int nd = 1;
        if (by < 310) {
            d[0] = blob_box(&tb, 1);
        } else {
            d[0] = det(300, 200, 60, 100, 0.9f), d[0].has_ground = true;
            d[0].ground = (struct cw_point){33, 30};
            d[1] = det(bx, by, 60, 100, 0.9f), d[1].has_ground = true;
            d[1].ground = (struct cw_point){(bx + 30) / 10, (by + 100) / 10};
            nd = 2;
        }
        for (int k = 0; k < nd; k++)
            d[k].cls = CW_CLASS_CAR, d[k].cls_conf = 0.9f;
        n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
    }
    bool seen = false;
    for (int i = 0; i < n; i++)
        if (out[i].box.y + out[i].box.h > 380) { /* B, standing for 70 frames now */
            assert_false(out[i].predicted);
            assert_true(fabs(out[i].box.x - bx) < 4);
            seen = true;
        }
    assert_true(seen);
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* Car A creeps up to the line at 1 m/s and stops there a second after car B, faster behind it,
 * has closed up and made one blob of both. A, held, must stop too: its prediction may not creep
 * on through the junction for as long as the queue stands. */
static void test_held_car_stops(void **state)
{
    (void)state;
    struct cw_scene *sc = top_view();
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, sc);
    struct cw_track_out out[8];
    for (int f = 0; f < 300; f++) {
        double ay = f < 120 ? 250 - 0.4 * f : 202; /* A's top: 1 m/s, then standing */
        double by = f < 110 ? 438 - 1.2 * f : 306; /* B's top: 3 m/s, then standing */
        struct cw_detection d[2];
        int nd = queue_of_two(ay, by, d);
        for (int k = 0; k < nd; k++)
            d[k].cls = CW_CLASS_CAR, d[k].cls_conf = 0.9f;
        int n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        if (f == 299) {
            assert_int_equal(n, 2);
            const struct cw_track_out *a = out[0].box.y < out[1].box.y ? &out[0] : &out[1];
            assert_true(a->predicted);
            assert_true(fabs(a->box.y - 202) < 10); /* within a metre */
            assert_true(a->speed < 0.1);
        }
    }
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* A camera looking down a road (the synthetic suite's): the box of a road user @w_m wide and
 * @h_m high standing at ground point (@gx, @gy), placed on the ground. */
static struct cw_detection standing(const struct cw_scene *sc, double gx, double gy, double w_m,
                                    double h_m)
{
    struct cw_point foot, side;
    assert_true(cw_homography_apply(&sc->ground_to_img, (struct cw_point){gx, gy}, &foot));
    assert_true(cw_homography_apply(&sc->ground_to_img, (struct cw_point){gx + 1, gy}, &side));
    double px_per_m = hypot(side.x - foot.x, side.y - foot.y);
    struct cw_detection d = on_ground(foot.x - w_m * px_per_m / 2, foot.y - h_m * px_per_m,
                                      w_m * px_per_m, h_m * px_per_m, gx, gy);
    return d;
}

/* The synthetic suite's camera looking down a road, 1280 × 720. */
static struct cw_scene *down_the_road(void)
{
    static const char *json =
        "{\"version\": 1, \"site\": {\"id\": \"t\"}, \"camera\": {\"id\": \"c\", \"width\": "
        "1280, \"height\": 720}, \"ground\": {\"image_to_ground\": [0.528927, 0, -338.513, 0, "
        "-1.025801, 606.648, 0, 0.0718628, -1]}}";
    struct cw_scene *sc = NULL;
    assert_int_equal(cw_scene_parse(json, strlen(json), "road.json", &sc), 0);
    return sc;
}

/* Car B drives away from the camera up to car A, waiting at the line, and stops behind it: one
 * blob from A's roof to B's foot. B, the nearest, is measured on the blob's bottom edge; going
 * away it looks smaller there, and its box must shrink with the perspective, not keep the size
 * it had when the blob began (or it swallows A's part of the blob). */
static void test_nearest_shrinks_going_away(void **state)
{
    (void)state;
    struct cw_scene *sc = down_the_road();
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, sc);
    struct cw_track_out out[8];
    struct cw_detection b;
    for (int f = 0; f < 150; f++) {
        double by = fmin(8 + 0.12 * f, 16.5); /* B's foot: 3 m/s away, then standing */
        struct cw_detection a = standing(sc, 2, 22, 1.8, 1.5), d[2];
        b = standing(sc, 2, by, 1.8, 1.5);
        int nd = 2;
        d[0] = a, d[1] = b;
        if (b.box.y < a.box.y + a.box.h + 2) { /* touching: one blob */
            d[0] = on_ground(b.box.x, a.box.y, b.box.w, b.box.y + b.box.h - a.box.y, 2, by);
            nd = 1;
        }
        int n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
    }
    bool seen = false;
    for (int i = 0; i < 2; i++) {
        if (fabs(out[i].box.y + out[i].box.h - (b.box.y + b.box.h)) > 3)
            continue; /* A */
        assert_false(out[i].predicted);
        assert_true(fabs(out[i].box.h - b.box.h) < 0.1 * b.box.h);
        seen = true;
    }
    assert_true(seen);
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* As test_queue_sets_off, looking down a road: cars A (at 22 m) and B (closed up behind it) set
 * off together, one blob; A, held and found by its look, is boxed at its look's size seen from
 * where it is found — going away it shrinks (in 3 s from 22 to 33 m, to two thirds of its
 * height), where a held box keeps the size it had. */
static void test_found_look_shrinks_going_away(void **state)
{
    (void)state;
    struct cw_scene *sc = down_the_road();
    struct two_cars tc;
    struct cw_tracker *t = two_cars_tracker(sc, &tc);
    struct cw_track_out out[8];
    struct cw_detection a, b;
    int a_id = -1, n = 0;
    for (int f = 0; f < 226; f++) {
        double go = f < 150 ? 0 : (f - 150) / 25.0, on = 0.5 * 2.5 * go * go;
        a = standing(sc, 2, 22 + on, 1.8, 1.5);
        b = standing(sc, 2, fmin(8 + 0.12 * f, 16.5) + on, 1.8, 1.5);
        tc.car[0] = a.box, tc.car[1] = b.box;
        struct cw_detection d[2] = {a, b};
        int nd = 2;
        if (b.box.y < a.box.y + a.box.h + 2) { /* touching: one blob */
            d[0] = on_ground(b.box.x, a.box.y, b.box.w, b.box.y + b.box.h - a.box.y, 2, b.ground.y);
            nd = 1;
        }
        for (int i = 0; i < nd; i++)
            d[i].blob = i + 1, d[i].cls = CW_CLASS_CAR, d[i].cls_conf = 0.9f;
        n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        for (int i = 0; f == 20 && i < n; i++)
            if (out[i].box.y + out[i].box.h < b.box.y)
                a_id = out[i].id;
    }
    bool seen = false;
    for (int i = 0; i < n; i++) {
        if (out[i].id != a_id)
            continue;
        assert_true(out[i].predicted);
        assert_true(fabs(out[i].box.h - a.box.h) < 0.1 * a.box.h);
        assert_true(fabs(out[i].box.y + out[i].box.h - (a.box.y + a.box.h)) < 3);
        seen = true;
    }
    assert_true(a_id > 0 && seen);
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* A car drives away from the camera at 8 m/s. Far off, for eight frames the detector sees only
 * its lower part (the rest of it as grey as the road), then nothing for two frames, then the
 * whole car again: the box its filter foresees has shrunk to that part and hardly overlaps the
 * whole car's. It is the same car, where it stands on the ground: found again there, it keeps its
 * identity and takes the whole box's size at once. */
static void test_far_car_found_again(void **state)
{
    (void)state;
    struct cw_scene *sc = down_the_road();
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, sc);
    struct cw_track_out out[8];
    int car = -1;
    for (int f = 0; f < 60; f++) {
        double gy = 20 + 0.32 * f;
        struct cw_detection d = standing(sc, 2, gy, 1.8, 1.5);
        int nd = 1;
        if (f >= 36 && f < 44) { /* its lower part only */
            d.box.x += 0.25 * d.box.w, d.box.w *= 0.5;
            d.box.y += 0.7 * d.box.h, d.box.h *= 0.3;
        } else if (f >= 44 && f < 46)
            nd = 0;
        int n = cw_tracker_update(t, &d, nd, out, 8);
        assert_true(n >= 0);
        if (f == 39)
            car = out[0].id;
        if (f == 46) {
            assert_int_equal(n, 1);
            assert_int_equal(out[0].id, car);
            assert_true(fabs(out[0].box.h - d.box.h) < 0.05 * d.box.h); /* 14 % off without */
        }
    }
    assert_true(car > 0);
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* A car drives away from the camera at 8 m/s (a walker at 1.5), seen whole for 1.2 s; then, farther
 * off, for 0.4 s its dark rear window is taken for shadow and its sides are lost: the detector's
 * box is 30 % too low and 20 % too narrow. The track keeps the car's size as it saw it whole,
 * shrunk with the distance, and grows the box back over the part lost: down from the top where the
 * bottom was lost instead (a dark bumper). A walker losing its coat so gets its height back, up
 * from its feet, but not its width: legs apart or together, that is its own. */
static void test_far_vehicle_keeps_its_size(void **state)
{
    (void)state;
    struct cw_scene *sc = down_the_road();
    for (int k = 0; k < 3; k++) { /* a pedestrian; a car losing its top; one losing its bottom */
        bool car = k > 0;
        struct cw_tracker *t = make();
        cw_tracker_set_zones(t, sc);
        struct cw_track_out out[8];
        struct cw_detection d, whole;
        int n = 0;
        for (int f = 0; f < 40; f++) {
            double w = car ? 1.8 : 0.5, h = car ? 1.5 : 1.7;
            whole = d = standing(sc, 2, 15 + (car ? 0.32 : 0.06) * f, w, h); /* (a walk: 1.5 m/s) */
            d.cls = car ? CW_CLASS_CAR : CW_CLASS_PEDESTRIAN;
            d.cls_conf = 0.8f;
            d.width_m = (float)w;
            if (f >= 30) { /* a part, narrower */
                d.box.x += 0.1 * d.box.w, d.box.w *= 0.8;
                d.box.y += k == 2 ? 0 : 0.3 * d.box.h, d.box.h *= 0.7;
                d.width_m *= 0.8f;
            }
            n = cw_tracker_update(t, &d, 1, out, 8);
        }
        assert_int_equal(n, 1);
        const struct cw_box *o = &out[0].box, *g = &whole.box;
        if (car) { /* 30 % too low without */
            assert_true(fabs(o->y - g->y) < 0.1 * g->h);
            assert_true(fabs(o->y + o->h - g->y - g->h) < 0.1 * g->h);
            assert_true(fabs(o->w - g->w) < 0.1 * g->w);
        } else { /* 30 % too low without */
            assert_true(fabs(o->y - g->y) < 0.1 * g->h);
            assert_true(fabs(o->y + o->h - g->y - g->h) < 0.1 * g->h);
            assert_true(fabs(o->w - d.box.w) < 0.1 * d.box.w);
        }
        cw_tracker_free(t);
    }
    cw_scene_free(sc);
}

/* A far car's blob comes and goes: with coast_s 0.08 s at 25 frames/s, a track matched 15 times
 * and then missed is still reported for two frames, on its prediction and marked so, and not for
 * a third; one matched only 5 times is not reported missed; with coast_s 0 (MOTChallenge), none
 * is. */
static void test_established_track_coasts(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++) {
        struct cw_tracker_config cfg;
        cw_options_defaults(cw_tracker_options, &cfg);
        cfg.fps = 25;
        cfg.coast_s = k == 2 ? 0 : 0.08;
        struct cw_tracker *t = cw_tracker_new(&cfg);
        struct cw_track_out out[4];
        int seen = k == 1 ? 5 : 15;
        for (int f = 0; f < seen; f++) {
            struct cw_detection d = det(100 + 4 * f, 50, 20, 20, 0.9f);
            assert_int_equal(cw_tracker_update(t, &d, 1, out, 4), 1);
            assert_false(out[0].predicted);
        }
        for (int f = 0; f < 3; f++) {
            int n = cw_tracker_update(t, NULL, 0, out, 4);
            if (k == 0 && f < 2) {
                assert_int_equal(n, 1);
                assert_true(out[0].predicted);
                assert_true(fabs(out[0].box.x - (100 + 4 * (seen + f))) < 2); /* still moving */
            } else
                assert_int_equal(n, 0);
        }
        cw_tracker_free(t);
    }
}

/* At night the motion detector sees a rider's lone lamp and boxes a two-wheeler seen square over
 * it (0.7 m wide, 1.7 m high). Riding away from the camera at 5 m/s, the two-wheeler is 1.8 m
 * long ahead of its lamp: its box reaches higher in the picture than the square one. A walker's
 * lit patch, at a walk, keeps its box. */
static void test_rider_lamp_box_is_long(void **state)
{
    (void)state;
    struct cw_scene *sc = down_the_road();
    for (int walk = 0; walk <= 1; walk++) {
        struct cw_tracker *t = make();
        cw_tracker_set_zones(t, sc);
        struct cw_track_out out[8];
        struct cw_detection d;
        int n = 0;
        for (int f = 0; f < 40; f++) {
            d = standing(sc, 3, 10 + (walk ? 0.06 : 0.2) * f, 0.7, 1.7);
            d.lamp = true;
            d.cls = CW_CLASS_TWO_WHEELER;
            d.cls_conf = 0.6f;
            n = cw_tracker_update(t, &d, 1, out, 8);
        }
        assert_int_equal(n, 1);
        double bottom = out[0].box.y + out[0].box.h, want = d.box.y + d.box.h;
        assert_true(fabs(bottom - want) < 0.1 * d.box.h); /* it stands where its lamp is */
        if (walk)
            assert_true(fabs(out[0].box.h - d.box.h) < 0.1 * d.box.h);
        else
            assert_true(out[0].box.h > 1.15 * d.box.h);
        cw_tracker_free(t);
    }
    cw_scene_free(sc);
}

/* A rider rides away from the camera at 5 m/s past a car standing nearer, and for 0.8 s the
 * detector sees one blob of both. Held, the rider's box must follow its ground point: a
 * straight line in the picture runs ahead of a road user moving away (perspective slows it). */
static void test_held_box_follows_the_ground(void **state)
{
    (void)state;
    struct cw_scene *sc = down_the_road();
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, sc);
    struct cw_track_out out[8];
    int rider = -1;
    for (int f = 0; f < 80; f++) {
        double ry = 10 + 0.2 * f; /* the rider's ground y: 5 m/s away */
        struct cw_detection r = standing(sc, 2, ry, 0.7, 1.7), car = standing(sc, 3.5, 9, 1.8, 1.5);
        struct cw_detection d[2] = {r, car};
        int nd = 2;
        if (f >= 40 && f < 60) { /* one blob */
            double x0 = fmin(r.box.x, car.box.x), y0 = fmin(r.box.y, car.box.y);
            double x1 = fmax(r.box.x + r.box.w, car.box.x + car.box.w);
            double y1 = fmax(r.box.y + r.box.h, car.box.y + car.box.h);
            d[0] = on_ground(x0, y0, x1 - x0, y1 - y0, car.ground.x, car.ground.y);
            nd = 1;
        }
        int n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++) {
            bool is_rider = out[i].box.y + out[i].box.h < r.box.y + r.box.h + 30 &&
                            fabs(out[i].box.x + out[i].box.w / 2 - (r.box.x + r.box.w / 2)) <
                                fabs(out[i].box.x + out[i].box.w / 2 - (car.box.x + car.box.w / 2));
            if (!is_rider)
                continue;
            if (f == 30)
                rider = out[i].id;
            if (f == 58) { /* held 18 frames: its foot within 0.3 m of the truth on the ground */
                struct cw_point foot = {out[i].box.x + out[i].box.w / 2,
                                        out[i].box.y + out[i].box.h},
                                g;
                assert_true(out[i].predicted);
                assert_true(cw_homography_apply(&sc->img_to_ground, foot, &g));
                assert_true(fabs(g.y - ry) < 0.3);
            }
            if (f == 79)
                assert_int_equal(out[i].id, rider);
        }
    }
    assert_true(rider > 0);
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* As test_held_box_follows_the_ground, but held for two seconds: past the first, the box goes
 * on along the picture's straight line — and still looks smaller as the rider rides away, so
 * that it matches the rider when it comes out of the merge (a box kept at the size it had went
 * on overlapping the rider too little to be matched, and the rider became a new track). */
static void test_held_box_shrinks_going_away(void **state)
{
    (void)state;
    struct cw_scene *sc = down_the_road();
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, sc);
    struct cw_track_out out[8];
    struct cw_detection r;
    int n = 0;
    for (int f = 0; f < 90; f++) {
        double ry = 10 + 0.2 * f; /* the rider's ground y: 5 m/s away */
        r = standing(sc, 2, ry, 0.7, 1.7);
        struct cw_detection car = standing(sc, 3.5, 9, 1.8, 1.5), d[2] = {r, car};
        int nd = 2;
        if (f >= 40) { /* one blob from here on */
            double x0 = fmin(r.box.x, car.box.x), y0 = fmin(r.box.y, car.box.y);
            double x1 = fmax(r.box.x + r.box.w, car.box.x + car.box.w);
            double y1 = fmax(r.box.y + r.box.h, car.box.y + car.box.h);
            d[0] = on_ground(x0, y0, x1 - x0, y1 - y0, car.ground.x, car.ground.y);
            nd = 1;
        }
        n = cw_tracker_update(t, d, nd, out, 8);
        assert_true(n >= 0);
    }
    bool seen = false;
    for (int i = 0; i < n; i++)
        if (out[i].predicted && out[i].box.y + out[i].box.h < r.box.y + r.box.h + 40) {
            /* held 50 frames: within 12 % (kept at its size, 19 % too tall) */
            assert_true(fabs(out[i].box.h - r.box.h) < 0.12 * r.box.h);
            seen = true;
        }
    assert_true(seen);
    cw_tracker_free(t);
    cw_scene_free(sc);
}

/* Placing detections on the ground (detection.h), in a top view: the foot point, the width there
 * and the foot's uncertainty; a box cut off by the picture's bottom has no foot, but the width
 * measured at the edge still bounds its class (a car entering the picture is not "unknown"). */
static void test_detection_locate(void **state)
{
    (void)state;
    struct cw_scene *sc = top_view();
    struct cw_detection d = det(100, 500, 20, 40, 0.9f);
    cw_detection_locate(&d, sc, 3, 1000);
    assert_true(d.has_ground);
    assert_float_equal(d.ground.x, 11, 1e-9);
    assert_float_equal(d.ground.y, 54, 1e-9);
    assert_float_equal(d.width_m, 2, 1e-6);
    assert_float_equal(d.ground_sigma_m, 0.3, 1e-6);
    struct cw_detection cut = det(100, 900, 18, 99, 0.9f); /* its bottom on the picture's edge */
    cw_detection_locate(&cut, sc, 3, 1000);
    assert_false(cut.has_ground);
    assert_float_equal(cut.width_m, 1.8, 1e-6);
    cw_scene_free(sc);
}

/* The class a lone track ends with after @frames "pedestrian" detections, one a frame: a box
 * @w wide at x 300 whose top moves from @y0 by @dy a frame and whose height grows from @h0 by
 * @dh, its foot on the ground from y @gy0 by @dgy m a frame. */
static int walker_class(double y0, double dy, double w, double h0, double dh, double gy0,
                        double dgy, int frames)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[8] = {{0}};
    int n = 0;
    for (int f = 0; f < frames; f++) {
        struct cw_detection d = on_ground(300, y0 + dy * f, w, h0 + dh * f, 3, gy0 + dgy * f);
        d.cls = CW_CLASS_PEDESTRIAN;
        d.cls_conf = 0.9f;
        n = cw_tracker_update(t, &d, 1, out, 8);
    }
    assert_int_equal(n, 1);
    int cls = out[0].cls;
    cw_tracker_free(t);
    return cls;
}

/* Seen from behind, a rider is as narrow and tall as a walker: at 6 m/s it is voted a
 * two-wheeler. */
static void test_fast_pedestrian_is_a_rider(void **state)
{
    (void)state;
    assert_int_equal(walker_class(400, -3, 25, 70, 0, 10, 0.24, 40), CW_CLASS_TWO_WHEELER);
    /* at walking pace it stays a pedestrian */
    assert_int_equal(walker_class(400, -1, 25, 70, 0, 10, 0.06, 40), CW_CLASS_PEDESTRIAN);
}

/* A rider comes in at the picture's right side: cut off there, the first views are as narrow as
 * someone on foot. Cut-off views do not vote; until it is seen whole the track's class is its
 * largest view's, and then the whole views decide, however few. */
static void test_cut_off_views_do_not_vote(void **state)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[8];
    int n = 0;
    (void)state;
    for (int f = 0; f < 12; f++) {
        double w = 20 + 6 * f; /* 20 .. 86 px of it in the picture */
        struct cw_detection d = on_ground(1280 - w, 300, w, 100, 12.8 - w / 200, 3);
        d.cut_off = true;
        d.cls = w < 60 ? CW_CLASS_PEDESTRIAN : CW_CLASS_TWO_WHEELER;
        d.cls_conf = 0.5f;
        n = cw_tracker_update(t, &d, 1, out, 8);
    }
    assert_int_equal(n, 1);
    assert_int_equal(out[0].cls, CW_CLASS_TWO_WHEELER);
    for (int f = 0; f < 3; f++) { /* whole at last (and taken for a car here) */
        struct cw_detection d = on_ground(1180 - 4 * f, 300, 90, 100, 12.3 - 0.04 * f, 3);
        d.cls = CW_CLASS_CAR;
        d.cls_conf = 0.5f;
        n = cw_tracker_update(t, &d, 1, out, 8);
    }
    assert_int_equal(n, 1);
    assert_int_equal(out[0].cls, CW_CLASS_CAR);
    cw_tracker_free(t);
}

/* A far pedestrian the model had half taken in at start-up shows more of itself each frame: its
 * box grows down while its top stands, and its foot runs over the ground at 6 m/s. That is no
 * rider: the box only grows. */
static void test_growing_pedestrian_is_no_rider(void **state)
{
    (void)state;
    assert_int_equal(walker_class(200, 0, 10, 20, 1, 20, 0.24, 20), CW_CLASS_PEDESTRIAN);
}

/* At night a lone lamp is taken for a two-wheeler's; one moving at a walk (1.5 m/s here) is a
 * lit patch of someone on foot. By day, a far walker of whom the detector sees only a part as
 * wide as high has a two-wheeler's size; at a walk it too is someone on foot. What rides (6 m/s)
 * or waits stays a two-wheeler, lamp or not. */
static void test_walking_lamp_is_a_pedestrian(void **state)
{
    (void)state;
    const double mps[3] = {1.5, 6, 0};
    const int want[3] = {CW_CLASS_PEDESTRIAN, CW_CLASS_TWO_WHEELER, CW_CLASS_TWO_WHEELER};
    for (int k = 0; k < 6; k++) {
        struct cw_tracker *t = make();
        struct cw_track_out out[8];
        int n = 0;
        for (int f = 0; f < 40; f++) {
            double gy = 10 + mps[k % 3] / 25 * f; /* ground = picture / 10 in y here */
            struct cw_detection d = on_ground(300, gy * 10 - 70, 25, 70, 3, gy);
            d.cls = CW_CLASS_TWO_WHEELER;
            d.cls_conf = 0.6f;
            d.lamp = k < 3;
            n = cw_tracker_update(t, &d, 1, out, 8);
        }
        assert_int_equal(n, 1);
        assert_int_equal(out[0].cls, want[k % 3]);
        cw_tracker_free(t);
    }
}

/* A rider crosses a waiting area 4 m deep at 2.5 m/s: 1.6 s inside. One image pixel is 1 cm on the
 * ground here, so the image and ground placements must agree. */
static void ride_through_zone(bool ground)
{
    static const char scene_json[] =
        "{\"version\": 1, \"site\": {\"id\": \"t\"},"
        " \"camera\": {\"id\": \"c\", \"width\": 1920, \"height\": 1080},"
        " \"ground\": {\"image_to_ground\": [0.01, 0, 0, 0, 0.01, 0, 0, 0, 1]},"
        " \"zones\": [{\"id\": \"far\", \"kind\": \"crosswalk\","
        "              \"polygon\": [[1500, 100], [1800, 100], [1800, 400], [1500, 400]]},"
        "             {\"id\": \"wait\", \"kind\": \"waiting_area\","
        "              \"polygon\": [[200, 100], [600, 100], [600, 500], [200, 500]]}]}";
    struct cw_scene *scene;
    struct cw_track_out out[8];
    double stay, total;
    assert_int_equal(cw_scene_parse(scene_json, strlen(scene_json), "zones.json", &scene), 0);
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, scene);
    for (int f = 0; f < 70; f++) {
        double gy = 0.1 * f; /* metres; the foot point is at image y = 100 gy */
        struct cw_detection d = det(285, 100 * gy - 60, 30, 60, 0.9f);
        if (ground) {
            d.has_ground = true;
            d.ground = (struct cw_point){3.0, gy};
            d.ground_sigma_m = 0.05f;
        }
        int n = cw_tracker_update(t, &d, 1, out, 8);
        assert_true(n <= 1);
        if (f == 30) { /* 3 m: inside since 1 m, 0.8 s ago */
            assert_int_equal(n, 1);
            assert_true(out[0].zones == 2u);
            assert_true(cw_tracker_zone_time(t, out[0].id, 1, &stay, &total));
            assert_true(fabs(stay - 0.8) <= 0.12 && fabs(total - stay) < 1e-9);
            assert_true(cw_tracker_zone_time(t, out[0].id, 0, &stay, &total));
            assert_true(stay == 0 && total == 0);
        }
    }
    assert_true(out[0].zones == 0); /* 6.9 m: out again */
    assert_true(cw_tracker_zone_time(t, out[0].id, 1, &stay, &total));
    assert_true(stay == 0 && fabs(total - 1.6) <= 0.12);
    assert_false(cw_tracker_zone_time(t, out[0].id, 2, &stay, &total)); /* no such zone */
    assert_false(cw_tracker_zone_time(t, 999, 1, &stay, &total));       /* no such track */
    cw_tracker_free(t);
    cw_scene_free(scene);
}

static void test_time_in_zones(void **state)
{
    (void)state;
    ride_through_zone(true);
    ride_through_zone(false);
}

static void test_bad_and_excessive_input(void **state)
{
    struct cw_tracker *t;
    struct cw_tracker_config cfg;
    struct cw_track_out out[64];
    struct log_capture c;
    static struct cw_detection many[5000];
    (void)state;
    cw_options_defaults(cw_tracker_options, &cfg);
    cfg.max_detections = 50;
    t = cw_tracker_new(&cfg);
    struct cw_detection bad[4] = {det(NAN, 10, 10, 10, 0.9f), det(10, 10, -5, 10, 0.9f),
                                  det(10, 10, 10, INFINITY, 0.9f), det(10, 10, 10, 0, 0.9f)};
    capture_start(&c);
    assert_int_equal(cw_tracker_update(t, bad, 4, out, 64), 0);
    assert_int_equal(cw_tracker_bad_detections(t), 4);
    /* a lens covered by snow: thousands of blobs, bounded work, a warning */
    for (int i = 0; i < 5000; i++)
        many[i] = det((i % 100) * 19.0, (i / 100) * 21.0, 15, 15, 0.7f + (i % 7) * 0.04f);
    for (int f = 0; f < 3; f++)
        assert_true(cw_tracker_update(t, many, 5000, out, 64) >= 0);
    capture_stop();
    assert_int_equal(cw_tracker_excess_detections(t), 3 * 4950);
    assert_logged(&c, "5000 detections; using the 50 best");
    assert_logged(&c, "ignoring detections with a non-finite or empty box");
    cw_tracker_free(t);
    /* a bad configuration */
    cfg.low_score = 0.9;
    cfg.high_score = 0.5;
    capture_start(&c);
    assert_null(cw_tracker_new(&cfg));
    capture_stop();
    assert_logged(&c, "tracker: bad configuration");
}

/* A detection whose bottom a nearer road user hides (the splitter's upper pieces) keeps a track
 * going — matched on what shows, its bottom left where the track has it — but never starts one. */
static void test_hidden_bottoms(void **state)
{
    struct cw_tracker *t = make();
    struct cw_track_out out[8];
    (void)state;
    /* a walker, seen whole for 20 frames, then only its top 40 % for 20 */
    int id = -1;
    for (int f = 0; f < 40; f++) {
        struct cw_detection d = det(100 + 2 * f, 200, 40, 100, 0.95f);
        if (f >= 20) {
            d.box.h = 40;
            d.bottom_hidden = true;
        }
        int n = cw_tracker_update(t, &d, 1, out, 8);
        assert_int_equal(n, 1);
        if (id < 0)
            id = out[0].id;
        assert_int_equal(out[0].id, id);
        /* the box keeps the walker's height: its feet are behind something, not gone */
        assert_true(out[0].box.h > 90);
        assert_true(fabs(out[0].box.x - (100 + 2 * f)) < 6);
    }
    cw_tracker_free(t);
    /* alone, such pieces never make a track */
    t = make();
    for (int f = 0; f < 20; f++) {
        struct cw_detection d = det(300, 100, 30, 30, 0.95f);
        d.bottom_hidden = true;
        assert_int_equal(cw_tracker_update(t, &d, 1, out, 8), 0);
    }
    cw_tracker_free(t);
}

/* A rider rides up the road at 5 m/s and stops; from where it stops only its upper part shows
 * (a car beside it hides its bike: pieces whose bottom is hidden). The ground follows the box it
 * is matched on: it stands where it stopped. (It used to run on at 5 m/s unmeasured, 8 m in the
 * 40 frames, and took a rider waiting at the line into the junction: a red light run.) */
static void test_hidden_bottom_stands_on_the_ground(void **state)
{
    (void)state;
    struct cw_scene *sc = down_the_road();
    struct cw_tracker *t = make();
    cw_tracker_set_zones(t, sc);
    struct cw_track_out out[8];
    double stop = 10 + 0.2 * 30;
    for (int f = 0; f < 70; f++) {
        struct cw_detection r = standing(sc, 2, f < 30 ? 10 + 0.2 * f : stop, 0.7, 1.7);
        if (f >= 30) {
            r.box.h *= 0.5;
            r.bottom_hidden = true;
            r.has_ground = false;
        }
        int n = cw_tracker_update(t, &r, 1, out, 8);
        assert_int_equal(n, 1);
        assert_true(out[0].has_ground);
        /* the box's own filter carries it on a little as it stops; then it stands where it
         * stopped */
        assert_true(out[0].ground.y < stop + 1.5);
        if (f == 69)
            assert_true(fabs(out[0].ground.y - stop) < 0.5 && out[0].speed < 0.5);
    }
    cw_tracker_free(t);
    cw_scene_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_walker_keeps_its_id),
        cmocka_unit_test(test_entering_box_keeps_its_width),
        cmocka_unit_test(test_crossing_paths),
        cmocka_unit_test(test_weak_detections_keep_tracks),
        cmocka_unit_test(test_tentative_tracks),
        cmocka_unit_test(test_ground_plane),
        cmocka_unit_test(test_attribute_votes),
        cmocka_unit_test(test_time_in_zones),
        cmocka_unit_test(test_merged_road_users),
        cmocka_unit_test(test_queue_at_the_red),
        cmocka_unit_test(test_queue_sets_off),
        cmocka_unit_test(test_found_look_shrinks_going_away),
        cmocka_unit_test(test_held_car_stops),
        cmocka_unit_test(test_entering_bus_holds_the_car),
        cmocka_unit_test(test_held_box_follows_the_ground),
        cmocka_unit_test(test_detection_locate),
        cmocka_unit_test(test_hidden_bottoms),
        cmocka_unit_test(test_hidden_bottom_stands_on_the_ground),
        cmocka_unit_test(test_fast_pedestrian_is_a_rider),
        cmocka_unit_test(test_walking_lamp_is_a_pedestrian),
        cmocka_unit_test(test_growing_pedestrian_is_no_rider),
        cmocka_unit_test(test_rider_sets_off_while_held),
        cmocka_unit_test(test_found_rider_stops),
        cmocka_unit_test(test_found_road_user_stays_held),
        cmocka_unit_test(test_entering_box_leaves_what_rides_above),
        cmocka_unit_test(test_cut_off_views_do_not_vote),
        cmocka_unit_test(test_bus_behind_the_car_hides_it),
        cmocka_unit_test(test_nearest_shrinks_going_away),
        cmocka_unit_test(test_far_car_found_again),
        cmocka_unit_test(test_far_vehicle_keeps_its_size),
        cmocka_unit_test(test_established_track_coasts),
        cmocka_unit_test(test_rider_lamp_box_is_long),
        cmocka_unit_test(test_merge_follows_the_pixels),
        cmocka_unit_test(test_bus_comes_in_behind_the_queue),
        cmocka_unit_test(test_car_comes_in_under_a_long_queue),
        cmocka_unit_test(test_standing_nearest_stays_put),
        cmocka_unit_test(test_held_box_shrinks_going_away),
        cmocka_unit_test(test_bad_and_excessive_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
