/* crosswatch — evidence clips cut from a source's ring of compressed packets, without
 * re-encoding: the packets are written to an MP4 exactly as the camera sent them, from the
 * keyframe at or before the start, so the clip plays from its first frame. */
#ifndef CROSSWATCH_CLIP_H
#define CROSSWATCH_CLIP_H

#include <stdint.h>

#include "crosswatch/draw.h"

struct cw_source;

struct cw_clip_result {
    int packets;                       /* packets written */
    int64_t first_pts_ns, last_pts_ns; /* stream time of the first and last packet (the source's
                                          clock); the clip's own times start at 0 */
    int64_t bytes;                     /* packet bytes */
    int64_t t0_ns;                     /* stream time at the clip's time 0 */
    int stills;                        /* stills delivered */
};

/* Receives still @k: the decoded picture (full resolution, YUV 4:2:0, writable, valid during the
 * call) at stream time @pts_ns. A non-zero return stops the cut and is returned by it. */
typedef int (*cw_clip_still_fn)(void *opaque, int k, int64_t pts_ns, struct cw_canvas *pic);

/* Writes the packets of @src's ring (source.h) that cover stream time [@from_ns, @to_ns] to an
 * MP4 file at @path, whole or not at all (written beside it, flushed, then renamed). Then, when
 * @nstills > 0, decodes the same packets (from the keyframe before the first still) and hands
 * @fn the first picture at or after each stream time @stills[k] (ascending; the last picture of
 * the span for a time beyond it). Returns 0, CW_ENOENT when the ring no longer holds a keyframe
 * for that span (logged), CW_ENOSPC when the disk is full, or another CW_E* code after logging
 * one line naming the file. */
int cw_clip_write(struct cw_source *src, int64_t from_ns, int64_t to_ns, const char *path,
                  struct cw_clip_result *res, const int64_t *stills, int nstills,
                  cw_clip_still_fn fn, void *opaque);

#endif
