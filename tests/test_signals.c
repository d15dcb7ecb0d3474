/* Signal state over time: debouncing, grace, a flashing green read as the clearance, staleness,
 * fixed-time plans, controller messages (and their mistakes), the UDP listener on loopback. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/scene.h"
#include "crosswatch/signals.h"
#include "helpers.h"

#define S(x) ((int64_t)((x)*1e9))

static const char *scene_json =
    "{\"version\": 1, \"site\": {\"id\": \"t\"}, \"camera\": {\"id\": \"c\", \"width\": 640, "
    "\"height\": 360}, \"ground\": {\"image_to_ground\": [0.01, 0, 0, 0, 0.01, 0, 0, 0, 1]}, "
    "\"signals\": [{\"id\": \"veh\", \"kind\": \"vehicle\", \"external_id\": \"phase-1\"}, "
    "{\"id\": \"ped\", \"kind\": \"pedestrian\", \"region\": [10, 10, 12, 24]}]}";

static struct cw_scene *scene;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(cw_scene_parse(scene_json, strlen(scene_json), "t.json", &scene), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cw_scene_free(scene);
    return 0;
}

static struct cw_signals *make(void)
{
    struct cw_signals_config c;
    cw_options_defaults(cw_signals_options, &c);
    struct cw_signals *s = cw_signals_new(scene, &c);
    assert_non_null(s);
    return s;
}

static int at(struct cw_signals *s, int head, double t, struct cw_signal_status *st)
{
    struct cw_signal_status tmp;
    if (!st)
        st = &tmp;
    assert_int_equal(cw_signals_get(s, head, S(t), st), 0);
    return st->state;
}

/* 25 readings a second of @state from @t0 to @t1. */
static void feed(struct cw_signals *s, int head, int state, double t0, double t1)
{
    for (double t = t0; t < t1 - 1e-9; t += 0.04)
        cw_signals_feed(s, head, state, S(t), CW_SIGNAL_SOURCE_PICTURE);
}

static void test_debounce_and_grace(void **state)
{
    (void)state;
    struct cw_signals *s = make();
    struct cw_signal_status st;
    assert_int_equal(at(s, 0, 0, NULL), CW_LIGHT_UNKNOWN);
    feed(s, 0, CW_LIGHT_GREEN, 0, 10);
    /* one frame of red, then green again: a flicker, not a change */
    cw_signals_feed(s, 0, CW_LIGHT_RED, S(10), CW_SIGNAL_SOURCE_PICTURE);
    feed(s, 0, CW_LIGHT_GREEN, 10.04, 12);
    assert_int_equal(at(s, 0, 10.02, NULL), CW_LIGHT_GREEN);
    feed(s, 0, CW_LIGHT_YELLOW, 12, 15);
    feed(s, 0, CW_LIGHT_RED, 15, 20);
    /* the change is dated from the first frame that showed it */
    assert_int_equal(at(s, 0, 14.99, NULL), CW_LIGHT_YELLOW);
    assert_int_equal(at(s, 0, 15.01, &st), CW_LIGHT_RED);
    assert_true(st.in_grace);
    assert_int_equal(st.source, CW_SIGNAL_SOURCE_PICTURE);
    assert_int_equal(at(s, 0, 15.8, &st), CW_LIGHT_RED);
    assert_false(st.in_grace);
    assert_float_equal(st.age_s, 0.8, 1e-6);
    /* nothing heard for longer than stale_s: unknown */
    assert_int_equal(at(s, 0, 19.9 + 5.1, NULL), CW_LIGHT_UNKNOWN);
    assert_int_equal(cw_signals_get(s, 7, 0, &st), CW_EINVAL);
    cw_signals_free(s);
}

static void test_flashing_green_is_the_clearance(void **state)
{
    (void)state;
    struct cw_signals *s = make();
    feed(s, 1, CW_LIGHT_GREEN, 0, 10);
    for (int k = 0; k < 3; k++) {
        feed(s, 1, CW_LIGHT_OFF, 10 + k, 10.5 + k);
        feed(s, 1, CW_LIGHT_GREEN, 10.5 + k, 11 + k);
    }
    feed(s, 1, CW_LIGHT_RED, 13, 20);
    assert_int_equal(at(s, 1, 9.9, NULL), CW_LIGHT_GREEN);
    for (double t = 10.05; t < 12.95; t += 0.1)
        assert_int_equal(at(s, 1, t, NULL), CW_LIGHT_YELLOW);
    assert_int_equal(at(s, 1, 13.05, NULL), CW_LIGHT_RED);
    /* a head that is simply dark (no green before) stays off */
    struct cw_signals *d = make();
    feed(d, 1, CW_LIGHT_OFF, 0, 5);
    assert_int_equal(at(d, 1, 4, NULL), CW_LIGHT_OFF);
    cw_signals_free(d);
    cw_signals_free(s);
}

static void test_plan(void **state)
{
    (void)state;
    struct cw_signals *s = make();
    struct cw_signal_status st;
    const char *plan =
        "{\"cycle_s\": 40, \"offset_s\": 14, \"phases\": ["
        "{\"id\": \"phase-1\", \"green_start_s\": 0, \"green_s\": 15, \"yellow_s\": 3},"
        "{\"id\": \"ped\", \"green_start_s\": 30, \"green_s\": 15, \"yellow_s\": 3}]}";
    assert_int_equal(cw_signals_load_plan(s, plan, "plan.json", S(100)), 0);
    /* at the origin the cycle is at 14 s: head 0 green since 14 s ago */
    assert_int_equal(at(s, 0, 100, &st), CW_LIGHT_GREEN);
    assert_float_equal(st.age_s, 14, 1e-6);
    assert_int_equal(st.source, CW_SIGNAL_SOURCE_PLAN);
    assert_int_equal(at(s, 0, 101.5, NULL), CW_LIGHT_YELLOW);
    assert_int_equal(at(s, 0, 104.2, &st), CW_LIGHT_RED);
    assert_true(st.in_grace);
    /* head 1's green wraps past the end of the cycle: 30..45 → 30..40 and 0..5 */
    assert_int_equal(at(s, 1, 100 - 14 + 42, NULL), CW_LIGHT_GREEN);
    assert_int_equal(at(s, 1, 100 - 14 + 46, NULL), CW_LIGHT_YELLOW);
    assert_int_equal(at(s, 1, 100 - 14 + 49, NULL), CW_LIGHT_RED);
    static const struct {
        const char *json, *expect;
    } bad[] = {
        {"[]", "p.json: not a JSON object"},
        {"{\"offset_s\": 0, \"phases\": []}", "p.json: cycle_s: needs a number from 1 to 3600"},
        {"{\"cycle_s\": 40, \"offset_s\": 0}", "p.json: phases: needs a list of phases"},
        {"{\"cycle_s\": 40, \"offset_s\": 0, \"phases\": [{\"id\": \"nope\", \"green_start_s\": 0, "
         "\"green_s\": 5, \"yellow_s\": 3}]}",
         "phases[0].id: 'nope' is no signal head's id"},
        {"{\"cycle_s\": 40, \"offset_s\": 0, \"phases\": [{\"id\": \"veh\", \"green_start_s\": 0, "
         "\"green_s\": 39, \"yellow_s\": 3}]}",
         "phases[0].: green_s + yellow_s is longer than the cycle"},
        {"{\"cycle_s\": 40, \"offset_s\": 0, \"phases\": [{\"id\": \"veh\", \"green_s\": 5}]}",
         "phases[0].green_start_s: needs a number"},
    };
    struct log_capture c;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        capture_start(&c);
        assert_int_equal(cw_signals_load_plan(s, bad[i].json, "p.json", 0), CW_EINVAL);
        capture_stop();
        assert_logged(&c, bad[i].expect);
    }
    cw_signals_free(s);
}

static void test_controller_messages(void **state)
{
    (void)state;
    struct cw_signals *s = make();
    struct cw_signal_status st;
    const char *m = "{\"phase\": \"phase-1\", \"state\": \"red\", \"time_ms\": 5000}";
    assert_int_equal(cw_signals_message(s, m, strlen(m), 0), 0);
    assert_int_equal(at(s, 0, 5.1, &st), CW_LIGHT_RED);
    assert_int_equal(st.source, CW_SIGNAL_SOURCE_CONTROLLER);
    m = "{\"phase\": \"veh\", \"state\": \"green\"}"; /* by id; dated now */
    assert_int_equal(cw_signals_message(s, m, strlen(m), S(9)), 0);
    assert_int_equal(at(s, 0, 9.5, NULL), CW_LIGHT_GREEN);
    static const struct {
        const char *json, *expect;
    } bad[] = {
        {"red", "controller message is not a JSON object"},
        {"{\"state\": \"red\"}", "needs \"phase\" and \"state\" strings"},
        {"{\"phase\": \"x\", \"state\": \"red\"}", "phase 'x' is no signal head's id"},
        {"{\"phase\": \"veh\", \"state\": \"blue\"}",
         "state 'blue' is not red, yellow, green or off"},
        {"{\"phase\": \"veh\", \"state\": \"red\", \"time_ms\": -1}",
         "time_ms must be milliseconds"},
    };
    struct log_capture c;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        capture_start(&c);
        assert_int_equal(cw_signals_message(s, bad[i].json, strlen(bad[i].json), 0), CW_EINVAL);
        capture_stop();
        assert_logged(&c, bad[i].expect);
        assert_int_equal(c.errors, 1);
    }
    uint64_t n, refused;
    cw_signals_counts(s, &n, &refused);
    assert_int_equal(n, 7);
    assert_int_equal(refused, 5);
    assert_int_equal(cw_signals_find(s, "ped"), 1);
    assert_int_equal(cw_signals_find(s, "phase-1"), 0);
    cw_signals_free(s);
}

static void test_udp_listener(void **state)
{
    (void)state;
    struct cw_signals *s = make();
    int port = 0;
    assert_int_equal(cw_signals_listen_udp(s, "127.0.0.1:0", &port), 0);
    assert_true(port > 0);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int64_t now = cw_clock_wall_ns();
    char msg[128];
    int len = snprintf(msg, sizeof(msg),
                       "{\"phase\": \"phase-1\", \"state\": \"yellow\", "
                       "\"time_ms\": %lld}",
                       (long long)(now / 1000000));
    assert_int_equal(sendto(fd, msg, (size_t)len, 0, (struct sockaddr *)&a, sizeof(a)), len);
    struct cw_signal_status st = {0};
    for (int i = 0; i < 200 && st.state != CW_LIGHT_YELLOW; i++) {
        usleep(5000);
        cw_signals_get(s, 0, now + S(0.01), &st);
    }
    assert_int_equal(st.state, CW_LIGHT_YELLOW);
    close(fd);
    /* a port already taken is named */
    struct cw_signals *t = make();
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    struct log_capture c;
    capture_start(&c);
    assert_int_equal(cw_signals_listen_udp(t, addr, NULL), CW_ECONNECT);
    assert_int_equal(cw_signals_listen_udp(t, "nonsense", NULL), CW_EINVAL);
    capture_stop();
    assert_logged(&c, "cannot listen for controller messages on udp 127.0.0.1:");
    assert_logged(&c, "should be host:port");
    cw_signals_free(t);
    cw_signals_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_debounce_and_grace),
        cmocka_unit_test(test_flashing_green_is_the_clearance),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_controller_messages),
        cmocka_unit_test(test_udp_listener),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
