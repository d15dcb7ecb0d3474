/* crosswatch — the motion detector: moving and waiting road users from a fixed camera, no model.
 *
 * An adaptive per-pixel background on the grey analysis image: a mixture of two Gaussians per
 * pixel in the manner of Zivkovic's MOG2 (the dominant mode is the background; a second one
 * absorbs what alternates, such as swaying leaves), with
 *  - shadow suppression: a pixel darker than the background by a bounded ratio whose chroma is
 *    unchanged is a shadow, not a road user (chroma images are optional);
 *  - quick recovery from sudden brightness changes: the global gain between the picture and the
 *    background is measured each frame on background pixels and applied to the model;
 *  - selective update: pixels judged foreground are not learned, so a rider waiting at a red
 *    light stays foreground for absorb_s (120 s by default) before the background takes it in;
 *  - camera shake (a pole in the wind): the picture's shift against the background is found on
 *    textured background points each frame and undone before the model sees it;
 *  - an ignore mask (the scene's ignore zones), morphological opening and closing, and connected
 *    components, reported as blobs in analysis-image pixels.
 * Memory is allocated when the detector is made; processing a frame allocates nothing.
 */
#ifndef CROSSWATCH_MOTION_H
#define CROSSWATCH_MOTION_H

#include <stdbool.h>
#include <stdint.h>

#include "crosswatch/frame.h"
#include "crosswatch/options.h"

struct cw_motion_config {
    double learn_s;       /* background time constant (how fast it adapts) */
    double threshold;     /* a pixel matches a mode within this many standard deviations */
    double min_sigma;     /* floor of a mode's standard deviation, grey levels */
    double shadow_min;    /* a shadow keeps at least this fraction of the background's brightness */
    double shadow_max;    /* … and at most this (darker than the background) */
    double shadow_chroma; /* … with chroma within this many levels of the background's */
    int shadow_bridge;    /* "shadow" between a road user's parts above and below: its own */
    int shadow_foot;      /* "shadow" right under a road user, as wide as it, on which a wider
                           * shadow begins: its dark lower part standing on its cast shadow
                           * (a dark bike under its rider); at most this many px (0: off) */
    double colour;        /* chroma this far from the background's is a road user (0: off) */
    double colour_night;  /* … at night (light_dark; 0: colour) */
    double light_dark;    /* below this background level, light cast on the road is not one */
    double absorb_s;      /* a still foreground pixel is learned after this long */
    double relight;       /* global gain changes larger than this fraction are compensated */
    int min_area;         /* blobs smaller than this (analysis pixels) are dropped */
    int max_blobs;        /* at most this many blobs per frame (the largest) */
    int merge_gap;        /* blobs overlapping across whose pixels come this close are merged */
    double bootstrap_s;   /* at start, learn everything for this long (no ghosts) */
    int stabilize;        /* camera shake up to this many pixels is undone (0: off) */
    bool split;           /* cut blobs holding several road users (blob_split.h; needs a scene) */
    bool colour_split;    /* cut them along vehicles' paint (colour_split.h; needs a scene) */
};

extern const struct cw_option cw_motion_options[];

/* A connected region of foreground, in analysis-image pixels. */
struct cw_blob {
    int x0, y0, x1, y1; /* inclusive bounds */
    int area;           /* foreground pixels */
    bool foot_hidden;   /* its bottom is where a nearer road user hides it (blob_split.h) */
};

/* Mask values of cw_motion_mask(). */
enum { CW_MOTION_BG = 0, CW_MOTION_SHADOW = 127, CW_MOTION_FG = 255 };

struct cw_motion;

/* For analysis images of @w × @h. Logs and returns NULL on bad sizes or when memory is short. */
struct cw_motion *cw_motion_new(const struct cw_motion_config *cfg, int w, int h);
void cw_motion_free(struct cw_motion *m);

/* Pixels to ignore (non-zero), @w × @h bytes, copied; NULL clears it. */
void cw_motion_set_ignore(struct cw_motion *m, const uint8_t *mask);

/* The smallest blob kept, per analysis row its bottom is on (@h values, each capped by the
 * configuration's min_area): far away a road user is only a few pixels. NULL: min_area on every
 * row. */
void cw_motion_set_row_area(struct cw_motion *m, const int32_t *area);

/* How close pieces' pixels must come to be joined as one road user, per analysis row the upper
 * piece's bottom is on (@h values, each capped by the configuration's merge_gap): the same gap on
 * the road is fewer pixels far away, where merge_gap would join cars a car's length apart. NULL:
 * merge_gap on every row. */
void cw_motion_set_row_gap(struct cw_motion *m, const int32_t *gap);

/* Processes one frame @dt_s after the previous one. @u and @v are the chroma planes at half the
 * analysis size ((w+1)/2 × (h+1)/2), or NULL. Writes up to @cap blobs (largest first) and returns
 * how many. */
int cw_motion_process(struct cw_motion *m, const struct cw_image *grey, const struct cw_image *u,
                      const struct cw_image *v, double dt_s, struct cw_blob *blobs, int cap);

/* Whether the background is dark (night): light cast on the road is told apart. */
bool cw_motion_night(const struct cw_motion *m);

/* The last frame's blobs as a map of @w × @h: per analysis pixel, the index of the blob it is
 * part of, or -1. */
void cw_motion_blob_map(const struct cw_motion *m, int32_t *map);

/* The share (0..1) of the box from (@x0, @y0) to (@x1, @y1) (analysis pixels, edges between
 * pixels) that the last frame's blob @blob (its index among those cw_motion_process returned)
 * fills with its own pixels: whose road user a box is when blobs' boxes overlap. */
double cw_motion_support(const struct cw_motion *m, int blob, double x0, double y0, double x1,
                         double y1);

/* The leftmost (*@lo) and rightmost (*@hi) edges of blob @blob's own pixels in the same box,
 * within it; false where it has none there. */
bool cw_motion_span(const struct cw_motion *m, int blob, double x0, double y0, double x1, double y1,
                    double *lo, double *hi);

/* The last frame's mask (CW_MOTION_BG / _SHADOW / _FG), w × h bytes, rows w apart. */
const uint8_t *cw_motion_mask(const struct cw_motion *m);

/* The camera shake undone in the last frame: the picture was shifted by (*dx, *dy) analysis
 * pixels from the background's position. */
void cw_motion_shift(const struct cw_motion *m, int *dx, int *dy);

/* The global gain applied to the background in the last frame (1 when none). */
double cw_motion_gain(const struct cw_motion *m);

/* A hash (FNV-1a) of the whole background model, so that tests can tell two kernels kept the same
 * state bit for bit, not only the same mask. */
uint64_t cw_motion_model_hash(const struct cw_motion *m);

struct cw_scene;
struct cw_detection;

/* Turns blobs into detections for the tracker: boxes scaled to the full picture
 * (@full_w × @full_h), score from how solid the blob is, and — with a @scene — the foot point
 * (bottom centre) on the ground, the width on the ground, and a class guessed from the metric size
 * and shape (pedestrian, two-wheeler, car, bus/truck) with a confidence. Returns @n. */
int cw_motion_detections(const struct cw_motion *m, const struct cw_blob *blobs, int n,
                         const struct cw_scene *scene, int full_w, int full_h,
                         struct cw_detection *out);

#endif
