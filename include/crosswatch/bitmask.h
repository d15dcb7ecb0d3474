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

/* Sets in @set each bit of @gap that lies in an unbroken column of @gap bits at most @max_run
 * long with a bit of @set right above it and right below it: a road user's dark middle (a
 * windscreen between roof and bonnet, dark trousers between coat and shoes) that the shadow test
 * took for shadow, where a shadow cast on the road never has the road user on both sides. @gap
 * and @set share no bit; @open is scratch of the same size, @run of @set->w entries. */
void cw_bitmask_bridge_down(struct cw_bitmask *set, const struct cw_bitmask *gap,
                            struct cw_bitmask *open, int max_run, uint16_t *run);

#endif
