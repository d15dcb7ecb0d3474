/* crosswatch — reading a signal head's state from the picture.
 *
 * A region around the lamps is classified red, yellow, green or off from colour and brightness
 * along the head: for each third (top to bottom for a vertical head, left to right for a
 * horizontal one) the saturated light of each colour, how much brighter its brightest pixels are
 * than the head as a whole, and how saturated they are. A linear model over those 18 numbers,
 * fitted on the training crops of ../shared/data/signals (tools/fit_light_model.py), makes the
 * call; a single-lamp head is read by colour alone. Pure functions: no state, no allocation.
 */
#ifndef CROSSWATCH_LIGHT_H
#define CROSSWATCH_LIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crosswatch/frame.h"
#include "crosswatch/geom.h"

enum cw_light {
    CW_LIGHT_UNKNOWN = 0, /* not read (no region, no message, no plan) */
    CW_LIGHT_OFF,
    CW_LIGHT_RED,
    CW_LIGHT_YELLOW,
    CW_LIGHT_GREEN,
    CW_LIGHT_COUNT
};

/* "unknown", "off", "red", "yellow", "green". */
const char *cw_light_name(int light);
/* The enum for one of those names, or -1. */
int cw_light_parse(const char *name);

#define CW_LIGHT_FEATURES 18

/* The features of an RGB crop (3 bytes a pixel, rows @stride bytes apart) for a head of
 * @layout (enum cw_signal_layout). */
void cw_light_features(const uint8_t *rgb, int w, int h, int stride, int layout,
                       float f[CW_LIGHT_FEATURES]);

/* Classifies an RGB crop. Returns enum cw_light (never UNKNOWN); *@confidence (may be NULL) is
 * the winning share, 0..1. */
int cw_light_classify_rgb(const uint8_t *rgb, int w, int h, int stride, int layout,
                          float *confidence);

/* Red, yellow or green by the model alone (the caller has decided a lamp is lit). */
int cw_light_classify_features(const float f[CW_LIGHT_FEATURES], int layout, float *confidence);

/* The features of @region of a YUV 4:2:0 frame (BT.601 limited range), clipped to the frame,
 * through @scratch (at least 3 × region pixels bytes). False when the region is outside the frame
 * or larger than @scratch. */
bool cw_light_frame_features(const struct cw_frame *f, const struct cw_box *region, int layout,
                             uint8_t *scratch, size_t scratch_len, float feat[CW_LIGHT_FEATURES]);

/* Classifies @region of a YUV 4:2:0 frame (BT.601 limited range), clipped to the frame, using
 * @scratch (at least 3 × region pixels bytes) for the RGB copy. Returns enum cw_light, or
 * CW_LIGHT_UNKNOWN when the region is outside the frame or larger than @scratch. */
int cw_light_classify_frame(const struct cw_frame *f, const struct cw_box *region, int layout,
                            uint8_t *scratch, size_t scratch_len, float *confidence);

#endif
