/* stop_past_line: a vehicle stopped (slower than 0.3 m/s) past_m or more past a stop line while
 * the line's signal is red, for min_duration_s. Judged on the foot point (the box's bottom edge):
 * where the camera faces the traffic that is the front; seen from behind it is the rear, so only
 * a vehicle standing well over the line counts — adding the class's length to reach the front was
 * tried and gave false alarms on the rendered suite (a car read as a bus is 6 m "longer"), so the
 * rule errs towards not accusing. Dated when the stop began. Stopped as long at red behind the
 * line: compliant. */
#include <math.h>

#include "crosswatch/detection.h"
#include "crosswatch/light.h"
#include "rules/rule.h"

#define STOPPED_MPS 0.3
#define BEYOND_M    10.0 /* further past the line than this is in the junction, not at the line */
#define LANE_RECENT 50   /* frames: in a lane this recently, the vehicle is at its line */

struct ctx {
    const struct cw_scene *scene;
    double past_m, min_s;
    struct rule_line lines[RULE_MAX_LINES];
    int nlines;
    struct track_slot slots[RULE_MAX_TRACKS];
};

static int init(void *c, const struct cw_scene *scene, const struct cw_rule_settings *set)
{
    struct ctx *x = c;
    x->scene = scene;
    x->past_m = set->past_m > 0 ? set->past_m : 0.5;
    x->min_s = set->min_duration_s > 0 ? set->min_duration_s : 2;
    x->nlines = cw__rule_stop_lines(scene, x->lines);
    return x->nlines < 0 ? x->nlines : 0;
}

static void process(void *c, const struct cw_rule_input *in, struct rule_out *out)
{
    struct ctx *x = c;
    if (!in->signals)
        return;
    for (int i = 0; i < in->ntracks; i++) {
        const struct cw_track_out *t = &in->tracks[i];
        struct track_slot *s = cw__rule_judged(x->slots, t, in->frame, RULE_VEHICLES);
        if (!s)
            continue;
        for (int j = 0; j < x->nlines; j++) {
            const struct rule_line *lr = &x->lines[j];
            double front = cw__rule_side(&x->scene->lines[lr->line], t->ground);
            if (cw__rule_in_lanes(x->scene, lr, t->ground))
                s->in_lane[j] = in->frame + 1;
            struct cw_signal_status st;
            cw_signals_get(in->signals, lr->signal, in->t_ns, &st);
            bool near = s->in_lane[j] && in->frame + 1 - s->in_lane[j] <= LANE_RECENT;
            if (near && fabs(front) < BEYOND_M)
                s->in_lane[j] = in->frame + 1; /* still at its line: standing there counts */
            bool waiting = near && st.state == CW_LIGHT_RED && t->speed < STOPPED_MPS &&
                           front < BEYOND_M && front > -15;
            /* 0: not waiting at red; 1: stopped past the line; 2: stopped behind it */
            int where = !waiting ? 0 : front >= x->past_m ? 1 : 2;
            if (near && st.state != CW_LIGHT_GREEN && front < BEYOND_M && front > -15)
                cw__rule_watch(out);
            if (where != s->side[j]) {
                if (where == 1)
                    cw__rule_keep(out, x->min_s + 0.5); /* sure after standing min_s */
                s->side[j] = where;
                s->mark_frame[j] = in->frame, s->mark_ns[j] = in->t_ns;
                s->mark_wall[j] = in->wall_ms, s->mark_at[j] = t->ground;
                s->mark_box[j] = t->box, s->mark_signal[j] = st.state;
                s->mark_age[j] = (float)st.age_s;
            }
            if (!where || s->done[j] || (in->t_ns - s->mark_ns[j]) / 1e9 < x->min_s)
                continue;
            s->done[j] = true;
            if (where == 1)
                cw__rule_emit(out, "stop_past_line", t, s->mark_frame[j], s->mark_ns[j],
                              s->mark_wall[j], in->wall_ms, s->mark_at[j], &s->mark_box[j],
                              t->speed, s->mark_signal[j], s->mark_age[j]);
            else
                cw__rule_pass(out, "stop_past_line", in->wall_ms);
        }
    }
}

const struct rule_desc cw__rule_stop_past_line = {"stop_past_line", CW_RULE_STOP_PAST_LINE,
                                                  sizeof(struct ctx), init, process};
