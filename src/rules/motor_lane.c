/* motor_lane: a bicycle or e-bike in a motor lane for min_duration_s or min_distance_m.
 * crosswatch's two-wheeler class includes motorcycles, which belong in motor lanes: a two-wheeler
 * whose speed has gone over MOTORCYCLE_KMH is taken for a motorcycle and not judged. Dated where
 * the stay in the motor lane began. Two-wheelers seen as long in non-motor lanes are counted
 * compliant. */
#include <math.h>

#include "crosswatch/detection.h"
#include "rules/rule.h"

/* e-bikes are limited to 25 km/h (GB 17761); a two-wheeler faster than this is a motorcycle */
#define MOTORCYCLE_KMH 32.0
/* a stay is what was seen: after longer than this unjudged (hidden, held in a merge, too small)
 * it starts again */
#define SEEN_GAP_S 1.0
/* wider than this on the ground is no two-wheeler (one seen side-on is about 1.8 m long, but not
 * riding along a lane) */
#define TWO_WHEELER_MAX_W 1.5

struct ctx {
    const struct cw_scene *scene;
    double min_s, min_m;
    struct track_slot slots[RULE_MAX_TRACKS];
};

static int init(void *c, const struct cw_scene *scene, const struct cw_rule_settings *set)
{
    struct ctx *x = c;
    x->scene = scene;
    x->min_s = set->min_duration_s > 0 ? set->min_duration_s : 3;
    x->min_m = set->min_distance_m > 0 ? set->min_distance_m : 10;
    return 0;
}

static void process(void *c, const struct cw_rule_input *in, struct rule_out *out)
{
    struct ctx *x = c;
    for (int i = 0; i < in->ntracks; i++) {
        const struct cw_track_out *t = &in->tracks[i];
        struct track_slot *s =
            cw__rule_judged(x->slots, t, in->frame, RULE_CLASS(CW_CLASS_TWO_WHEELER));
        if (!s)
            continue;
        if (t->speed * 3.6 > MOTORCYCLE_KMH)
            s->done[2] = true; /* a motorcycle: never judged */
        if (!s->done[0] && !s->done[2])
            cw__rule_watch(out); /* a two-wheeler not yet judged may ride into the motor lane */
        if (s->has_prev && (in->t_ns - s->prev_ns) / 1e9 > SEEN_GAP_S)
            for (int k = 0; k < 2; k++)
                s->acc[k] = s->acc[k + 2] = 0, s->count[k] = 0;
        int lane = cw__rule_lane_at(x->scene, t->ground);
        int kind = lane >= 0 ? x->scene->lanes[lane].kind : -1;
        /* as wide as a car now, it is no two-wheeler's stay (a piece of a car, voted two-wheeler
         * while it was small, that has grown into the whole car) */
        if (cw__rule_width_m(x->scene, &t->box) > TWO_WHEELER_MAX_W)
            kind = -1;
        /* slot 0: in a motor lane; slot 1: in a non-motor lane */
        for (int k = 0; k < 2; k++) {
            bool in_it = kind == (k == 0 ? CW_LANE_MOTOR : CW_LANE_NON_MOTOR);
            if (!in_it) {
                s->acc[k] = s->acc[k + 2] = 0;
                s->count[k] = 0;
                continue;
            }
            if (s->count[k]++ == 0) {
                if (k == 0)
                    cw__rule_keep(out, x->min_s + 0.5); /* sure after min_s (or min_m) */
                s->mark_frame[k] = in->frame, s->mark_ns[k] = in->t_ns;
                s->mark_wall[k] = in->wall_ms, s->mark_at[k] = t->ground, s->mark_box[k] = t->box;
            } else if (s->has_prev) {
                s->acc[k] += hypot(t->ground.x - s->prev.x, t->ground.y - s->prev.y);
            }
            s->acc[k + 2] = (in->t_ns - s->mark_ns[k]) / 1e9;
            bool long_enough = s->acc[k + 2] >= x->min_s || s->acc[k] >= x->min_m;
            if (!long_enough || s->done[k] || s->done[2])
                continue;
            s->done[k] = true;
            if (k == 0)
                cw__rule_emit(out, "motor_lane", t, s->mark_frame[k], s->mark_ns[k],
                              s->mark_wall[k], in->wall_ms, s->mark_at[k], &s->mark_box[k],
                              t->speed, 0, 0);
            else
                cw__rule_pass(out, "motor_lane", in->wall_ms);
        }
        s->prev = t->ground;
        s->prev_ns = in->t_ns;
        s->has_prev = true;
    }
}

const struct rule_desc cw__rule_motor_lane = {"motor_lane", CW_RULE_MOTOR_LANE, sizeof(struct ctx),
                                              init, process};
