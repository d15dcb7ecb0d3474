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

/* The share (0..1) of @box (the detections' pixels) that the last frame's detection blob @blob
 * (cw_detection.blob) fills with its own pixels; 0 where not known (blobs split by size). A
 * cw_support_fn for cw_tracker_set_support. */
double cw_motion_stage_support(const void *stage, int blob, const struct cw_box *box);

/* The model inside (NULL before the first frame), e.g. for its mask. */
struct cw_motion *cw_motion_stage_model(struct cw_motion_stage *s);

#endif
