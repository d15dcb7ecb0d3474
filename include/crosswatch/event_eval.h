/* crosswatch — scoring detected violations against the truth of a synthetic scenario.
 *
 * The truth (truth.json, written by crosswatch-synth, docs/synth.md) lists every violation with
 * its type, actor, frame and time; the actors' boxes per frame are in its MOT ground truth. A
 * detected event matches a true one of the same type when their times differ by at most the
 * tolerance and, when the event carries the offender's box, that box overlaps the actor's box
 * in the same frame (IoU at least min_iou). Matching is one-to-one (optimal assignment per type,
 * most matches first, then best overlap), then precision, recall and F1 per type and overall.
 */
#ifndef CROSSWATCH_EVENT_EVAL_H
#define CROSSWATCH_EVENT_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CW_EVAL_MAX_TYPES 16

struct cw_event_rec {
    char type[32];
    int actor;     /* truth: the actor; detections: the track, or -1 */
    int frame;     /* 0-based frame, or -1 when only the time is known */
    double time_s; /* stream time */
    double span_s; /* detections: how long the violation lasted from time_s (last_ms − first_ms) */
    bool has_box;
    double x, y, w, h;
};

struct cw_event_set {
    struct cw_event_rec *ev;
    int n;
};

struct cw_event_score {
    char type[32];
    int tp, fp, fn;
    double precision, recall, f1;
};

struct cw_event_report {
    int n_types;
    struct cw_event_score per_type[CW_EVAL_MAX_TYPES];
    struct cw_event_score overall;
};

struct cw_event_eval_config {
    double tolerance_s; /* largest time difference of a match */
    double min_iou;     /* smallest box overlap of a match, when the event has a box */
};

/* Reads truth.json and, when present, the MOT boxes it names (tracks). Logs "<path>: <field>:
 * <problem>" and returns CW_ENOENT, CW_EFORMAT or CW_ENOMEM on failure. *@fps gets its frame
 * rate. */
int cw_event_truth_load(const char *path, struct cw_event_set *truth, double *fps,
                        struct cw_event_set *boxes);

/* Same, from @len bytes of JSON named @path in messages; the boxes are read only with
 * @load_tracks (their file is found next to @path). */
int cw_event_truth_parse(const char *text, size_t len, const char *path, bool load_tracks,
                         struct cw_event_set *truth, double *fps, struct cw_event_set *boxes);

/* Reads detected events: JSON lines, or one JSON array, of objects with "type" (or "rule"),
 * "time_s" (or "frame" with @fps), optional "frame", "box": [x, y, w, h], "track", and
 * "first_ms"/"last_ms" (the event then spans time_s to time_s + their difference: a true
 * instant anywhere in it, within the tolerance, matches). */
int cw_event_detections_load(const char *path, double fps, struct cw_event_set *out);
int cw_event_detections_parse(const char *text, size_t len, const char *name, double fps,
                              struct cw_event_set *out);

void cw_event_set_release(struct cw_event_set *s);

/* Scores @det against @truth; @boxes are the actors' boxes (actor, frame, box), may be empty. */
int cw_event_evaluate(const struct cw_event_set *truth, const struct cw_event_set *boxes,
                      const struct cw_event_set *det, const struct cw_event_eval_config *cfg,
                      struct cw_event_report *out);

void cw_event_report_print(const struct cw_event_report *r, FILE *out, bool json);

#endif
