/* wrong_way: moving against a lane's direction for min_distance_m inside the lane. The distance
 * is the track's travel against the lane's arrow, summed over frames while it stays in that lane
 * and keeps going the wrong way (not over a gap where it was only predicted); going the right
 * way again starts it afresh. Dated where the
 * wrong-way run began. A road user who travels the distance the right way is counted compliant. */
#include <math.h>

#include "crosswatch/detection.h"
#include "rules/rule.h"

#define MOVING_M 0.02 /* per frame: slower than this along the lane is standing, not travel */
#define KEEP_MPS 1.5  /* slower than this, a start against the lane keeps no picture */
/* where a track went while the tracker only predicted it (held in a merged blob) for longer
 * than this is no travel seen: a road user held still in a queue and measured again 10 m on
 * (another's blob) did not drive there */
#define GAP_NS 500000000LL

struct ctx {
    const struct cw_scene *scene;
    double min_m;
    struct track_slot slots[RULE_MAX_TRACKS];
};

static int init(void *c, const struct cw_scene *scene, const struct cw_rule_settings *set)
{
    struct ctx *x = c;
    x->scene = scene;
    x->min_m = set->min_distance_m > 0 ? set->min_distance_m : 5;
    return 0;
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
        bool seen_on = s->has_prev && in->t_ns - s->prev_ns <= GAP_NS;
        if (seen_on && lane >= 0 && lane == s->side[0] - 1 && !s->done[0]) {
            const struct cw_point dir = x->scene->lanes[lane].dir_ground;
            double along = (t->ground.x - s->prev.x) * dir.x + (t->ground.y - s->prev.y) * dir.y;
            if (along < -MOVING_M) {
                cw__rule_watch(out);
                if (s->acc[0] == 0) {
                    if (t->speed >= KEEP_MPS) /* not a waiting vehicle's jitter */
                        cw__rule_keep(out, x->min_m / t->speed + 0.5); /* sure over min_m */
                    s->mark_frame[0] = in->frame, s->mark_ns[0] = in->t_ns;
                    s->mark_wall[0] = in->wall_ms, s->mark_at[0] = s->prev;
                    s->mark_box[0] = t->box, s->mark_speed[0] = t->speed;
                }
                s->acc[0] += -along;
                if (s->acc[0] >= x->min_m) {
                    cw__rule_emit(out, "wrong_way", t, s->mark_frame[0], s->mark_ns[0],
                                  s->mark_wall[0], in->wall_ms, s->mark_at[0], &s->mark_box[0],
                                  t->speed, 0, 0);
                    s->done[0] = true;
                }
            } else if (along > MOVING_M) {
                s->acc[0] = 0;
                s->acc[1] += along;
                if (s->acc[1] >= x->min_m && !s->done[1]) {
                    cw__rule_pass(out, "wrong_way", in->wall_ms);
                    s->done[1] = true;
                }
            }
        } else if (lane != s->side[0] - 1) {
            s->acc[0] = s->acc[1] = 0; /* a new lane: start again */
        }
        s->side[0] = lane + 1;
        s->prev = t->ground;
        s->prev_ns = in->t_ns;
        s->has_prev = true;
    }
}

const struct rule_desc cw__rule_wrong_way = {"wrong_way", CW_RULE_WRONG_WAY, sizeof(struct ctx),
                                             init, process};
