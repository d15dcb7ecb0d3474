/* Unit tests: frame pools and reference counting. */
#include "helpers.h"

#include <pthread.h>

#include "crosswatch/frame.h"

static int slots_made, slots_reset, slots_freed;
static void *slot_new(void *opaque)
{
    (void)opaque;
    slots_made++;
    return malloc(16);
}
static void slot_reset(void *s)
{
    (void)s;
    slots_reset++;
}
static void slot_free(void *s)
{
    slots_freed++;
    free(s);
}

static void test_pool_get_ref_unref(void **state)
{
    struct cw_frame_pool_config cfg = {.count = 3,
                                       .width = 1920,
                                       .height = 1080,
                                       .grey_width = 640,
                                       .grey_height = 360,
                                       .own_planes = true};
    struct cw_frame_pool *pool = cw_frame_pool_new(&cfg);
    struct cw_frame *a, *b, *c, *d, *ref;
    (void)state;
    assert_non_null(pool);
    assert_int_equal(cw_frame_pool_available(pool), 3);
    a = cw_frame_pool_get(pool);
    b = cw_frame_pool_get(pool);
    c = cw_frame_pool_get(pool);
    assert_non_null(a);
    assert_non_null(c);
    /* Exhausted: the caller decides to drop or wait. */
    d = cw_frame_pool_get(pool);
    assert_null(d);
    /* Planes and the analysis image are usable, aligned and distinct. */
    assert_int_equal(a->grey.width, 640);
    assert_int_equal(a->grey.stride % 64, 0);
    assert_int_equal((uintptr_t)a->grey.data % 64, 0);
    assert_true(a->plane[0] != b->plane[0]);
    memset(a->plane[0], 1, (size_t)a->stride[0] * 1080);
    memset(a->plane[1], 2, (size_t)a->stride[1] * 540);
    memset(a->grey.data, 3, (size_t)a->grey.stride * 360);
    assert_int_equal(b->plane[0][0] == 1, 0);

    ref = cw_frame_ref(a);
    assert_int_equal(cw_frame_refcount(a), 2);
    cw_frame_unref(&ref);
    assert_null(ref);
    assert_int_equal(cw_frame_pool_available(pool), 0);
    cw_frame_unref(&a);
    assert_int_equal(cw_frame_pool_available(pool), 1);
    d = cw_frame_pool_get(pool);
    assert_non_null(d);
    assert_int_equal(d->pts_ns, 0);
    cw_frame_unref(&d);
    /* The owner lets go while frames are out: they stay valid until their last unref. */
    cw_frame_pool_free(pool);
    b->grey.data[0] = 7;
    cw_frame_unref(&b);
    cw_frame_unref(&c);
    cw_frame_unref(NULL);
}

static void test_pool_slots(void **state)
{
    struct cw_frame_pool_config cfg = {.count = 4,
                                       .width = 64,
                                       .height = 48,
                                       .grey_width = 32,
                                       .grey_height = 24,
                                       .slot_new = slot_new,
                                       .slot_reset = slot_reset,
                                       .slot_free = slot_free};
    struct cw_frame_pool *pool;
    struct cw_frame *f;
    (void)state;
    slots_made = slots_reset = slots_freed = 0;
    pool = cw_frame_pool_new(&cfg);
    assert_int_equal(slots_made, 4);
    f = cw_frame_pool_get(pool);
    assert_non_null(cw_frame_slot(f));
    assert_null(f->plane[0]); /* borrowed planes: none of its own */
    cw_frame_unref(&f);
    assert_int_equal(slots_reset, 1);
    cw_frame_pool_free(pool);
    assert_int_equal(slots_freed, 4);
}

static void test_pool_bad_config(void **state)
{
    struct log_capture c;
    struct cw_frame_pool_config cfg = {
        .count = 0, .width = 64, .height = 48, .grey_width = 32, .grey_height = 24};
    (void)state;
    capture_start(&c);
    assert_null(cw_frame_pool_new(&cfg));
    cfg.count = 2;
    cfg.grey_width = 128; /* larger than the picture */
    assert_null(cw_frame_pool_new(&cfg));
    capture_stop();
    assert_int_equal(c.errors, 2);
    assert_logged(&c, "frame pool: bad sizes");
}

struct churn {
    struct cw_frame *frames[8];
};

static void *unref_all(void *arg)
{
    struct churn *ch = arg;
    for (int round = 0; round < 20000; round++) {
        struct cw_frame *r = cw_frame_ref(ch->frames[round % 8]);
        cw_frame_unref(&r);
    }
    return NULL;
}

static void test_refcount_threads(void **state)
{
    struct cw_frame_pool_config cfg = {.count = 8,
                                       .width = 32,
                                       .height = 32,
                                       .grey_width = 16,
                                       .grey_height = 16,
                                       .own_planes = true};
    struct cw_frame_pool *pool = cw_frame_pool_new(&cfg);
    struct churn ch;
    pthread_t t[4];
    (void)state;
    for (int i = 0; i < 8; i++)
        ch.frames[i] = cw_frame_pool_get(pool);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, unref_all, &ch);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(cw_frame_refcount(ch.frames[i]), 1);
        cw_frame_unref(&ch.frames[i]);
    }
    assert_int_equal(cw_frame_pool_available(pool), 8);
    cw_frame_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_get_ref_unref),
        cmocka_unit_test(test_pool_slots),
        cmocka_unit_test(test_pool_bad_config),
        cmocka_unit_test(test_refcount_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
