/* pedestrian_red: a pedestrian steps onto the crosswalk while the pedestrian light has been red
 * for at least grace_s. Judged once per pedestrian and crosswalk, when they have been on it for
 * a few frames (a box brushing the edge does not count); a pedestrian who waited at red and
 * crossed on green is counted compliant. */
#include "crosswatch/detection.h"
#include "crosswatch/geom.h"
#include "crosswatch/light.h"
#include "rules/rule.h"

#define SETTLE 3 /* frames on (or off) the crosswalk before it counts */
/* unseen for longer than this (held in a crowd's blob), which side it is on is not known: a step
 * onto the crosswalk made meanwhile was not seen (ns) */
#define UNSEEN_NS 1000000000LL

struct ctx {
    const struct cw_scene *scene;
    double grace_s;
    int walks[RULE_MAX_WALKS], nwalks; /* crosswalk zones */
    int signal;                        /* the pedestrian head, or -1 */
    struct track_slot slots[RULE_MAX_TRACKS];
};

static int init(void *c, const struct cw_scene *scene, const struct cw_rule_settings *set)
{
    struct ctx *x = c;
    x->scene = scene;
    x->grace_s = set->grace_s;
    x->nwalks = cw__rule_crosswalks(scene, x->walks, &x->signal);
    return 0;
}

static void process(void *c, const struct cw_rule_input *in, struct rule_out *out)
{
    struct ctx *x = c;
    if (!in->signals || x->signal < 0)
        return;
    struct cw_signal_status st;
    cw_signals_get(in->signals, x->signal, in->t_ns, &st);
    for (int i = 0; i < in->ntracks; i++) {
        const struct cw_track_out *t = &in->tracks[i];
        struct track_slot *s =
            cw__rule_judged(x->slots, t, in->frame, RULE_CLASS(CW_CLASS_PEDESTRIAN));
        if (!s)
            continue;
        if (s->seen_ns && in->t_ns - s->seen_ns > UNSEEN_NS)
            for (int j = 0; j < x->nwalks; j++)
                s->side[j] = 0, s->count[j] = 0;
        s->seen_ns = in->t_ns;
        for (int j = 0; j < x->nwalks; j++) {
            const struct cw_scene_polygon *poly = &x->scene->zones[x->walks[j]].poly;
            int now = cw_polygon_contains(poly->ground, poly->n, t->ground) ? 1 : -1;
            if (now == s->side[j]) {
                s->count[j] = 0;
                continue;
            }
            if (s->count[j]++ == 0) {
                /* the first frame of a change: remember it, to date the entry */
                s->mark_frame[j] = in->frame;
                s->mark_ns[j] = in->t_ns;
                s->mark_wall[j] = in->wall_ms;
                s->mark_at[j] = t->ground;
                s->mark_box[j] = t->box;
                s->mark_signal[j] = st.state;
                s->mark_age[j] = (float)st.age_s;
                s->pending[j] = st.state == CW_LIGHT_RED && st.age_s >= x->grace_s;
                if (s->pending[j] && now == 1)
                    cw__rule_keep(out, 2 * SETTLE / 25.0 + 0.5); /* sure after SETTLE frames */
                s->mark_speed[j] = t->speed;
            }
            if (s->count[j] < SETTLE)
                continue;
            int was = s->side[j];
            s->side[j] = now;
            s->count[j] = 0;
            if (now == -1) {
                if (st.state == CW_LIGHT_RED)
                    s->faced_red[j] = true; /* off the crosswalk (waiting) at red */
                continue;
            }
            if (was == 0 || s->done[j])
                continue; /* first seen already on it: its step onto it was not seen */
            if (s->pending[j]) {
                cw__rule_emit(out, "pedestrian_red", t, s->mark_frame[j], s->mark_ns[j],
                              s->mark_wall[j], in->wall_ms, s->mark_at[j], &s->mark_box[j],
                              s->mark_speed[j], s->mark_signal[j], s->mark_age[j]);
                s->done[j] = true;
            } else if (s->mark_signal[j] == CW_LIGHT_GREEN && s->faced_red[j]) {
                cw__rule_pass(out, "pedestrian_red", in->wall_ms);
                s->done[j] = true;
            }
        }
        /* waiting beside a crosswalk while red counts as facing it */
        for (int j = 0; j < x->nwalks; j++)
            if (s->side[j] == -1 && st.state == CW_LIGHT_RED) {
                s->faced_red[j] = true;
                cw__rule_watch(out);
            }
    }
}

const struct rule_desc cw__rule_pedestrian_red = {"pedestrian_red", CW_RULE_PEDESTRIAN_RED,
                                                  sizeof(struct ctx), init, process};
