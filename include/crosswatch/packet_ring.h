/* crosswatch — a bounded ring of the last seconds of compressed packets.
 *
 * The input path pushes every compressed video packet here as it is read, so that an evidence
 * clip can later be cut from before a violation without re-encoding and without keeping decoded
 * pictures. Memory is one byte arena and one record array, both sized when the ring is made:
 * pushing never allocates. The arena's pages that evictions free are handed back to the system
 * (a megabyte at a time), so what the ring costs follows the bytes it holds, not its size. Old
 * packets are evicted when the ring spans more than its time limit, or when the arena or record
 * array is full (counted separately: that means the limit in bytes is too small for the stream's
 * bit rate). One writer and any number of readers may use a ring from different threads.
 */
#ifndef CROSSWATCH_PACKET_RING_H
#define CROSSWATCH_PACKET_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_packet_ring;

struct cw_packet_ring_config {
    double seconds;       /* keep at least this much stream time when bytes allow (> 0) */
    size_t max_bytes;     /* size of the byte arena (>= 64 KiB) */
    unsigned max_packets; /* size of the record array (>= 16) */
};

/* What is kept about each packet besides its bytes. Times are stream nanoseconds. */
struct cw_packet_info {
    int64_t pts_ns;
    int64_t dts_ns; /* decode order time; INT64_MIN when the stream gives none */
    int64_t duration_ns;
    int64_t wall_ns; /* wall-clock time the packet represents */
    uint32_t size;
    bool keyframe;
};

struct cw_packet_ring_stats {
    uint64_t pushed;        /* packets accepted */
    uint64_t evicted;       /* dropped because they were older than the time limit */
    uint64_t evicted_early; /* dropped before their time because bytes or records ran out */
    uint64_t rejected;      /* single packets larger than the whole arena */
    size_t bytes;           /* bytes held now */
    unsigned packets;       /* packets held now */
    int64_t first_dts_ns;   /* oldest and newest packet held (0 when empty) */
    int64_t last_dts_ns;
};

/* Makes a ring; logs and returns NULL on a bad configuration or when memory is short. */
struct cw_packet_ring *cw_packet_ring_new(const struct cw_packet_ring_config *cfg);
void cw_packet_ring_free(struct cw_packet_ring *ring);

/* Copies a packet in, evicting old ones as needed. The ring does not keep @data. Returns 0, or
 * CW_ENOSPC (counted as rejected, not logged) when @info->size exceeds the whole arena. */
int cw_packet_ring_push(struct cw_packet_ring *ring, const uint8_t *data,
                        const struct cw_packet_info *info);

/* Drops every packet (after a stream discontinuity). */
void cw_packet_ring_clear(struct cw_packet_ring *ring);

void cw_packet_ring_get_stats(struct cw_packet_ring *ring, struct cw_packet_ring_stats *out);

/* Bytes of the arena in memory now (mincore): about the bytes held, plus at most a megabyte
 * freed but not yet handed back. */
size_t cw_packet_ring_resident(struct cw_packet_ring *ring);

/* Called for each packet of a span, in decode order, with the ring locked: copy what you need
 * and return quickly. A non-zero return stops the walk and is returned by the visit. */
typedef int (*cw_packet_visit_fn)(void *opaque, const uint8_t *data,
                                  const struct cw_packet_info *info);

/* Walks the packets needed to decode stream time [@from_ns, @to_ns]: from the last keyframe whose
 * pts is at or before @from_ns (or the first keyframe held, if none is that early) up to the last
 * packet whose pts is at or before @to_ns. Returns the number of packets visited, CW_ENOENT when
 * the ring holds no keyframe in time, or the visitor's non-zero return. */
int cw_packet_ring_visit(struct cw_packet_ring *ring, int64_t from_ns, int64_t to_ns,
                         cw_packet_visit_fn fn, void *opaque);

#endif
