/* crosswatch — reading a source ahead on a thread of its own.
 *
 * `crosswatch analyze` decodes a file as fast as it can and analyses each frame on one thread.
 * Done one after the other, the analysis waits for the decoder and the decoder for the analysis;
 * with a prefetcher the decoder reads up to @depth frames ahead on its own thread, so the two
 * overlap on a second core (the way `crosswatch run` feeds each camera's analysis). Frames come
 * out in order, every one of them: the reader waits for room rather than dropping, so the source's
 * pool must hold @depth frames more than the consumer keeps at once (cw_prefetch_pool_frames).
 */
#ifndef CROSSWATCH_PREFETCH_H
#define CROSSWATCH_PREFETCH_H

#include "crosswatch/frame.h"
#include "crosswatch/source.h"

struct cw_prefetch;

/* The pool size (cw_source_config.frames) a source read @depth ahead needs when its consumer
 * holds one frame at a time. */
int cw_prefetch_pool_frames(int depth);

/* Starts reading @src (not owned; it must outlive the prefetcher) up to @depth (1..64) frames
 * ahead. Returns 0 and the prefetcher in *@out, or CW_EINVAL / CW_ENOMEM (logged). */
int cw_prefetch_new(struct cw_source *src, int depth, struct cw_prefetch **out);

/* The next frame, in order, with one reference owned by the caller: as cw_source_read() —
 * 0, or once every frame read has been delivered the code the source ended with (CW_EOF at the
 * end of a file). */
int cw_prefetch_read(struct cw_prefetch *p, struct cw_frame **out);

/* Stops the reader (interrupting a blocking read), releases the frames still queued and frees
 * the prefetcher. NULL is allowed. */
void cw_prefetch_free(struct cw_prefetch *p);

#endif
