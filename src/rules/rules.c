/* The rule registry and what rules share: per-track memory, line sides, emitting events. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/error.h"
#include "crosswatch/geom.h"
#include "crosswatch/log.h"
#include "rules/rule.h"

/* Every rule built, in enum cw_rule_id order of their ids. */
static const struct rule_desc *const registry[] = {
    &cw__rule_red_light, &cw__rule_pedestrian_red, &cw__rule_wrong_way,     &cw__rule_motor_lane,
    &cw__rule_speeding,  &cw__rule_stop_past_line, &cw__rule_fail_to_yield, &cw__rule_no_helmet,
    &cw__rule_passenger, &cw__rule_canopy,
};
#define NRULES ((int)(sizeof(registry) / sizeof(*registry)))

struct instance {
    const struct rule_desc *desc;
    void *ctx;
    int64_t violations, compliant;
};

/* A road user shorter than this share of the picture's height (20 px at 720p) is too small to
 * judge: its foot point is metres off on the ground (a car 100 m up the road "speeding"). The
 * synthetic suite's truth uses the same bound (tools/synth/world.c). */
#define JUDGED_FRAC (1.0 / 36)
#define JUDGED_MAX  1024 /* tracks judged per frame at most */
#define STORE_S     1.0  /* from a violation's report to its evidence being asked for (the store) */

struct cw_rules {
    struct instance inst[NRULES];
    int n;
    char site[CW_EVENT_ID_MAX], camera[CW_EVENT_ID_MAX];
    double min_h;                      /* boxes lower than this (scene pixels) are not judged */
    struct cw_track_out *judged;       /* the frame's tracks big enough to judge, JUDGED_MAX */
    struct cw_rules_interest interest; /* what the last frame's rules want kept */
};

const char *cw_rules_name(int rule)
{
    for (int i = 0; i < NRULES; i++)
        if (registry[i]->id == rule)
            return registry[i]->name;
    return NULL;
}

struct cw_rules *cw_rules_new(const struct cw_scene *scene, const char *site, const char *camera)
{
    struct cw_rules *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    snprintf(r->site, sizeof(r->site), "%s", site ? site : "");
    snprintf(r->camera, sizeof(r->camera), "%s", camera ? camera : "");
    r->min_h = scene->camera.height * JUDGED_FRAC;
    r->judged = malloc(sizeof(*r->judged) * JUDGED_MAX);
    if (!r->judged) {
        free(r);
        return NULL;
    }
    for (int i = 0; i < NRULES; i++) {
        const struct rule_desc *d = registry[i];
        const struct cw_rule_settings *set = &scene->rules[d->id];
        if (!set->enabled)
            continue;
        struct instance *in = &r->inst[r->n];
        in->desc = d;
        in->ctx = calloc(1, d->ctx_size);
        if (!in->ctx || d->init(in->ctx, scene, set)) {
            free(in->ctx);
            cw_rules_free(r);
            return NULL;
        }
        r->n++;
    }
    return r;
}

void cw_rules_free(struct cw_rules *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++)
        free(r->inst[i].ctx);
    free(r->judged);
    free(r);
}

int cw_rules_process(struct cw_rules *r, const struct cw_rule_input *in, struct cw_event *events,
                     int cap, struct cw_passage *passages, int pcap, int *npassages)
{
    struct rule_out out = {events, 0, cap, passages, 0, pcap, r->site, r->camera, 0, 0, 0, 0};
    struct cw_rule_input big = *in;
    big.tracks = r->judged;
    big.ntracks = 0;
    for (int i = 0; i < in->ntracks && big.ntracks < JUDGED_MAX; i++)
        if (in->tracks[i].box.h >= r->min_h)
            r->judged[big.ntracks++] = in->tracks[i];
    for (int i = 0; i < r->n; i++) {
        int n0 = out.n, p0 = out.np;
        r->inst[i].desc->process(r->inst[i].ctx, &big, &out);
        r->inst[i].violations += out.n - n0;
        r->inst[i].compliant += out.np - p0;
    }
    *npassages = out.np;
    /* a violation dated in the frame it is reported in: this is its "during" picture */
    for (int i = 0; i < out.n; i++)
        if (events[i].frame == in->frame)
            cw__rule_keep(&out, 0);
    r->interest = (struct cw_rules_interest){out.interest, out.keep_s + STORE_S};
    return out.n;
}

struct cw_rules_interest cw_rules_interest(const struct cw_rules *r)
{
    return r->interest;
}

void cw_rules_counts(const struct cw_rules *r, int rule, int64_t *violations, int64_t *compliant)
{
    *violations = *compliant = 0;
    for (int i = 0; i < r->n; i++)
        if (r->inst[i].desc->id == rule) {
            *violations = r->inst[i].violations;
            *compliant = r->inst[i].compliant;
        }
}

struct track_slot *cw__rule_slot(struct track_slot *slots, int id, int64_t frame)
{
    struct track_slot *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < RULE_MAX_TRACKS; i++) {
        struct track_slot *s = &slots[i];
        if (s->id == id) {
            s->last_frame = frame;
            return s;
        }
        if (!s->id && !free_slot)
            free_slot = s;
        /* a track unseen for 10 s is gone */
        if (s->id && frame - s->last_frame > 250 && (!oldest || s->last_frame < oldest->last_frame))
            oldest = s;
    }
    struct track_slot *s = free_slot ? free_slot : oldest;
    if (!s)
        return NULL;
    memset(s, 0, sizeof(*s));
    s->id = id;
    s->last_frame = frame;
    return s;
}

int cw__rule_stop_lines(const struct cw_scene *scene, struct rule_line *out)
{
    int n = 0;
    for (int k = 0; k < scene->n_lanes; k++) {
        const struct cw_lane *lane = &scene->lanes[k];
        if (lane->stop_line < 0 || lane->signal < 0)
            continue;
        const struct cw_line *l = &scene->lines[lane->stop_line];
        double nearest = 1e9;
        for (int v = 0; v < lane->poly.n; v++)
            nearest = fmin(nearest, fabs(cw__rule_side(l, lane->poly.ground[v])));
        if (nearest > 1.5) {
            cw_log_error("rules",
                         "%s: lanes '%s': its stop line '%s' is %.1f m from the lane; draw "
                         "the line across the lane's end",
                         scene->path ? scene->path : "scene", lane->id, l->id, nearest);
            return CW_EINVAL;
        }
        int j = 0;
        while (j < n && out[j].line != lane->stop_line)
            j++;
        if (j == n) {
            if (n == RULE_MAX_LINES)
                continue;
            out[n++] = (struct rule_line){lane->stop_line, lane->signal, {0}, 0, 3.0};
            for (int z = 0; z < scene->n_zones; z++) {
                if (scene->zones[z].kind != CW_ZONE_CROSSWALK)
                    continue;
                double far = -1e9, near = 1e9;
                for (int v = 0; v < scene->zones[z].poly.n; v++) {
                    double d = cw__rule_side(l, scene->zones[z].poly.ground[v]);
                    far = fmax(far, d), near = fmin(near, d);
                }
                if (near > -1 && far > 0 && far < 20)
                    out[j].junction_m = fmax(out[j].junction_m, far);
            }
        }
        out[j].lanes[out[j].nlanes++] = k;
    }
    return n;
}

bool cw__rule_in_lanes(const struct cw_scene *scene, const struct rule_line *l, struct cw_point p)
{
    for (int i = 0; i < l->nlanes; i++) {
        const struct cw_scene_polygon *poly = &scene->lanes[l->lanes[i]].poly;
        if (cw_polygon_contains(poly->ground, poly->n, p))
            return true;
    }
    return false;
}

int cw__rule_crosswalks(const struct cw_scene *scene, int *walks, int *ped_signal)
{
    int n = 0;
    *ped_signal = -1;
    for (int k = 0; k < scene->n_signals; k++)
        if (scene->signals[k].kind == CW_SIGNAL_PEDESTRIAN && *ped_signal < 0)
            *ped_signal = k;
    for (int z = 0; z < scene->n_zones && n < RULE_MAX_WALKS; z++)
        if (scene->zones[z].kind == CW_ZONE_CROSSWALK)
            walks[n++] = z;
    return n;
}

int cw__rule_lane_at(const struct cw_scene *scene, struct cw_point p)
{
    for (int k = 0; k < scene->n_lanes; k++)
        if (cw_polygon_contains(scene->lanes[k].poly.ground, scene->lanes[k].poly.n, p))
            return k;
    return -1;
}

double cw__rule_foot_error_m(const struct cw_scene *scene, const struct cw_box *box)
{
    double err = scene->camera.height / 360.0;
    struct cw_point foot = {box->x + box->w / 2, box->y + box->h}, up = {foot.x, foot.y - err};
    return cw_ground_span(&scene->img_to_ground, foot, up);
}

double cw__rule_width_m(const struct cw_scene *scene, const struct cw_box *box)
{
    double y = box->y + box->h;
    return cw_ground_span(&scene->img_to_ground, (struct cw_point){box->x, y},
                          (struct cw_point){box->x + box->w, y});
}

struct track_slot *cw__rule_judged(struct track_slot *slots, const struct cw_track_out *t,
                                   int64_t frame, unsigned classes)
{
    /* nor where the tracker only predicts (held inside a merged blob, missed for a frame or two:
     * cw_tracker_config.coast_s): a car that stopped at the
     * line would drive on through it there. Such a track still counts as there for others (a
     * pedestrian on the crosswalk a car must yield to). */
    if (!t->has_ground || t->predicted || t->cls < 0 || t->cls >= CW_CLASS_COUNT ||
        !(classes & (1u << t->cls)))
        return NULL;
    return cw__rule_slot(slots, t->id, frame);
}

double cw__rule_side(const struct cw_line *l, struct cw_point p)
{
    double dx = l->ground[1].x - l->ground[0].x, dy = l->ground[1].y - l->ground[0].y;
    double len = hypot(dx, dy);
    if (len <= 0)
        return 0;
    double d = (dx * (p.y - l->ground[0].y) - dy * (p.x - l->ground[0].x)) / len;
    double t =
        (dx * (l->toward_ground.y - l->ground[0].y) - dy * (l->toward_ground.x - l->ground[0].x));
    return t < 0 ? -d : d;
}

void cw__rule_emit(struct rule_out *out, const char *rule, const struct cw_track_out *t,
                   int64_t frame, int64_t t_ns, int64_t wall_ms, int64_t last_ms,
                   struct cw_point first, const struct cw_box *box, float speed, int signal,
                   float signal_age)
{
    if (out->n >= out->cap) {
        cw_log_warn("rules",
                    "more violations in one frame than room for them (%d); %s by track "
                    "%d dropped",
                    out->cap, rule, t->id);
        return;
    }
    struct cw_event *e = &out->events[out->n++];
    memset(e, 0, sizeof(*e));
    snprintf(e->site, sizeof(e->site), "%s", out->site);
    snprintf(e->camera, sizeof(e->camera), "%s", out->camera);
    snprintf(e->rule, sizeof(e->rule), "%s", rule);
    e->cls = t->cls;
    e->track = t->id;
    e->first_ms = wall_ms;
    e->last_ms = last_ms;
    e->ground_first = first;
    e->ground_last = t->ground;
    e->box = *box;
    e->speed_mps = speed;
    e->signal_state = signal;
    e->signal_age_s = signal_age;
    e->confidence = t->cls_conf > 0 ? t->cls_conf : t->score;
    e->frame = frame;
    e->time_s = t_ns / 1e9;
}

void cw__rule_pass(struct rule_out *out, const char *rule, int64_t wall_ms)
{
    if (out->np >= out->pcap)
        return;
    struct cw_passage *p = &out->passages[out->np++];
    snprintf(p->site, sizeof(p->site), "%s", out->site);
    snprintf(p->camera, sizeof(p->camera), "%s", out->camera);
    snprintf(p->rule, sizeof(p->rule), "%s", rule);
    p->t_ms = wall_ms;
}

int cw__rule_attr_init(struct rule_attr *x, const struct cw_rule_settings *set, int attr, int bad)
{
    x->attr = attr;
    x->bad = bad;
    x->min_obs = set->min_observations > 0 ? set->min_observations : 5;
    x->min_share = set->min_share > 0 ? set->min_share : 0.7;
    return 0;
}

void cw__rule_attr_process(struct rule_attr *x, const char *rule, const struct cw_rule_input *in,
                           struct rule_out *out)
{
    for (int i = 0; i < in->ntracks; i++) {
        const struct cw_track_out *t = &in->tracks[i];
        struct track_slot *s =
            cw__rule_judged(x->slots, t, in->frame, RULE_CLASS(CW_CLASS_TWO_WHEELER));
        if (!s || s->done[0])
            continue;
        if (t->attr_seen[x->attr] > 0)
            cw__rule_watch(out); /* its attribute is being judged */
        if (!s->has_prev) {      /* first seen: the event will span from here */
            s->has_prev = true;
            s->mark_frame[0] = in->frame, s->mark_ns[0] = in->t_ns, s->mark_wall[0] = in->wall_ms;
            s->mark_at[0] = t->ground;
        }
        if (t->attr[x->attr] == CW_ATTR_UNKNOWN || t->attr_seen[x->attr] < x->min_obs ||
            t->attr_share[x->attr] < x->min_share)
            continue;
        s->done[0] = true;
        if (t->attr[x->attr] != x->bad) {
            cw__rule_pass(out, rule, in->wall_ms);
            continue;
        }
        /* dated now, when enough detections agreed: the picture shows what they saw */
        cw__rule_emit(out, rule, t, in->frame, in->t_ns, in->wall_ms, in->wall_ms, s->mark_at[0],
                      &t->box, t->speed, 0, 0);
        if (out->n > 0 && out->events[out->n - 1].track == t->id)
            out->events[out->n - 1].confidence = t->attr_share[x->attr];
    }
}
