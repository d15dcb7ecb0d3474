/* The synthetic intersection: road geometry from the layout, the signal plan, the actors'
 * motion, and the violations their motion produces (the truth). Ground frame: x east, y north
 * (along the road, away from the camera), metres; traffic keeps to the right. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "synth.h"

#define MOD "synth"

const char *const syn_event_names[] = {"red_light",  "pedestrian_red", "fail_to_yield", "wrong_way",
                                       "motor_lane", "stop_past_line", "speeding",      NULL};
enum { EV_RED, EV_PED_RED, EV_YIELD, EV_WRONG, EV_MOTOR_LANE, EV_STOP_PAST, EV_SPEED };

/* Rule parameters the truth is derived with; written into the scene file too. */
#define CONFLICT_M      3.0
#define WRONG_WAY_M     5.0
#define MOTOR_LANE_S    3.0
#define MOTOR_LANE_M    10.0
#define STOP_PAST_S     2.0
#define STOP_PAST_M     0.5
#define SPEED_TOL       0.10
#define SPEED_OVER_M    10.0
#define TWO_WHEEL_LIMIT 25.0

/* length, width, height (m), acceleration (m/s²), usual speed (km/h) */
static const double class_dims[SYN_CLASS_COUNT][5] = {
    {0.5, 0.5, 1.7, 1.0, 5},    {1.7, 0.55, 1.7, 1.2, 15}, {1.8, 0.65, 1.7, 1.5, 20},
    {2.0, 0.75, 1.55, 2.5, 35}, {4.5, 1.8, 1.5, 2.5, 40},  {11.0, 2.5, 3.2, 1.2, 35},
    {8.0, 2.5, 3.0, 1.5, 35},
};

static bool is_motor(int cls)
{
    return cls == SYN_MOTORCYCLE || cls == SYN_CAR || cls == SYN_BUS || cls == SYN_TRUCK;
}

static bool is_two_wheeler(int cls)
{
    return cls == SYN_BICYCLE || cls == SYN_EBIKE;
}

static struct syn_poly rect(double x0, double y0, double x1, double y1)
{
    struct syn_poly p = {4, {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}};
    return p;
}

int syn_phase_state(const struct syn_scenario *sc, int p, double t, double *age)
{
    const struct syn_phase *ph;
    double c, g0, g1, y1, a;
    int state;
    if (p < 0 || p >= sc->n_phases) {
        if (age)
            *age = 1e9;
        return SYN_OFF;
    }
    ph = &sc->phase[p];
    c = fmod(t + sc->offset_s, sc->cycle_s);
    g0 = ph->green_start;
    g1 = g0 + ph->green_s;
    y1 = g1 + ph->yellow_s;
    if (c >= g0 && c < g1) {
        state = SYN_GREEN;
        a = c - g0;
    } else if (c >= g1 && c < y1) {
        state = SYN_YELLOW;
        a = c - g1;
    } else {
        state = SYN_RED;
        a = c >= y1 ? c - y1 : c + sc->cycle_s - y1;
    }
    if (age)
        *age = a;
    return state;
}

static int phase_of_kind(const struct syn_scenario *sc, int kind)
{
    for (int i = 0; i < sc->n_phases; i++)
        if (sc->phase[i].kind == kind)
            return i;
    return -1;
}

static void add_route(struct syn_world *w, const char *id, const struct cw_point *p, int n,
                      int lane, int stop_line, bool ped, bool right_turn)
{
    struct syn_route *r = &w->route[w->n_routes++];
    snprintf(r->id, sizeof(r->id), "%s", id);
    r->n = n;
    memcpy(r->p, p, sizeof(*p) * (size_t)n);
    r->lane = lane;
    r->stop_line = stop_line;
    r->pedestrian = ped;
    r->right_turn = right_turn;
    r->len = 0;
    for (int i = 1; i < n; i++)
        r->len += hypot(p[i].x - p[i - 1].x, p[i].y - p[i - 1].y);
}

int syn_route_find(const struct syn_world *w, const char *id)
{
    for (int i = 0; i < w->n_routes; i++)
        if (!strcmp(w->route[i].id, id))
            return i;
    return -1;
}

/* Road, lanes, lines, routes and signal heads from the layout template. */
static void build_layout(struct syn_world *w)
{
    const struct syn_scenario *sc = w->sc;
    const int n = sc->lanes_each_way;
    const double lw = sc->lane_w, bw = sc->bike_w, half = n * lw + bw;
    const double cy = sc->crosswalk_y, cw = sc->crosswalk_w;
    const double y_near = -40, y_far = 150;
    const double stop_nb = cy - sc->stop_gap, stop_sb = cy + cw + sc->stop_gap;
    const double xr0 = cy + cw + sc->stop_gap + 1; /* cross road, south edge */
    const double xr1 = xr0 + 2 * n * lw;
    const int veh = phase_of_kind(sc, 0), ped = phase_of_kind(sc, 1);
    char id[32];

    w->road_half = half;
    w->road = rect(-half, y_near, half, y_far);
    w->crosswalk = rect(-half, cy, half, cy + cw);
    w->sidewalk_w = rect(-half - sc->sidewalk_w, y_near, -half, y_far);
    w->sidewalk_e = rect(half, y_near, half + sc->sidewalk_w, y_far);
    w->wait_w = rect(-half - sc->sidewalk_w, cy - 1, -half, cy + cw + 1);
    w->wait_e = rect(half, cy - 1, half + sc->sidewalk_w, cy + cw + 1);
    w->cross_road = rect(-60, xr0, 60, xr1);
    w->school = rect(half, cy - 12, half + sc->sidewalk_w, cy - 1);

    /* stop lines: northbound (x > 0) before the crosswalk, southbound after it */
    w->line[0] = (struct syn_line){"stop-nb", {0, stop_nb}, {half, stop_nb}, {half / 2, cy}, veh};
    w->line[1] =
        (struct syn_line){"stop-sb", {-half, stop_sb}, {0, stop_sb}, {-half / 2, cy + cw}, veh};
    w->n_lines = 2;

    /* lanes: northbound 1..n from the centre line outwards, then the bike lane; mirrored */
    for (int dir = 0; dir < 2; dir++) {
        double sgn = dir == 0 ? 1 : -1;
        for (int i = 0; i <= n; i++) {
            struct syn_lane *l = &w->lane[w->n_lanes];
            bool bike = i == n;
            double x0 = sgn * (i * lw), x1 = sgn * (bike ? half : (i + 1) * lw);
            if (bike)
                snprintf(l->id, sizeof(l->id), "%s_bike", dir == 0 ? "nb" : "sb");
            else
                snprintf(l->id, sizeof(l->id), "%s_%d", dir == 0 ? "nb" : "sb", i + 1);
            l->motor = !bike;
            /* lanes end at their stop line: the intersection beyond is not a lane */
            l->poly = dir == 0 ? rect(fmin(x0, x1), y_near, fmax(x0, x1), stop_nb)
                               : rect(fmin(x0, x1), stop_sb, fmax(x0, x1), y_far);
            l->dir = (struct cw_point){0, sgn};
            l->stop_line = dir;
            l->phase = veh;
            l->right_turn = dir == 0 && i == n - 1;
            double xc = (x0 + x1) / 2;
            struct cw_point p[2] = {{xc, dir == 0 ? y_near : y_far},
                                    {xc, dir == 0 ? y_far : y_near}};
            add_route(w, l->id, p, 2, w->n_lanes, dir, false, false);
            w->n_lanes++;
        }
    }
    /* a right turn from the outer northbound motor lane into the cross road, eastbound */
    {
        double xc = (n - 0.5) * lw, yt = xr0 + 0.5 * lw, r = yt - (stop_sb - 1);
        struct cw_point p[SYN_MAX_PATH];
        int k = 0;
        p[k++] = (struct cw_point){xc, y_near};
        p[k++] = (struct cw_point){xc, stop_sb - 1};
        for (int s = 1; s <= 8; s++) {
            double a = M_PI / 2 * s / 8;
            p[k++] = (struct cw_point){xc + r * (1 - cos(a)), stop_sb - 1 + r * sin(a)};
        }
        p[k++] = (struct cw_point){60, yt};
        snprintf(id, sizeof(id), "nb_right");
        add_route(w, id, p, k, n - 1, 0, false, true);
    }
    /* pedestrians: along the sidewalk to the kerb, across, and on */
    {
        double xw = -half - sc->sidewalk_w / 2, xe = half + sc->sidewalk_w / 2, yc = cy + cw / 2;
        struct cw_point we[4] = {{xw, cy - 12}, {xw, yc}, {xe, yc}, {xe, cy + cw + 12}};
        struct cw_point ew[4] = {{xe, cy + cw + 12}, {xe, yc}, {xw, yc}, {xw, cy - 12}};
        struct cw_point sw[2] = {{xw, y_near}, {xw, y_far}};
        struct cw_point se[2] = {{xe, y_far}, {xe, y_near}};
        add_route(w, "cross_we", we, 4, -1, -1, true, false);
        add_route(w, "cross_ew", ew, 4, -1, -1, true, false);
        add_route(w, "walk_west", sw, 2, -1, -1, true, false);
        add_route(w, "walk_east", se, 2, -1, -1, true, false);
    }
    /* signal heads: the vehicle head beyond the crossing road on the right, facing the camera;
     * the pedestrian head on the far kerb of the crosswalk */
    w->head[0] = (struct syn_signal_head){"veh-ns", veh, half + 1.0, xr1 + 2, 5.0, 0.45, 1.3, 3};
    w->head[1] =
        (struct syn_signal_head){"ped-cross", ped, half + 0.8, cy + cw + 1.5, 2.6, 0.45, 0.9, 2};
    w->n_heads = ped >= 0 ? 2 : 1;
    if (sc->nz.vegetation) {
        w->trees[0] = (struct cw_point){-half - sc->sidewalk_w - 3, cy - 6};
        w->trees[1] = (struct cw_point){-half - sc->sidewalk_w - 4, cy + 14};
        w->n_trees = 2;
    }
}

/* Position and heading at distance @s along a polyline. */
static void along(const struct cw_point *p, int n, double s, double *x, double *y, double *hd)
{
    for (int i = 1; i < n; i++) {
        double dx = p[i].x - p[i - 1].x, dy = p[i].y - p[i - 1].y, len = hypot(dx, dy);
        if (s <= len || i == n - 1) {
            double f = len > 0 ? fmin(s / len, 1.0) : 0;
            *x = p[i - 1].x + f * dx;
            *y = p[i - 1].y + f * dy;
            *hd = atan2(dy, dx);
            return;
        }
        s -= len;
    }
    *x = p[0].x;
    *y = p[0].y;
    *hd = 0;
}

/* Distance along the polyline to where it crosses the horizontal line y = @yl (or -1). */
static double s_at_y(const struct cw_point *p, int n, double yl)
{
    double s = 0;
    for (int i = 1; i < n; i++) {
        double dy = p[i].y - p[i - 1].y, len = hypot(p[i].x - p[i - 1].x, dy);
        if ((p[i - 1].y - yl) * (p[i].y - yl) <= 0 && dy != 0)
            return s + len * (yl - p[i - 1].y) / dy;
        s += len;
    }
    return -1;
}

static void rgb_to_yuv(const double rgb[3], uint8_t out[3])
{
    double r = rgb[0] * 255, g = rgb[1] * 255, b = rgb[2] * 255;
    double y = 16 + 0.257 * r + 0.504 * g + 0.098 * b;
    double u = 128 - 0.148 * r - 0.291 * g + 0.439 * b;
    double v = 128 + 0.439 * r - 0.368 * g - 0.071 * b;
    out[0] = (uint8_t)fmin(fmax(y, 16), 235);
    out[1] = (uint8_t)fmin(fmax(u, 16), 240);
    out[2] = (uint8_t)fmin(fmax(v, 16), 240);
}

int syn_world_init(struct syn_world *w, const struct syn_scenario *sc)
{
    unsigned seed = sc->seed * 2654435761u + 1;
    memset(w, 0, sizeof(*w));
    w->sc = sc;
    build_layout(w);
    for (int i = 0; i < sc->n_actors; i++) {
        const struct syn_actor_spec *sp = &sc->actor[i];
        struct syn_actor *a = &w->actor[w->n_actors];
        a->spec = sp;
        a->route = -1;
        if (sp->n_path) {
            memcpy(a->path, sp->path, sizeof(sp->path[0]) * (size_t)sp->n_path);
            a->n_path = sp->n_path;
        } else {
            int r = syn_route_find(w, sp->route);
            if (r < 0) {
                cw_log_error(MOD,
                             "actors[%d].route: no route '%s' in this layout; see "
                             "docs/synth.md for the routes",
                             i, sp->route);
                return CW_EINVAL;
            }
            a->route = r;
            memcpy(a->path, w->route[r].p, sizeof(w->route[r].p[0]) * (size_t)w->route[r].n);
            a->n_path = w->route[r].n;
        }
        if (sp->reverse)
            for (int k = 0; k < a->n_path / 2; k++) {
                struct cw_point t = a->path[k];
                a->path[k] = a->path[a->n_path - 1 - k];
                a->path[a->n_path - 1 - k] = t;
            }
        a->path_len = 0;
        for (int k = 1; k < a->n_path; k++)
            a->path_len += hypot(a->path[k].x - a->path[k - 1].x, a->path[k].y - a->path[k - 1].y);
        a->length = sp->size[0] > 0 ? sp->size[0] : class_dims[sp->cls][0];
        a->width = sp->size[1] > 0 ? sp->size[1] : class_dims[sp->cls][1];
        a->height = sp->size[2] > 0 ? sp->size[2] : class_dims[sp->cls][2];
        a->accel = class_dims[sp->cls][3];
        a->cruise = (sp->speed_kmh > 0 ? sp->speed_kmh : class_dims[sp->cls][4]) / 3.6;
        a->v = a->cruise;
        double rgb[3], rgb2[3];
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            rgb[k] = sp->rgb[0] >= 0 ? sp->rgb[k] : 0.15 + 0.75 * ((seed >> 16) % 1000) / 1000.0;
            seed = seed * 1103515245u + 12345u;
            rgb2[k] = 0.1 + 0.3 * ((seed >> 16) % 1000) / 1000.0;
        }
        rgb_to_yuv(rgb, a->yuv);
        rgb_to_yuv(rgb2, a->yuv2);
        a->prev_line_side = 0;
        a->red_line = -1;
        w->n_actors++;
    }
    w->cap_events = 256;
    w->events = malloc(sizeof(*w->events) * (size_t)w->cap_events);
    return w->events ? 0 : CW_ENOMEM;
}

void syn_world_release(struct syn_world *w)
{
    free(w->events);
    w->events = NULL;
}

static void record(struct syn_world *w, struct syn_actor *a, int type, int frame, double t)
{
    if (a->reported[type])
        return;
    a->reported[type] = true;
    if (w->n_events == w->cap_events) {
        struct syn_event *e = realloc(w->events, sizeof(*e) * (size_t)w->cap_events * 2);
        if (!e)
            return;
        w->events = e;
        w->cap_events *= 2;
    }
    w->events[w->n_events++] =
        (struct syn_event){type, a->spec->id, a->spec->cls, frame, t, a->x, a->y};
}

static bool inside(const struct syn_poly *p, double x, double y)
{
    return cw_polygon_contains(p->p, p->n, (struct cw_point){x, y});
}

/* Whether a pedestrian on the crosswalk is in vehicle @a's path. With @with_right_of_way, only
 * pedestrians who have it count: their light is not red (a jaywalker on red is not yielded to
 * by through traffic on green; the jaywalker is the one in violation). */
static bool pedestrian_in_path(const struct syn_world *w, const struct syn_actor *a, double x,
                               double y, double hd, bool with_right_of_way, double t)
{
    double ux = cos(hd), uy = sin(hd);
    int ped_phase = phase_of_kind(w->sc, 1);
    if (with_right_of_way && ped_phase >= 0 &&
        syn_phase_state(w->sc, ped_phase, t, NULL) == SYN_RED)
        return false;
    for (int i = 0; i < w->n_actors; i++) {
        const struct syn_actor *p = &w->actor[i];
        if (!p->active || p->spec->cls != SYN_PEDESTRIAN || !inside(&w->crosswalk, p->x, p->y))
            continue;
        double dx = p->x - x, dy = p->y - y;
        double ahead = dx * ux + dy * uy, lateral = fabs(dx * uy - dy * ux);
        if (ahead > -a->length / 2 && ahead < 12 && lateral <= CONFLICT_M)
            return true;
    }
    return false;
}

/* How far along its path the actor must stop this step, or a large number. */
static double stop_target(const struct syn_world *w, struct syn_actor *a, double t)
{
    const struct syn_scenario *sc = w->sc;
    const struct syn_actor_spec *sp = a->spec;
    double target = 1e9, half = a->length / 2;
    int beh = sp->behaviour;

    if (sp->cls == SYN_PEDESTRIAN) {
        /* wait at the kerb for the pedestrian green */
        double kerb = -1;
        if (a->route >= 0 && w->route[a->route].pedestrian && !sp->reverse &&
            w->route[a->route].n == 4)
            kerb = hypot(a->path[1].x - a->path[0].x, a->path[1].y - a->path[0].y) +
                   (fabs(a->path[1].x) - w->road_half) - 0.4;
        if (kerb > 0 && a->s <= kerb + 0.05 && beh != SYN_RUN_RED) {
            double age;
            int st = syn_phase_state(sc, phase_of_kind(sc, 1), t, &age);
            if (st != SYN_GREEN)
                target = kerb;
        }
    } else if (!sp->reverse) {
        double sl = -1;
        int line = a->route >= 0 ? w->route[a->route].stop_line : -1;
        if (line >= 0)
            sl = s_at_y(a->path, a->n_path, w->line[line].a.y);
        if (sl > 0 && beh != SYN_RUN_RED && beh != SYN_NO_YIELD) {
            double front = a->s + half;
            double age;
            int st = syn_phase_state(sc, w->line[line].phase, t, &age);
            bool turning = a->route >= 0 && w->route[a->route].right_turn;
            double stop_at = beh == SYN_STOP_PAST ? sl + half + 2.5 : sl - 0.3 - half;
            double braking = a->v * a->v / (2 * 3.0);
            /* obeying: until the front reaches the line; stopping past it: until stopped */
            bool before = beh == SYN_STOP_PAST ? a->s <= stop_at + 0.05 : front < sl;
            if (!turning && before &&
                (st == SYN_RED || (st == SYN_YELLOW && stop_at - a->s > braking)))
                target = stop_at;
        }
        /* turners yield to pedestrians on the crosswalk, unless told not to */
        if (a->route >= 0 && w->route[a->route].right_turn && beh == SYN_OBEY && sl > 0) {
            double x, y, hd;
            along(a->path, a->n_path, a->s + half + 2, &x, &y, &hd);
            if (a->s + half < sl + w->sc->stop_gap + w->sc->crosswalk_w &&
                pedestrian_in_path(w, a, x, y, hd, false, t))
                target = fmin(target, fmax(a->s, sl + w->sc->stop_gap - half - 0.3));
        }
    }
    /* queue behind the actor ahead on the same path */
    for (int i = 0; i < w->n_actors; i++) {
        const struct syn_actor *o = &w->actor[i];
        if (o == a || !o->active || o->route != a->route || o->spec->reverse != sp->reverse ||
            a->route < 0)
            continue;
        if (o->s > a->s) {
            double gap = o->s - o->length / 2 - half - (sp->cls == SYN_PEDESTRIAN ? 0.6 : 2.0);
            target = fmin(target, gap);
        }
    }
    return target;
}

/* Ground speed over the last SPEED_OVER_M metres travelled. */
static double measured_speed(const struct syn_actor *a)
{
    int n = a->hist_n < 64 ? a->hist_n : 64;
    if (n < 2)
        return 0;
    int last = (a->hist_n - 1) % 64;
    for (int k = 1; k < n; k++) {
        int j = (a->hist_n - 1 - k) % 64;
        double d = a->hist_s[last] - a->hist_s[j];
        if (d >= SPEED_OVER_M)
            return d / (a->hist_t[last] - a->hist_t[j]);
    }
    return 0;
}

/* A road user shorter than this share of the picture's height (20 px at 720p) is too small for
 * anyone to judge what it does: a car 130 m up the road. */
#define JUDGED_FRAC (1.0 / 36)

/* Whether the camera sees the actor's foot, with the actor tall enough in the picture to be
 * judged: violations are judged only there. */
static bool in_view(const struct syn_world *w, const struct syn_actor *a)
{
    struct cw_point p, top;
    if (!w->cam)
        return true;
    if (!syn_project(w->cam, a->x, a->y, 0, &p) || p.x < 0 || p.y < 0 || p.x >= w->sc->width ||
        p.y >= w->sc->height)
        return false;
    return syn_project(w->cam, a->x, a->y, a->height, &top) &&
           hypot(p.x - top.x, p.y - top.y) >= JUDGED_FRAC * w->sc->height;
}

static void check_violations(struct syn_world *w, struct syn_actor *a, int frame, double t,
                             double dt)
{
    const struct syn_scenario *sc = w->sc;
    int cls = a->spec->cls;
    double speed = hypot(a->vx, a->vy), hd = a->heading;

    if (!in_view(w, a)) {
        /* out of sight: nothing can be judged, and what was accumulating starts again */
        a->motor_lane_t = a->motor_lane_d = a->wrong_d = a->stopped_past_t = 0;
        a->hist_n = 0;
        a->was_in_crosswalk = inside(&w->crosswalk, a->x, a->y);
        for (int l = 0; l < w->n_lines; l++) {
            const struct syn_line *ln = &w->line[l];
            double side = cw_line_side(ln->a, ln->b, (struct cw_point){a->x, a->y});
            if (side * cw_line_side(ln->a, ln->b, ln->toward) > 0)
                a->prev_line_side |= 1 << l;
            else
                a->prev_line_side &= ~(1 << l);
        }
        return;
    }

    /* Red light: the centre crosses a stop line in its direction on red (past the grace time),
     * then enters the junction (crosses the far edge of the crosswalk) before green. A vehicle
     * that stops on the crosswalk instead has stopped past the line, not run the light; right
     * turns on red are allowed. The event is dated at the stop-line crossing. */
    if (cls != SYN_PEDESTRIAN) {
        for (int l = 0; l < w->n_lines; l++) {
            const struct syn_line *ln = &w->line[l];
            if (a->x < fmin(ln->a.x, ln->b.x) || a->x > fmax(ln->a.x, ln->b.x))
                continue;
            double side = cw_line_side(ln->a, ln->b, (struct cw_point){a->x, a->y});
            double toward = cw_line_side(ln->a, ln->b, ln->toward);
            int s = side * toward > 0 ? 1 : -1;
            int bit = 1 << l;
            int prev = (a->prev_line_side & bit) ? 1 : -1;
            if (a->hist_n > 1 && prev < 0 && s > 0) {
                double age;
                int st = syn_phase_state(sc, ln->phase, t, &age);
                bool turning = a->route >= 0 && w->route[a->route].right_turn;
                if (st == SYN_RED && age >= sc->grace_s && !turning) {
                    a->red_line = l;
                    a->red_frame = frame;
                    a->red_t = t;
                }
            }
            if (s > 0)
                a->prev_line_side |= bit;
            else
                a->prev_line_side &= ~bit;
        }
        if (a->red_line >= 0) {
            const struct syn_line *ln = &w->line[a->red_line];
            double dir = ln->toward.y > ln->a.y ? 1 : -1;
            double entry = dir > 0 ? sc->crosswalk_y + sc->crosswalk_w : sc->crosswalk_y;
            if (syn_phase_state(sc, ln->phase, t, NULL) == SYN_GREEN)
                a->red_line = -1; /* waited for green after all */
            else if ((a->y - entry) * dir > 0) {
                record(w, a, EV_RED, a->red_frame, a->red_t);
                a->red_line = -1;
            }
        }
    }
    /* pedestrian on red: steps onto the crosswalk while the pedestrian light is red */
    bool in_cw = inside(&w->crosswalk, a->x, a->y);
    if (cls == SYN_PEDESTRIAN && in_cw && !a->was_in_crosswalk && a->hist_n > 1) {
        double age;
        int st = syn_phase_state(sc, phase_of_kind(sc, 1), t, &age);
        if (st == SYN_RED && age >= sc->ped_grace_s)
            record(w, a, EV_PED_RED, frame, t);
    }
    /* failure to yield: a motor vehicle moving over the crosswalk with a pedestrian who has right
     * of way in its path */
    if (is_motor(cls) && in_cw && speed > 1.0 && pedestrian_in_path(w, a, a->x, a->y, hd, true, t))
        record(w, a, EV_YIELD, frame, t);
    a->was_in_crosswalk = in_cw;

    /* lanes: wrong way, two-wheelers in motor lanes */
    bool in_motor = false;
    for (int l = 0; l < w->n_lanes; l++) {
        const struct syn_lane *ln = &w->lane[l];
        if (!inside(&ln->poly, a->x, a->y) || cls == SYN_PEDESTRIAN)
            continue;
        double along_dir = (a->vx * ln->dir.x + a->vy * ln->dir.y);
        if (speed > 0.5 && along_dir < -0.5 * speed) {
            a->wrong_d += speed * dt;
            if (a->wrong_d >= WRONG_WAY_M)
                record(w, a, EV_WRONG, frame, t);
        }
        if (ln->motor)
            in_motor = true;
    }
    if (is_two_wheeler(cls) && in_motor) {
        a->motor_lane_t += dt;
        a->motor_lane_d += speed * dt;
        if (a->motor_lane_t >= MOTOR_LANE_S || a->motor_lane_d >= MOTOR_LANE_M)
            record(w, a, EV_MOTOR_LANE, frame, t);
    } else {
        a->motor_lane_t = a->motor_lane_d = 0;
    }
    /* stopped past the stop line on red (a right turner waiting for pedestrians is not) */
    bool turner = a->route >= 0 && w->route[a->route].right_turn;
    if (cls != SYN_PEDESTRIAN && speed < 0.3 && !a->spec->reverse && !turner) {
        bool past = false;
        for (int l = 0; l < w->n_lines; l++) {
            const struct syn_line *ln = &w->line[l];
            double fx = a->x + cos(hd) * a->length / 2, fy = a->y + sin(hd) * a->length / 2;
            if (a->x < fmin(ln->a.x, ln->b.x) || a->x > fmax(ln->a.x, ln->b.x))
                continue;
            double dir = ln->toward.y > ln->a.y ? 1 : -1;
            double beyond = (fy - ln->a.y) * dir;
            (void)fx;
            int st = syn_phase_state(sc, ln->phase, t, NULL);
            if (beyond >= STOP_PAST_M && beyond < sc->crosswalk_w + sc->stop_gap + a->length &&
                st == SYN_RED)
                past = true;
        }
        a->stopped_past_t = past ? a->stopped_past_t + dt : 0;
        if (a->stopped_past_t >= STOP_PAST_S)
            record(w, a, EV_STOP_PAST, frame, t);
    } else {
        a->stopped_past_t = 0;
    }
    /* speeding, measured over the last 10 m */
    if (cls != SYN_PEDESTRIAN) {
        double limit = (is_two_wheeler(cls) ? TWO_WHEEL_LIMIT : sc->speed_limit_kmh) / 3.6;
        if (measured_speed(a) > limit * (1 + SPEED_TOL))
            record(w, a, EV_SPEED, frame, t);
    }
}

int syn_world_step(struct syn_world *w, int frame, double t, double dt)
{
    for (int i = 0; i < w->n_actors; i++) {
        struct syn_actor *a = &w->actor[i];
        if (a->done || t < a->spec->start_s)
            continue;
        if (!a->active) {
            a->active = true;
            a->s = 0;
        } else {
            double target = stop_target(w, a, t);
            double want = a->cruise;
            double dist = target - a->s;
            if (dist < 50) {
                double brake = 3.0;
                want = fmin(want, sqrt(2 * brake * fmax(dist, 0)));
            }
            if (want > a->v)
                a->v = fmin(want, a->v + a->accel * dt);
            else
                a->v = want;
            a->s += a->v * dt;
            if (a->s > target && target > -1e8 && a->s - a->v * dt <= target)
                a->s = fmax(target, a->s - a->v * dt);
        }
        if (a->s >= a->path_len) {
            a->active = false;
            a->done = true;
            continue;
        }
        double x, y, hd, px = a->x, py = a->y;
        along(a->path, a->n_path, a->s, &x, &y, &hd);
        (void)px;
        (void)py;
        a->vx = a->v * cos(hd);
        a->vy = a->v * sin(hd);
        a->x = x;
        a->y = y;
        a->heading = hd;
        a->hist_s[a->hist_n % 64] = a->s;
        a->hist_t[a->hist_n % 64] = t;
        a->hist_n++;
    }
    int active = 0;
    for (int i = 0; i < w->n_actors; i++)
        if (w->actor[i].active) {
            check_violations(w, &w->actor[i], frame, t, dt);
            active++;
        }
    if (active > w->max_active)
        w->max_active = active;
    return 0;
}
