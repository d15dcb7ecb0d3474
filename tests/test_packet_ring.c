/* Unit tests: the ring of compressed packets. */
#include "helpers.h"

#include "crosswatch/error.h"
#include "crosswatch/packet_ring.h"

#define MS INT64_C(1000000)

/* Pushes packet @i of a 25 fps stream with a keyframe every @gop; its bytes all equal i. */
static void push(struct cw_packet_ring *r, int i, int gop, uint32_t size)
{
    uint8_t buf[70000];
    struct cw_packet_info info = {.pts_ns = i * 40 * MS,
                                  .dts_ns = i * 40 * MS,
                                  .duration_ns = 40 * MS,
                                  .size = size,
                                  .keyframe = i % gop == 0};
    memset(buf, i & 0xff, size);
    assert_int_equal(cw_packet_ring_push(r, buf, &info), 0);
}

struct collect {
    int n;
    int first_byte[1024];
    int64_t pts[1024];
    bool intact;
};

static int visit(void *opaque, const uint8_t *data, const struct cw_packet_info *info)
{
    struct collect *c = opaque;
    for (uint32_t k = 0; k < info->size; k++)
        if (data[k] != data[0])
            c->intact = false;
    c->first_byte[c->n] = data[0];
    c->pts[c->n++] = info->pts_ns;
    return 0;
}

static void test_time_limit(void **state)
{
    struct cw_packet_ring_config cfg = {.seconds = 2, .max_bytes = 1 << 20, .max_packets = 512};
    struct cw_packet_ring *r = cw_packet_ring_new(&cfg);
    struct cw_packet_ring_stats st;
    (void)state;
    for (int i = 0; i < 250; i++) /* 10 s */
        push(r, i, 25, 1000);
    cw_packet_ring_get_stats(r, &st);
    /* 2 s at 25 fps plus the packet at the boundary */
    assert_int_equal(st.packets, 51);
    assert_int_equal(st.last_dts_ns - st.first_dts_ns, 2000 * MS);
    assert_int_equal(st.evicted, 199);
    assert_int_equal(st.evicted_early, 0);
    cw_packet_ring_free(r);
}

static void test_bytes_limit_and_wrap(void **state)
{
    /* 64 KiB holds only a few 7000-byte packets: the arena wraps many times. */
    struct cw_packet_ring_config cfg = {.seconds = 100, .max_bytes = 65536, .max_packets = 64};
    struct cw_packet_ring *r = cw_packet_ring_new(&cfg);
    struct cw_packet_ring_stats st;
    struct collect c = {.intact = true};
    (void)state;
    for (int i = 0; i < 1000; i++)
        push(r, i, 3, 3000 + (uint32_t)(i * 37) % 5000);
    cw_packet_ring_get_stats(r, &st);
    assert_true(st.bytes <= 65536);
    assert_true(st.evicted_early > 0);
    assert_int_equal(st.pushed, 1000);
    /* What is left is the newest packets, intact, in order. */
    int n = cw_packet_ring_visit(r, 0, INT64_MAX, visit, &c);
    assert_true(n > 0);
    assert_true(c.intact);
    assert_int_equal(c.first_byte[c.n - 1], 999 & 0xff);
    for (int i = 1; i < c.n; i++)
        assert_true(c.pts[i] == c.pts[i - 1] + 40 * MS);
    /* A packet larger than the arena is refused, not stored. */
    uint8_t big[1];
    struct cw_packet_info info = {.size = 70000};
    assert_int_equal(cw_packet_ring_push(r, big, &info), CW_ENOSPC);
    cw_packet_ring_get_stats(r, &st);
    assert_int_equal(st.rejected, 1);
    cw_packet_ring_free(r);
}

/* The arena is sized for twice the bit rate, but what it keeps in memory follows the bytes it
 * holds: pages freed by evictions are handed back (checked with mincore), and what is held stays
 * intact through many turns of the arena, with and without bursts that wrap it early. */
static void test_resident_follows_bytes(void **state)
{
    struct cw_packet_ring_config cfg = {.seconds = 2, .max_bytes = 8 << 20, .max_packets = 4096};
    struct cw_packet_ring *r = cw_packet_ring_new(&cfg);
    struct cw_packet_ring_stats st;
    (void)state;
    for (int i = 0; i < 25 * 60; i++) { /* a minute at 25 fps, ~1 MB/s, bursts every 10 s */
        uint32_t size = (i % 250 < 25 ? 60000 : 30000) + (uint32_t)(i * 7919) % 9000;
        push(r, i, 25, size);
        if (i % 97 == 0 || i == 25 * 60 - 1) {
            cw_packet_ring_get_stats(r, &st);
            size_t res = cw_packet_ring_resident(r);
            assert_true(res >= st.bytes - 2 * 4096);
            assert_true(res <= st.bytes + (1 << 20) + 16 * 4096);
            struct collect c = {.intact = true};
            assert_true(cw_packet_ring_visit(r, 0, INT64_MAX, visit, &c) > 0);
            assert_true(c.intact);
        }
    }
    cw_packet_ring_get_stats(r, &st);
    assert_int_equal(st.evicted_early, 0);
    assert_true(st.bytes < (4 << 20)); /* the arena turned over more than once */
    struct collect c = {.intact = true};
    assert_true(cw_packet_ring_visit(r, 0, INT64_MAX, visit, &c) > 0);
    assert_true(c.intact);
    for (int i = 1; i < c.n; i++)
        assert_int_equal(c.first_byte[i], (c.first_byte[i - 1] + 1) & 0xff);
    cw_packet_ring_free(r);
}

static void test_visit_from_keyframe(void **state)
{
    struct cw_packet_ring_config cfg = {.seconds = 10, .max_bytes = 1 << 20, .max_packets = 512};
    struct cw_packet_ring *r = cw_packet_ring_new(&cfg);
    struct collect c = {.intact = true};
    (void)state;
    for (int i = 0; i < 100; i++)
        push(r, i, 25, 500);
    /* 1.5 s .. 2.5 s starts at the keyframe at 1.0 s (packet 25) and ends with packet 62. */
    assert_int_equal(cw_packet_ring_visit(r, 1500 * MS, 2500 * MS, visit, &c), 38);
    assert_int_equal(c.first_byte[0], 25);
    assert_int_equal(c.pts[c.n - 1], 2480 * MS);
    /* Nothing that early is held: start from the first keyframe held. */
    cw_packet_ring_clear(r);
    for (int i = 30; i < 100; i++)
        push(r, i, 25, 500);
    c.n = 0;
    assert_true(cw_packet_ring_visit(r, 0, 3000 * MS, visit, &c) > 0);
    assert_int_equal(c.first_byte[0], 50);
    assert_int_equal(cw_packet_ring_visit(r, 0, 1000 * MS, visit, &c), CW_ENOENT);
    cw_packet_ring_free(r);
}

static void test_bad_config(void **state)
{
    struct log_capture c;
    struct cw_packet_ring_config cfg = {.seconds = 0, .max_bytes = 1 << 20, .max_packets = 64};
    (void)state;
    capture_start(&c);
    assert_null(cw_packet_ring_new(&cfg));
    capture_stop();
    assert_logged(&c, "packet ring: bad size");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_limit),          cmocka_unit_test(test_bytes_limit_and_wrap),
        cmocka_unit_test(test_visit_from_keyframe), cmocka_unit_test(test_resident_follows_bytes),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
