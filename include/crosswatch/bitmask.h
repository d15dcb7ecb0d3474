/* crosswatch — binary masks one bit a pixel, and 3×3 morphology on them.
 *
 * The motion detector cleans its foreground mask with an opening and a closing every frame;
 * on bytes that is eight passes over the analysis image, on bits sixty-four pixels go through
 * one word operation. Bit x % 64 of word x / 64 of a row is pixel x; rows are `words` apart and
 * the bits past the width are kept zero. Pixels beyond the edges repeat the edge (an object
 * touching the border is not eaten away by it).
 */
#ifndef CROSSWATCH_BITMASK_H
#define CROSSWATCH_BITMASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_bitmask {
    int w, h, words; /* pixels across and down; 64-bit words a row */
    uint64_t *bits;  /* h × words */
};

/* Allocates a cleared @w × @h mask. Returns 0, or CW_ENOMEM / CW_EINVAL (bad size). */
int cw_bitmask_init(struct cw_bitmask *b, int w, int h);
void cw_bitmask_free(struct cw_bitmask *b);

/* Sets the bit of each pixel whose byte in @bytes (rows @stride apart) equals @value. */
void cw_bitmask_from_bytes(struct cw_bitmask *b, const uint8_t *bytes, size_t stride,
                           uint8_t value);

/* Writes @on where the bit is set and 0 elsewhere, one byte a pixel, rows w apart. */
void cw_bitmask_to_bytes(const struct cw_bitmask *b, uint8_t *bytes, uint8_t on);

/* Clears @top rows at the top, @bottom at the bottom, @left columns at the left and @right at the
 * right. */
void cw_bitmask_clear_border(struct cw_bitmask *b, int top, int bottom, int left, int right);

/* 3×3 erosion (@dilate false: a pixel stays set only if its whole neighbourhood is) or dilation
 * (set if any neighbour is) of @src into @dst, through @tmp; all three the same size, @dst and
 * @src distinct. */
void cw_bitmask_morph(struct cw_bitmask *dst, const struct cw_bitmask *src, struct cw_bitmask *tmp,
                      bool dilate);

#endif
