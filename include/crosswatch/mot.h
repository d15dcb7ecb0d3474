/* crosswatch — multi-object tracking files and metrics in the MOTChallenge conventions.
 *
 * Reads ground truth and tracker output ("frame,id,x,y,w,h,conf,class,visibility", one box a
 * line) and seqinfo.ini, and scores a tracker with CLEAR (MOTA, MOTP, ID switches …), Identity
 * (IDF1 …) and HOTA exactly as TrackEval, the official MOTChallenge evaluator, defines them —
 * including its preprocessing: tracker boxes matched to distractor ground truth (person on
 * vehicle, static person, distractor, reflection; also non-MOT vehicles for MOT20) are removed,
 * and only pedestrian ground truth not marked "ignore" (conf 0) is scored. MOT15 ground truth has
 * no classes: only the ignore mark applies.
 */
#ifndef CROSSWATCH_MOT_H
#define CROSSWATCH_MOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One line of a MOTChallenge file. Absent columns read as conf 1, class -1, visibility -1. */
struct cw_mot_box {
    int frame; /* 1-based */
    int id;
    double x, y, w, h;
    double conf; /* ground truth: 0 marks a box to ignore; tracker: its confidence */
    int cls;     /* ground truth class (1 pedestrian … 13 crowd), -1 when absent */
    double vis;  /* ground truth visibility 0..1, -1 when absent */
};

/* A file's boxes, sorted by frame: frame f's boxes are box[first[f]] .. box[first[f + 1] - 1]. */
struct cw_mot_file {
    struct cw_mot_box *box;
    size_t n;
    int frames; /* frames of the sequence (first[] has frames + 2 entries) */
    size_t *first;
    int columns; /* fewest columns on any line */
};

struct cw_mot_seqinfo {
    char name[128];
    int length; /* frames */
    double fps;
    int width, height;
};

enum cw_mot_benchmark {
    CW_MOT_AUTO, /* MOT15 when the ground truth has no classes, else MOT17 */
    CW_MOT_MOT15,
    CW_MOT_MOT17, /* also MOT16 */
    CW_MOT_MOT20,
};

#define CW_HOTA_ALPHAS 19 /* localisation thresholds 0.05, 0.10 … 0.95 */

struct cw_mot_metrics {
    /* CLEAR */
    int64_t clr_tp, clr_fn, clr_fp, idsw, mt, pt, ml, frag, frames;
    double motp_sum;
    double mota, motp, moda, clr_re, clr_pr, mtr, ptr, mlr, smota;
    /* Identity */
    int64_t idtp, idfn, idfp;
    double idf1, idr, idp;
    /* HOTA, per alpha, and their means over the alphas (what TrackEval reports as HOTA …) */
    double hota_tp[CW_HOTA_ALPHAS], hota_fn[CW_HOTA_ALPHAS], hota_fp[CW_HOTA_ALPHAS];
    double hota_a[CW_HOTA_ALPHAS], det_a[CW_HOTA_ALPHAS], ass_a[CW_HOTA_ALPHAS];
    double det_re[CW_HOTA_ALPHAS], det_pr[CW_HOTA_ALPHAS], ass_re[CW_HOTA_ALPHAS];
    double ass_pr[CW_HOTA_ALPHAS], loc_a[CW_HOTA_ALPHAS], rhota_a[CW_HOTA_ALPHAS];
    double hota, deta, assa, detre, detpr, assre, asspr, loca, rhota;
    double hota0, loca0, hotaloca0;
    /* Counts after preprocessing */
    int64_t dets, gt_dets, ids, gt_ids;
};

/* Reads seqinfo.ini. Logs "<path>: …" and returns CW_ENOENT, CW_EIO or CW_EFORMAT on failure. */
int cw_mot_read_seqinfo(const char *path, struct cw_mot_seqinfo *out);

/* Reads a ground-truth (@gt) or tracker file for a sequence of @frames frames. Every malformed
 * line, or frame outside 1..@frames, is an error naming "<path>:<line>". Returns 0, or
 * CW_ENOENT / CW_EIO / CW_EFORMAT / CW_ENOMEM. */
int cw_mot_load(const char *path, int frames, bool gt, struct cw_mot_file *out);

/* Same, from text in memory; @name stands for the file in messages. */
int cw_mot_parse(const char *text, size_t len, const char *name, int frames, bool gt,
                 struct cw_mot_file *out);

void cw_mot_file_release(struct cw_mot_file *f);

/* Scores tracker output @res against @gt for one sequence named @seq (for messages). Returns 0,
 * or CW_EFORMAT when the files break the benchmark's rules (an id twice in a frame, a tracker
 * class other than pedestrian, an unknown ground-truth class), or CW_ENOMEM. */
int cw_mot_evaluate(const struct cw_mot_file *gt, const struct cw_mot_file *res,
                    enum cw_mot_benchmark bench, const char *seq, struct cw_mot_metrics *out);

/* Combines per-sequence results the way TrackEval's COMBINED_SEQ row does. */
void cw_mot_combine(const struct cw_mot_metrics *seqs, int n, struct cw_mot_metrics *out);

/* Prints a header line, then one line per call, TrackEval's main figures in percent. */
void cw_mot_print_header(FILE *out);
void cw_mot_print_row(FILE *out, const char *name, const struct cw_mot_metrics *m);
void cw_mot_print_json(FILE *out, const char *name, const struct cw_mot_metrics *m);

#endif
