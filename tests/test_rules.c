/* The rules on hand-made tracks (no video): a stop line across two lanes with a vehicle head and
 * a crosswalk with a pedestrian head, signal states set by controller messages. Crossing on red
 * is one event dated at the crossing; a foot point flickering on the line counts once; waiting
 * at red and going on green is a compliant passage; turning right on red is allowed; a
 * pedestrian stepping onto the crosswalk on red is an event, on green after waiting compliant. */
#include <math.h>

#include "crosswatch/detection.h"
#include "crosswatch/light.h"
#include "crosswatch/rules.h"
#include "crosswatch/scene.h"
#include "crosswatch/signals.h"
#include "helpers.h"

/* Ground = image / 10 (a top view): lanes x 10..17 m going +y, stop line at y 20 m, crosswalk
 * y 22..26 m over x 5..22 m. */
static const char *scene_json =
    "{\"version\": 1, \"site\": {\"id\": \"s1\"}, \"camera\": {\"id\": \"c1\", \"width\": 1000, "
    "\"height\": 1000}, \"ground\": {\"image_to_ground\": [0.1, 0, 0, 0, 0.1, 0, 0, 0, 1]},"
    "\"signals\": [{\"id\": \"veh\", \"kind\": \"vehicle\", \"external_id\": \"v\"},"
    "              {\"id\": \"ped\", \"kind\": \"pedestrian\", \"external_id\": \"p\"}],"
    "\"lines\": [{\"id\": \"stop\", \"kind\": \"stop_line\", \"points\": [[100, 200], [170, 200]], "
    "\"toward\": [135, 300]}],"
    "\"zones\": [{\"id\": \"walk\", \"kind\": \"crosswalk\", \"polygon\": [[50, 220], [220, 220], "
    "[220, 260], [50, 260]]}],"
    "\"lanes\": [{\"id\": \"l1\", \"kind\": \"motor\", \"stop_line\": \"stop\", \"signal\": "
    "\"veh\", "
    "\"polygon\": [[100, 0], [135, 0], [135, 200], [100, 200]], \"direction\": [[117, 50], [117, "
    "150]]},"
    "{\"id\": \"l2\", \"kind\": \"motor\", \"stop_line\": \"stop\", \"signal\": \"veh\", "
    "\"polygon\": [[135, 0], [170, 0], [170, 200], [135, 200]], \"direction\": [[152, 50], [152, "
    "150]]}],"
    "\"rules\": {\"red_light\": {\"grace_s\": 0.5}, \"pedestrian_red\": {\"grace_s\": 1},"
    "\"wrong_way\": {\"min_distance_m\": 5}, \"stop_past_line\": {\"min_duration_s\": 2, "
    "\"past_m\": 0.5}, \"fail_to_yield\": {\"conflict_distance_m\": 3}, \"motor_lane\": "
    "{\"min_duration_s\": 3, "
    "\"min_distance_m\": 10}, \"speeding\": {\"limit_kmh\": 50, \"two_wheeler_limit_kmh\": 25, "
    "\"tolerance_pct\": 10, \"min_distance_m\": 10}}}";

static struct cw_scene *scene;

static int setup(void **state)
{
    (void)state;
    return cw_scene_parse(scene_json, strlen(scene_json), "rules.json", &scene);
}

static int teardown(void **state)
{
    (void)state;
    cw_scene_free(scene);
    return 0;
}

struct world {
    struct cw_signals *sig;
    struct cw_rules *rules;
    struct cw_event ev[64];
    int nev;
    int npass;
};

static void world_init_on(struct world *w, const struct cw_scene *sc)
{
    struct cw_signals_config c;
    cw_options_defaults(cw_signals_options, &c);
    memset(w, 0, sizeof(*w));
    w->sig = cw_signals_new(sc, &c);
    w->rules = cw_rules_new(sc, sc->site.id, sc->camera.id);
    assert_non_null(w->sig);
    assert_non_null(w->rules);
}

static void world_init(struct world *w)
{
    world_init_on(w, scene);
}

static void world_free(struct world *w)
{
    cw_rules_free(w->rules);
    cw_signals_free(w->sig);
}

static void set(struct world *w, const char *head, const char *state, double t)
{
    char m[128];
    int n = snprintf(m, sizeof(m), "{\"phase\": \"%s\", \"state\": \"%s\"}", head, state);
    assert_int_equal(cw_signals_message(w->sig, m, (size_t)n, (int64_t)(t * 1e9)), 0);
}

static struct cw_track_out track(int id, int cls, double x, double y)
{
    struct cw_track_out t = {0};
    t.id = id;
    t.cls = cls;
    t.cls_conf = 0.9f;
    t.score = 0.9f;
    t.has_ground = true;
    t.ground = (struct cw_point){x, y};
    double w = cls == CW_CLASS_PEDESTRIAN || cls == CW_CLASS_TWO_WHEELER ? 8 : 20; /* 0.8, 2 m */
    t.box = (struct cw_box){x * 10 - w / 2, y * 10 - 40, w, 40};
    t.speed = 5;
    return t;
}

/* One frame at 25 fps. */
static void step(struct world *w, int frame, const struct cw_track_out *t, int n)
{
    struct cw_passage p[16];
    int np;
    double ts = frame / 25.0;
    struct cw_rule_input in = {t,    n, w->sig, (int64_t)(ts * 1e9), 1764400000000 + frame * 40,
                               frame};
    int k = cw_rules_process(w->rules, &in, w->ev + w->nev, 64 - w->nev, p, 16, &np);
    w->nev += k;
    w->npass += np;
}

static void test_red_light(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    set(&w, "v", "red", 0);
    /* a car at 5 m/s from y = 10 up to y = 40, crossing the line (y = 20) at frame 50 */
    for (int f = 0; f <= 150; f++) {
        struct cw_track_out t = track(7, CW_CLASS_CAR, 12, 10 + f * 0.2);
        step(&w, f, &t, 1);
    }
    assert_int_equal(w.nev, 1);
    assert_string_equal(w.ev[0].rule, "red_light");
    assert_int_equal(w.ev[0].track, 7);
    /* dated at the crossing: past the 0.3 m band at frame 52 */
    assert_true(w.ev[0].frame >= 50 && w.ev[0].frame <= 53);
    assert_int_equal(w.ev[0].signal_state, CW_LIGHT_RED);
    assert_string_equal(w.ev[0].site, "s1");
    int64_t v, c;
    cw_rules_counts(w.rules, CW_RULE_RED_LIGHT, &v, &c);
    assert_int_equal(v, 1);
    world_free(&w);
}

/* What the rules ask evidence to keep (cw_rules_interest): pictures now and then while a car
 * nears the line on red, the frame it crosses in, and nothing once it is well past (it might
 * still stop just past the line) or on green. */
static void test_picture_interest(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    set(&w, "v", "red", 0);
    int watched = 0, kept = -1, after = 0;
    for (int f = 0; f <= 150; f++) {
        struct cw_track_out t = track(7, CW_CLASS_CAR, 12, 10 + f * 0.2);
        step(&w, f, &t, 1);
        unsigned in = cw_rules_interest(w.rules).flags;
        if (f < 50)
            watched += (in & CW_RULES_WATCH) != 0;
        if (in & CW_RULES_KEEP) {
            assert_int_equal(kept, -1); /* once, held until the car can be in the junction */
            assert_true(cw_rules_interest(w.rules).keep_s >= 4);
            kept = f;
        }
        if (f > 110) /* 12 m past the line: too far to be stopping past it */
            after += in != 0;
    }
    assert_int_equal(w.nev, 1);
    assert_int_equal(watched, 50);
    assert_int_equal(kept, (int)w.ev[0].frame);
    assert_int_equal(after, 0);
    world_free(&w);
    world_init(&w);
    set(&w, "v", "green", 0);
    for (int f = 0; f <= 150; f++) {
        struct cw_track_out t = track(7, CW_CLASS_CAR, 12, 10 + f * 0.2);
        step(&w, f, &t, 1);
        assert_int_equal(cw_rules_interest(w.rules).flags, 0);
    }
    world_free(&w);
}

/* Positions the tracker only predicted (a road user held inside another's blob) are not judged:
 * a car that stopped at the line while hidden does not drive through it on its prediction, and
 * one seen again past the line is dated where its path between the sightings crossed it. */
static void test_predicted_positions(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    set(&w, "v", "red", 0);
    for (int f = 0; f <= 150; f++) {
        double y = 10 + f * 0.2; /* crosses the line (y = 20) at frame 50 */
        struct cw_track_out t = track(7, CW_CLASS_CAR, 12, y);
        t.predicted = f >= 45 && f < 80;
        if (t.predicted)
            t.ground.y = 30; /* the prediction may be anywhere */
        step(&w, f, &t, 1);
    }
    assert_int_equal(w.nev, 1);
    assert_true(w.ev[0].frame >= 48 && w.ev[0].frame <= 52);
    world_free(&w);
    world_init(&w);
    set(&w, "v", "red", 0);
    for (int f = 0; f <= 150; f++) {
        double y = fmin(10 + f * 0.2, 19.5); /* stops half a metre before the line */
        struct cw_track_out t = track(8, CW_CLASS_CAR, 12, y);
        t.predicted = f >= 40 && f < 80;
        if (t.predicted)
            t.ground.y = 10 + f * 0.2; /* its prediction drives on */
        step(&w, f, &t, 1);
    }
    assert_int_equal(w.nev, 0);
    world_free(&w);
}

static void test_flicker_counts_once_and_grace(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    set(&w, "v", "red", 0);
    int f = 0;
    /* a foot point dancing on the line for 4 s, then going on */
    for (; f < 100; f++) {
        struct cw_track_out t = track(3, CW_CLASS_TWO_WHEELER, 12, 18 + (f % 2 ? 2.4 : 0));
        step(&w, f, &t, 1);
    }
    for (int k = 0; k < 100; k++, f++) {
        struct cw_track_out t = track(3, CW_CLASS_TWO_WHEELER, 12, 20.4 + k * 0.2);
        step(&w, f, &t, 1);
    }
    assert_int_equal(w.nev, 1);
    world_free(&w);
    /* crossing 0.2 s after red: inside the grace period, not a violation */
    world_init(&w);
    set(&w, "v", "green", 0);
    set(&w, "v", "red", 1.9);
    for (f = 0; f < 150; f++) {
        struct cw_track_out t = track(4, CW_CLASS_CAR, 12, 10 + f * 0.2);
        step(&w, f, &t, 1);
    }
    assert_int_equal(w.nev, 0);
    world_free(&w);
}

static void test_waiting_then_green_is_compliant(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    set(&w, "v", "red", 0);
    for (int f = 0; f < 300; f++) {
        if (f == 100)
            set(&w, "v", "green", f / 25.0);
        double y = f < 100 ? 18 : 18 + (f - 100) * 0.2;
        struct cw_track_out t = track(5, CW_CLASS_CAR, 12, y);
        step(&w, f, &t, 1);
    }
    assert_int_equal(w.nev, 0);
    int64_t v, c;
    cw_rules_counts(w.rules, CW_RULE_RED_LIGHT, &v, &c);
    assert_int_equal(v, 0);
    assert_int_equal(c, 1);
    assert_int_equal(w.npass, 2); /* and stop_past_line counts the stop behind the line */
    world_free(&w);
}

static void test_right_turn_on_red(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    set(&w, "v", "red", 0);
    /* up the lane, over the line, then off to the right (+x) */
    for (int f = 0; f < 200; f++) {
        double y = fmin(10 + f * 0.2, 23), x = 16 + (f > 65 ? (f - 65) * 0.2 : 0);
        struct cw_track_out t = track(8, CW_CLASS_CAR, x, y);
        step(&w, f, &t, 1);
    }
    assert_int_equal(w.nev, 0);
    world_free(&w);
    /* a wide right turn: straight on past the crosswalk, then an arc of 12 m radius that is still
     * less than TURN_M to the right when it is 4 m into the junction; its heading says it turns */
    world_init(&w);
    set(&w, "v", "red", 0);
    double s_m = 0;
    for (int f = 0; f < 200; f++, s_m += 0.2) {
        double a = s_m > 14 ? fmin((s_m - 14) / 12, M_PI / 2) : 0;
        struct cw_track_out t =
            track(9, CW_CLASS_CAR, 16 + 12 * (1 - cos(a)), s_m > 14 ? 24 + 12 * sin(a) : 10 + s_m);
        t.vel = (struct cw_point){5 * sin(a), 5 * cos(a)};
        if (a >= M_PI / 2) /* along the cross road */
            t.ground = (struct cw_point){28 + (s_m - 14 - 12 * M_PI / 2), 36};
        step(&w, f, &t, 1);
    }
    assert_int_equal(w.nev, 0);
    world_free(&w);
}

static void test_pedestrian_red(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    set(&w, "p", "red", 0);
    /* one walks onto the crosswalk (y 22..26) from the kerb at y = 20 on red (after the 1 s grace:
     * at 1.6 s), at x = 8 */
    for (int f = 0; f < 100; f++) {
        struct cw_track_out t[2] = {track(11, CW_CLASS_PEDESTRIAN, 8, fmin(20 + f * 0.05, 25)),
                                    track(12, CW_CLASS_PEDESTRIAN, 6, 21)};
        step(&w, f, t, 2);
    }
    assert_int_equal(w.nev, 1);
    assert_string_equal(w.ev[0].rule, "pedestrian_red");
    assert_int_equal(w.ev[0].track, 11);
    /* the other waited; on green it goes: compliant */
    set(&w, "p", "green", 4);
    for (int f = 100; f < 200; f++) {
        struct cw_track_out t = track(12, CW_CLASS_PEDESTRIAN, 6, fmin(21 + (f - 100) * 0.05, 25));
        step(&w, f, &t, 1);
    }
    assert_int_equal(w.nev, 1);
    int64_t v, c;
    cw_rules_counts(w.rules, CW_RULE_PEDESTRIAN_RED, &v, &c);
    assert_int_equal(v, 1);
    assert_int_equal(c, 1);
    world_free(&w);
}

/* A walker on the kerb (y = 20) is held unseen in a crowd's blob (predicted) for 4 s, in which
 * it steps onto the crosswalk (y 22..26) on green; the light turns red; it is seen again on the
 * crosswalk. Its step onto it was not seen: no violation (which side it is on is forgotten after
 * a second unseen). Unseen for half a second at red, in which it steps on, it is one. */
static void test_pedestrian_red_unseen_step(void **state)
{
    (void)state;
    for (int brief = 0; brief < 2; brief++) {
        struct world w;
        world_init(&w);
        set(&w, "p", "green", 0);
        int red = brief ? 60 : 100, from = brief ? 100 : 50, to = brief ? 112 : 150;
        for (int f = 0; f < 200; f++) {
            if (f == red)
                set(&w, "p", "red", f / 25.0);
            double on = brief ? 100 : 70; /* it sets off from the kerb, 0.25 m a frame */
            struct cw_track_out t =
                track(11, CW_CLASS_PEDESTRIAN, 8, f < on ? 20 : fmin(20 + (f - on) * 0.25, 25));
            t.predicted = f >= from && f < to;
            step(&w, f, &t, 1);
        }
        assert_int_equal(w.nev, brief);
        world_free(&w);
    }
}

static void test_no_signal_no_red_events(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    for (int f = 0; f < 150; f++) {
        struct cw_track_out t = track(7, CW_CLASS_CAR, 12, 10 + f * 0.2);
        step(&w, f, &t, 1);
    }
    assert_int_equal(w.nev, 0);
    assert_string_equal(cw_rules_name(CW_RULE_RED_LIGHT), "red_light");
    world_free(&w);
}

/* Moves track @id from (x, y0) along y at @v m/s for @n frames, with the tracker's speed. */
static void drive(struct world *w, int id, int cls, double x, double y0, double v, int f0, int n)
{
    for (int f = f0; f < f0 + n; f++) {
        struct cw_track_out t = track(id, cls, x, y0 + (f - f0) * v / 25);
        t.speed = (float)fabs(v);
        t.vel = (struct cw_point){0, v};
        step(w, f, &t, 1);
    }
}

static int count_rule(const struct world *w, const char *rule)
{
    int n = 0;
    for (int i = 0; i < w->nev; i++)
        n += !strcmp(w->ev[i].rule, rule);
    return n;
}

static void test_wrong_way(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    /* against the lane's arrow (+y) for 8 m: one event; the right way: compliant */
    drive(&w, 21, CW_CLASS_CAR, 12, 18, -4, 0, 50);
    drive(&w, 22, CW_CLASS_CAR, 15, 2, 4, 50, 50);
    assert_int_equal(count_rule(&w, "wrong_way"), 1);
    int64_t v, c;
    cw_rules_counts(w.rules, CW_RULE_WRONG_WAY, &v, &c);
    assert_int_equal(v, 1);
    assert_int_equal(c, 1);
    /* 3 m against, then back the right way: below the distance, nothing */
    drive(&w, 23, CW_CLASS_CAR, 12, 15, -3, 100, 25);
    drive(&w, 23, CW_CLASS_CAR, 12, 12, 3, 125, 25);
    assert_int_equal(count_rule(&w, "wrong_way"), 1);
    /* waiting in a queue, held in a merged blob for 5 s, then measured again 10 m back (on
     * another's blob): no travel was seen, nothing */
    drive(&w, 24, CW_CLASS_CAR, 12, 18, 0, 150, 25);
    for (int f = 175; f < 300; f++) {
        struct cw_track_out t = track(24, CW_CLASS_CAR, 12, 18);
        t.predicted = true;
        step(&w, f, &t, 1);
    }
    drive(&w, 24, CW_CLASS_CAR, 12, 8, 0, 300, 25);
    assert_int_equal(count_rule(&w, "wrong_way"), 1);
    world_free(&w);
}

static void test_two_wheeler_in_the_motor_lane(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    /* an e-bike at 5 m/s (18 km/h) up a motor lane for 3.2 s: one event */
    drive(&w, 31, CW_CLASS_TWO_WHEELER, 12, 1, 5, 0, 80);
    assert_int_equal(count_rule(&w, "motor_lane"), 1);
    /* a motorcycle at 12 m/s (43 km/h) in the same lane: a motorcycle belongs there */
    drive(&w, 32, CW_CLASS_TWO_WHEELER, 15, 1, 12, 80, 40);
    /* a car: not judged */
    drive(&w, 33, CW_CLASS_CAR, 12, 1, 5, 120, 80);
    assert_int_equal(count_rule(&w, "motor_lane"), 1);
    /* a slow e-bike seen for 1.2 s, then only predicted for 2 s (held in a merge), then seen
     * again: a stay is what was seen, so it starts again and is a violation only once seen for
     * 3 s more */
    for (int f = 200; f < 400; f++) {
        struct cw_track_out t = track(34, CW_CLASS_TWO_WHEELER, 12, 2 + (f - 200) * 0.02);
        t.speed = 0.5f;
        t.vel = (struct cw_point){0, 0.5};
        t.predicted = f >= 230 && f < 280;
        step(&w, f, &t, 1);
        if (f == 330) /* 4.2 s after it was first seen, 2 s of them unseen */
            assert_int_equal(count_rule(&w, "motor_lane"), 1);
    }
    assert_int_equal(count_rule(&w, "motor_lane"), 2);
    /* a piece of a car, voted two-wheeler while it was small, grown into the whole car (2 m
     * wide) as it stands in the lane: no two-wheeler's stay */
    for (int f = 400; f < 600; f++) {
        struct cw_track_out t = track(35, CW_CLASS_TWO_WHEELER, 12, 15);
        t.speed = 0;
        if (f >= 420)
            t.box.x -= 6, t.box.w = 20;
        step(&w, f, &t, 1);
    }
    assert_int_equal(count_rule(&w, "motor_lane"), 2);
    for (int i = 0; i < w.nev; i++)
        if (!strcmp(w.ev[i].rule, "motor_lane") && w.ev[i].track == 34)
            assert_int_equal(w.ev[i].frame, 280); /* dated where the seen stay began */
    world_free(&w);
}

static struct cw_track_out rider(int id, int cls, double y, int attr, int value, int seen,
                                 float share)
{
    struct cw_track_out t = track(id, cls, 20, y);
    t.attr[attr] = (int8_t)value;
    t.attr_seen[attr] = (uint16_t)seen;
    t.attr_share[attr] = share;
    return t;
}

/* The attribute rules judge each two-wheeler once, when enough of its detections agree. */
static void test_attribute_rules(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    int64_t v, c;
    for (int f = 0; f < 10; f++) {
        /* 41: no helmet, said by f + 1 detections, 90 % agreeing: judged at the 5th */
        struct cw_track_out t[5] = {
            rider(41, CW_CLASS_TWO_WHEELER, 5 + f * 0.2, CW_ATTR_HELMET, CW_ATTR_NO, f + 1, 0.9f),
            /* 42: wearing one: compliant */
            rider(42, CW_CLASS_TWO_WHEELER, 8, CW_ATTR_HELMET, CW_ATTR_YES, 8, 0.95f),
            /* 43: the detections disagree too much to judge */
            rider(43, CW_CLASS_TWO_WHEELER, 11, CW_ATTR_HELMET, CW_ATTR_NO, 20, 0.6f),
            /* 44: a car is not judged, whatever a detector said */
            rider(44, CW_CLASS_CAR, 14, CW_ATTR_HELMET, CW_ATTR_NO, 20, 1.0f),
            /* 45: carrying a passenger, and nothing said of its helmet or canopy */
            rider(45, CW_CLASS_TWO_WHEELER, 17, CW_ATTR_PASSENGER, CW_ATTR_YES, 6, 0.8f),
        };
        int before = w.nev;
        step(&w, f, t, 5);
        /* the passenger at once (six said so from the start), the helmet at the fifth frame */
        assert_int_equal(w.nev - before, f == 0 || f == 4);
    }
    assert_int_equal(count_rule(&w, "no_helmet"), 1);
    assert_int_equal(count_rule(&w, "passenger"), 1);
    assert_int_equal(count_rule(&w, "canopy"), 0);
    for (int i = 0; i < w.nev; i++) {
        if (!strcmp(w.ev[i].rule, "no_helmet")) {
            assert_int_equal(w.ev[i].track, 41);
            assert_int_equal(w.ev[i].frame, 4);
            assert_float_equal(w.ev[i].confidence, 0.9, 1e-6);
        }
    }
    cw_rules_counts(w.rules, CW_RULE_NO_HELMET, &v, &c);
    assert_int_equal(v, 1);
    assert_int_equal(c, 1);
    cw_rules_counts(w.rules, CW_RULE_PASSENGER, &v, &c);
    assert_int_equal(v, 1);
    assert_int_equal(c, 0);
    cw_rules_counts(w.rules, CW_RULE_CANOPY, &v, &c);
    assert_int_equal(v + c, 0);
    world_free(&w);
}

static void test_speeding(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    /* 20 m/s = 72 km/h in a 50 km/h lane (limit + 10 %: 55): an event; 12 m/s = 43 km/h: fine */
    drive(&w, 41, CW_CLASS_CAR, 12, 0, 20, 0, 25);
    drive(&w, 42, CW_CLASS_CAR, 15, 0, 12, 25, 40);
    assert_int_equal(count_rule(&w, "speeding"), 1);
    int64_t v, c;
    cw_rules_counts(w.rules, CW_RULE_SPEEDING, &v, &c);
    assert_int_equal(v, 1);
    assert_int_equal(c, 1);
    for (int i = 0; i < w.nev; i++)
        if (!strcmp(w.ev[i].rule, "speeding"))
            assert_float_equal(w.ev[i].speed_mps, 20, 0.5);
    /* a road user 20 px tall in a 1000 px picture (under a 36th) is too small to judge */
    for (int f = 40; f < 65; f++) {
        struct cw_track_out t = track(43, CW_CLASS_CAR, 12, (f - 40) * 20.0 / 25);
        t.box.h = 20;
        t.speed = 20;
        t.vel = (struct cw_point){0, 20};
        step(&w, f, &t, 1);
    }
    cw_rules_counts(w.rules, CW_RULE_SPEEDING, &v, &c);
    assert_int_equal(v + c, 2);
    world_free(&w);
}

/* A camera looking down a road (ground y = 0.1 v / (1 - 0.0009 v)): near the bottom of the
 * picture a pixel is 0.1-0.2 m, near v = 1000 ten metres. A car at 72 km/h in a 50 km/h lane,
 * 300-400 m away, where a stretch's length is not known to 10 %: not judged there; the same car
 * 40-10 m away: an event. */
static void test_speeding_only_where_measurable(void **state)
{
    (void)state;
    static const char *json =
        "{\"version\": 1, \"site\": {\"id\": \"s2\"}, \"camera\": {\"id\": \"c2\", "
        "\"width\": 1000, \"height\": 1000}, \"ground\": {\"image_to_ground\": [0.1, 0, 0, 0, "
        "0.1, 0, 0, -0.0009, 1]}, \"lanes\": [{\"id\": \"l\", \"kind\": \"motor\", \"polygon\": "
        "[[100, 0], [170, 0], [170, 1000], [100, 1000]], \"direction\": [[135, 900], [135, 100]]}],"
        "\"rules\": {\"speeding\": {\"limit_kmh\": 50, \"tolerance_pct\": 10, "
        "\"min_distance_m\": 10}}}";
    struct cw_scene *sc;
    assert_int_equal(cw_scene_parse(json, strlen(json), "far.json", &sc), 0);
    struct world w;
    world_init_on(&w, sc);
    int64_t v, c;
    for (int leg = 0; leg < 2; leg++) {
        double y0 = leg ? 40 : 400, y1 = leg ? 10 : 300;
        int f0 = leg ? 200 : 0, n = (int)((y0 - y1) / 20 * 25);
        for (int f = f0; f < f0 + n; f++) {
            double y = y0 - (f - f0) * 20.0 / 25, iv = y / (0.1 + 0.0009 * y);
            struct cw_track_out t = {0};
            t.id = 60 + leg;
            t.cls = CW_CLASS_CAR;
            t.cls_conf = t.score = 0.9f;
            t.has_ground = true;
            t.ground = (struct cw_point){13.5 / (1 - 0.0009 * iv), y};
            t.box = (struct cw_box){115, iv - 40, 40, 40};
            t.speed = 20;
            t.vel = (struct cw_point){0, -20};
            step(&w, f, &t, 1);
        }
        cw_rules_counts(w.rules, CW_RULE_SPEEDING, &v, &c);
        assert_int_equal(v, leg);
    }
    assert_int_equal(count_rule(&w, "speeding"), 1);
    assert_float_equal(w.ev[0].speed_mps, 20, 0.5);
    world_free(&w);
    cw_scene_free(sc);
}

static void test_stop_past_line(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    set(&w, "v", "red", 0);
    /* the lanes run up the picture (+y, image y growing too): the camera faces the traffic, so
     * the foot point is the front. One stops 1.5 m past the line for 3 s; one 2 m before it. */
    drive(&w, 51, CW_CLASS_CAR, 12, 15, 5, 0, 16);  /* to y = 18.0, in the lane */
    drive(&w, 51, CW_CLASS_CAR, 12, 18, 5, 16, 14); /* to y = 20.8 */
    drive(&w, 51, CW_CLASS_CAR, 12, 21.5, 0, 30, 75);
    set(&w, "v", "red", 4.2); /* the controller says it again (a head unheard for 5 s is unknown) */
    drive(&w, 52, CW_CLASS_CAR, 15, 18, 0, 105, 75);
    assert_int_equal(count_rule(&w, "stop_past_line"), 1);
    int64_t v, c;
    cw_rules_counts(w.rules, CW_RULE_STOP_PAST_LINE, &v, &c);
    assert_int_equal(v, 1);
    assert_int_equal(c, 1);
    world_free(&w);
}

/* One frame with a pedestrian (track 61) at @walker and car @car at @at, driving up the picture
 * (+y) at @speed m/s. */
static void pedestrian_and_car(struct world *w, int frame, struct cw_point walker, int car,
                               struct cw_point at, float speed)
{
    struct cw_track_out t[2] = {track(61, CW_CLASS_PEDESTRIAN, walker.x, walker.y),
                                track(car, CW_CLASS_CAR, at.x, at.y)};
    t[1].speed = speed;
    t[1].vel = (struct cw_point){0, speed};
    step(w, frame, t, 2);
}

static void test_fail_to_yield(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    set(&w, "p", "green", 0);
    /* a pedestrian on the crosswalk (y 22..26) at x = 12.5; a car comes through at x = 12 */
    for (int f = 0; f < 60; f++)
        pedestrian_and_car(&w, f, (struct cw_point){12.5, 24}, 62,
                           (struct cw_point){12, 18 + f * 0.2}, 5);
    assert_int_equal(count_rule(&w, "fail_to_yield"), 1);
    /* a car that crosses with the pedestrian 6 m to the side: yielded */
    for (int f = 60; f < 120; f++)
        pedestrian_and_car(&w, f, (struct cw_point){8, 24}, 63,
                           (struct cw_point){15, 18 + (f - 60) * 0.2}, 5);
    assert_int_equal(count_rule(&w, "fail_to_yield"), 1);
    int64_t v, c;
    cw_rules_counts(w.rules, CW_RULE_FAIL_TO_YIELD, &v, &c);
    assert_int_equal(c, 1);
    world_free(&w);
}

/* A car waiting before the crosswalk whose box reaches onto it (something joined its blob): its
 * foot jumps 1.4 m, at a "speed", and stays; it has not driven across the pedestrian's way. */
static void test_fail_to_yield_foot_jump(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    set(&w, "p", "green", 0);
    for (int f = 0; f < 60; f++)
        pedestrian_and_car(&w, f, (struct cw_point){12.5, 24}, 62,
                           (struct cw_point){12, f < 30 ? 20.8 : 22.2},
                           f >= 30 && f < 40 ? 2.5f : 0.2f);
    assert_int_equal(count_rule(&w, "fail_to_yield"), 0);
    /* then it drives on across while the pedestrian is still ahead: now it fails to yield */
    for (int f = 60; f < 80; f++)
        pedestrian_and_car(&w, f, (struct cw_point){12.5, 25.5}, 62,
                           (struct cw_point){12, 22.2 + (f - 60) * 0.1}, 2.5f);
    assert_int_equal(count_rule(&w, "fail_to_yield"), 1);
    world_free(&w);
}

static void test_stop_line_away_from_its_lane(void **state)
{
    (void)state;
    /* the same scene with the stop line moved 10 m up the road, off the lanes' ends */
    char *bad = strdup(scene_json);
    char *p = strstr(bad, "[[100, 200], [170, 200]]");
    assert_non_null(p);
    memcpy(p, "[[100, 300], [170, 300]]", 24);
    p = strstr(bad, "[135, 300]");
    memcpy(p, "[135, 400]", 10);
    struct cw_scene *sc;
    assert_int_equal(cw_scene_parse(bad, strlen(bad), "far.json", &sc), 0);
    struct log_capture c;
    capture_start(&c);
    assert_null(cw_rules_new(sc, "s", "c"));
    capture_stop();
    assert_logged(&c, "lanes 'l1': its stop line 'stop' is 10.0 m from the lane");
    cw_scene_free(sc);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_red_light),
        cmocka_unit_test(test_flicker_counts_once_and_grace),
        cmocka_unit_test(test_waiting_then_green_is_compliant),
        cmocka_unit_test(test_right_turn_on_red),
        cmocka_unit_test(test_predicted_positions),
        cmocka_unit_test(test_picture_interest),
        cmocka_unit_test(test_pedestrian_red),
        cmocka_unit_test(test_pedestrian_red_unseen_step),
        cmocka_unit_test(test_no_signal_no_red_events),
        cmocka_unit_test(test_stop_line_away_from_its_lane),
        cmocka_unit_test(test_wrong_way),
        cmocka_unit_test(test_two_wheeler_in_the_motor_lane),
        cmocka_unit_test(test_speeding),
        cmocka_unit_test(test_speeding_only_where_measurable),
        cmocka_unit_test(test_attribute_rules),
        cmocka_unit_test(test_stop_past_line),
        cmocka_unit_test(test_fail_to_yield),
        cmocka_unit_test(test_fail_to_yield_foot_jump),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
