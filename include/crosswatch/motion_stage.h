/* crosswatch — the motion detector as a stage: frames in, normalised detections out.
 *
 * Wraps crosswatch/motion.h with what every caller needs around it: the model made on the first
 * frame (at its analysis size), the chroma planes brought to that size for the shadow test, the
 * scene's ignore zones and signal heads masked out, and blobs turned into detections placed on
 * the ground. Buffers are made on the first frame; nothing is allocated after.
 */
#ifndef CROSSWATCH_MOTION_STAGE_H
#define CROSSWATCH_MOTION_STAGE_H

#include "crosswatch/detection.h"
#include "crosswatch/frame.h"
#include "crosswatch/motion.h"

/* The tracker settings for the motion detector's detections, where a caller does not set its own:
 * start tracks from this score (solid blobs score 1, ragged ones 0.5) … */
#define CW_MOTION_NEW_SCORE 0.75
/* … and report an established track missed for up to two frames at 25 frames/s on its prediction
 * (a far road user's blob, a few pixels, comes and goes) */
#define CW_MOTION_COAST_S 0.08

struct cw_scene;
struct cw_motion_stage;

/* @cfg is copied; @scene (may be NULL) is borrowed and must outlive the stage. */
struct cw_motion_stage *cw_motion_stage_new(const struct cw_motion_config *cfg,
                                            const struct cw_scene *scene);
void cw_motion_stage_free(struct cw_motion_stage *s);

/* Runs the detector on @f, @dt_s after the previous frame. Writes up to @cap detections to @out
 * and returns how many, or a negative CW_E* code (logged). */
int cw_motion_stage_run(struct cw_motion_stage *s, const struct cw_frame *f, double dt_s,
                        struct cw_detection *out, int cap);

/* The last frame's detections' own pixels (cw_detection.blob), with the stage as context: for
 * cw_tracker_set_pixels. A piece of a blob split by size (cfg.split) has the whole blob's. */
extern const struct cw_pixel_ops cw_motion_stage_pixels;

/* The model inside (NULL before the first frame), e.g. for its mask. */
struct cw_motion *cw_motion_stage_model(struct cw_motion_stage *s);

#endif
