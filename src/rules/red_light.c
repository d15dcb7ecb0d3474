/* red_light: a vehicle or two-wheeler crosses a stop line in its direction while the light has
 * been red for at least grace_s, and then enters the junction (goes on past the far edge of the
 * crosswalk) before green. Dated at the stop-line crossing. Turning right on red is allowed (a
 * crossing that then bears more than TURN_M to the right is not judged, and one heading right
 * of straight on is not judged until it either turns or straightens). A road user seen again
 * past the line after a gap (hidden, or held inside another's blob, when rules do not see it) is
 * dated where the straight path between its two sightings crosses the line. A passage that waited
 * at red and crossed on green is counted compliant. */
#include <math.h>
#include <string.h>

#include "crosswatch/detection.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/geom.h"
#include "crosswatch/light.h"
#include "rules/rule.h"

#define BAND_M      0.3  /* hysteresis: a foot point must be this far on a side to be there */
#define WAITING_M   15.0 /* within this of the line while red, a road user faced the red */
#define LANE_RECENT 100  /* frames: in a lane this recently, a crossing belongs to its line */
#define INTO_M      4.0  /* past the junction's edge by this much, it is in the junction */
#define TURN_M      2.5  /* this far to the right of where it crossed, it is turning right */
#define BEARING_DEG 15.0 /* heading this far right of straight on: it may be turning; wait */
#define MIN_MOVE    0.5  /* m/s: slower than this, the heading says nothing */

struct ctx {
    const struct cw_scene *scene;
    double grace_s;
    struct rule_line lines[RULE_MAX_LINES];
    int nlines;
    struct track_slot slots[RULE_MAX_TRACKS];
};

static int init(void *c, const struct cw_scene *scene, const struct cw_rule_settings *set)
{
    struct ctx *x = c;
    x->scene = scene;
    x->grace_s = set->grace_s;
    x->nlines = cw__rule_stop_lines(scene, x->lines);
    return x->nlines < 0 ? x->nlines : 0;
}

/* How far @now lies to the right of @from, seen along the line's direction of travel. Ground
 * coordinates are right-handed (the scene's x axis to the right of its y axis, as seen from
 * above), so right of travel (nx, ny) is (ny, -nx). */
static double right_of(const struct cw_line *l, struct cw_point from, struct cw_point now)
{
    double dx = l->ground[1].x - l->ground[0].x, dy = l->ground[1].y - l->ground[0].y;
    double len = hypot(dx, dy);
    if (len <= 0)
        return 0;
    /* the unit normal towards the side crossings count to */
    double nx = -dy / len, ny = dx / len;
    if (cw__rule_side(l, (struct cw_point){l->ground[0].x + nx, l->ground[0].y + ny}) < 0)
        nx = -nx, ny = -ny;
    return (now.x - from.x) * ny - (now.y - from.y) * nx;
}

/* Whether the track is heading right of straight on by more than BEARING_DEG (a right turn
 * under way, which red does not forbid) — judged from the ground velocity. */
static bool bearing_right(const struct cw_line *l, const struct cw_track_out *t)
{
    if (t->speed < MIN_MOVE)
        return false;
    double dx = l->ground[1].x - l->ground[0].x, dy = l->ground[1].y - l->ground[0].y;
    double len = hypot(dx, dy);
    if (len <= 0)
        return false;
    double nx = -dy / len, ny = dx / len;
    if (cw__rule_side(l, (struct cw_point){l->ground[0].x + nx, l->ground[0].y + ny}) < 0)
        nx = -nx, ny = -ny;
    double ahead = t->vel.x * nx + t->vel.y * ny, right = t->vel.x * ny - t->vel.y * nx;
    return atan2(right, ahead) * 180 / M_PI > BEARING_DEG;
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
            const struct cw_line *l = &x->scene->lines[lr->line];
            double d = cw__rule_side(l, t->ground);
            struct cw_signal_status st;
            cw_signals_get(in->signals, lr->signal, in->t_ns, &st);
            int was = s->side[j];
            if (d < -BAND_M)
                s->side[j] = -1;
            else if (d > BAND_M)
                s->side[j] = 1;
            /* lanes end at their stop line: what counts is having come along one lately */
            if (s->side[j] == -1 && cw__rule_in_lanes(x->scene, lr, t->ground))
                s->in_lane[j] = in->frame + 1;
            bool lane = s->in_lane[j] && in->frame + 1 - s->in_lane[j] <= LANE_RECENT;
            if (s->side[j] == -1 && lane && d > -WAITING_M && st.state == CW_LIGHT_RED)
                s->faced_red[j] = true;
            /* not green, and the line within reach in two seconds: it may cross on red */
            if (s->side[j] == -1 && lane && st.state != CW_LIGHT_GREEN &&
                d > -fmax(WAITING_M, 2 * t->speed))
                cw__rule_watch(out);
            if (was == -1 && s->side[j] == 1 && lane && !s->done[j]) {
                /* when it crossed: now, or — seen again after a gap (hidden, or merged with
                 * another road user) — where the straight path between the two sightings
                 * meets the line */
                double f = 1, dp = s->has_prev ? cw__rule_side(l, s->prev) : 0;
                if (s->has_prev && in->frame - s->prev_frame > 1 && d > dp)
                    f = dp < 0 ? -dp / (d - dp) : 0; /* on the line (in the band) when last seen */
                double back_s = (1 - f) * (in->t_ns - s->prev_ns) / 1e9;
                if (st.state == CW_LIGHT_RED && st.age_s - back_s >= x->grace_s) {
                    /* crossed on red: a violation once it goes on into the junction */
                    s->pending[j] = true;
                    /* sure once it is INTO_M into the junction; 4 s even when slow */
                    cw__rule_keep(out, 4);
                    s->mark_frame[j] =
                        f < 1 ? s->prev_frame + lround(f * (in->frame - s->prev_frame)) : in->frame;
                    s->mark_ns[j] = in->t_ns - (int64_t)(back_s * 1e9);
                    s->mark_wall[j] = in->wall_ms - (int64_t)(back_s * 1e3);
                    s->mark_at[j] =
                        f < 1 ? (struct cw_point){s->prev.x + f * (t->ground.x - s->prev.x),
                                                  s->prev.y + f * (t->ground.y - s->prev.y)}
                              : t->ground;
                    s->mark_box[j] =
                        f < 1 ? (struct cw_box){s->prev_box.x + f * (t->box.x - s->prev_box.x),
                                                s->prev_box.y + f * (t->box.y - s->prev_box.y),
                                                s->prev_box.w + f * (t->box.w - s->prev_box.w),
                                                s->prev_box.h + f * (t->box.h - s->prev_box.h)}
                              : t->box;
                    s->mark_speed[j] = t->speed;
                    s->mark_signal[j] = st.state;
                    s->mark_age[j] = (float)(st.age_s - back_s);
                } else if (st.state == CW_LIGHT_GREEN && s->faced_red[j]) {
                    cw__rule_pass(out, "red_light", in->wall_ms);
                    s->done[j] = true;
                }
            }
            if (s->pending[j]) {
                if (st.state == CW_LIGHT_GREEN) {
                    s->pending[j] = false; /* stopped short of the junction until green */
                } else if (right_of(l, s->mark_at[j], t->ground) >= TURN_M) {
                    s->pending[j] = false; /* turning right: allowed on red */
                    s->done[j] = true;
                } else if (d >= lr->junction_m + INTO_M && !bearing_right(l, t)) {
                    cw__rule_emit(out, "red_light", t, s->mark_frame[j], s->mark_ns[j],
                                  s->mark_wall[j], in->wall_ms, s->mark_at[j], &s->mark_box[j],
                                  s->mark_speed[j], s->mark_signal[j], s->mark_age[j]);
                    s->pending[j] = false;
                    s->done[j] = true;
                }
            }
        }
        s->prev = t->ground;
        s->prev_box = t->box;
        s->prev_frame = in->frame, s->prev_ns = in->t_ns;
        s->has_prev = true;
    }
}

const struct rule_desc cw__rule_red_light = {"red_light", CW_RULE_RED_LIGHT, sizeof(struct ctx),
                                             init, process};
