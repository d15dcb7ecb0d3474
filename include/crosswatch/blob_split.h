/* crosswatch — splitting motion blobs that hold several road users, by their size on the ground.
 *
 * A fixed camera looking along a road sees a queue as one blob: each vehicle hides the lower
 * part of the one ahead, so their pixels touch. The scene's homography, read as a pinhole camera
 * (geom.h), says how tall in the picture the largest road user standing on a blob's foot row can
 * be; a blob that reaches well above that holds more than one. It is cut, from the bottom up,
 * where the next road user starts: the thinnest row (a window, a gap) in the band between the
 * tops of the smallest and the largest road user of the class its width on the ground says. The
 * piece above has its foot hidden; its visible bottom stands in for it, which places it a little
 * farther away and so makes a further cut less likely, never more.
 */
#ifndef CROSSWATCH_BLOB_SPLIT_H
#define CROSSWATCH_BLOB_SPLIT_H

#include <stdint.h>

#include "crosswatch/motion.h"

struct cw_scene;
struct cw_blob_splitter;

/* For masks of @w × @h analysis pixels, each @sx × @sy of the scene's pixels; pieces smaller
 * than @min_area analysis pixels are not cut off. NULL when the
 * scene's homography is not a camera's view of the road (logged at info: blobs are then not
 * split) or memory is short. @scene is borrowed and must outlive the splitter. */
struct cw_blob_splitter *cw_blob_splitter_new(const struct cw_scene *scene, int w, int h, double sx,
                                              double sy, int min_area);
void cw_blob_splitter_free(struct cw_blob_splitter *s);

/* Splits @n blobs of @mask (road-user pixels CW_MOTION_FG, rows w apart) into at most @cap
 * blobs written to @out (which must not be @in), each unsplit blob as it was, and for each the
 * index in @in of the blob it is (part of) to @parent (unless NULL). Returns how many. */
int cw_blob_split(struct cw_blob_splitter *s, const uint8_t *mask, const struct cw_blob *in, int n,
                  struct cw_blob *out, int *parent, int cap);

#endif
