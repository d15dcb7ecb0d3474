/* crosswatch — multi-object tracking by detection.
 *
 * Each frame's detections (detection.h) are associated with the tracks alive so far in the manner
 * of ByteTrack: confident detections first, then weak ones to keep existing tracks alive, each
 * round an optimal assignment on box overlap; unmatched confident detections start tracks; tracks
 * are confirmed after a number of hits and dropped after a number of frames unseen, so identities
 * survive short occlusions. A constant-velocity Kalman filter predicts each track; a track found
 * again after a gap is re-filtered along the straight path between its last and new observation
 * (observation-centric re-update, as in OC-SORT) so that drift accumulated while unseen does not
 * carry over.
 *
 * Boxes are tracked in the image; when detections carry ground points (a scene is known), each
 * track also runs a constant-velocity Kalman filter on the ground plane — position in metres,
 * velocity in m/s — that gates association by ground distance and gives speed, and it keeps the
 * recent ground trajectory for the rules. MOTChallenge data (`crosswatch mot`) has no ground.
 *
 * A model-free detector sees two road users that touch in the picture as one blob. When one
 * confident detection covers the predicted boxes of two or more established tracks that were
 * each seen in the frame before and move differently on the ground (a rider passing a waiting
 * car), each is held on its own prediction for up to hold_s instead of one taking the merged
 * box and the other being lost.
 * A tracker owns its tracks; one thread uses it at a time.
 */
#ifndef CROSSWATCH_TRACKER_H
#define CROSSWATCH_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "crosswatch/detection.h"
#include "crosswatch/options.h"

struct cw_tracker_config {
    double fps;            /* frame rate; time-based settings scale with it */
    double high_score;     /* detections at or above this are matched first */
    double low_score;      /* detections below this are ignored */
    double new_score;      /* an unmatched detection at or above this starts a track */
    double min_iou_high;   /* smallest overlap for a first-round match */
    double min_iou_low;    /* … second round (weak detections) */
    double min_iou_new;    /* … tentative tracks */
    int confirm_hits;      /* hits before a track is reported (the first frame's tracks at once) */
    double keep_s;         /* how long a lost track may be found again */
    double coast_s;        /* how long an established lost track is still reported (predicted) */
    bool score_fusion;     /* weigh overlaps by detection score in the first round */
    double interpolate_s;  /* offline only: fill gaps of up to this long (0: off) */
    double max_aspect;     /* report only boxes with width/height up to this (0: any) */
    double min_box_area;   /* report only boxes of at least this many square pixels */
    bool report_detection; /* report the matched detection's box rather than the filtered one */
    int max_detections; /* per frame; beyond it only the highest scores are used (bounded work) */
    double gate_m;      /* with ground points: no match farther than this from the prediction */
    double hold_s;      /* road users merged into one detection are held on their predictions
                         * for up to this long — standing still, or found by their looks, as
                         * long as the merge lasts (needs ground points; 0: off) */
    bool whole_objects; /* detections are whole road users (a DNN's), never merged blobs */
};

/* The option table (defaults, ranges, help) for struct cw_tracker_config. */
extern const struct cw_option cw_tracker_options[];

/* A reported track in one frame. */
struct cw_track_out {
    int id;                 /* 1-based, stable over the track's life */
    struct cw_box box;      /* filtered box, image pixels */
    float score;            /* score of the detection that updated it */
    int cls;                /* enum cw_class: the class voted over the track's life */
    float cls_conf;         /* share of the votes the class has, 0..1 */
    bool has_ground;        /* the detections carried ground points (a scene is known) */
    struct cw_point ground; /* filtered foot point on the ground, metres */
    struct cw_point vel;    /* ground velocity, m/s */
    float speed;            /* |vel|, m/s */
    uint64_t zones;         /* bit z: inside the scene's zone z now (cw_tracker_set_zones) */
    bool predicted; /* not measured now: held on its prediction in a merged detection, or missed
                       for at most coast_s */
    /* held, and its box all but covered by a nearer road user's (one lower in the picture):
     * there, but not in sight (MOTChallenge rows leave it out; the rules still know it) */
    bool hidden;
    /* attributes (enum cw_attr) voted over the detections that carried one, weighted by score
     * (enum cw_attr_value; CW_ATTR_UNKNOWN when none said); the winning share of the votes, and
     * how many detections said */
    int8_t attr[CW_ATTR_COUNT];
    float attr_share[CW_ATTR_COUNT];
    uint16_t attr_seen[CW_ATTR_COUNT];
};

struct cw_tracker;

/* Makes a tracker; logs and returns NULL on a bad configuration or when memory is short. */
struct cw_tracker *cw_tracker_new(const struct cw_tracker_config *cfg);
void cw_tracker_free(struct cw_tracker *t);

/* Advances one frame with @n detections (@dets may be reordered). Writes the confirmed tracks
 * updated in this frame to @out (capacity @cap) and returns how many, or a negative CW_E* code.
 * Detections with a NaN or non-positive size are ignored (counted, warned about once); beyond
 * max_detections only the highest-scoring are used (warned about once a second of video), so the
 * work per frame stays bounded when a lens is covered or snow fills the picture. */
int cw_tracker_update(struct cw_tracker *t, struct cw_detection *dets, int n,
                      struct cw_track_out *out, int cap);

/* Advances one frame without detections — for frames the detector skips (a DNN run every Nth
 * frame): every track moves as its filter predicts, and the confirmed ones are written to @out
 * (at most @cap) without counting a miss against them. Returns how many. */
int cw_tracker_predict(struct cw_tracker *t, struct cw_track_out *out, int cap);

struct cw_scene;
/* Gives the tracker the scene's zones (borrowed: @scene must outlive the tracker, or be replaced
 * by another call; NULL removes them). From then on every live track — from its first detection,
 * and coasting through short gaps — is placed in the zones each frame: by its filtered ground
 * point against the zones' ground polygons when it has one, else by the bottom centre of its box
 * against their image polygons. cw_track_out.zones has a bit per zone and the time spent is kept
 * per track. The first 64 zones are followed. */
void cw_tracker_set_zones(struct cw_tracker *t, const struct cw_scene *scene);

/* Lets the tracker look at the detections' own pixels (@ops with @ctx, borrowed; NULL: never):
 * when blobs' boxes overlap (two queues side by side), a road user held in a merge belongs to
 * the blob whose pixels are where it is, not to the one whose box fits its box best; and the
 * nearest road user of a merged blob is placed across by the blob's pixels at its foot. */
void cw_tracker_set_pixels(struct cw_tracker *t, const struct cw_pixel_ops *ops, const void *ctx);

/* The time track @id has spent in zone @zone (an index into the scene's zones): @stay_s since it
 * last entered (0 when outside now) and @total_s over the track's life. Returns false for an
 * unknown track or zone. */
bool cw_tracker_zone_time(const struct cw_tracker *t, int id, int zone, double *stay_s,
                          double *total_s);

/* Detections ignored so far because their box was not finite and positive. */
uint64_t cw_tracker_bad_detections(const struct cw_tracker *t);

/* Detections dropped so far because a frame had more than max_detections. */
uint64_t cw_tracker_excess_detections(const struct cw_tracker *t);

/* The last ground positions of track @id, oldest first (at most the last 64 frames it was
 * seen); returns how many were written to @pts (capacity @cap), 0 for an unknown track. @frames
 * gets each point's frame number (1-based, counted by cw_tracker_update) when not NULL. */
int cw_tracker_trajectory(const struct cw_tracker *t, int id, struct cw_point *pts, int *frames,
                          int cap);

#endif
