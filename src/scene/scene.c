/* Scene file reader and validator (format version 1, docs/scene.md).
 *
 * Reading goes section by section; each problem is logged with its field path and counted, and
 * reading goes on so that one run names every mistake in the file. Geometry that needs the
 * ground plane (mapping every vertex, lengths and areas) is checked after the homography is known.
 */
#include "crosswatch/scene.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/url.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/options.h"

/* Scene files are hand-written and small; anything bigger is a mistake. */
#define SCENE_MAX_BYTES (4u << 20)

/* ---- option tables: the single source of each section's settings ---- */

static const char *const zone_kinds[] = {
    "crosswalk", "waiting_area", "motor_lane", "non_motor_lane", "school_zone", "ignore", NULL};
static const char *const line_kinds[] = {"stop_line", "count", NULL};
static const char *const lane_kinds[] = {"motor", "non_motor", "mixed", NULL};
static const char *const signal_kinds[] = {"vehicle", "pedestrian", "non_motor", "left_turn", NULL};
static const char *const signal_layouts[] = {"vertical", "horizontal", "single", NULL};
static const char *const rule_names[] = {
    "red_light", "pedestrian_red", "fail_to_yield", "wrong_way", "motor_lane", "stop_past_line",
    "speeding",  "no_helmet",      "passenger",     "canopy",    NULL};

#define OFS(st, field) offsetof(st, field)

static const struct cw_option site_options[] = {
    {"id",
     CW_OPT_STRING,
     OFS(struct cw_site, id),
     {.s = ""},
     0,
     0,
     NULL,
     NULL,
     "site identifier, unique in the city",
     CW_OPT_REQUIRED},
    {"name",
     CW_OPT_STRING,
     OFS(struct cw_site, name),
     {.s = ""},
     0,
     0,
     NULL,
     NULL,
     "human name of the intersection"},
    {"address",
     CW_OPT_STRING,
     OFS(struct cw_site, address),
     {.s = ""},
     0,
     0,
     NULL,
     NULL,
     "street address"},
    {"timezone",
     CW_OPT_STRING,
     OFS(struct cw_site, timezone),
     {.s = "UTC"},
     0,
     0,
     NULL,
     NULL,
     "IANA time zone of the site, for school hours and reports"},
    {"latitude",
     CW_OPT_DOUBLE,
     OFS(struct cw_site, latitude),
     {.d = 0},
     -90,
     90,
     NULL,
     "deg",
     "WGS-84 latitude"},
    {"longitude",
     CW_OPT_DOUBLE,
     OFS(struct cw_site, longitude),
     {.d = 0},
     -180,
     180,
     NULL,
     "deg",
     "WGS-84 longitude"},
    {NULL},
};

static const struct cw_option camera_options[] = {
    {"id",
     CW_OPT_STRING,
     OFS(struct cw_camera, id),
     {.s = ""},
     0,
     0,
     NULL,
     NULL,
     "camera identifier, unique within the site",
     CW_OPT_REQUIRED},
    {"input",
     CW_OPT_STRING,
     OFS(struct cw_camera, input),
     {.s = ""},
     0,
     0,
     NULL,
     NULL,
     "video file path or rtsp:// URL"},
    {"width",
     CW_OPT_INT,
     OFS(struct cw_camera, width),
     {.i = 0},
     16,
     16384,
     NULL,
     "px",
     "picture width that the scene's pixel coordinates refer to",
     CW_OPT_REQUIRED},
    {"height",
     CW_OPT_INT,
     OFS(struct cw_camera, height),
     {.i = 0},
     16,
     16384,
     NULL,
     "px",
     "picture height",
     CW_OPT_REQUIRED},
    {"fps",
     CW_OPT_DOUBLE,
     OFS(struct cw_camera, fps),
     {.d = 0},
     0,
     300,
     NULL,
     "1/s",
     "nominal frame rate; 0 takes it from the stream"},
    {NULL},
};

/* Scalar fields of list items are read into these scratch structs, then checked and copied. */
struct zone_fields {
    char *id;
    int kind;
};
static const struct cw_option zone_options[] = {
    {"id",
     CW_OPT_STRING,
     OFS(struct zone_fields, id),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "zone identifier, unique among zones",
     CW_OPT_REQUIRED},
    {"kind",
     CW_OPT_ENUM,
     OFS(struct zone_fields, kind),
     {.i = 0},
     0,
     0,
     zone_kinds,
     NULL,
     "what the zone is",
     CW_OPT_REQUIRED},
    {NULL},
};

struct line_fields {
    char *id;
    int kind;
};
static const struct cw_option line_options[] = {
    {"id",
     CW_OPT_STRING,
     OFS(struct line_fields, id),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "line identifier, unique among lines",
     CW_OPT_REQUIRED},
    {"kind",
     CW_OPT_ENUM,
     OFS(struct line_fields, kind),
     {.i = 0},
     0,
     0,
     line_kinds,
     NULL,
     "what the line is",
     CW_OPT_REQUIRED},
    {NULL},
};

struct lane_fields {
    char *id;
    char *stop_line;
    char *signal;
    int kind;
    double speed_limit_kmh;
};
static const struct cw_option lane_options[] = {
    {"id",
     CW_OPT_STRING,
     OFS(struct lane_fields, id),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "lane identifier, unique among lanes",
     CW_OPT_REQUIRED},
    {"kind",
     CW_OPT_ENUM,
     OFS(struct lane_fields, kind),
     {.i = 0},
     0,
     0,
     lane_kinds,
     NULL,
     "who the lane is for",
     CW_OPT_REQUIRED},
    {"stop_line",
     CW_OPT_STRING,
     OFS(struct lane_fields, stop_line),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "id of the stop line at the end of the lane"},
    {"signal",
     CW_OPT_STRING,
     OFS(struct lane_fields, signal),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "id of the signal head that controls the lane"},
    {"speed_limit_kmh",
     CW_OPT_DOUBLE,
     OFS(struct lane_fields, speed_limit_kmh),
     {.d = 0},
     0,
     200,
     NULL,
     "km/h",
     "speed limit; 0 uses the speeding rule's default"},
    {NULL},
};

struct signal_fields {
    char *id;
    char *external_id;
    int kind;
    int layout;
};
static const struct cw_option signal_options[] = {
    {"id",
     CW_OPT_STRING,
     OFS(struct signal_fields, id),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "signal head identifier, unique among signals",
     CW_OPT_REQUIRED},
    {"kind",
     CW_OPT_ENUM,
     OFS(struct signal_fields, kind),
     {.i = 0},
     0,
     0,
     signal_kinds,
     NULL,
     "which traffic the head controls"},
    {"layout",
     CW_OPT_ENUM,
     OFS(struct signal_fields, layout),
     {.i = 0},
     0,
     0,
     signal_layouts,
     NULL,
     "arrangement of the lamps inside region"},
    {"external_id",
     CW_OPT_STRING,
     OFS(struct signal_fields, external_id),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "the signal controller's name for this phase"},
    {NULL},
};

#define RS(field) OFS(struct cw_rule_settings, field)
#define RULE_ENABLED                                                                               \
    {                                                                                              \
        "enabled", CW_OPT_BOOL, RS(enabled), {.b = true}, 0, 0, NULL, NULL, "run this rule"        \
    }

static const struct cw_option red_light_options[] = {
    RULE_ENABLED,
    {"grace_s",
     CW_OPT_DOUBLE,
     RS(grace_s),
     {.d = 0.5},
     0,
     10,
     NULL,
     "s",
     "crossings this soon after the light turned red are not violations"},
    {NULL},
};
static const struct cw_option pedestrian_red_options[] = {
    RULE_ENABLED,
    {"grace_s",
     CW_OPT_DOUBLE,
     RS(grace_s),
     {.d = 1.0},
     0,
     10,
     NULL,
     "s",
     "entries this soon after the pedestrian light turned red are not violations"},
    {NULL},
};
static const struct cw_option fail_to_yield_options[] = {
    RULE_ENABLED,
    {"conflict_distance_m",
     CW_OPT_DOUBLE,
     RS(conflict_distance_m),
     {.d = 3.0},
     0.5,
     20,
     NULL,
     "m",
     "a pedestrian on the crosswalk this close to the vehicle's path must be yielded to"},
    {NULL},
};
static const struct cw_option wrong_way_options[] = {
    RULE_ENABLED,
    {"min_distance_m",
     CW_OPT_DOUBLE,
     RS(min_distance_m),
     {.d = 5.0},
     1,
     100,
     NULL,
     "m",
     "distance travelled against the lane's direction before it counts"},
    {NULL},
};
static const struct cw_option motor_lane_options[] = {
    RULE_ENABLED,
    {"min_duration_s",
     CW_OPT_DOUBLE,
     RS(min_duration_s),
     {.d = 3.0},
     0,
     600,
     NULL,
     "s",
     "time a two-wheeler spends in a motor lane before it counts"},
    {"min_distance_m",
     CW_OPT_DOUBLE,
     RS(min_distance_m),
     {.d = 10.0},
     0,
     1000,
     NULL,
     "m",
     "or distance it rides there, whichever comes first"},
    {NULL},
};
static const struct cw_option stop_past_line_options[] = {
    RULE_ENABLED,
    {"min_duration_s",
     CW_OPT_DOUBLE,
     RS(min_duration_s),
     {.d = 2.0},
     0,
     600,
     NULL,
     "s",
     "time stopped past the stop line during red before it counts"},
    {"past_m",
     CW_OPT_DOUBLE,
     RS(past_m),
     {.d = 0.5},
     0,
     20,
     NULL,
     "m",
     "how far past the line the foot point must be"},
    {NULL},
};
static const struct cw_option speeding_options[] = {
    RULE_ENABLED,
    {"limit_kmh",
     CW_OPT_DOUBLE,
     RS(limit_kmh),
     {.d = 50},
     5,
     200,
     NULL,
     "km/h",
     "limit for motor vehicles where the lane sets none"},
    {"two_wheeler_limit_kmh",
     CW_OPT_DOUBLE,
     RS(two_wheeler_limit_kmh),
     {.d = 25},
     5,
     200,
     NULL,
     "km/h",
     "limit for e-bikes and bicycles (GB 17761: 25 km/h)"},
    {"tolerance_pct",
     CW_OPT_DOUBLE,
     RS(tolerance_pct),
     {.d = 10},
     0,
     100,
     NULL,
     "%",
     "measured speed must exceed the limit by this much"},
    {"min_distance_m",
     CW_OPT_DOUBLE,
     RS(min_distance_m),
     {.d = 10},
     1,
     1000,
     NULL,
     "m",
     "distance over which the speed is measured"},
    {NULL},
};

/* The attribute rules share their settings. */
static const struct cw_option attribute_options[] = {
    RULE_ENABLED,
    {"min_observations",
     CW_OPT_INT,
     RS(min_observations),
     {.i = 5},
     1,
     10000,
     NULL,
     NULL,
     "detections of the two-wheeler that must have said whether it has the attribute"},
    {"min_share",
     CW_OPT_DOUBLE,
     RS(min_share),
     {.d = 0.7},
     0.5,
     1,
     NULL,
     NULL,
     "share of those (weighted by score) that must agree before it is judged"},
    {NULL},
};

static const struct cw_option *const rule_tables[CW_RULE_COUNT] = {
    red_light_options,  pedestrian_red_options, fail_to_yield_options, wrong_way_options,
    motor_lane_options, stop_past_line_options, speeding_options,      attribute_options,
    attribute_options,  attribute_options,
};

const char *cw_zone_kind_name(int kind)
{
    return kind >= 0 && kind <= CW_ZONE_IGNORE ? zone_kinds[kind] : "?";
}

const char *cw_rule_name(int rule)
{
    return rule >= 0 && rule < CW_RULE_COUNT ? rule_names[rule] : "?";
}

/* ---- reading helpers ---- */

struct ctx {
    const char *file;
    char where[512]; /* "<file>: ", the prefix of every message */
    int errors;
    struct cw_scene *scene;
};

static void fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct ctx *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cw_log_error("scene", "%s%s", c->where, msg);
    c->errors++;
}

static void read_options(struct ctx *c, const struct cw_option *table, void *obj, const cJSON *json,
                         const char *path, const char *const *geometry)
{
    if (cw_options_from_json(table, obj, json, c->where, path, geometry))
        c->errors++;
}

static bool read_point(struct ctx *c, const cJSON *j, const char *path, struct cw_point *p)
{
    if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) != 2 || !cJSON_IsNumber(j->child) ||
        !cJSON_IsNumber(j->child->next)) {
        fail(c, "%s: expected a point [x, y]", path);
        return false;
    }
    p->x = j->child->valuedouble;
    p->y = j->child->next->valuedouble;
    return true;
}

/* Reads an image point and checks that it lies in the picture. */
static bool read_image_point(struct ctx *c, const cJSON *j, const char *path, struct cw_point *p)
{
    const struct cw_camera *cam = &c->scene->camera;
    if (!read_point(c, j, path, p))
        return false;
    if (cam->width > 0 && cam->height > 0 &&
        (p->x < 0 || p->y < 0 || p->x > cam->width || p->y > cam->height)) {
        fail(c, "%s: (%g, %g) is outside the %dx%d image", path, p->x, p->y, cam->width,
             cam->height);
        return false;
    }
    return true;
}

static bool read_polygon(struct ctx *c, const cJSON *item, const char *path,
                         struct cw_scene_polygon *poly)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(item, "polygon");
    char sub[160];
    int n, i = 0, ea, eb;
    bool ok = true;

    if (!j) {
        fail(c, "%s.polygon: required", path);
        return false;
    }
    if (!cJSON_IsArray(j)) {
        fail(c, "%s.polygon: expected a list of points [[x, y], ...]", path);
        return false;
    }
    n = cJSON_GetArraySize(j);
    if (n < 3 || n > CW_SCENE_MAX_VERTICES) {
        fail(c, "%s.polygon: has %d points; a polygon needs 3 to %d", path, n,
             CW_SCENE_MAX_VERTICES);
        return false;
    }
    for (const cJSON *pt = j->child; pt; pt = pt->next, i++) {
        snprintf(sub, sizeof(sub), "%s.polygon[%d]", path, i);
        ok &= read_image_point(c, pt, sub, &poly->img[i]);
    }
    if (!ok)
        return false;
    poly->n = n;
    if (cw_polygon_self_intersects(poly->img, n, &ea, &eb)) {
        fail(c, "%s.polygon: self-intersecting (edge %d-%d crosses edge %d-%d)", path, ea,
             (ea + 1) % n, eb, (eb + 1) % n);
        return false;
    }
    if (fabs(cw_polygon_area(poly->img, n)) < 1e-6) {
        fail(c, "%s.polygon: has no area (its points lie on one line)", path);
        return false;
    }
    return true;
}

/* Copies @id into @dst after checking it is present, short enough and not already among the
 * first @count ids of the list (ids are the first member of every item struct). */
static void take_id(struct ctx *c, const char *path, const char *id, char *dst, const char *list,
                    const char *first_id, size_t item_size, int count)
{
    if (!id)
        return; /* reported as required by the option table */
    if (!*id) {
        fail(c, "%s.id: must not be empty", path);
        return;
    }
    if (strlen(id) >= CW_SCENE_ID_MAX) {
        fail(c, "%s.id: '%s' is longer than %d characters", path, id, CW_SCENE_ID_MAX - 1);
        return;
    }
    for (int i = 0; i < count; i++) {
        if (strcmp(first_id + (size_t)i * item_size, id) == 0) {
            fail(c, "%s.id: '%s' is already used by %s[%d]", path, id, list, i);
            return;
        }
    }
    strcpy(dst, id);
}

/* Checks that @j is a list of objects of at most CW_SCENE_MAX_ITEMS and allocates room. */
static void *alloc_items(struct ctx *c, const cJSON *j, const char *name, size_t size, int *count)
{
    void *items;
    int n;
    *count = 0;
    if (!j)
        return NULL;
    if (!cJSON_IsArray(j)) {
        fail(c, "%s: expected a list", name);
        return NULL;
    }
    n = cJSON_GetArraySize(j);
    if (n > CW_SCENE_MAX_ITEMS) {
        fail(c, "%s: has %d entries; at most %d are allowed", name, n, CW_SCENE_MAX_ITEMS);
        return NULL;
    }
    items = calloc((size_t)n + 1, size);
    if (!items)
        fail(c, "%s: out of memory", name);
    return items;
}

static const char *const polygon_member[] = {"polygon", NULL};

static void read_zones(struct ctx *c, const cJSON *list)
{
    struct cw_scene *s = c->scene;
    char path[64];
    int i = 0;

    s->zones = alloc_items(c, list, "zones", sizeof(*s->zones), &s->n_zones);
    if (!s->zones)
        return;
    for (const cJSON *j = list->child; j; j = j->next, i++) {
        struct cw_zone *z = &s->zones[i];
        struct zone_fields f;
        snprintf(path, sizeof(path), "zones[%d]", i);
        cw_options_defaults(zone_options, &f);
        read_options(c, zone_options, &f, j, path, polygon_member);
        take_id(c, path, f.id, z->id, "zones", s->zones[0].id, sizeof(*z), i);
        z->kind = f.kind;
        cw_options_release(zone_options, &f);
        if (cJSON_IsObject(j))
            read_polygon(c, j, path, &z->poly);
    }
    s->n_zones = i;
}

static const char *const line_members[] = {"points", "toward", NULL};

static void read_lines(struct ctx *c, const cJSON *list)
{
    struct cw_scene *s = c->scene;
    char path[64], sub[96];
    int i = 0;

    s->lines = alloc_items(c, list, "lines", sizeof(*s->lines), &s->n_lines);
    if (!s->lines)
        return;
    for (const cJSON *j = list->child; j; j = j->next, i++) {
        struct cw_line *l = &s->lines[i];
        struct line_fields f;
        const cJSON *pts, *toward;
        snprintf(path, sizeof(path), "lines[%d]", i);
        cw_options_defaults(line_options, &f);
        read_options(c, line_options, &f, j, path, line_members);
        take_id(c, path, f.id, l->id, "lines", s->lines[0].id, sizeof(*l), i);
        l->kind = f.kind;
        cw_options_release(line_options, &f);
        if (!cJSON_IsObject(j))
            continue;
        pts = cJSON_GetObjectItemCaseSensitive(j, "points");
        toward = cJSON_GetObjectItemCaseSensitive(j, "toward");
        snprintf(sub, sizeof(sub), "%s.points", path);
        if (!cJSON_IsArray(pts) || cJSON_GetArraySize(pts) != 2) {
            fail(c, "%s: expected two points [[x, y], [x, y]]", sub);
            continue;
        }
        snprintf(sub, sizeof(sub), "%s.points[0]", path);
        if (!read_image_point(c, pts->child, sub, &l->img[0]))
            continue;
        snprintf(sub, sizeof(sub), "%s.points[1]", path);
        if (!read_image_point(c, pts->child->next, sub, &l->img[1]))
            continue;
        if (hypot(l->img[1].x - l->img[0].x, l->img[1].y - l->img[0].y) < 1.0) {
            fail(c, "%s.points: the two ends are the same point", path);
            continue;
        }
        if (!toward) {
            if (l->kind == CW_LINE_STOP)
                fail(c,
                     "%s.toward: required for a stop_line (a point on the side traffic "
                     "crosses into)",
                     path);
            continue;
        }
        snprintf(sub, sizeof(sub), "%s.toward", path);
        if (!read_image_point(c, toward, sub, &l->toward_img))
            continue;
        if (fabs(cw_line_side(l->img[0], l->img[1], l->toward_img)) < 1e-9) {
            fail(c, "%s.toward: (%g, %g) lies on the line; pick a point on one side", path,
                 l->toward_img.x, l->toward_img.y);
            continue;
        }
        l->directed = true;
    }
    s->n_lines = i;
}

static int find_by_id(const char *first_id, size_t item_size, int count, const char *id)
{
    for (int i = 0; i < count; i++)
        if (strcmp(first_id + (size_t)i * item_size, id) == 0)
            return i;
    return -1;
}

static const char *const lane_members[] = {"polygon", "direction", NULL};

static void read_lanes(struct ctx *c, const cJSON *list)
{
    struct cw_scene *s = c->scene;
    char path[64], sub[96];
    int i = 0;

    s->lanes = alloc_items(c, list, "lanes", sizeof(*s->lanes), &s->n_lanes);
    if (!s->lanes)
        return;
    for (const cJSON *j = list->child; j; j = j->next, i++) {
        struct cw_lane *l = &s->lanes[i];
        struct lane_fields f;
        const cJSON *dir;
        snprintf(path, sizeof(path), "lanes[%d]", i);
        cw_options_defaults(lane_options, &f);
        read_options(c, lane_options, &f, j, path, lane_members);
        take_id(c, path, f.id, l->id, "lanes", s->lanes[0].id, sizeof(*l), i);
        l->kind = f.kind;
        l->speed_limit_kmh = f.speed_limit_kmh;
        l->stop_line = -1;
        l->signal = -1;
        if (f.stop_line) {
            l->stop_line = find_by_id(s->lines ? s->lines[0].id : "", sizeof(*s->lines), s->n_lines,
                                      f.stop_line);
            if (l->stop_line < 0)
                fail(c, "%s.stop_line: no line has id '%s'", path, f.stop_line);
            else if (s->lines[l->stop_line].kind != CW_LINE_STOP)
                fail(c, "%s.stop_line: line '%s' is not a stop_line", path, f.stop_line);
        }
        if (f.signal) {
            l->signal = find_by_id(s->signals ? s->signals[0].id : "", sizeof(*s->signals),
                                   s->n_signals, f.signal);
            if (l->signal < 0)
                fail(c, "%s.signal: no signal head has id '%s'", path, f.signal);
        }
        cw_options_release(lane_options, &f);
        if (!cJSON_IsObject(j))
            continue;
        read_polygon(c, j, path, &l->poly);
        dir = cJSON_GetObjectItemCaseSensitive(j, "direction");
        snprintf(sub, sizeof(sub), "%s.direction", path);
        if (!cJSON_IsArray(dir) || cJSON_GetArraySize(dir) != 2) {
            fail(c, "%s: expected an arrow [[x, y], [x, y]] from tail to head along the lane", sub);
            continue;
        }
        snprintf(sub, sizeof(sub), "%s.direction[0]", path);
        if (!read_image_point(c, dir->child, sub, &l->dir_img[0]))
            continue;
        snprintf(sub, sizeof(sub), "%s.direction[1]", path);
        if (!read_image_point(c, dir->child->next, sub, &l->dir_img[1]))
            continue;
        if (hypot(l->dir_img[1].x - l->dir_img[0].x, l->dir_img[1].y - l->dir_img[0].y) < 1.0)
            fail(c, "%s.direction: tail and head are the same point", path);
    }
    s->n_lanes = i;
}

static const char *const signal_members[] = {"region", NULL};

static void read_signals(struct ctx *c, const cJSON *list)
{
    struct cw_scene *s = c->scene;
    const struct cw_camera *cam = &s->camera;
    char path[64];
    int i = 0;

    s->signals = alloc_items(c, list, "signals", sizeof(*s->signals), &s->n_signals);
    if (!s->signals)
        return;
    for (const cJSON *j = list->child; j; j = j->next, i++) {
        struct cw_signal_head *h = &s->signals[i];
        struct signal_fields f;
        const cJSON *r;
        snprintf(path, sizeof(path), "signals[%d]", i);
        cw_options_defaults(signal_options, &f);
        read_options(c, signal_options, &f, j, path, signal_members);
        take_id(c, path, f.id, h->id, "signals", s->signals[0].id, sizeof(*h), i);
        h->kind = f.kind;
        h->layout = f.layout;
        if (f.external_id) {
            if (strlen(f.external_id) >= CW_SCENE_ID_MAX)
                fail(c, "%s.external_id: longer than %d characters", path, CW_SCENE_ID_MAX - 1);
            else
                strcpy(h->external_id, f.external_id);
        }
        cw_options_release(signal_options, &f);
        if (!cJSON_IsObject(j))
            continue;
        r = cJSON_GetObjectItemCaseSensitive(j, "region");
        if (!r) {
            if (!h->external_id[0])
                fail(c, "%s: needs a region to read the light from, or an external_id", path);
            continue;
        }
        if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 4) {
            fail(c, "%s.region: expected [x, y, width, height] in pixels", path);
            continue;
        }
        double v[4] = {0};
        int k = 0;
        for (const cJSON *e = r->child; e; e = e->next)
            v[k++] = cJSON_IsNumber(e) ? e->valuedouble : NAN;
        if (!(v[0] >= 0 && v[1] >= 0 && v[2] >= 2 && v[3] >= 2)) {
            fail(c, "%s.region: [%g, %g, %g, %g] needs x, y >= 0 and a size of at least 2x2", path,
                 v[0], v[1], v[2], v[3]);
            continue;
        }
        if (cam->width > 0 && (v[0] + v[2] > cam->width || v[1] + v[3] > cam->height)) {
            fail(c, "%s.region: [%g, %g, %g, %g] reaches outside the %dx%d image", path, v[0], v[1],
                 v[2], v[3], cam->width, cam->height);
            continue;
        }
        h->has_region = true;
        h->region = (struct cw_box){v[0], v[1], v[2], v[3]};
    }
    s->n_signals = i;
}

static void read_rules(struct ctx *c, const cJSON *rules)
{
    struct cw_scene *s = c->scene;
    char path[64];

    for (int r = 0; r < CW_RULE_COUNT; r++)
        cw_options_defaults(rule_tables[r], &s->rules[r]);
    if (!rules)
        return;
    if (!cJSON_IsObject(rules)) {
        fail(c, "rules: expected an object of rule settings");
        return;
    }
    for (const cJSON *j = rules->child; j; j = j->next) {
        int r;
        for (r = 0; r < CW_RULE_COUNT; r++)
            if (strcmp(j->string, rule_names[r]) == 0)
                break;
        if (r == CW_RULE_COUNT) {
            char known[256] = "";
            for (r = 0; r < CW_RULE_COUNT; r++)
                snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
                         r ? ", " : "", rule_names[r]);
            fail(c, "rules.%s: unknown rule; use one of: %s", j->string, known);
            continue;
        }
        snprintf(path, sizeof(path), "rules.%s", j->string);
        read_options(c, rule_tables[r], &s->rules[r], j, path, NULL);
    }
}

static void read_ground(struct ctx *c, const cJSON *g)
{
    struct cw_scene *s = c->scene;
    const cJSON *h, *pts;

    if (!g) {
        fail(c, "ground: required (image_to_ground or points; see docs/scene.md)");
        return;
    }
    if (!cJSON_IsObject(g)) {
        fail(c, "ground: expected an object");
        return;
    }
    for (const cJSON *j = g->child; j; j = j->next)
        if (strcmp(j->string, "image_to_ground") && strcmp(j->string, "points"))
            fail(c, "ground.%s: unknown setting; use image_to_ground or points", j->string);
    h = cJSON_GetObjectItemCaseSensitive(g, "image_to_ground");
    pts = cJSON_GetObjectItemCaseSensitive(g, "points");
    if (h && pts) {
        fail(c, "ground: give image_to_ground or points, not both");
        return;
    }
    if (h) {
        int k = 0;
        if (!cJSON_IsArray(h) || cJSON_GetArraySize(h) != 9) {
            fail(c, "ground.image_to_ground: expected 9 numbers (a 3x3 matrix, row by row)");
            return;
        }
        for (const cJSON *e = h->child; e; e = e->next, k++) {
            if (!cJSON_IsNumber(e)) {
                fail(c, "ground.image_to_ground[%d]: expected a number", k);
                return;
            }
            s->img_to_ground.m[k] = e->valuedouble;
        }
        if (cw_homography_invert(&s->img_to_ground, &s->ground_to_img))
            fail(c, "ground.image_to_ground: singular matrix (it maps the image onto a line or "
                    "a point)");
        return;
    }
    if (!pts) {
        fail(c, "ground: needs image_to_ground or at least 4 points");
        return;
    }
    int n = cJSON_IsArray(pts) ? cJSON_GetArraySize(pts) : 0, i = 0;
    if (n < 4 || n > 64) {
        fail(c,
             "ground.points: has %d point pairs; give 4 to 64 as {\"image\": [x, y], "
             "\"ground\": [X, Y]}",
             n);
        return;
    }
    struct cw_point img[64], gnd[64];
    bool ok = true;
    char sub[64];
    for (const cJSON *e = pts->child; e; e = e->next, i++) {
        for (const cJSON *m = cJSON_IsObject(e) ? e->child : NULL; m; m = m->next)
            if (strcmp(m->string, "image") && strcmp(m->string, "ground")) {
                fail(c, "ground.points[%d].%s: unknown setting; use image and ground", i,
                     m->string);
                ok = false;
            }
        snprintf(sub, sizeof(sub), "ground.points[%d].image", i);
        ok &= read_image_point(c, cJSON_GetObjectItemCaseSensitive(e, "image"), sub, &img[i]);
        snprintf(sub, sizeof(sub), "ground.points[%d].ground", i);
        ok &= read_point(c, cJSON_GetObjectItemCaseSensitive(e, "ground"), sub, &gnd[i]);
    }
    if (!ok)
        return;
    if (cw_homography_solve(img, gnd, n, &s->img_to_ground, &s->homography_rms_m) ||
        cw_homography_invert(&s->img_to_ground, &s->ground_to_img)) {
        fail(c, "ground.points: degenerate (three of the points lie on one line, in the image "
                "or on the ground); spread them over the road");
        return;
    }
    if (s->homography_rms_m > 0.5)
        cw_log_warn("scene",
                    "%sground.points: the pairs disagree by %.2f m RMS; check for a mistyped "
                    "coordinate",
                    c->where, s->homography_rms_m);
}

/* Maps one image point onto the ground, naming it if it lies beyond the horizon. */
static bool to_ground(struct ctx *c, struct cw_point img, struct cw_point *g, const char *path)
{
    if (cw_homography_apply(&c->scene->img_to_ground, img, g))
        return true;
    fail(c,
         "%s: (%g, %g) lies on or above the horizon of the ground homography; draw it on the "
         "road",
         path, img.x, img.y);
    return false;
}

static void map_polygon(struct ctx *c, struct cw_scene_polygon *p, const char *path)
{
    char sub[96];
    bool ok = true;
    for (int k = 0; k < p->n; k++) {
        snprintf(sub, sizeof(sub), "%s.polygon[%d]", path, k);
        ok &= to_ground(c, p->img[k], &p->ground[k], sub);
    }
    if (ok)
        p->area_m2 = fabs(cw_polygon_area(p->ground, p->n));
}

/* Everything that needs the ground plane, once the homography and all items are read. */
static void map_to_ground(struct ctx *c)
{
    struct cw_scene *s = c->scene;
    char path[64];

    for (int i = 0; i < s->n_zones; i++) {
        snprintf(path, sizeof(path), "zones[%d]", i);
        if (s->zones[i].poly.n)
            map_polygon(c, &s->zones[i].poly, path);
    }
    for (int i = 0; i < s->n_lanes; i++) {
        struct cw_lane *l = &s->lanes[i];
        struct cw_point a, b;
        snprintf(path, sizeof(path), "lanes[%d]", i);
        if (l->poly.n)
            map_polygon(c, &l->poly, path);
        if (l->dir_img[0].x == l->dir_img[1].x && l->dir_img[0].y == l->dir_img[1].y)
            continue;
        snprintf(path, sizeof(path), "lanes[%d].direction", i);
        if (to_ground(c, l->dir_img[0], &a, path) && to_ground(c, l->dir_img[1], &b, path)) {
            double len = hypot(b.x - a.x, b.y - a.y);
            l->dir_ground = (struct cw_point){(b.x - a.x) / len, (b.y - a.y) / len};
        }
    }
    for (int i = 0; i < s->n_lines; i++) {
        struct cw_line *l = &s->lines[i];
        if (l->img[0].x == l->img[1].x && l->img[0].y == l->img[1].y)
            continue;
        snprintf(path, sizeof(path), "lines[%d].points", i);
        if (!to_ground(c, l->img[0], &l->ground[0], path) ||
            !to_ground(c, l->img[1], &l->ground[1], path))
            continue;
        l->length_m = hypot(l->ground[1].x - l->ground[0].x, l->ground[1].y - l->ground[0].y);
        snprintf(path, sizeof(path), "lines[%d].toward", i);
        if (l->directed)
            to_ground(c, l->toward_img, &l->toward_ground, path);
    }
}

static const char *const top_members[] = {"version", "site",  "camera",  "ground", "zones",
                                          "lines",   "lanes", "signals", "rules",  NULL};

/* Line and column of byte @pos in @text, for JSON syntax errors. */
static void locate(const char *text, size_t pos, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < pos && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int cw_scene_parse(const char *text, size_t len, const char *name, struct cw_scene **out)
{
    struct ctx c = {.file = name};
    const char *end = NULL;
    cJSON *root;
    const cJSON *v;
    struct cw_scene *s;

    *out = NULL;
    snprintf(c.where, sizeof(c.where), "%s: ", name);
    root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        int line, col;
        size_t pos = end ? (size_t)(end - text) : 0;
        const char *e = cJSON_GetErrorPtr();
        if (e >= text && e <= text + len)
            pos = (size_t)(e - text);
        locate(text, pos, &line, &col);
        cw_log_error("scene",
                     "%s:%d:%d: malformed JSON (check the commas, brackets and quotes "
                     "here)",
                     name, line, col);
        return CW_EFORMAT;
    }
    s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(name))) {
        free(s);
        cJSON_Delete(root);
        cw_log_error("scene", "%s: out of memory", name);
        return CW_ENOMEM;
    }
    c.scene = s;
    cw_options_defaults(site_options, &s->site);
    cw_options_defaults(camera_options, &s->camera);

    if (!cJSON_IsObject(root)) {
        fail(&c, "the top level must be an object { \"version\": 1, ... }");
        goto out;
    }
    for (const cJSON *j = root->child; j; j = j->next) {
        bool known = false;
        for (const char *const *k = top_members; *k; k++)
            known |= strcmp(*k, j->string) == 0;
        if (!known)
            fail(&c,
                 "%s: unknown section; the sections are version, site, camera, ground, "
                 "zones, lines, lanes, signals and rules",
                 j->string);
    }
    v = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!v)
        fail(&c, "version: required (this crosswatch reads version %d)", CW_SCENE_VERSION);
    else if (!cJSON_IsNumber(v))
        fail(&c, "version: expected the number %d", CW_SCENE_VERSION);
    else if (v->valuedouble != CW_SCENE_VERSION)
        fail(&c, "version: %g is not supported; this crosswatch reads version %d", v->valuedouble,
             CW_SCENE_VERSION);

    v = cJSON_GetObjectItemCaseSensitive(root, "site");
    if (!v)
        fail(&c, "site: required");
    else
        read_options(&c, site_options, &s->site, v, "site", NULL);
    v = cJSON_GetObjectItemCaseSensitive(root, "camera");
    if (!v)
        fail(&c, "camera: required");
    else
        read_options(&c, camera_options, &s->camera, v, "camera", NULL);

    read_ground(&c, cJSON_GetObjectItemCaseSensitive(root, "ground"));
    /* Signals and lines first: lanes refer to them by id. */
    read_signals(&c, cJSON_GetObjectItemCaseSensitive(root, "signals"));
    read_lines(&c, cJSON_GetObjectItemCaseSensitive(root, "lines"));
    read_zones(&c, cJSON_GetObjectItemCaseSensitive(root, "zones"));
    read_lanes(&c, cJSON_GetObjectItemCaseSensitive(root, "lanes"));
    read_rules(&c, cJSON_GetObjectItemCaseSensitive(root, "rules"));
    if (!cw_homography_is_singular(&s->img_to_ground))
        map_to_ground(&c);

out:
    cJSON_Delete(root);
    if (c.errors) {
        cw_scene_free(s);
        return CW_EINVAL;
    }
    *out = s;
    return 0;
}

int cw_scene_load(const char *path, struct cw_scene **out)
{
    char *text;
    size_t len;
    int err;

    *out = NULL;
    err = cw__read_file("scene", path, SCENE_MAX_BYTES, &text, &len);
    if (err)
        return err;
    err = cw_scene_parse(text, len, path, out);
    free(text);
    return err;
}

void cw_scene_free(struct cw_scene *s)
{
    if (!s)
        return;
    cw_options_release(site_options, &s->site);
    cw_options_release(camera_options, &s->camera);
    free(s->zones);
    free(s->lines);
    free(s->lanes);
    free(s->signals);
    free(s->path);
    free(s);
}

void cw_scene_print_summary(const struct cw_scene *s, FILE *out)
{
    static const char *const line_kind_names[] = {"stop_line", "count"};
    fprintf(out, "scene %s: valid (format version %d)\n", s->path, CW_SCENE_VERSION);
    fprintf(out, "  site      %s%s%s\n", s->site.id, *s->site.name ? " — " : "", s->site.name);
    char input[512];
    cw__redact(s->camera.input, input, sizeof(input));
    fprintf(out, "  camera    %s, %dx%d, input %s\n", s->camera.id, s->camera.width,
            s->camera.height, *input ? input : "(set at run time)");
    if (s->homography_rms_m > 0)
        fprintf(out, "  ground    from point pairs, %.3f m RMS reprojection error\n",
                s->homography_rms_m);
    else
        fprintf(out, "  ground    from a given image_to_ground matrix\n");
    for (int i = 0; i < s->n_zones; i++)
        fprintf(out, "  zone      %-16s %-15s %2d points, %8.1f m²\n", s->zones[i].id,
                cw_zone_kind_name(s->zones[i].kind), s->zones[i].poly.n, s->zones[i].poly.area_m2);
    for (int i = 0; i < s->n_lines; i++)
        fprintf(out, "  line      %-16s %-15s %6.1f m%s\n", s->lines[i].id,
                line_kind_names[s->lines[i].kind], s->lines[i].length_m,
                s->lines[i].directed ? ", directed" : ", both ways");
    for (int i = 0; i < s->n_lanes; i++) {
        const struct cw_lane *l = &s->lanes[i];
        fprintf(out, "  lane      %-16s %-15s %8.1f m², travel (%.2f, %.2f)%s%s%s%s\n", l->id,
                lane_kinds[l->kind], l->poly.area_m2, l->dir_ground.x, l->dir_ground.y,
                l->stop_line >= 0 ? ", stop line " : "",
                l->stop_line >= 0 ? s->lines[l->stop_line].id : "",
                l->signal >= 0 ? ", signal " : "", l->signal >= 0 ? s->signals[l->signal].id : "");
    }
    for (int i = 0; i < s->n_signals; i++) {
        const struct cw_signal_head *h = &s->signals[i];
        if (h->has_region)
            fprintf(out, "  signal    %-16s %-15s region %gx%g at (%g, %g)\n", h->id,
                    signal_kinds[h->kind], h->region.w, h->region.h, h->region.x, h->region.y);
        else
            fprintf(out, "  signal    %-16s %-15s external '%s'\n", h->id, signal_kinds[h->kind],
                    h->external_id);
    }
    for (int r = 0; r < CW_RULE_COUNT; r++)
        if (!s->rules[r].enabled)
            fprintf(out, "  rule      %-16s disabled\n", rule_names[r]);
}

void cw_scene_print_reference(FILE *out)
{
    static const struct {
        const char *title;
        const struct cw_option *table;
    } sections[] = {
        {"site", site_options},    {"camera", camera_options}, {"zones[]", zone_options},
        {"lines[]", line_options}, {"lanes[]", lane_options},  {"signals[]", signal_options},
    };
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        fprintf(out, "#### `%s`\n\n", sections[i].title);
        cw_options_print_markdown(sections[i].table, out);
        fprintf(out, "\n");
    }
    for (int r = 0; r < CW_RULE_COUNT; r++) {
        fprintf(out, "#### `rules.%s`\n\n", rule_names[r]);
        cw_options_print_markdown(rule_tables[r], out);
        fprintf(out, "\n");
    }
}

/* Rasterises what motion must not count at the analysis size: the scene's ignore zones, and the
 * signal heads, whose lamps change by design. */
void cw_scene_ignore_mask(const struct cw_scene *s, int w, int h, double sx, double sy,
                          uint8_t *out)
{
    memset(out, 0, (size_t)w * h);
    for (int k = 0; k < s->n_signals; k++) {
        const struct cw_box *r = &s->signals[k].region;
        if (!s->signals[k].has_region)
            continue;
        for (int y = (int)(r->y / sy); y <= (int)((r->y + r->h) / sy) && y < h; y++)
            for (int x = (int)(r->x / sx); x <= (int)((r->x + r->w) / sx) && x < w; x++)
                if (x >= 0 && y >= 0)
                    out[(size_t)y * w + x] = 1;
    }
    for (int z = 0; z < s->n_zones; z++) {
        if (s->zones[z].kind != CW_ZONE_IGNORE)
            continue;
        struct cw_point poly[CW_SCENE_MAX_VERTICES];
        for (int k = 0; k < s->zones[z].poly.n; k++)
            poly[k] =
                (struct cw_point){s->zones[z].poly.img[k].x / sx, s->zones[z].poly.img[k].y / sy};
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (cw_polygon_contains(poly, s->zones[z].poly.n,
                                        (struct cw_point){x + 0.5, y + 0.5}))
                    out[(size_t)y * w + x] = 1;
    }
}
