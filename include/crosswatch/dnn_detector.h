/* crosswatch — the DNN detector stage: a darknet YOLO model (crosswatch/dnn.h) on each frame,
 * its boxes turned into the normalised detections every detector produces (detection.h).
 *
 * The frame (full-resolution YUV 4:2:0) is letterboxed into the network's input (aspect kept,
 * grey bars, bilinear), the boxes mapped back to frame pixels and, with a scene, placed on the
 * ground. The model's classes are mapped to crosswatch's: COCO's person → pedestrian, bicycle and
 * motorcycle → two_wheeler, car → car, bus and truck → bus_truck, traffic light → kept apart as a
 * signal head, everything else dropped; a custom model brings its own map, which may also set
 * attributes (helmet, passenger, canopy). A person riding a two-wheeler (their boxes overlapping
 * as a rider's do) is reported once, as the two-wheeler.
 *
 * One detector serves one camera; it is not thread-safe, but may run its network on several
 * threads of its own.
 */
#ifndef CROSSWATCH_DNN_DETECTOR_H
#define CROSSWATCH_DNN_DETECTOR_H

#include "crosswatch/detection.h"
#include "crosswatch/frame.h"
#include "crosswatch/options.h"

struct cw_scene;

struct cw_dnn_detector_config {
    char *model_cfg;     /* darknet .cfg (required) */
    char *model_weights; /* darknet .weights (required) */
    char *names;         /* the model's class names, one per line (COCO order assumed without) */
    char *class_map;     /* name=class[:attr=0|1...],... over the default map; class is one of
                            pedestrian, two_wheeler, car, bus_truck, signal, ignore; a name may
                            also be the class's index */
    double conf;         /* smallest class score kept */
    double nms;          /* overlap above which the weaker box of a class is dropped */
    int threads;         /* threads for the network */
};

/* The options table (defaults, ranges, help) for the fields above. */
extern const struct cw_option cw_dnn_detector_options[];

/* Loads the model and checks the map. Returns NULL after logging what to fix. Borrows @cfg only
 * during the call. */
struct cw_dnn_detector *cw_dnn_detector_new(const struct cw_dnn_detector_config *cfg);
void cw_dnn_detector_free(struct cw_dnn_detector *d);

/* Runs the model on @frame and writes up to @cap road-user detections to @out (frame pixels;
 * ground point, width and ground sigma filled when @scene is given). Returns how many, or a
 * negative CW_E* code. No allocation. */
int cw_dnn_detector_run(struct cw_dnn_detector *d, const struct cw_frame *frame,
                        const struct cw_scene *scene, struct cw_detection *out, int cap);

/* The signal heads (boxes mapped to "signal") found by the last run, in frame pixels; *@scores
 * their scores. Owned by @d, valid until the next run. Returns the count. */
int cw_dnn_detector_signals(const struct cw_dnn_detector *d, const struct cw_box **boxes,
                            const float **scores);

/* The network's input as the last run letterboxed it: three planes (R, G, B, 0..1) of *@w × *@h.
 * Owned by @d; for checks and debugging. */
const float *cw_dnn_detector_input(const struct cw_dnn_detector *d, int *w, int *h);

/* Milliseconds the last run spent in the network alone (for reporting). */
double cw_dnn_detector_last_ms(const struct cw_dnn_detector *d);

#endif
