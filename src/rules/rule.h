/* Internal: what a rule is — a descriptor with its context size and three functions — and the
 * helpers rules share (per-track memory, line crossings, emitting events). */
#ifndef CW_RULES_RULE_H
#define CW_RULES_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include "crosswatch/detection.h"
#include "crosswatch/rules.h"
#include "crosswatch/scene.h"

#define RULE_MAX_TRACKS 512 /* per-track memory slots of one rule */

/* Where a rule writes what it finds in a frame. */
struct rule_out {
    struct cw_event *events;
    int n, cap;
    struct cw_passage *passages;
    int np, pcap;
    const char *site, *camera;
    int64_t violations, compliant; /* running totals, for reporting */
    unsigned interest;             /* CW_RULES_* this frame */
    double keep_s;                 /* with CW_RULES_KEEP: how long the picture may be waited for */
};

/* @out's frame may come before a decisive move of a road user (cw_rules_interest). */
static inline void cw__rule_watch(struct rule_out *out)
{
    out->interest |= CW_RULES_WATCH;
}

/* @out's frame holds a decisive moment that may become a violation, which the rule will be sure
 * of within @within_s (a violation reported and dated in the same frame sets it too). */
static inline void cw__rule_keep(struct rule_out *out, double within_s)
{
    out->interest |= CW_RULES_KEEP;
    if (within_s > out->keep_s)
        out->keep_s = within_s;
}

struct rule_desc {
    const char *name; /* as in the scene file's "rules" */
    int id;           /* enum cw_rule_id */
    size_t ctx_size;
    int (*init)(void *ctx, const struct cw_scene *scene, const struct cw_rule_settings *set);
    void (*process)(void *ctx, const struct cw_rule_input *in, struct rule_out *out);
};

extern const struct rule_desc cw__rule_red_light, cw__rule_pedestrian_red, cw__rule_wrong_way,
    cw__rule_motor_lane, cw__rule_speeding, cw__rule_stop_past_line, cw__rule_fail_to_yield,
    cw__rule_no_helmet, cw__rule_passenger, cw__rule_canopy;

/* Index of the first lane of @scene whose ground polygon holds @p, or -1. */
int cw__rule_lane_at(const struct cw_scene *scene, struct cw_point p);

/* How far the foot point of @box may be off on the ground: the distance it moves for a couple
 * of pixels of error up the picture (a 360th of the picture's height: a pixel of the analysis
 * image). Centimetres near the camera, metres far away; INFINITY above the horizon. */
double cw__rule_foot_error_m(const struct cw_scene *scene, const struct cw_box *box);

/* How wide @box is on the ground at its bottom edge, metres (INFINITY where that edge does not
 * map: above the horizon). */
double cw__rule_width_m(const struct cw_scene *scene, const struct cw_box *box);

/* A rule's memory of one track; slots are found by id and recycled when a track is gone. */
struct track_slot {
    int id; /* 0: free */
    int64_t last_frame;
    bool has_prev;
    struct cw_point prev;        /* foot point in the previous frame it was seen */
    struct cw_box prev_box;      /* … its box */
    int64_t prev_frame, prev_ns; /* … and when that was */
    int64_t seen_ns;             /* stream time a rule last judged it (0: not yet) */
    int side[8];           /* per line or zone: -1 before / outside, +1 past / inside, 0 unknown */
    bool done[8];          /* already judged (counted once) */
    bool faced_red[8];     /* was waiting while the light was red */
    int64_t mark_frame[8]; /* when something began (a crossing, an entry) */
    int64_t mark_ns[8];    /* its stream time */
    int64_t mark_wall[8];  /* and wall-clock ms */
    int count[8];          /* consecutive frames of a pending change */
    int64_t in_lane[8];    /* last frame seen inside a lane that leads to line k (+1; 0: never) */
    double acc[4];         /* running sums a rule keeps (distance, time …) */
    struct cw_point mark_at[8];
    struct cw_box mark_box[8];
    float mark_speed[8];
    int mark_signal[8];
    float mark_age[8];
    bool pending[8];
};

#define RULE_MAX_LINES 8 /* stop lines a rule follows */
#define RULE_MAX_WALKS 8 /* crosswalks a rule follows */

/* A stop line and the lanes that lead to it. */
struct rule_line {
    int line;   /* index into the scene's lines */
    int signal; /* the signal of its lanes */
    int lanes[CW_SCENE_MAX_ITEMS], nlanes;
    double junction_m; /* how far past the line the junction begins */
};

/* Groups the lanes that have a stop line and a signal by their stop line, at most RULE_MAX_LINES
 * into @out; junction_m is the far edge of a crosswalk lying beyond the line, else 3 m. Returns
 * how many, or CW_EINVAL (logged, naming the lane) when a lane's stop line is not across its
 * end — no crossing could ever be seen. */
int cw__rule_stop_lines(const struct cw_scene *scene, struct rule_line *out);

/* True when @p is inside one of @l's lanes. */
bool cw__rule_in_lanes(const struct cw_scene *scene, const struct rule_line *l, struct cw_point p);

/* The crosswalk zones (at most RULE_MAX_WALKS) into @walks; *@ped_signal gets the first
 * pedestrian head, or -1. Returns how many crosswalks. */
int cw__rule_crosswalks(const struct cw_scene *scene, int *walks, int *ped_signal);

/* Classes as bits, for cw__rule_judged. */
#define RULE_VEHICLES                                                                              \
    ((1u << CW_CLASS_CAR) | (1u << CW_CLASS_BUS_TRUCK) | (1u << CW_CLASS_TWO_WHEELER))
#define RULE_CLASS(c) (1u << (c))

/* The memory of track @t if the rule judges it — placed on the ground, measured in this frame
 * (not only predicted), of a class in @classes — or NULL (not judged, or no slot left). */
struct track_slot *cw__rule_judged(struct track_slot *slots, const struct cw_track_out *t,
                                   int64_t frame, unsigned classes);

/* The slot of track @id (a new one if it has none), or NULL when all are taken. */
struct track_slot *cw__rule_slot(struct track_slot *slots, int id, int64_t frame);

/* Signed distance of @p from the line a→b on the ground, positive on the side of @toward. */
double cw__rule_side(const struct cw_line *l, struct cw_point p);

/* Appends a violation of @rule by @t. */
void cw__rule_emit(struct rule_out *out, const char *rule, const struct cw_track_out *t,
                   int64_t frame, int64_t t_ns, int64_t wall_ms, int64_t last_ms,
                   struct cw_point first, const struct cw_box *box, float speed, int signal,
                   float signal_age);

/* Counts one compliant passage of @rule. */
void cw__rule_pass(struct rule_out *out, const char *rule, int64_t wall_ms);

/* What an attribute rule (no_helmet, passenger, canopy) is: a two-wheeler is judged once, when at
 * least min_obs of its detections have said whether it has attribute @attr and min_share of the
 * votes agree — a violation when the vote is @bad, else a compliant passage. Detectors that say
 * nothing of the attribute (the motion detector, a stock COCO model for helmets) leave it idle. */
struct rule_attr {
    int attr, bad, min_obs;
    double min_share;
    struct track_slot slots[RULE_MAX_TRACKS];
};

/* Sets @x up from @set for attribute @attr (enum cw_attr) whose value @bad is the offence. */
int cw__rule_attr_init(struct rule_attr *x, const struct cw_rule_settings *set, int attr, int bad);

/* Judges one frame's tracks; events and passages are named @rule. */
void cw__rule_attr_process(struct rule_attr *x, const char *rule, const struct cw_rule_input *in,
                           struct rule_out *out);

#endif
