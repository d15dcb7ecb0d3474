/* The scenario file (docs/synth.md): read through option tables, every problem named by path. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/options.h"
#include "synth.h"

#define MOD   "synth"
#define SC(f) offsetof(struct syn_scenario, f)

const char *const syn_class_names[] = {"pedestrian", "bicycle", "e_bike", "motorcycle",
                                       "car",        "bus",     "truck",  NULL};
static const char *const behaviours[] = {"obey", "run_red", "stop_past", "no_yield", NULL};
static const char *const phase_kinds[] = {"vehicle", "pedestrian", NULL};

struct top_fields {
    char *name;
    double fps, duration_s;
    int seed;
};
static const struct cw_option top_options[] = {
    {"name",
     CW_OPT_STRING,
     offsetof(struct top_fields, name),
     {.s = "scenario"},
     0,
     0,
     NULL,
     NULL,
     "scenario name, used as the site id"},
    {"fps",
     CW_OPT_DOUBLE,
     offsetof(struct top_fields, fps),
     {.d = 25},
     1,
     120,
     NULL,
     "1/s",
     "frame rate"},
    {"duration_s",
     CW_OPT_DOUBLE,
     offsetof(struct top_fields, duration_s),
     {.d = 20},
     0.2,
     3600,
     NULL,
     "s",
     "length of the video"},
    {"seed",
     CW_OPT_INT,
     offsetof(struct top_fields, seed),
     {.i = 1},
     0,
     2147483647.0,
     NULL,
     NULL,
     "random seed: the same seed renders the same video"},
    {NULL},
};

static const struct cw_option camera_options[] = {
    {"height_m", CW_OPT_DOUBLE, SC(cam_h), {.d = 7}, 1.5, 60, NULL, "m", "camera height"},
    {"x_m", CW_OPT_DOUBLE, SC(cam_x), {.d = 0}, -100, 100, NULL, "m", "camera position across"},
    {"y_m", CW_OPT_DOUBLE, SC(cam_y), {.d = -12}, -200, 200, NULL, "m", "camera position along"},
    {"yaw_deg",
     CW_OPT_DOUBLE,
     SC(yaw_deg),
     {.d = 0},
     -180,
     180,
     NULL,
     "deg",
     "heading, 0 looks north along the road"},
    {"pitch_deg", CW_OPT_DOUBLE, SC(pitch_deg), {.d = 20}, 2, 89, NULL, "deg", "downward tilt"},
    {"hfov_deg",
     CW_OPT_DOUBLE,
     SC(hfov_deg),
     {.d = 60},
     10,
     120,
     NULL,
     "deg",
     "horizontal field of view"},
    {NULL},
};

static const struct cw_option layout_options[] = {
    {"lanes_each_way",
     CW_OPT_INT,
     SC(lanes_each_way),
     {.i = 2},
     1,
     4,
     NULL,
     NULL,
     "motor lanes in each direction"},
    {"lane_width_m", CW_OPT_DOUBLE, SC(lane_w), {.d = 3.5}, 2.5, 5, NULL, "m", "motor lane width"},
    {"bike_lane_m",
     CW_OPT_DOUBLE,
     SC(bike_w),
     {.d = 2.5},
     1,
     5,
     NULL,
     "m",
     "non-motor lane width, each side"},
    {"sidewalk_m", CW_OPT_DOUBLE, SC(sidewalk_w), {.d = 3}, 1, 10, NULL, "m", "sidewalk width"},
    {"crosswalk_y_m",
     CW_OPT_DOUBLE,
     SC(crosswalk_y),
     {.d = 18},
     0,
     100,
     NULL,
     "m",
     "distance along the road to the near edge of the crosswalk"},
    {"crosswalk_width_m",
     CW_OPT_DOUBLE,
     SC(crosswalk_w),
     {.d = 5},
     2,
     10,
     NULL,
     "m",
     "crosswalk width"},
    {"stop_gap_m",
     CW_OPT_DOUBLE,
     SC(stop_gap),
     {.d = 2},
     0.5,
     10,
     NULL,
     "m",
     "stop line to crosswalk"},
    {"speed_limit_kmh",
     CW_OPT_DOUBLE,
     SC(speed_limit_kmh),
     {.d = 50},
     10,
     120,
     NULL,
     "km/h",
     "speed limit of the motor lanes"},
    {"cross_road",
     CW_OPT_BOOL,
     SC(cross_road),
     {.b = true},
     0,
     0,
     NULL,
     NULL,
     "draw the crossing road beyond the crosswalk"},
    {"school_zone",
     CW_OPT_BOOL,
     SC(school_zone),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "a school gate by the crosswalk, with a coloured crossing"},
    {NULL},
};

static const struct cw_option signal_options[] = {
    {"cycle_s", CW_OPT_DOUBLE, SC(cycle_s), {.d = 40}, 5, 600, NULL, "s", "signal cycle"},
    {"offset_s",
     CW_OPT_DOUBLE,
     SC(offset_s),
     {.d = 0},
     0,
     600,
     NULL,
     "s",
     "cycle time at the first frame"},
    {"grace_s",
     CW_OPT_DOUBLE,
     SC(grace_s),
     {.d = 0.5},
     0,
     10,
     NULL,
     "s",
     "red-light crossings sooner than this after red are not violations"},
    {"pedestrian_grace_s",
     CW_OPT_DOUBLE,
     SC(ped_grace_s),
     {.d = 1.0},
     0,
     10,
     NULL,
     "s",
     "the same for pedestrians"},
    {NULL},
};

static const struct cw_option phase_options[] = {
    {"id",
     CW_OPT_STRING,
     offsetof(struct syn_phase, id),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "phase id",
     CW_OPT_REQUIRED},
    {"kind",
     CW_OPT_ENUM,
     offsetof(struct syn_phase, kind),
     {.i = 0},
     0,
     0,
     phase_kinds,
     NULL,
     "vehicle: the north-south road; pedestrian: the crosswalk over it",
     CW_OPT_REQUIRED},
    {"green_start_s",
     CW_OPT_DOUBLE,
     offsetof(struct syn_phase, green_start),
     {.d = 0},
     0,
     600,
     NULL,
     "s",
     "start of green within the cycle"},
    {"green_s",
     CW_OPT_DOUBLE,
     offsetof(struct syn_phase, green_s),
     {.d = 15},
     1,
     600,
     NULL,
     "s",
     "green time"},
    {"yellow_s",
     CW_OPT_DOUBLE,
     offsetof(struct syn_phase, yellow_s),
     {.d = 3},
     0,
     10,
     NULL,
     "s",
     "yellow (or flashing green) after green"},
    {NULL},
};

static const struct cw_option actor_options[] = {
    {"id",
     CW_OPT_INT,
     offsetof(struct syn_actor_spec, id),
     {.i = 0},
     1,
     1000000,
     NULL,
     NULL,
     "actor id (the track id in the ground truth)",
     CW_OPT_REQUIRED},
    {"class",
     CW_OPT_ENUM,
     offsetof(struct syn_actor_spec, cls),
     {.i = 0},
     0,
     0,
     syn_class_names,
     NULL,
     "what it is",
     CW_OPT_REQUIRED},
    {"start_s",
     CW_OPT_DOUBLE,
     offsetof(struct syn_actor_spec, start_s),
     {.d = 0},
     0,
     3600,
     NULL,
     "s",
     "when it sets off from the start of its route"},
    {"speed_kmh",
     CW_OPT_DOUBLE,
     offsetof(struct syn_actor_spec, speed_kmh),
     {.d = 0},
     0,
     200,
     NULL,
     "km/h",
     "cruise speed; 0 uses the class's usual speed"},
    {"behaviour",
     CW_OPT_ENUM,
     offsetof(struct syn_actor_spec, behaviour),
     {.i = 0},
     0,
     0,
     behaviours,
     NULL,
     "how it treats signals and pedestrians"},
    {"reverse",
     CW_OPT_BOOL,
     offsetof(struct syn_actor_spec, reverse),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "travel the route backwards: against the lane's direction"},
    {NULL},
};

static const struct cw_option nuisance_options[] = {
    {"noise",
     CW_OPT_DOUBLE,
     SC(nz.noise),
     {.d = 0},
     0,
     40,
     NULL,
     "levels",
     "sensor noise (standard deviation)"},
    {"crf",
     CW_OPT_INT,
     SC(nz.crf),
     {.i = 20},
     0,
     51,
     NULL,
     NULL,
     "H.264 quality: higher is blockier (compression artefacts)"},
    {"brightness_swing",
     CW_OPT_DOUBLE,
     SC(nz.slow_amp),
     {.d = 0},
     0,
     0.8,
     NULL,
     NULL,
     "slow brightness change, as a fraction"},
    {"brightness_period_s",
     CW_OPT_DOUBLE,
     SC(nz.slow_period_s),
     {.d = 30},
     1,
     3600,
     NULL,
     "s",
     "period of the slow change"},
    {"clouds",
     CW_OPT_BOOL,
     SC(nz.clouds),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "moving cloud shadows on the road"},
    {"vegetation",
     CW_OPT_BOOL,
     SC(nz.vegetation),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "trees swaying in the wind"},
    {"mask_vegetation",
     CW_OPT_BOOL,
     SC(nz.mask_vegetation),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "put an ignore zone over the trees in the scene file"},
    {"shake_px",
     CW_OPT_DOUBLE,
     SC(nz.shake_px),
     {.d = 0},
     0,
     30,
     NULL,
     "px",
     "camera shake amplitude"},
    {"rain", CW_OPT_DOUBLE, SC(nz.rain), {.d = 0}, 0, 1, NULL, NULL, "rain intensity"},
    {"night",
     CW_OPT_BOOL,
     SC(nz.night),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "night: dark road, vehicles with headlights"},
    {"pole",
     CW_OPT_BOOL,
     SC(nz.pole),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "a pole in front of the road that hides what passes behind it"},
    {NULL},
};

struct ctx {
    const char *file;
    char where[300];
    int errors;
};

static void fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct ctx *c, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cw_log_error(MOD, "%s%s", c->where, msg);
    c->errors++;
}

static void section(struct ctx *c, const cJSON *root, const char *name,
                    const struct cw_option *table, void *obj, const char *const *skip)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, name);
    if (j && cw_options_from_json(table, obj, j, c->where, name, skip))
        c->errors++;
}

static bool read_xy(const cJSON *j, struct cw_point *p)
{
    if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) != 2 || !cJSON_IsNumber(j->child) ||
        !cJSON_IsNumber(j->child->next))
        return false;
    p->x = j->child->valuedouble;
    p->y = j->child->next->valuedouble;
    return isfinite(p->x) && isfinite(p->y);
}

static void read_phases(struct ctx *c, const cJSON *signals, struct syn_scenario *sc)
{
    const cJSON *list = signals ? cJSON_GetObjectItemCaseSensitive(signals, "phases") : NULL;
    char path[64];
    int i = 0;
    if (!list) {
        /* The default plan: north-south green 15 s + 3 s yellow, pedestrians 18 s later. */
        sc->n_phases = 2;
        snprintf(sc->phase[0].id, sizeof(sc->phase[0].id), "ns");
        sc->phase[0] = (struct syn_phase){"ns", 0, 0, 15, 3};
        sc->phase[1] = (struct syn_phase){"ped", 1, 20, 15, 3};
        return;
    }
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > SYN_MAX_PHASES) {
        fail(c, "signals.phases: expected a list of at most %d phases", SYN_MAX_PHASES);
        return;
    }
    for (const cJSON *j = list->child; j; j = j->next, i++) {
        struct syn_phase *ph = &sc->phase[i];
        struct {
            char *id;
        } tmp;
        static const struct cw_option id_only[] = {
            {"id", CW_OPT_STRING, 0, {.s = NULL}, 0, 0, NULL, NULL, "phase id"}, {NULL}};
        static const char *const rest[] = {"kind", "green_start_s", "green_s", "yellow_s", NULL};
        static const char *const id_skip[] = {"id", NULL};
        snprintf(path, sizeof(path), "signals.phases[%d]", i);
        cw_options_defaults(phase_options + 1, ph);
        if (cw_options_from_json(phase_options + 1, ph, j, c->where, path, id_skip))
            c->errors++;
        cw_options_defaults(id_only, &tmp);
        if (cw_options_from_json(id_only, &tmp, j, c->where, path, rest))
            c->errors++;
        if (!tmp.id || !*tmp.id || strlen(tmp.id) >= sizeof(ph->id))
            fail(c, "%s.id: required, at most %zu characters", path, sizeof(ph->id) - 1);
        else
            snprintf(ph->id, sizeof(ph->id), "%s", tmp.id);
        free(tmp.id);
        if (ph->green_start + ph->green_s + ph->yellow_s > sc->cycle_s + 1e-9)
            fail(c, "%s: green from %g s for %g s plus %g s yellow runs past the %g s cycle", path,
                 ph->green_start, ph->green_s, ph->yellow_s, sc->cycle_s);
    }
    sc->n_phases = i;
    /* A vehicle phase and a pedestrian phase cross each other: their greens must not overlap. */
    for (int a = 0; a < sc->n_phases; a++)
        for (int b = a + 1; b < sc->n_phases; b++) {
            const struct syn_phase *p = &sc->phase[a], *q = &sc->phase[b];
            if (p->kind == q->kind)
                continue;
            double p0 = p->green_start, p1 = p0 + p->green_s + p->yellow_s;
            double q0 = q->green_start, q1 = q0 + q->green_s + q->yellow_s;
            if (p0 < q1 && q0 < p1)
                fail(c,
                     "signals.phases[%d]: green %g-%g s overlaps the green of conflicting phase "
                     "'%s' (%g-%g s)",
                     b, q0, q1, p->id, p0, p1);
        }
}

static void read_actors(struct ctx *c, const cJSON *list, struct syn_scenario *sc)
{
    static const char *const geometry[] = {"route", "path", "color", "size_m", NULL};
    char path[64];
    int i = 0;
    if (!list)
        return;
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > SYN_MAX_ACTORS) {
        fail(c, "actors: expected a list of at most %d actors", SYN_MAX_ACTORS);
        return;
    }
    for (const cJSON *j = list->child; j; j = j->next, i++) {
        struct syn_actor_spec *a = &sc->actor[i];
        const cJSON *route = cJSON_GetObjectItemCaseSensitive(j, "route");
        const cJSON *pts = cJSON_GetObjectItemCaseSensitive(j, "path");
        const cJSON *col = cJSON_GetObjectItemCaseSensitive(j, "color");
        snprintf(path, sizeof(path), "actors[%d]", i);
        cw_options_defaults(actor_options, a);
        if (cw_options_from_json(actor_options, a, j, c->where, path, geometry))
            c->errors++;
        a->rgb[0] = -1;
        for (int k = 0; k < i; k++)
            if (sc->actor[k].id == a->id && a->id)
                fail(c, "%s.id: %d is already used by actors[%d]", path, a->id, k);
        if (route && pts)
            fail(c, "%s: give a route or a path, not both", path);
        else if (route) {
            if (!cJSON_IsString(route) || strlen(route->valuestring) >= sizeof(a->route))
                fail(c, "%s.route: expected the name of a route (docs/synth.md)", path);
            else
                snprintf(a->route, sizeof(a->route), "%s", route->valuestring);
        } else if (pts) {
            int k = 0;
            if (!cJSON_IsArray(pts) || cJSON_GetArraySize(pts) < 2 ||
                cJSON_GetArraySize(pts) > SYN_MAX_PATH) {
                fail(c, "%s.path: expected 2 to %d ground points [[x, y], ...] in metres", path,
                     SYN_MAX_PATH);
                continue;
            }
            for (const cJSON *p = pts->child; p; p = p->next, k++) {
                if (!read_xy(p, &a->path[k])) {
                    fail(c, "%s.path[%d]: expected a ground point [x, y] in metres", path, k);
                    break;
                }
                /* The rendered ground ends 40 m behind the camera line and 150 m ahead, and
                 * 60 m to each side. */
                if (fabs(a->path[k].x) > 60 || a->path[k].y < -40 || a->path[k].y > 150)
                    fail(c,
                         "%s.path[%d]: (%g, %g) leaves the ground (x within ±60 m, y from -40 "
                         "to 150 m)",
                         path, k, a->path[k].x, a->path[k].y);
            }
            a->n_path = k;
        } else if (cJSON_IsObject(j)) {
            fail(c, "%s: needs a route or a path", path);
        }
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(j, "size_m");
        if (size) {
            int k = 0;
            if (!cJSON_IsArray(size) || cJSON_GetArraySize(size) != 3)
                fail(c, "%s.size_m: expected [length, width, height] in metres", path);
            else
                for (const cJSON *e = size->child; e; e = e->next, k++) {
                    double v = cJSON_IsNumber(e) ? e->valuedouble : -1;
                    if (!(v >= 0.2 && v <= 25)) {
                        fail(c, "%s.size_m[%d]: expected 0.2 to 25 m", path, k);
                        break;
                    }
                    a->size[k] = v;
                }
        }
        if (col) {
            int k = 0;
            if (!cJSON_IsArray(col) || cJSON_GetArraySize(col) != 3)
                fail(c, "%s.color: expected [r, g, b] from 0 to 255", path);
            else
                for (const cJSON *e = col->child; e; e = e->next, k++)
                    a->rgb[k] = cJSON_IsNumber(e) ? fmin(fmax(e->valuedouble, 0), 255) / 255 : 0.5;
        }
    }
    sc->n_actors = i;
}

static void read_jumps(struct ctx *c, const cJSON *nz, struct syn_scenario *sc)
{
    const cJSON *list = nz ? cJSON_GetObjectItemCaseSensitive(nz, "exposure_jumps") : NULL;
    int i = 0;
    if (!list)
        return;
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > SYN_MAX_JUMPS) {
        fail(c, "nuisances.exposure_jumps: expected at most %d pairs [time_s, gain]",
             SYN_MAX_JUMPS);
        return;
    }
    for (const cJSON *j = list->child; j; j = j->next, i++) {
        struct cw_point p;
        if (!read_xy(j, &p) || p.x < 0 || p.y < 0.2 || p.y > 3) {
            fail(c, "nuisances.exposure_jumps[%d]: expected [time_s >= 0, gain 0.2..3]", i);
            return;
        }
        sc->nz.jump_t[i] = p.x;
        sc->nz.jump_gain[i] = p.y;
    }
    sc->nz.n_jumps = i;
}

int syn_scenario_load(const char *path, struct syn_scenario *sc)
{
    static const char *const top_skip[] = {"size",   "camera",    "layout", "signals",
                                           "actors", "nuisances", NULL};
    static const char *const top_known[] = {"name",   "size",      "fps",    "duration_s",
                                            "seed",   "camera",    "layout", "signals",
                                            "actors", "nuisances", NULL};
    struct ctx c = {.file = path};
    struct top_fields top;
    char *text;
    size_t len;
    cJSON *root;
    int err;

    memset(sc, 0, sizeof(*sc));
    snprintf(c.where, sizeof(c.where), "%s: ", path);
    err = cw__read_file(MOD, path, 1 << 20, &text, &len);
    if (err)
        return err;
    root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        cw_log_error(MOD, "%s: not a JSON object (malformed JSON, or a list)", path);
        cJSON_Delete(root);
        return CW_EFORMAT;
    }
    (void)top_known;
    cw_options_defaults(top_options, &top);
    if (cw_options_from_json(top_options, &top, root, c.where, "", top_skip))
        c.errors++;
    snprintf(sc->name, sizeof(sc->name), "%s", top.name ? top.name : "scenario");
    cw_options_release(top_options, &top);
    sc->fps = top.fps;
    sc->duration_s = top.duration_s;
    sc->seed = (unsigned)top.seed;

    const cJSON *size = cJSON_GetObjectItemCaseSensitive(root, "size");
    struct cw_point wh = {1280, 720};
    if (size && (!read_xy(size, &wh) || wh.x < 64 || wh.y < 64 || wh.x > 3840 || wh.y > 2160 ||
                 fmod(wh.x, 2) != 0 || fmod(wh.y, 2) != 0))
        fail(&c, "size: expected [width, height], even, from 64x64 to 3840x2160");
    sc->width = (int)wh.x;
    sc->height = (int)wh.y;

    cw_options_defaults(camera_options, sc);
    cw_options_defaults(layout_options, sc);
    cw_options_defaults(signal_options, sc);
    cw_options_defaults(nuisance_options, sc);
    section(&c, root, "camera", camera_options, sc, NULL);
    section(&c, root, "layout", layout_options, sc, NULL);
    static const char *const phases_skip[] = {"phases", NULL};
    section(&c, root, "signals", signal_options, sc, phases_skip);
    static const char *const jumps_skip[] = {"exposure_jumps", NULL};
    section(&c, root, "nuisances", nuisance_options, sc, jumps_skip);
    read_phases(&c, cJSON_GetObjectItemCaseSensitive(root, "signals"), sc);
    read_jumps(&c, cJSON_GetObjectItemCaseSensitive(root, "nuisances"), sc);
    read_actors(&c, cJSON_GetObjectItemCaseSensitive(root, "actors"), sc);
    cJSON_Delete(root);
    if (c.errors)
        return CW_EINVAL;
    return 0;
}
