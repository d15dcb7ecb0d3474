/* Unit tests: the scene file — a valid one, then every validation error, each named by path. */
#include "helpers.h"

#include <math.h>

#include "crosswatch/error.h"
#include "crosswatch/scene.h"

static char *base; /* examples/intersection.json */

static int setup(void **state)
{
    char path[1024];
    FILE *f;
    long n;
    (void)state;
    snprintf(path, sizeof(path), "%s/examples/intersection.json",
             getenv("CW_SOURCE_DIR") ? getenv("CW_SOURCE_DIR") : "..");
    f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    base = calloc(1, (size_t)n + 1);
    n = base ? (long)fread(base, 1, (size_t)n, f) : -1;
    fclose(f);
    return n > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(base);
    return 0;
}

static void test_valid_scene(void **state)
{
    struct cw_scene *s;
    (void)state;
    assert_int_equal(cw_scene_parse(base, strlen(base), "x.json", &s), 0);
    assert_string_equal(s->site.id, "wz-lucheng-0412");
    assert_string_equal(s->site.timezone, "Asia/Shanghai");
    assert_int_equal(s->camera.width, 1920);
    assert_int_equal(s->n_zones, 4);
    assert_int_equal(s->zones[0].kind, CW_ZONE_CROSSWALK);
    assert_int_equal(s->n_lines, 2);
    assert_true(s->lines[0].directed);
    assert_false(s->lines[1].directed);
    assert_int_equal(s->n_lanes, 2);
    assert_int_equal(s->lanes[0].stop_line, 0);
    assert_int_equal(s->lanes[0].signal, 0);
    assert_int_equal(s->lanes[1].signal, 2);
    assert_true(s->lanes[0].speed_limit_kmh == 40);
    assert_int_equal(s->n_signals, 3);
    assert_true(s->signals[0].has_region);
    assert_string_equal(s->signals[2].external_id, "controller-7/phase-3");
    /* The ground plane: the control points come back where they were put. */
    struct cw_point g;
    assert_true(cw_homography_apply(&s->img_to_ground, (struct cw_point){420, 1060}, &g));
    assert_true(fabs(g.x) < 0.5 && fabs(g.y) < 0.5);
    assert_true(s->homography_rms_m < 0.5);
    /* A stop line across a 10.5 m road, lanes pointing away from the camera. */
    assert_true(s->lines[0].length_m > 8 && s->lines[0].length_m < 13);
    assert_true(s->lanes[0].dir_ground.y > 0.9);
    assert_true(s->zones[0].poly.area_m2 > 10);
    /* Rule settings: given ones, and defaults. */
    assert_true(fabs(s->rules[CW_RULE_RED_LIGHT].grace_s - 0.3) < 1e-12);
    assert_false(s->rules[CW_RULE_SPEEDING].enabled);
    assert_true(s->rules[CW_RULE_WRONG_WAY].enabled);
    assert_true(s->rules[CW_RULE_WRONG_WAY].min_distance_m == 5.0);
    cw_scene_free(s);
}

static void test_given_matrix(void **state)
{
    const char *text =
        "{\"version\":1,\"site\":{\"id\":\"s\"},\"camera\":{\"id\":\"c\",\"width\":640,"
        "\"height\":360},\"ground\":{\"image_to_ground\":[0.05,0,0,0,0.05,0,0,0,1]},"
        "\"zones\":[{\"id\":\"z\",\"kind\":\"crosswalk\",\"polygon\":[[0,0],[200,0],[200,100]]}]}";
    struct cw_scene *s;
    (void)state;
    assert_int_equal(cw_scene_parse(text, strlen(text), "m.json", &s), 0);
    assert_true(fabs(s->zones[0].poly.area_m2 - 0.5 * 10 * 5) < 1e-9);
    assert_true(s->homography_rms_m == 0);
    cw_scene_free(s);
}

/* Replaces the first occurrence of @find in the base scene with @repl. */
static char *mutate(const char *find, const char *repl)
{
    const char *at = strstr(base, find);
    size_t n = strlen(base) - strlen(find) + strlen(repl) + 1;
    char *out = malloc(n);
    if (!at)
        fail_msg("the base scene has no \"%s\"", find);
    snprintf(out, n, "%.*s%s%s", (int)(at - base), base, repl, at + strlen(find));
    return out;
}

struct bad_case {
    const char *find, *repl, *expect;
};

static const struct bad_case cases[] = {
    /* structure */
    {"\"version\": 1", "\"version\": 2", "version: 2 is not supported"},
    {"\"version\": 1,", "", "version: required"},
    {"\"version\": 1", "\"version\": \"one\"", "version: expected the number 1"},
    {"\"version\": 1", "\"version\": 1, \"zone\": []", "zone: unknown section"},
    {"\"site\": {", "\"sight\": {", "site: required"},
    /* site and camera settings */
    {"\"id\": \"wz-lucheng-0412\",", "", "site.id: required"},
    {"\"latitude\": 28.0", "\"latitude\": 128.0", "site.latitude: 128 is out of range"},
    {"\"timezone\": \"Asia/Shanghai\"", "\"timezone\": 8", "site.timezone: expected a string"},
    {"\"width\": 1920", "\"width\": 0", "camera.width: 0 is out of range; use 16..16384 px"},
    {"\"height\": 1080,", "", "camera.height: required"},
    {"\"fps\": 25", "\"fsp\": 25", "camera.fsp: unknown setting"},
    /* ground plane */
    {"\"ground\": {", "\"ground_\": {", "ground: required"},
    {"{\"image\": [960, 640], \"ground\": [5.25, 15.0]}", "{\"image\": [960, 640]}",
     "ground.points[4].ground: expected a point [x, y]"},
    {"\"points\": [", "\"image_to_ground\": [1,2,3,2,4,6,0,0,1], \"pts\": [",
     "ground.image_to_ground: singular matrix"},
    {"{\"image\": [1500, 1060], \"ground\": [10.5, 0.0]},\n"
     "      {\"image\": [1210, 420], \"ground\": [10.5, 30.0]},\n"
     "      {\"image\": [700, 420], \"ground\": [0.0, 30.0]},\n"
     "      {\"image\": [960, 640], \"ground\": [5.25, 15.0]}",
     "{\"image\": [500, 1060], \"ground\": [1, 0]}, {\"image\": [600, 1060], \"ground\": [2, 0]},"
     "{\"image\": [700, 1060], \"ground\": [3, 0]}",
     "ground.points: degenerate"},
    {"{\"image\": [960, 640], \"ground\": [5.25, 15.0]}",
     "{\"image\": [2960, 640], \"ground\": [5.25, 15.0]}",
     "ground.points[4].image: (2960, 640) is outside the 1920x1080 image"},
    {"\"points\": [", "\"points\": [{\"image\": [1, 1], \"ground\": [0, 0]}], \"p\": [",
     "ground.points: has 1 point pairs; give 4 to 64"},
    /* zones */
    {"\"kind\": \"crosswalk\"", "\"kind\": \"zebra\"",
     "zones[0].kind: unknown value 'zebra'; use one of: crosswalk, waiting_area"},
    {"\"id\": \"tree\", \"kind\": \"ignore\",", "\"kind\": \"ignore\",", "zones[3].id: required"},
    {"\"id\": \"tree\"", "\"id\": \"crosswalk-north\"",
     "zones[3].id: 'crosswalk-north' is already used by zones[0]"},
    {"[[600, 700], [1320, 700], [1290, 600], [630, 600]]",
     "[[600, 700], [1290, 600], [1320, 700], [630, 600]]",
     "zones[0].polygon: self-intersecting (edge 0-1 crosses edge 2-3)"},
    {"[[600, 700], [1320, 700], [1290, 600], [630, 600]]", "[[600, 700], [1320, 700]]",
     "zones[0].polygon: has 2 points; a polygon needs 3 to 32"},
    {"[[600, 700], [1320, 700], [1290, 600], [630, 600]]",
     "[[600, 700], [1320, 700], [1990, 600], [630, 600]]",
     "zones[0].polygon[2]: (1990, 600) is outside the 1920x1080 image"},
    {"[[600, 700], [1320, 700], [1290, 600], [630, 600]]", "[[600, 700], [\"a\", 1], [1, 2]]",
     "zones[0].polygon[1]: expected a point [x, y]"},
    {"[[600, 700], [1320, 700], [1290, 600], [630, 600]]", "[[0, 0], [10, 10], [20, 20]]",
     "zones[0].polygon: has no area"},
    {"\"kind\": \"crosswalk\",\n     \"polygon\"", "\"kind\": \"crosswalk\",\n     \"poly\"",
     "zones[0].polygon: required"},
    /* lines */
    {"\"toward\": [960, 600]", "\"towards\": [960, 600]", "lines[0].towards: unknown setting"},
    {",\n     \"toward\": [960, 600]", "", "lines[0].toward: required for a stop_line"},
    {"\"toward\": [960, 600]", "\"toward\": [960, 760]",
     "lines[0].toward: (960, 760) lies on the line"},
    {"[[560, 760], [1360, 760]]", "[[560, 760]]", "lines[0].points: expected two points"},
    {"[[560, 760], [1360, 760]]", "[[560, 760], [560, 760]]",
     "lines[0].points: the two ends are the same point"},
    /* lanes */
    {"\"stop_line\": \"stop-north\", \"signal\": \"veh-north\"",
     "\"stop_line\": \"stop-south\", \"signal\": \"veh-north\"",
     "lanes[0].stop_line: no line has id 'stop-south'"},
    {"\"stop_line\": \"stop-north\", \"signal\": \"veh-north\"",
     "\"stop_line\": \"count-exit\", \"signal\": \"veh-north\"",
     "lanes[0].stop_line: line 'count-exit' is not a stop_line"},
    {"\"signal\": \"veh-north\"", "\"signal\": \"veh-n\"",
     "lanes[0].signal: no signal head has id 'veh-n'"},
    {"\"direction\": [[1100, 1000], [1100, 800]]", "\"direction\": [[1100, 1000]]",
     "lanes[0].direction: expected an arrow"},
    {"\"direction\": [[1100, 1000], [1100, 800]]", "\"direction\": [[1100, 1000], [1100, 1000]]",
     "lanes[0].direction: tail and head are the same point"},
    {"\"speed_limit_kmh\": 40", "\"speed_limit_kmh\": -5",
     "lanes[0].speed_limit_kmh: -5 is out of range"},
    {"\"kind\": \"motor\"", "\"kind\": \"bus\"", "lanes[0].kind: unknown value 'bus'"},
    /* signals */
    {"\"region\": [1700, 80, 40, 110]", "\"region\": [1900, 80, 40, 110]",
     "signals[0].region: [1900, 80, 40, 110] reaches outside the 1920x1080 image"},
    {"\"region\": [1700, 80, 40, 110]", "\"region\": [1700, 80, 40]",
     "signals[0].region: expected [x, y, width, height]"},
    {"\"region\": [1700, 80, 40, 110]", "\"region\": [1700, 80, 0, 110]",
     "needs x, y >= 0 and a size of at least 2x2"},
    {", \"external_id\": \"controller-7/phase-3\"", "",
     "signals[2]: needs a region to read the light from, or an external_id"},
    {"\"layout\": \"vertical\"", "\"layout\": \"diagonal\"", "signals[0].layout: unknown value"},
    /* rules */
    {"\"red_light\": {\"grace_s\": 0.3}", "\"red_light\": {\"grace_s\": 30}",
     "rules.red_light.grace_s: 30 is out of range; use 0..10 s"},
    {"\"red_light\": {", "\"red_lights\": {", "rules.red_lights: unknown rule"},
    {"\"speeding\": {\"enabled\": false}", "\"speeding\": {\"enabled\": \"no\"}",
     "rules.speeding.enabled: expected a bool"},
    {"\"fail_to_yield\": {\"conflict_distance_m\": 4.0}", "\"fail_to_yield\": {\"grace_s\": 1}",
     "rules.fail_to_yield.grace_s: unknown setting"},
    /* malformed JSON, with its place */
    {"\"name\": \"Example Rd / School Ln\",", "\"name\": \"Example Rd / School Ln\"",
     "x.json:6:5: malformed JSON"},
};

static void test_every_error(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct log_capture c;
        struct cw_scene *s = (struct cw_scene *)1;
        char *text = mutate(cases[i].find, cases[i].repl);
        capture_start(&c);
        int err = cw_scene_parse(text, strlen(text), "x.json", &s);
        capture_stop();
        if (err == 0)
            fail_msg("case %zu (%s) was accepted", i, cases[i].expect);
        assert_null(s);
        assert_true(err == CW_EINVAL || err == CW_EFORMAT);
        if (!strstr(c.text, cases[i].expect))
            fail_msg("case %zu: expected \"%s\"; the log was:\n%s", i, cases[i].expect, c.text);
        /* Every message names the file and is one line. */
        assert_non_null(strstr(c.text, "x.json"));
        free(text);
    }
}

static void test_many_errors_at_once(void **state)
{
    struct log_capture c;
    struct cw_scene *s;
    char *a = mutate("\"width\": 1920", "\"width\": 0");
    char *b;
    (void)state;
    /* Rebase on the mutated text to combine two mistakes. */
    char *saved = base;
    base = a;
    b = mutate("\"kind\": \"crosswalk\"", "\"kind\": \"zebra\"");
    base = saved;
    capture_start(&c);
    assert_int_equal(cw_scene_parse(b, strlen(b), "x.json", &s), CW_EINVAL);
    capture_stop();
    assert_logged(&c, "camera.width");
    assert_logged(&c, "zones[0].kind");
    free(a);
    free(b);
}

static void test_load_errors(void **state)
{
    struct log_capture c;
    struct cw_scene *s;
    (void)state;
    capture_start(&c);
    assert_int_equal(cw_scene_load("/nonexistent/scene.json", &s), CW_ENOENT);
    assert_int_equal(cw_scene_load("/", &s), CW_EINVAL);
    assert_int_equal(cw_scene_parse("", 0, "empty.json", &s), CW_EFORMAT);
    assert_int_equal(cw_scene_parse("[1, 2]", 6, "list.json", &s), CW_EINVAL);
    capture_stop();
    assert_logged(&c, "/nonexistent/scene.json: cannot open: No such file or directory");
    assert_logged(&c, "/: not a regular file");
    assert_logged(&c, "empty.json:1:1: malformed JSON");
    assert_logged(&c, "list.json: the top level must be an object");
}

static void test_horizon(void **state)
{
    /* A homography whose horizon crosses the picture at y = 100. */
    const char *text =
        "{\"version\":1,\"site\":{\"id\":\"s\"},\"camera\":{\"id\":\"c\",\"width\":640,"
        "\"height\":360},\"ground\":{\"image_to_ground\":[1,0,0,0,1,0,0,0.01,-1]},"
        "\"zones\":[{\"id\":\"z\",\"kind\":\"crosswalk\",\"polygon\":[[0,50],[200,300],"
        "[10,300]]}]}";
    struct log_capture c;
    struct cw_scene *s;
    (void)state;
    capture_start(&c);
    assert_int_equal(cw_scene_parse(text, strlen(text), "h.json", &s), CW_EINVAL);
    capture_stop();
    assert_logged(&c, "h.json: zones[0].polygon[0]: (0, 50) lies on or above the horizon");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_scene), cmocka_unit_test(test_given_matrix),
        cmocka_unit_test(test_every_error), cmocka_unit_test(test_many_errors_at_once),
        cmocka_unit_test(test_load_errors), cmocka_unit_test(test_horizon),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
