#include "crosswatch/packet_ring.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "crosswatch/error.h"
#include "crosswatch/log.h"

struct record {
    struct cw_packet_info info;
    size_t offset; /* where the bytes start in the arena */
};

/* Freed arena pages are handed back to the system once this many bytes have been freed behind
 * the oldest packet, so the ring's resident memory follows the bytes it holds, not its size. */
#define RELEASE_CHUNK ((size_t)1 << 20)

struct cw_packet_ring {
    struct cw_packet_ring_config cfg;
    pthread_mutex_t lock;
    uint8_t *arena; /* mapped: max_bytes rounded up to pages */
    size_t mapped, page;
    size_t kept_from; /* freed bytes from here up to the oldest packet are not yet handed back */
    struct record *rec;
    unsigned first; /* index of the oldest record */
    unsigned count;
    /* Bytes live in [tail, head) when !wrapped, and in [tail, end_used) + [0, head) when
     * wrapped (head <= tail); a packet is never split across the end of the arena. */
    size_t head, tail, end_used;
    bool wrapped;
    size_t bytes;
    uint64_t pushed, evicted, evicted_early, rejected;
};

struct cw_packet_ring *cw_packet_ring_new(const struct cw_packet_ring_config *cfg)
{
    struct cw_packet_ring *r;
    if (!(cfg->seconds > 0) || cfg->max_bytes < 65536 || cfg->max_packets < 16) {
        cw_log_error("ring", "packet ring: bad size (%.1f s, %zu bytes, %u packets)", cfg->seconds,
                     cfg->max_bytes, cfg->max_packets);
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    if (!r)
        goto out_nomem;
    r->cfg = *cfg;
    long page = sysconf(_SC_PAGESIZE);
    r->page = page > 0 ? (size_t)page : 4096;
    r->mapped = (cfg->max_bytes + r->page - 1) / r->page * r->page;
    r->arena = mmap(NULL, r->mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r->arena == MAP_FAILED)
        r->arena = NULL;
    r->rec = calloc(cfg->max_packets, sizeof(*r->rec));
    if (!r->arena || !r->rec)
        goto out_free;
    pthread_mutex_init(&r->lock, NULL);
    return r;

out_free:
    if (r->arena)
        munmap(r->arena, r->mapped);
    free(r->rec);
    free(r);
out_nomem:
    cw_log_error("ring", "packet ring: out of memory for %zu bytes", cfg->max_bytes);
    return NULL;
}

void cw_packet_ring_free(struct cw_packet_ring *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    munmap(r->arena, r->mapped);
    free(r->rec);
    free(r);
}

/* Hands the whole pages inside [from, to) back to the system: they read as zeros and take no
 * memory until written again. */
static void release(struct cw_packet_ring *r, size_t from, size_t to)
{
    size_t a = (from + r->page - 1) / r->page * r->page, b = to / r->page * r->page;
    if (b > a)
        madvise(r->arena + a, b - a, MADV_DONTNEED);
}

size_t cw_packet_ring_resident(struct cw_packet_ring *r)
{
    size_t pages = r->mapped / r->page, n = 0;
    unsigned char vec[4096];
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < pages; i += sizeof(vec)) {
        size_t k = pages - i < sizeof(vec) ? pages - i : sizeof(vec);
        if (mincore(r->arena + i * r->page, k * r->page, vec))
            break;
        for (size_t j = 0; j < k; j++)
            n += vec[j] & 1;
    }
    pthread_mutex_unlock(&r->lock);
    return n * r->page;
}

static struct record *rec_at(struct cw_packet_ring *r, unsigned i)
{
    return &r->rec[(r->first + i) % r->cfg.max_packets];
}

static void reset(struct cw_packet_ring *r)
{
    release(r, 0, r->mapped);
    r->kept_from = 0;
    r->first = 0;
    r->count = 0;
    r->head = r->tail = r->end_used = 0;
    r->wrapped = false;
    r->bytes = 0;
}

static void evict_oldest(struct cw_packet_ring *r)
{
    struct record *old = rec_at(r, 0);
    r->bytes -= old->info.size;
    r->first = (r->first + 1) % r->cfg.max_packets;
    r->count--;
    if (r->count == 0) {
        reset(r);
        return;
    }
    size_t next = rec_at(r, 0)->offset;
    if (r->wrapped && next < r->tail) {
        /* The oldest packet now sits at the start of the arena: what it left at the end is free */
        release(r, r->kept_from, r->end_used);
        r->kept_from = next;
        r->wrapped = false;
        r->end_used = 0;
    }
    r->tail = next;
}

/* Hands back what evictions freed behind the oldest packet, [kept_from, tail): once it is worth
 * a call, or at once when @off..@off + @size is about to be written into it (a write never lands
 * in a span that is handed back later). */
static void release_freed(struct cw_packet_ring *r, size_t off, size_t size)
{
    bool into = off < r->tail && off + size > r->kept_from;
    if (r->count && (into || r->tail >= r->kept_from + RELEASE_CHUNK)) {
        release(r, r->kept_from, r->tail);
        r->kept_from = r->tail;
    }
}

static int64_t order_time(const struct cw_packet_info *i)
{
    return i->dts_ns != INT64_MIN ? i->dts_ns : i->pts_ns;
}

/* Finds room for @size bytes without evicting; returns the offset or SIZE_MAX. */
static size_t find_room(struct cw_packet_ring *r, size_t size)
{
    if (r->count == 0)
        return 0;
    if (!r->wrapped) {
        if (r->cfg.max_bytes - r->head >= size)
            return r->head;
        if (r->tail >= size)
            return 0; /* wrap around */
        return SIZE_MAX;
    }
    return r->tail - r->head >= size ? r->head : SIZE_MAX;
}

int cw_packet_ring_push(struct cw_packet_ring *r, const uint8_t *data,
                        const struct cw_packet_info *info)
{
    size_t size = info->size, off;
    struct record *rec;

    pthread_mutex_lock(&r->lock);
    if (size > r->cfg.max_bytes) {
        r->rejected++;
        pthread_mutex_unlock(&r->lock);
        return CW_ENOSPC;
    }
    if (r->count == r->cfg.max_packets) {
        evict_oldest(r);
        r->evicted_early++;
    }
    while ((off = find_room(r, size)) == SIZE_MAX) {
        evict_oldest(r);
        r->evicted_early++;
    }
    release_freed(r, off, size);
    if (r->count > 0 && !r->wrapped && off == 0) {
        r->wrapped = true;
        r->end_used = r->head;
    }
    memcpy(r->arena + off, data, size);
    r->head = off + size;
    rec = rec_at(r, r->count);
    rec->info = *info;
    rec->offset = off;
    if (r->count == 0)
        r->tail = off;
    r->count++;
    r->bytes += size;
    r->pushed++;
    /* Time limit: keep the newest @seconds of stream. */
    int64_t newest = order_time(info);
    int64_t limit = (int64_t)(r->cfg.seconds * 1e9);
    while (r->count > 1 && newest - order_time(&rec_at(r, 0)->info) > limit) {
        evict_oldest(r);
        r->evicted++;
    }
    release_freed(r, 0, 0);
    pthread_mutex_unlock(&r->lock);
    return 0;
}

void cw_packet_ring_clear(struct cw_packet_ring *r)
{
    pthread_mutex_lock(&r->lock);
    reset(r);
    pthread_mutex_unlock(&r->lock);
}

void cw_packet_ring_get_stats(struct cw_packet_ring *r, struct cw_packet_ring_stats *out)
{
    pthread_mutex_lock(&r->lock);
    out->pushed = r->pushed;
    out->evicted = r->evicted;
    out->evicted_early = r->evicted_early;
    out->rejected = r->rejected;
    out->bytes = r->bytes;
    out->packets = r->count;
    out->first_dts_ns = r->count ? order_time(&rec_at(r, 0)->info) : 0;
    out->last_dts_ns = r->count ? order_time(&rec_at(r, r->count - 1)->info) : 0;
    pthread_mutex_unlock(&r->lock);
}

int cw_packet_ring_visit(struct cw_packet_ring *r, int64_t from_ns, int64_t to_ns,
                         cw_packet_visit_fn fn, void *opaque)
{
    int start = -1, visited = 0, ret = 0;

    pthread_mutex_lock(&r->lock);
    for (unsigned i = 0; i < r->count; i++) {
        const struct cw_packet_info *in = &rec_at(r, i)->info;
        if (!in->keyframe)
            continue;
        if (in->pts_ns <= from_ns || start < 0)
            start = (int)i;
        if (in->pts_ns > from_ns)
            break;
    }
    if (start < 0 || rec_at(r, (unsigned)start)->info.pts_ns > to_ns) {
        pthread_mutex_unlock(&r->lock);
        return CW_ENOENT;
    }
    for (unsigned i = (unsigned)start; i < r->count; i++) {
        struct record *rec = rec_at(r, i);
        /* In decode order a later packet can show earlier (B-frames): stop on decode time. */
        if (order_time(&rec->info) > to_ns && rec->info.pts_ns > to_ns)
            break;
        ret = fn(opaque, r->arena + rec->offset, &rec->info);
        if (ret)
            break;
        visited++;
    }
    pthread_mutex_unlock(&r->lock);
    return ret ? ret : visited;
}
