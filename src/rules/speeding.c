/* speeding: the speed over each min_distance_m stretch along a lane (the distance covered in the
 * time, capped by the ground filter's speed at the stretch's end) above the limit plus
 * tolerance_pct. The limit is the lane's speed_limit_kmh (or limit_kmh) in motor lanes and
 * two_wheeler_limit_kmh in non-motor lanes (e-bikes: 25 km/h, GB 17761). Judged once per track;
 * every stretch driven within the limit counts as a compliant passage (once per track). */
#include <math.h>

#include "crosswatch/detection.h"
#include "rules/rule.h"

/* a stretch is judged only where its length is known to this fraction (foot point errors) */
#define PRECISION 0.1

struct ctx {
    const struct cw_scene *scene;
    const struct cw_rule_settings *set;
    double min_m;
    struct track_slot slots[RULE_MAX_TRACKS];
};

static int init(void *c, const struct cw_scene *scene, const struct cw_rule_settings *set)
{
    struct ctx *x = c;
    x->scene = scene;
    x->set = set;
    x->min_m = set->min_distance_m > 0 ? set->min_distance_m : 10;
    return 0;
}

static double limit_kmh(const struct ctx *x, int lane)
{
    const struct cw_lane *l = &x->scene->lanes[lane];
    if (l->kind == CW_LANE_NON_MOTOR)
        return x->set->two_wheeler_limit_kmh;
    return l->speed_limit_kmh > 0 ? l->speed_limit_kmh : x->set->limit_kmh;
}

static void process(void *c, const struct cw_rule_input *in, struct rule_out *out)
{
    struct ctx *x = c;
    for (int i = 0; i < in->ntracks; i++) {
        const struct cw_track_out *t = &in->tracks[i];
        struct track_slot *s = cw__rule_judged(x->slots, t, in->frame, RULE_VEHICLES);
        if (!s)
            continue;
        int lane = cw__rule_lane_at(x->scene, t->ground);
        /* over the limit by the filter's speed: its stretch may show it */
        bool fast = lane >= 0 && !s->done[0] && limit_kmh(x, lane) > 0 &&
                    t->speed * 3.6 > limit_kmh(x, lane) * (1 + x->set->tolerance_pct / 100);
        if (fast)
            cw__rule_watch(out);
        if (lane < 0 || !s->has_prev || s->done[0]) {
            /* judged only along lanes: start the stretch again */
            s->acc[0] = 0;
            s->mark_ns[0] = in->t_ns, s->mark_frame[0] = in->frame, s->mark_wall[0] = in->wall_ms;
            s->mark_at[0] = t->ground, s->mark_box[0] = t->box;
            if (fast)
                cw__rule_keep(out, x->min_m / fmax(t->speed, 1) + 0.5); /* over min_m */
        } else {
            /* the stretch's length along the tracker's filtered ground path; its speed is how
             * far the road user got over the stretch in the time, as a speed trap measures,
             * but no more than the ground filter's speed at its end: either alone is fooled —
             * the filter starts from rest when a track begins (a fast car entering the picture
             * seemed slow over its first 10 m), and a jittery foot point far away adds distance */
            s->acc[0] += hypot(t->ground.x - s->prev.x, t->ground.y - s->prev.y);
            double secs = (in->t_ns - s->mark_ns[0]) / 1e9;
            if (s->acc[0] >= x->min_m && secs > 0) {
                double dist = hypot(t->ground.x - s->mark_at[0].x, t->ground.y - s->mark_at[0].y);
                double got = dist / secs;
                double kmh = fmin(got, t->speed) * 3.6, lim = limit_kmh(x, lane);
                double over_kmh = lim * (1 + x->set->tolerance_pct / 100);
                /* and no faster than the foot points' errors at both ends allow: far away a
                 * pixel is metres, and a speed trap's reading is what it is sure of */
                double err = hypot(cw__rule_foot_error_m(x->scene, &s->mark_box[0]),
                                   cw__rule_foot_error_m(x->scene, &t->box));
                bool sure = err <= PRECISION * dist && (dist - err) / secs * 3.6 > over_kmh;
                if (lim > 0 && kmh > over_kmh) {
                    if (sure) { /* else too far to tell: judged again over the next stretch */
                        cw__rule_emit(out, "speeding", t, s->mark_frame[0], s->mark_ns[0],
                                      s->mark_wall[0], in->wall_ms, s->mark_at[0], &s->mark_box[0],
                                      (float)(kmh / 3.6), 0, 0);
                        s->done[0] = true;
                    }
                } else if (!s->done[1]) {
                    cw__rule_pass(out, "speeding", in->wall_ms);
                    s->done[1] = true;
                }
                s->acc[0] = 0;
                if (fast && !s->done[0])
                    cw__rule_keep(out, x->min_m / fmax(t->speed, 1) + 0.5); /* over min_m */
                s->mark_ns[0] = in->t_ns, s->mark_frame[0] = in->frame;
                s->mark_wall[0] = in->wall_ms, s->mark_at[0] = t->ground, s->mark_box[0] = t->box;
            }
        }
        s->prev = t->ground;
        s->has_prev = true;
    }
}

const struct rule_desc cw__rule_speeding = {"speeding", CW_RULE_SPEEDING, sizeof(struct ctx), init,
                                            process};
