/* Unit tests: errors, logging, clocks, option tables. */
#include "helpers.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <unistd.h>

#include "core/json_escape.h"
#include "core/log_format.h"
#include "crosswatch/clock.h"
#include "crosswatch/draw.h"
#include "crosswatch/hash.h"
#include "crosswatch/jpeg.h"
#include "crosswatch/text.h"
#include "crosswatch/error.h"
#include "crosswatch/options.h"

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(cw_strerror(CW_OK), "success");
    assert_string_equal(cw_strerror(CW_ENOENT), "not found");
    assert_string_equal(cw_strerror(-999), "unknown error");
    assert_int_equal(cw_error_from_errno(-2 /* ENOENT */), CW_ENOENT);
    assert_int_equal(cw_error_from_errno(-28 /* ENOSPC */), CW_ENOSPC);
}

static void test_log_text_and_json(void **state)
{
    char line[1024];
    (void)state;
    /* 2026-11-29T15:31:36.123Z */
    int64_t t = INT64_C(1795966296123) * 1000000;
    cw__log_format(line, sizeof(line), CW_LOG_TEXT, t, CW_LOG_WARN, "video", "camera lost");
    assert_string_equal(line, "2026-11-29T15:31:36.123Z warn  video: camera lost\n");
    cw__log_format(line, sizeof(line), CW_LOG_JSON, t, CW_LOG_ERROR, "scene", "bad \"id\"\tx\\y");
    assert_string_equal(line, "{\"ts\":\"2026-11-29T15:31:36.123Z\",\"level\":\"error\","
                              "\"module\":\"scene\",\"msg\":\"bad \\\"id\\\"\\tx\\\\y\"}\n");
    /* Every JSON line parses. */
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "msg")->valuestring, "bad \"id\"\tx\\y");
    cJSON_Delete(j);
}

static void test_log_levels_and_sink(void **state)
{
    struct log_capture c;
    enum cw_log_level l;
    enum cw_log_format f;
    (void)state;
    assert_int_equal(cw_log_level_parse("debug", &l), 0);
    assert_int_equal(l, CW_LOG_DEBUG);
    assert_int_equal(cw_log_level_parse("loud", &l), CW_EINVAL);
    assert_int_equal(cw_log_format_parse("json", &f), 0);
    assert_int_equal(f, CW_LOG_JSON);
    assert_int_equal(cw_log_format_parse("xml", &f), CW_EINVAL);

    capture_start(&c);
    cw_log_set_level(CW_LOG_WARN);
    cw_log_info("t", "hidden");
    cw_log_warn("t", "shown %d", 42);
    cw_log_error("t", "two\nlines");
    cw_log_set_level(CW_LOG_INFO);
    capture_stop();
    assert_int_equal(c.lines, 2);
    assert_logged(&c, "warn t: shown 42");
    /* One message is one line, whatever it carried. */
    assert_logged(&c, "error t: two lines");
    assert_null(strstr(c.text, "hidden"));
}

static void test_json_escape_cuts_cleanly(void **state)
{
    char out[8];
    (void)state;
    assert_int_equal(cw__json_escape(out, sizeof(out), "ab\"cd\"ef"), 6);
    assert_string_equal(out, "ab\\\"cd");
    cw__json_escape(out, sizeof(out), "\x01");
    assert_string_equal(out, "\\u0001");
}

static void test_wall_anchor(void **state)
{
    struct cw_wall_anchor a = {0};
    bool jumped;
    const int64_t s = CW_NS_PER_S;
    (void)state;
    assert_int_equal(cw_wall_anchor_map(&a, 0, 1000 * s, &jumped), 1000 * s);
    assert_false(jumped);
    /* Follows the stream's clock, not the wall time offered. */
    assert_int_equal(cw_wall_anchor_map(&a, s / 25, 5000 * s, &jumped), 1000 * s + s / 25);
    assert_false(jumped);
    /* Backwards: re-anchored, and wall time never runs back. */
    int64_t w = cw_wall_anchor_map(&a, 0, 900 * s, &jumped);
    assert_true(jumped);
    assert_true(w > 1000 * s + s / 25);
    /* Forward beyond the gap limit: re-anchored to the wall time offered. */
    assert_int_equal(cw_wall_anchor_map(&a, 3600 * s, 2000 * s, &jumped), 2000 * s);
    assert_true(jumped);
    assert_int_equal(a.jumps, 2);
    char buf[32];
    cw_clock_format_wall(INT64_C(1795966296123) * 1000000, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-29T15:31:36.123Z");
    assert_true(cw_clock_mono_ns() > 0);
}

struct opts {
    bool flag;
    int count;
    double ratio;
    char *name;
    int mode;
};

static const char *const modes[] = {"fast", "exact", NULL};

static const struct cw_option table[] = {
    {"flag", CW_OPT_BOOL, offsetof(struct opts, flag), {.b = true}, 0, 0, NULL, NULL, "a flag"},
    {"count", CW_OPT_INT, offsetof(struct opts, count), {.i = 3}, 1, 10, NULL, NULL, "a count"},
    {"ratio", CW_OPT_DOUBLE, offsetof(struct opts, ratio), {.d = 0.5}, 0, 1, NULL, "x", "ratio"},
    {"name",
     CW_OPT_STRING,
     offsetof(struct opts, name),
     {.s = "cam"},
     0,
     0,
     NULL,
     NULL,
     "name",
     CW_OPT_REQUIRED},
    {"mode", CW_OPT_ENUM, offsetof(struct opts, mode), {.i = 1}, 0, 0, modes, NULL, "mode"},
    {NULL},
};

static void test_options_defaults_and_set(void **state)
{
    struct opts o;
    struct log_capture c;
    (void)state;
    cw_options_defaults(table, &o);
    assert_true(o.flag);
    assert_int_equal(o.count, 3);
    assert_true(o.ratio == 0.5);
    assert_string_equal(o.name, "cam");
    assert_int_equal(o.mode, 1);

    assert_int_equal(cw_options_set(table, &o, "count", "7", "t"), 0);
    assert_int_equal(o.count, 7);
    assert_int_equal(cw_options_set(table, &o, "mode", "fast", "t"), 0);
    assert_int_equal(o.mode, 0);
    assert_int_equal(cw_options_set(table, &o, "flag", "false", "t"), 0);
    assert_false(o.flag);
    assert_int_equal(cw_options_set(table, &o, "name", "north", "t"), 0);
    assert_string_equal(o.name, "north");

    capture_start(&c);
    assert_int_equal(cw_options_set(table, &o, "count", "11", "t"), CW_EINVAL);
    assert_int_equal(cw_options_set(table, &o, "count", "3x", "t"), CW_EINVAL);
    assert_int_equal(cw_options_set(table, &o, "ratio", "nan", "t"), CW_EINVAL);
    assert_int_equal(cw_options_set(table, &o, "mode", "slow", "t"), CW_EINVAL);
    assert_int_equal(cw_options_set(table, &o, "colour", "red", "t"), CW_EINVAL);
    assert_int_equal(cw_options_set(table, &o, "flag", "maybe", "t"), CW_EINVAL);
    capture_stop();
    assert_int_equal(c.errors, 6);
    assert_logged(&c, "t: --count: 11 is out of range; use 1..10");
    assert_logged(&c, "t: --count: '3x' is not a whole number");
    assert_logged(&c, "t: --mode: unknown value 'slow'; use one of: fast, exact");
    assert_logged(&c, "t: --colour: unknown option");
    assert_int_equal(o.count, 7); /* unchanged by the failures */
    cw_options_release(table, &o);
    assert_null(o.name);
}

static void test_options_json(void **state)
{
    struct opts o;
    struct log_capture c;
    cJSON *j;
    (void)state;
    cw_options_defaults(table, &o);
    j = cJSON_Parse("{\"flag\": false, \"count\": 9, \"ratio\": 0.25, \"name\": \"x\", "
                    "\"mode\": \"fast\", \"other\": 1}");
    static const char *const ignore[] = {"other", NULL};
    assert_int_equal(cw_options_from_json(table, &o, j, "f.json: ", "cam", ignore), 0);
    assert_false(o.flag);
    assert_int_equal(o.count, 9);
    assert_string_equal(o.name, "x");
    assert_int_equal(o.mode, 0);
    cJSON_Delete(j);

    /* Every problem is reported, each with its path. */
    j = cJSON_Parse("{\"flag\": 1, \"count\": 2.5, \"ratio\": 7, \"mode\": \"odd\", "
                    "\"colour\": \"red\"}");
    capture_start(&c);
    assert_int_equal(cw_options_from_json(table, &o, j, "f.json: ", "cam", NULL), CW_EINVAL);
    capture_stop();
    assert_logged(&c, "f.json: cam.flag: expected a bool");
    assert_logged(&c, "f.json: cam.count: 2.5 is not a whole number");
    assert_logged(&c, "f.json: cam.ratio: 7 is out of range; use 0..1 x");
    assert_logged(&c, "f.json: cam.mode: unknown value 'odd'");
    assert_logged(&c, "f.json: cam.colour: unknown setting");
    assert_logged(&c, "f.json: cam.name: required");
    assert_int_equal(c.errors, 6);
    cJSON_Delete(j);
    cw_options_release(table, &o);
}

static void test_options_help(void **state)
{
    char buf[4096] = {0};
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    (void)state;
    cw_options_print_help(table, f);
    cw_options_print_markdown(table, f);
    fclose(f);
    assert_non_null(strstr(buf, "--count=<int>"));
    assert_non_null(strstr(buf, "default 3; 1..10"));
    assert_non_null(strstr(buf, "--flag, --no-flag"));
    assert_non_null(strstr(buf, "one of fast, exact"));
    assert_non_null(strstr(buf, "| `ratio` | number | 0.5 x | 0..1 | ratio |"));
    assert_non_null(strstr(buf, "| `name` | string | required |"));
}

/* Pixelating for public copies: inside the box every block is one value (the faces cannot be
 * read), outside nothing changes; text is drawn where asked and nowhere else. */
static void test_pixelate_and_text(void **state)
{
    (void)state;
    static uint8_t y[64 * 48], u[32 * 24], v[32 * 24], orig[64 * 48];
    for (int i = 0; i < 64 * 48; i++)
        y[i] = orig[i] = (uint8_t)(i * 7 + (i / 64) * 13);
    memset(u, 128, sizeof(u));
    memset(v, 128, sizeof(v));
    struct cw_canvas c = {{y, u, v}, {64, 32, 32}, 64, 48};
    cw_draw_pixelate(&c, &(struct cw_box){8, 8, 16, 16}, 8);
    for (int by = 8; by < 24; by += 8)
        for (int bx = 8; bx < 24; bx += 8)
            for (int k = 0; k < 64; k++)
                assert_int_equal(y[(by + k / 8) * 64 + bx + k % 8], y[by * 64 + bx]);
    for (int yy = 0; yy < 48; yy++)
        for (int xx = 0; xx < 64; xx++)
            if (xx < 8 || xx >= 24 || yy < 8 || yy >= 24)
                assert_int_equal(y[yy * 64 + xx], orig[yy * 64 + xx]);
    /* a box reaching outside the picture is clipped, not a crash */
    cw_draw_pixelate(&c, &(struct cw_box){-10, 40, 100, 100}, 6);
    struct cw_font *f = cw_font_open(CW_FONT_DEFAULT, CW_FONT_FALLBACK, 12);
    if (!f) {
        print_message("skipped the text part: %s is not installed\n", CW_FONT_DEFAULT);
        return;
    }
    memset(y, 16, sizeof(y));
    int w = cw_font_draw(f, &c, 2, 2, "12:00 \xe9\x97\xaf", CW_WHITE); /* with a CJK character */
    assert_true(w > 20 && w == cw_font_width(f, "12:00 \xe9\x97\xaf"));
    int lit = 0;
    for (int i = 0; i < 64 * 48; i++)
        lit += y[i] > 100;
    assert_true(lit > 20);
    for (int yy = 2 + cw_font_line_height(f); yy < 48; yy++)
        for (int xx = 0; xx < 64; xx++)
            assert_int_equal(y[yy * 64 + xx], 16);
    cw_font_free(f);
    /* SHA-256 of "abc" (FIPS 180-2) */
    char hex[CW_SHA256_HEX];
    cw_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* One encoder writes pictures of several sizes (its buffers grow, then are reused); what is read
 * back has the size and, within JPEG's loss, the colour written, TV range stretched to full. */
static void test_jpeg_encoder_reuse(void **state)
{
    (void)state;
    char dir[] = "/tmp/cw-jpeg-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    struct cw_jpeg_encoder *enc = cw_jpeg_encoder_new();
    assert_non_null(enc);
    static const int sizes[][2] = {{64, 48}, {320, 240}, {66, 34}, {320, 240}};
    static uint8_t y[320 * 240], u[160 * 120], v[160 * 120];
    memset(u, 128, sizeof(u));
    memset(v, 128, sizeof(v));
    for (int k = 0; k < 4; k++) {
        int w = sizes[k][0], h = sizes[k][1];
        memset(y, k & 1 ? 235 : 16, sizeof(y)); /* TV white, TV black */
        const uint8_t *planes[3] = {y, u, v};
        int strides[3] = {w, (w + 1) / 2, (w + 1) / 2};
        snprintf(path, sizeof(path), "%s/%d.jpg", dir, k);
        assert_int_equal(
            cw_jpeg_write_yuv420(k == 2 ? NULL : enc, path, planes, strides, w, h, 90, true), 0);
        uint8_t *rgb;
        int rw, rh;
        assert_int_equal(cw_jpeg_read_rgb(path, &rgb, &rw, &rh), 0);
        assert_int_equal(rw, w);
        assert_int_equal(rh, h);
        int want = k & 1 ? 255 : 0;
        for (int i = 0; i < 3 * w * h; i++)
            assert_true(abs(rgb[i] - want) <= 3);
        free(rgb);
        unlink(path);
    }
    /* a picture too big for any JPEG: an error naming the file, the encoder still usable */
    static uint8_t wide[70000];
    const uint8_t *planes[3] = {wide, wide, wide};
    int strides[3] = {70000, 35000, 35000};
    snprintf(path, sizeof(path), "%s/big.jpg", dir);
    assert_int_not_equal(cw_jpeg_write_yuv420(enc, path, planes, strides, 70000, 1, 90, false), 0);
    cw_jpeg_encoder_free(enc);
    cw_jpeg_encoder_free(NULL);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_log_text_and_json),
        cmocka_unit_test(test_log_levels_and_sink),
        cmocka_unit_test(test_json_escape_cuts_cleanly),
        cmocka_unit_test(test_wall_anchor),
        cmocka_unit_test(test_options_defaults_and_set),
        cmocka_unit_test(test_options_json),
        cmocka_unit_test(test_options_help),
        cmocka_unit_test(test_pixelate_and_text),
        cmocka_unit_test(test_jpeg_encoder_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
