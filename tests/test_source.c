/* Tests of the input path on generated media: good files, damaged files, bad inputs. */
#include "helpers.h"

#include <time.h>

#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/prefetch.h"
#include "crosswatch/source.h"

#define MS INT64_C(1000000)

static struct cw_source_config config(const char *input)
{
    struct cw_source_config cfg;
    cw_options_defaults(cw_source_options, &cfg);
    free(cfg.input);
    cfg.input = (char *)input;
    return cfg;
}

static struct cw_source *open_ok(struct cw_source_config *cfg)
{
    struct cw_source *src = NULL;
    int err = cw_source_open(cfg, &src);
    if (err)
        fail_msg("cannot open %s: %s", cfg->input, cw_strerror(err));
    return src;
}

/* Reads everything; returns the frame count and the end code in *end. */
static int drain(struct cw_source *src, int *end)
{
    struct cw_frame *f;
    int n = 0, err;
    while ((err = cw_source_read(src, &f)) == 0) {
        n++;
        cw_frame_unref(&f);
    }
    *end = err;
    return n;
}

static void test_good_file(void **state)
{
    struct cw_source_config cfg = config(media("small.mp4"));
    struct cw_source *src;
    struct cw_frame *f;
    struct cw_source_stats st;
    int64_t last_pts = -1, last_mono = 0;
    int n = 0, keys = 0;
    (void)state;
    cfg.start_time = 1795966296.0; /* the first frame's wall-clock time */
    src = open_ok(&cfg);
    const struct cw_source_info *info = cw_source_get_info(src);
    assert_string_equal(info->codec, "h264");
    assert_true(info->fps == 25);
    assert_false(info->live);
    assert_true(info->duration_s > 3.9 && info->duration_s < 4.1);
    while (cw_source_read(src, &f) == 0) {
        assert_int_equal(f->width, 320);
        assert_int_equal(f->height, 240);
        /* Never upscaled: a small picture is analysed at its own size. */
        assert_int_equal(f->grey.width, 320);
        assert_int_equal(f->grey.height, 240);
        assert_int_equal(f->index, n);
        assert_int_equal(f->pts_ns, n * 40 * MS);
        assert_int_equal(f->wall_ns, INT64_C(1795966296) * CW_NS_PER_S + f->pts_ns);
        assert_true(f->mono_ns >= last_mono);
        assert_true(f->pts_ns > last_pts);
        assert_non_null(f->plane[1]);
        if (f->keyframe) {
            assert_int_equal(n % 25, 0);
            keys++;
        }
        /* The analysis image is the luma plane when sizes match. */
        assert_memory_equal(f->grey.data + 100 * f->grey.stride, f->plane[0] + 100 * f->stride[0],
                            320);
        last_pts = f->pts_ns;
        last_mono = f->mono_ns;
        cw_frame_unref(&f);
        n++;
    }
    assert_int_equal(n, 100);
    assert_int_equal(keys, 4);
    cw_source_get_stats(src, &st);
    assert_int_equal(st.frames, 100);
    assert_int_equal(st.packets, 100);
    assert_int_equal(st.decode_errors, 0);
    assert_int_equal(st.dropped, 0);
    /* All 4 s of compressed packets are in the 10 s ring. */
    struct cw_packet_ring_stats rs;
    cw_packet_ring_get_stats(cw_source_ring(src), &rs);
    assert_int_equal(rs.packets, 100);
    cw_source_free(src);
}

static void test_analysis_image_hd(void **state)
{
    struct cw_source_config cfg = config(media("hd.mp4"));
    struct cw_source *src;
    struct cw_frame *f;
    (void)state;
    cfg.threads = 2;
    src = open_ok(&cfg);
    assert_int_equal(cw_source_read(src, &f), 0);
    assert_int_equal(f->width, 1280);
    assert_int_equal(f->grey.width, 640);
    assert_int_equal(f->grey.height, 360);
    /* Each grey pixel is the rounded mean of its 2x2 luma block. */
    for (int y = 0; y < 360; y += 37)
        for (int x = 0; x < 640; x += 41) {
            const uint8_t *p = f->plane[0] + (size_t)(2 * y) * f->stride[0] + 2 * x;
            int mean = (p[0] + p[1] + p[f->stride[0]] + p[f->stride[0] + 1] + 2) / 4;
            assert_int_equal(f->grey.data[(size_t)y * f->grey.stride + x], mean);
        }
    cw_frame_unref(&f);
    cw_source_free(src);
}

static void test_converted_formats(void **state)
{
    const char *files[] = {"yuv444.mp4", "mjpeg.avi"};
    (void)state;
    for (int i = 0; i < 2; i++) {
        struct cw_source_config cfg = config(media(files[i]));
        struct cw_source *src = open_ok(&cfg);
        struct cw_frame *f;
        int n = 0, end;
        assert_int_equal(cw_source_read(src, &f), 0);
        n++;
        /* Converted to planar 4:2:0 at full size. */
        assert_int_equal(f->width, 320);
        assert_non_null(f->plane[2]);
        assert_true(f->stride[1] >= 160);
        cw_frame_unref(&f);
        n += drain(src, &end);
        assert_int_equal(end, CW_EOF);
        assert_int_equal(n, 25);
        cw_source_free(src);
    }
}

static void test_no_timestamps(void **state)
{
    struct cw_source_config cfg = config(media("raw.h264"));
    struct cw_source *src = open_ok(&cfg);
    struct cw_frame *f;
    struct cw_source_stats st;
    int64_t last = -1;
    int n = 0;
    (void)state;
    while (cw_source_read(src, &f) == 0) {
        assert_true(f->pts_ns > last);
        assert_true(f->wall_ns > 0);
        last = f->pts_ns;
        n++;
        cw_frame_unref(&f);
    }
    assert_int_equal(n, 50);
    cw_source_get_stats(src, &st);
    assert_int_equal(st.clock_jumps, 0);
    cw_source_free(src);
}

static void test_truncated(void **state)
{
    const char *files[] = {"truncated.mp4", "truncated.ts"};
    (void)state;
    for (int i = 0; i < 2; i++) {
        struct cw_source_config cfg = config(media(files[i]));
        struct cw_source *src = open_ok(&cfg);
        struct log_capture c;
        int end, n;
        capture_start(&c);
        n = drain(src, &end);
        capture_stop();
        /* What is there is decoded, then the file ends normally. */
        assert_int_equal(end, CW_EOF);
        assert_true(n >= 50 && n < 100);
        assert_int_equal(c.errors, 0);
        cw_source_free(src);
    }
}

static void test_bit_flips(void **state)
{
    struct cw_source_config cfg = config(media("bitflip.ts"));
    struct cw_source *src = open_ok(&cfg);
    struct cw_source_stats st;
    struct log_capture c;
    int end, n;
    (void)state;
    capture_start(&c);
    n = drain(src, &end);
    capture_stop();
    assert_int_equal(end, CW_EOF);
    assert_true(n >= 90);
    cw_source_get_stats(src, &st);
    assert_true(st.damaged + st.decode_errors > 0);
    assert_logged(&c, "warn source: input '");
    assert_logged(&c, "bitflip.ts': damaged picture near");
    /* Rate-limited: a damaged stream does not flood the log. */
    assert_true(c.lines < 10);
    cw_source_free(src);
}

static void test_size_change(void **state)
{
    struct cw_source_config cfg = config(media("sizechange.ts"));
    struct cw_source *src = open_ok(&cfg);
    struct cw_frame *f, *first = NULL;
    struct log_capture c;
    int n = 0;
    (void)state;
    capture_start(&c);
    while (cw_source_read(src, &f) == 0) {
        if (!first)
            first = cw_frame_ref(f); /* held across the change */
        assert_int_equal(f->width, n < 25 ? 320 : 640);
        n++;
        cw_frame_unref(&f);
    }
    capture_stop();
    assert_int_equal(n, 50);
    assert_int_equal(first->width, 320);
    assert_int_equal(first->grey.data[0], first->plane[0][0]);
    cw_frame_unref(&first);
    assert_logged(&c, "picture changed from 320x240 yuv420p to 640x480 yuv420p");
    cw_source_free(src);
}

static void test_pool_exhaustion(void **state)
{
    struct cw_source_config cfg = config(media("small.mp4"));
    struct cw_source *src;
    struct cw_frame *held[2], *f;
    struct cw_source_stats st;
    struct log_capture c;
    (void)state;
    cfg.frames = 2;
    src = open_ok(&cfg);
    assert_int_equal(cw_source_read(src, &held[0]), 0);
    assert_int_equal(cw_source_read(src, &held[1]), 0);
    capture_start(&c);
    /* Every frame is held: the source drops pictures to the end rather than block. */
    assert_int_equal(cw_source_read(src, &f), CW_EOF);
    capture_stop();
    cw_source_get_stats(src, &st);
    assert_int_equal(st.dropped, 98);
    assert_logged(&c, "all 2 pooled frames are held downstream; dropping pictures");
    cw_frame_unref(&held[0]);
    cw_frame_unref(&held[1]);
    cw_source_free(src);
}

static void test_loop(void **state)
{
    struct cw_source_config cfg = config(media("small.mp4"));
    struct cw_source *src;
    struct cw_frame *f;
    int64_t last = -1;
    (void)state;
    cfg.loop = true;
    src = open_ok(&cfg);
    for (int i = 0; i < 250; i++) {
        assert_int_equal(cw_source_read(src, &f), 0);
        /* Stream time keeps running across the restarts. */
        assert_true(f->pts_ns > last);
        last = f->pts_ns;
        cw_frame_unref(&f);
    }
    assert_int_equal(last, 249 * 40 * MS);
    cw_source_cancel(src);
    assert_int_equal(cw_source_read(src, &f), CW_ECANCELED);
    cw_source_free(src);
}

struct bad_input {
    const char *name;
    int code;
    const char *expect;
};

/* Read ahead on a thread of its own, a file gives every frame in order, then its end; a damaged
 * one ends as it would read directly; a prefetcher freed while its queue is full (the consumer
 * stopped early) stops its reader and releases the queued frames. */
static void test_prefetch(void **state)
{
    (void)state;
    const char *files[2] = {"small.mp4", "truncated.mp4"};
    for (int k = 0; k < 2; k++) {
        struct cw_source_config cfg = config(media(files[k]));
        struct cw_source *src = open_ok(&cfg);
        int end, direct = drain(src, &end);
        cw_source_free(src);
        cfg.frames = cw_prefetch_pool_frames(3);
        src = open_ok(&cfg);
        struct cw_prefetch *pf;
        assert_int_equal(cw_prefetch_new(src, 3, &pf), 0);
        struct cw_frame *f;
        int n = 0, err;
        int64_t last = -1;
        while ((err = cw_prefetch_read(pf, &f)) == 0) {
            assert_true(f->index > last); /* in order */
            last = f->index;
            n++;
            cw_frame_unref(&f);
        }
        assert_int_equal(n, direct);
        assert_int_equal(err, end);
        assert_int_equal(cw_prefetch_read(pf, &f), end); /* and stays ended */
        struct cw_source_stats st;
        cw_source_get_stats(src, &st);
        assert_int_equal(st.dropped, 0); /* the reader waited for room */
        cw_prefetch_free(pf);
        cw_source_free(src);
    }
    struct cw_source_config cfg = config(media("small.mp4"));
    cfg.frames = cw_prefetch_pool_frames(4);
    struct cw_source *src = open_ok(&cfg);
    struct cw_prefetch *pf;
    struct cw_frame *f;
    assert_int_equal(cw_prefetch_new(src, 4, &pf), 0);
    assert_int_equal(cw_prefetch_read(pf, &f), 0);
    cw_frame_unref(&f);
    struct timespec nap = {0, 50 * 1000 * 1000};
    nanosleep(&nap, NULL); /* the queue fills */
    cw_prefetch_free(pf);
    struct cw_prefetch *bad;
    assert_int_equal(cw_prefetch_new(src, 0, &bad), CW_EINVAL); /* a bad depth */
    assert_null(bad);
    cw_source_free(src);
}

static void test_bad_inputs(void **state)
{
    char refused[64];
    const struct bad_input cases[] = {
        {"missing.mp4", CW_ENOENT, "missing.mp4': cannot open: no such file; check the path"},
        {"notvideo.txt", CW_EFORMAT, "notvideo.txt': is a text file, not a video"},
        {"audio.wav", CW_EFORMAT, "audio.wav': has no video stream"},
        {"empty.mp4", CW_EFORMAT, "empty.mp4': cannot open: Invalid data found"},
        {"garbage.mp4", CW_EFORMAT, "garbage.mp4': cannot open: Invalid data found"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cw_source_config cfg = config(media(cases[i].name));
        struct cw_source *src = NULL;
        struct log_capture c;
        capture_start(&c);
        assert_int_equal(cw_source_open(&cfg, &src), cases[i].code);
        capture_stop();
        assert_null(src);
        assert_int_equal(c.errors, 1); /* exactly one line */
        assert_logged(&c, cases[i].expect);
    }
    /* A camera URL where nothing listens; the password never reaches the log. */
    snprintf(refused, sizeof(refused), "rtsp://admin:hunter2@127.0.0.1:1/stream");
    struct cw_source_config cfg = config(refused);
    struct cw_source *src = NULL;
    struct log_capture c;
    cfg.timeout_s = 2;
    capture_start(&c);
    assert_int_equal(cw_source_open(&cfg, &src), CW_ECONNECT);
    capture_stop();
    assert_logged(&c, "input 'rtsp://admin:***@127.0.0.1:1/stream': cannot open: Connection "
                      "refused; check the camera's address and port");
    assert_null(strstr(c.text, "hunter2"));
    /* No input at all. */
    cfg = config(NULL);
    capture_start(&c);
    assert_int_equal(cw_source_open(&cfg, &src), CW_EINVAL);
    capture_stop();
    assert_logged(&c, "no input given");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_analysis_image_hd),
        cmocka_unit_test(test_converted_formats),
        cmocka_unit_test(test_no_timestamps),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_size_change),
        cmocka_unit_test(test_pool_exhaustion),
        cmocka_unit_test(test_loop),
        cmocka_unit_test(test_prefetch),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
