#include "crosswatch/frame.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/error.h"
#include "crosswatch/log.h"

/* Rows start on this boundary so that vector loads over a row are aligned. */
#define ROW_ALIGN 64

struct slot {
    struct cw_frame frame; /* first member: a frame pointer is a slot pointer */
    atomic_int refs;
    struct cw_frame_pool *pool;
    void *user;
    struct slot *next_free;
};

struct cw_frame_pool {
    struct cw_frame_pool_config cfg;
    pthread_mutex_t lock;
    struct slot *slots;
    struct slot *free_list;
    unsigned available;
    bool released;   /* the owner called cw_frame_pool_free */
    uint8_t *memory; /* all plane memory, one block */
};

static int align_up(int v)
{
    return (v + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN;
}

static void pool_destroy(struct cw_frame_pool *pool)
{
    if (pool->cfg.slot_free) {
        for (unsigned i = 0; i < pool->cfg.count; i++)
            if (pool->slots[i].user)
                pool->cfg.slot_free(pool->slots[i].user);
    }
    free(pool->memory);
    free(pool->slots);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

struct cw_frame_pool *cw_frame_pool_new(const struct cw_frame_pool_config *cfg)
{
    struct cw_frame_pool *pool;
    size_t grey_size, plane_size = 0, per_frame;
    int ystride = 0, cstride = 0, cw = 0, ch = 0;

    if (cfg->count < 1 || cfg->count > 4096 || cfg->width < 1 || cfg->height < 1 ||
        cfg->width > 16384 || cfg->height > 16384 || cfg->grey_width < 1 || cfg->grey_height < 1 ||
        cfg->grey_width > cfg->width || cfg->grey_height > cfg->height) {
        cw_log_error("frame", "frame pool: bad sizes (%u frames of %dx%d, analysis %dx%d)",
                     cfg->count, cfg->width, cfg->height, cfg->grey_width, cfg->grey_height);
        return NULL;
    }
    pool = calloc(1, sizeof(*pool));
    if (!pool)
        goto out_nomem;
    pool->cfg = *cfg;
    pthread_mutex_init(&pool->lock, NULL);
    pool->slots = calloc(cfg->count, sizeof(*pool->slots));
    if (!pool->slots)
        goto out_free_pool;

    grey_size = (size_t)align_up(cfg->grey_width) * (size_t)cfg->grey_height;
    if (cfg->own_planes) {
        ystride = align_up(cfg->width);
        cw = (cfg->width + 1) / 2;
        ch = (cfg->height + 1) / 2;
        cstride = align_up(cw);
        plane_size = (size_t)ystride * (size_t)cfg->height + 2 * (size_t)cstride * (size_t)ch;
    }
    per_frame = grey_size + plane_size;
    if (posix_memalign((void **)&pool->memory, ROW_ALIGN, per_frame * cfg->count) != 0) {
        pool->memory = NULL;
        goto out_free_pool;
    }

    for (unsigned i = 0; i < cfg->count; i++) {
        struct slot *s = &pool->slots[i];
        uint8_t *base = pool->memory + per_frame * i;
        s->pool = pool;
        s->frame.grey.width = cfg->grey_width;
        s->frame.grey.height = cfg->grey_height;
        s->frame.grey.stride = align_up(cfg->grey_width);
        s->frame.grey.data = base;
        s->frame.width = cfg->width;
        s->frame.height = cfg->height;
        if (cfg->own_planes) {
            uint8_t *p = base + grey_size;
            s->frame.plane[0] = p;
            s->frame.stride[0] = ystride;
            p += (size_t)ystride * (size_t)cfg->height;
            s->frame.plane[1] = p;
            s->frame.stride[1] = cstride;
            p += (size_t)cstride * (size_t)ch;
            s->frame.plane[2] = p;
            s->frame.stride[2] = cstride;
        }
        if (cfg->slot_new) {
            s->user = cfg->slot_new(cfg->opaque);
            if (!s->user)
                goto out_free_pool;
        }
        s->next_free = pool->free_list;
        pool->free_list = s;
    }
    pool->available = cfg->count;
    return pool;

out_free_pool:
    if (pool->slots)
        pool_destroy(pool);
    else {
        pthread_mutex_destroy(&pool->lock);
        free(pool);
    }
out_nomem:
    cw_log_error("frame", "frame pool: out of memory for %u frames of %dx%d", cfg->count,
                 cfg->width, cfg->height);
    return NULL;
}

void cw_frame_pool_free(struct cw_frame_pool *pool)
{
    bool destroy;
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->released = true;
    destroy = pool->available == pool->cfg.count;
    pthread_mutex_unlock(&pool->lock);
    if (destroy)
        pool_destroy(pool);
}

struct cw_frame *cw_frame_pool_get(struct cw_frame_pool *pool)
{
    struct slot *s;
    pthread_mutex_lock(&pool->lock);
    s = pool->free_list;
    if (s) {
        pool->free_list = s->next_free;
        pool->available--;
    }
    pthread_mutex_unlock(&pool->lock);
    if (!s)
        return NULL;
    atomic_store(&s->refs, 1);
    s->frame.pts_ns = 0;
    s->frame.wall_ns = 0;
    s->frame.mono_ns = 0;
    s->frame.index = 0;
    s->frame.keyframe = false;
    return &s->frame;
}

unsigned cw_frame_pool_available(const struct cw_frame_pool *pool)
{
    unsigned n;
    pthread_mutex_lock((pthread_mutex_t *)&pool->lock);
    n = pool->available;
    pthread_mutex_unlock((pthread_mutex_t *)&pool->lock);
    return n;
}

const struct cw_frame_pool_config *cw_frame_pool_config(const struct cw_frame_pool *pool)
{
    return &pool->cfg;
}

struct cw_frame *cw_frame_ref(struct cw_frame *frame)
{
    struct slot *s = (struct slot *)frame;
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return frame;
}

int cw_frame_refcount(const struct cw_frame *frame)
{
    return atomic_load(&((const struct slot *)frame)->refs);
}

void *cw_frame_slot(const struct cw_frame *frame)
{
    return ((const struct slot *)frame)->user;
}

void cw_frame_unref(struct cw_frame **frame)
{
    struct slot *s;
    struct cw_frame_pool *pool;
    bool destroy;

    if (!frame || !*frame)
        return;
    s = (struct slot *)*frame;
    *frame = NULL;
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    pool = s->pool;
    if (pool->cfg.slot_reset && s->user)
        pool->cfg.slot_reset(s->user);
    pthread_mutex_lock(&pool->lock);
    s->next_free = pool->free_list;
    pool->free_list = s;
    pool->available++;
    destroy = pool->released && pool->available == pool->cfg.count;
    pthread_mutex_unlock(&pool->lock);
    if (destroy)
        pool_destroy(pool);
}
