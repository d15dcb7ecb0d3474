/* crosswatch — reference-counted frames from fixed pools.
 *
 * A frame holds one decoded picture at full resolution as planar YUV 4:2:0 (8-bit), the grey
 * analysis image made from it at the pool's (usually smaller) analysis size, and its times.
 * Frames come only from a struct cw_frame_pool sized when a pipeline is built, so nothing is
 * allocated per frame. A frame is writable only by the code that took it from the pool, until it
 * publishes it (hands it to another stage or thread); after that it is read-only and is kept alive
 * with cw_frame_ref() / cw_frame_unref().
 */
#ifndef CROSSWATCH_FRAME_H
#define CROSSWATCH_FRAME_H

#include <stdbool.h>
#include <stdint.h>

/* An 8-bit single-channel image. Rows are @stride bytes apart (stride >= width). */
struct cw_image {
    int width;
    int height;
    int stride;
    uint8_t *data;
};

struct cw_frame {
    int width; /* full-resolution size in pixels */
    int height;
    uint8_t *plane[3];    /* Y, U, V; U and V are (width+1)/2 × (height+1)/2 */
    int stride[3];        /* bytes between rows of each plane */
    struct cw_image grey; /* analysis image: luma resampled to the pool's analysis size */
    int64_t pts_ns;       /* stream time: from the stream's timestamps, 0 at its first frame */
    int64_t time_ns;      /* steady stream time for timing rules and signals: pts_ns's steps,
                             except that a step back or a leap (> 10 s) counts one frame */
    int64_t wall_ns;      /* wall-clock time the picture represents (ns since the Unix epoch) */
    int64_t mono_ns;      /* monotonic time at which the frame was decoded (for latency) */
    int64_t index;        /* 0-based number of the frame within its source */
    bool keyframe;        /* decoded from an intra (key) picture */
};

struct cw_frame_pool;

struct cw_frame_pool_config {
    unsigned count; /* frames in the pool (>= 1) */
    int width;      /* full-resolution size */
    int height;
    int grey_width; /* analysis image size (<= full size) */
    int grey_height;
    /* Allocate full-resolution planes in every frame. Leave false when the planes of each frame
     * are borrowed from elsewhere (a decoder's own buffers) through the slot hooks below. */
    bool own_planes;
    /* Optional per-frame companion object, created once per frame when the pool is made
     * (slot_new), emptied each time the frame returns to the pool (slot_reset) and destroyed
     * with the pool (slot_free). A decoder keeps the picture a frame borrows from here. */
    void *(*slot_new)(void *opaque);
    void (*slot_reset)(void *slot);
    void (*slot_free)(void *slot);
    void *opaque;
};

/* Makes a pool; logs and returns NULL on bad sizes or when memory is short. */
struct cw_frame_pool *cw_frame_pool_new(const struct cw_frame_pool_config *cfg);

/* Releases the caller's hold on @pool. Frames still referenced stay valid; the pool's memory
 * goes when the last of them is released. NULL is allowed. */
void cw_frame_pool_free(struct cw_frame_pool *pool);

/* Takes a free frame with one reference, or returns NULL when every frame is in use (the caller
 * decides whether to drop the picture or wait). Times and flags are reset to zero. */
struct cw_frame *cw_frame_pool_get(struct cw_frame_pool *pool);

/* Frames not currently handed out. */
unsigned cw_frame_pool_available(const struct cw_frame_pool *pool);

/* The pool's configuration, as given. */
const struct cw_frame_pool_config *cw_frame_pool_config(const struct cw_frame_pool *pool);

/* Adds a reference; returns @frame. Safe from any thread. */
struct cw_frame *cw_frame_ref(struct cw_frame *frame);

/* Drops the reference *@frame holds and sets *@frame to NULL; the last reference returns the
 * frame to its pool. Safe from any thread; NULL and *NULL are allowed. */
void cw_frame_unref(struct cw_frame **frame);

/* Current number of references (for tests and assertions). */
int cw_frame_refcount(const struct cw_frame *frame);

/* The frame's companion object made by the pool's slot_new, or NULL. */
void *cw_frame_slot(const struct cw_frame *frame);

#endif
