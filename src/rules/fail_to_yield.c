/* fail_to_yield: a motor vehicle moving (faster than 1 m/s) over a crosswalk while a pedestrian
 * with right of way (the pedestrian light not red; no pedestrian head: always) is on it, ahead of
 * the vehicle and within conflict_distance_m of its path. The vehicle must have driven ADVANCE_M
 * onto the crosswalk: a waiting car whose box reaches onto it for a frame (its foot jumps when
 * something joins its blob) has not crossed. Judged once per vehicle and crosswalk.
 * A vehicle that crosses a crosswalk with no such conflict is counted compliant. Two-wheelers are
 * left out: crosswatch's class cannot tell a motorcycle (a motor vehicle) from an e-bike. */
#include <math.h>

#include "crosswatch/detection.h"
#include "crosswatch/light.h"
#include "rules/rule.h"

#define MAX_WALKERS 64
#define MOVING_MPS  1.0
#define ADVANCE_M   1.0

struct ctx {
    const struct cw_scene *scene;
    double conflict_m;
    int walks[RULE_MAX_WALKS], nwalks;
    int signal;
    struct track_slot slots[RULE_MAX_TRACKS];
};

static int init(void *c, const struct cw_scene *scene, const struct cw_rule_settings *set)
{
    struct ctx *x = c;
    x->scene = scene;
    x->conflict_m = set->conflict_distance_m > 0 ? set->conflict_distance_m : 3;
    x->nwalks = cw__rule_crosswalks(scene, x->walks, &x->signal);
    return 0;
}

static void process(void *c, const struct cw_rule_input *in, struct rule_out *out)
{
    struct ctx *x = c;
    if (in->signals && x->signal >= 0) {
        struct cw_signal_status st;
        cw_signals_get(in->signals, x->signal, in->t_ns, &st);
        if (st.state == CW_LIGHT_RED)
            return; /* pedestrians on the crosswalk now have no right of way */
    }
    for (int j = 0; j < x->nwalks; j++) {
        const struct cw_scene_polygon *poly = &x->scene->zones[x->walks[j]].poly;
        struct cw_point walkers[MAX_WALKERS];
        int nw = 0;
        for (int i = 0; i < in->ntracks && nw < MAX_WALKERS; i++)
            if (in->tracks[i].has_ground && in->tracks[i].cls == CW_CLASS_PEDESTRIAN &&
                cw_polygon_contains(poly->ground, poly->n, in->tracks[i].ground))
                walkers[nw++] = in->tracks[i].ground;
        if (nw > 0)
            cw__rule_watch(out); /* a vehicle may drive at them */
        for (int i = 0; i < in->ntracks; i++) {
            const struct cw_track_out *t = &in->tracks[i];
            struct track_slot *s = cw__rule_judged(
                x->slots, t, in->frame, RULE_CLASS(CW_CLASS_CAR) | RULE_CLASS(CW_CLASS_BUS_TRUCK));
            if (!s)
                continue;
            bool on = cw_polygon_contains(poly->ground, poly->n, t->ground);
            if (!on) {
                if (s->side[j] == 1 && !s->done[j]) {
                    cw__rule_pass(out, "fail_to_yield", in->wall_ms); /* crossed, yielded */
                    s->done[j] = true;
                }
                s->side[j] = -1;
                continue;
            }
            if (s->side[j] != 1)
                s->mark_at[j] = t->ground; /* where it came onto the crosswalk */
            s->side[j] = 1;
            if (s->done[j] || t->speed < MOVING_MPS ||
                hypot(t->ground.x - s->mark_at[j].x, t->ground.y - s->mark_at[j].y) < ADVANCE_M)
                continue;
            double vx = t->vel.x / t->speed, vy = t->vel.y / t->speed;
            for (int w = 0; w < nw; w++) {
                double dx = walkers[w].x - t->ground.x, dy = walkers[w].y - t->ground.y;
                double ahead = dx * vx + dy * vy, aside = fabs(dx * vy - dy * vx);
                if (ahead > 0 && aside <= x->conflict_m) {
                    cw__rule_emit(out, "fail_to_yield", t, in->frame, in->t_ns, in->wall_ms,
                                  in->wall_ms, t->ground, &t->box, t->speed, 0, 0);
                    s->done[j] = true;
                    break;
                }
            }
        }
    }
}

const struct rule_desc cw__rule_fail_to_yield = {"fail_to_yield", CW_RULE_FAIL_TO_YIELD,
                                                 sizeof(struct ctx), init, process};
