/* crosswatch — making the grey analysis image from a full-resolution luma plane.
 *
 * Downscaling averages whole source blocks when the ratio is a whole number on both axes (the
 * common 1920×1080 → 640×360 is 3×3), which suppresses sensor noise and aliasing; other ratios
 * use bilinear sampling. Tables and scratch rows are made once in cw_resampler_new(), so
 * cw_resampler_run() does not allocate. A resampler is used by one thread at a time.
 */
#ifndef CROSSWATCH_RESAMPLE_H
#define CROSSWATCH_RESAMPLE_H

#include <stdint.h>

#include "crosswatch/frame.h"

struct cw_resampler;

/* For @src_w × @src_h in, @dst_w × @dst_h out (dst no larger than src). Logs and returns NULL on
 * bad sizes or when memory is short. */
struct cw_resampler *cw_resampler_new(int src_w, int src_h, int dst_w, int dst_h);
void cw_resampler_free(struct cw_resampler *rs);

/* Resamples the 8-bit plane @src (rows @src_stride bytes apart) into @dst, whose size must be
 * the resampler's output size. */
void cw_resampler_run(struct cw_resampler *rs, const uint8_t *src, int src_stride,
                      struct cw_image *dst);

/* The analysis size for a @w × @h picture given a requested width and height, either of which
 * may be 0 for "keep the aspect ratio": never larger than the source, at least 16 px wide, even
 * sizes. */
void cw_analysis_size(int w, int h, int want_w, int want_h, int *out_w, int *out_h);

#endif
