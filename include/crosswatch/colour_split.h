/* crosswatch — cutting motion blobs that hold several road users along their colours.
 *
 * Vehicles in a queue, or side by side near the camera, touch in the picture and are one blob.
 * A vehicle's body is mostly one paint: its faces are that colour lit differently, which keeps
 * their hue. Inside a large blob, pixels are joined into flat regions (neighbours of nearly the
 * same grey and chroma); regions of one hue lying together are one body. A body as wide on the
 * road as a vehicle is cut out as a road user of its own; what is left of the blob outside the
 * bodies' boxes (a walker, a rider, a grey car) stays in pieces as it is connected. Picture
 * texture (real asphalt, foliage, a crowd) makes small regions that form no body, and such a
 * blob is left whole.
 */
#ifndef CROSSWATCH_COLOUR_SPLIT_H
#define CROSSWATCH_COLOUR_SPLIT_H

#include <stdint.h>

#include "crosswatch/frame.h"
#include "crosswatch/motion.h"

struct cw_colour_splitter;

/* For analysis pictures of @w × @h; @mpp gives, per analysis row, the metres on the road one
 * analysis pixel spans there (copied; 0 or NaN where the row is not on the road). NULL when
 * memory is short or the size is empty (logged). */
struct cw_colour_splitter *cw_colour_splitter_new(int w, int h, const double *mpp);
void cw_colour_splitter_free(struct cw_colour_splitter *s);

/* Cuts the @n blobs @in of one frame that hold several road users: writes, at most @cap, each
 * blob not cut as it is and the pieces of those cut to @out (not @in), and for each the index in
 * @in of the blob it is (part of) to @parent. @map holds, per analysis pixel, the index of the
 * blob it is part of or -1 (cw_motion_blob_map); @grey is the analysis picture, @u and @v its
 * chroma at half size. Returns how many. */
int cw_colour_split(struct cw_colour_splitter *s, const int32_t *map, const struct cw_image *grey,
                    const struct cw_image *u, const struct cw_image *v, const struct cw_blob *in,
                    int n, struct cw_blob *out, int *parent, int cap);

#endif
