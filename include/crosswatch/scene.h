/* crosswatch — the scene: what one camera sees, in image pixels and on the ground plane.
 *
 * A scene file (JSON, format version 1, docs/scene.md) names the site and camera, gives the
 * image↔ground homography in metres, and draws zones, lines, lanes and signal heads on the
 * picture, with per-rule settings. cw_scene_load() reads and validates it; every problem is
 * logged once as "<file>: <field path>: <what is wrong>" and nothing half-valid is returned.
 * A loaded scene is read-only and may be shared by threads.
 */
#ifndef CROSSWATCH_SCENE_H
#define CROSSWATCH_SCENE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crosswatch/geom.h"

#define CW_SCENE_VERSION      1
#define CW_SCENE_MAX_VERTICES 32 /* per polygon */
#define CW_SCENE_MAX_ITEMS    64 /* zones, lines, lanes and signal heads, each */
#define CW_SCENE_ID_MAX       48 /* bytes in an id, including the NUL */

enum cw_zone_kind {
    CW_ZONE_CROSSWALK,
    CW_ZONE_WAITING_AREA,
    CW_ZONE_MOTOR_LANE,
    CW_ZONE_NON_MOTOR_LANE,
    CW_ZONE_SCHOOL_ZONE,
    CW_ZONE_IGNORE, /* masked out of detection */
};

enum cw_line_kind {
    CW_LINE_STOP,  /* a stop line: crossing it in its direction is what red-light rules judge */
    CW_LINE_COUNT, /* a counting line */
};

enum cw_lane_kind {
    CW_LANE_MOTOR,
    CW_LANE_NON_MOTOR,
    CW_LANE_MIXED,
};

enum cw_signal_kind {
    CW_SIGNAL_VEHICLE,
    CW_SIGNAL_PEDESTRIAN,
    CW_SIGNAL_NON_MOTOR,
    CW_SIGNAL_LEFT_TURN,
};

enum cw_signal_layout {
    CW_SIGNAL_VERTICAL,   /* red on top */
    CW_SIGNAL_HORIZONTAL, /* red on the left */
    CW_SIGNAL_SINGLE,     /* one lamp that changes colour */
};

/* A polygon drawn on the image, with its vertices mapped onto the ground. */
struct cw_scene_polygon {
    int n;
    struct cw_point img[CW_SCENE_MAX_VERTICES];
    struct cw_point ground[CW_SCENE_MAX_VERTICES];
    double area_m2; /* ground area */
};

struct cw_zone {
    char id[CW_SCENE_ID_MAX];
    int kind; /* enum cw_zone_kind */
    struct cw_scene_polygon poly;
};

struct cw_line {
    char id[CW_SCENE_ID_MAX];
    int kind; /* enum cw_line_kind */
    struct cw_point img[2], ground[2];
    /* A directed line counts crossings towards the side of @toward only; an undirected one
     * (counting lines without "toward") counts both ways. */
    bool directed;
    struct cw_point toward_img, toward_ground;
    double length_m;
};

struct cw_lane {
    char id[CW_SCENE_ID_MAX];
    int kind; /* enum cw_lane_kind */
    struct cw_scene_polygon poly;
    struct cw_point dir_img[2]; /* the arrow drawn along the lane, tail then head */
    struct cw_point dir_ground; /* unit vector of allowed travel on the ground */
    int stop_line;              /* index into lines, or -1 */
    int signal;                 /* index into signals, or -1 */
    double speed_limit_kmh;     /* 0: the speeding rule's default for the class */
};

struct cw_signal_head {
    char id[CW_SCENE_ID_MAX];
    int kind;   /* enum cw_signal_kind */
    int layout; /* enum cw_signal_layout */
    bool has_region;
    struct cw_box region;              /* where to read the lamps in the image */
    char external_id[CW_SCENE_ID_MAX]; /* the controller's name for this phase, or "" */
};

struct cw_site {
    char *id;
    char *name;
    char *address;
    char *timezone; /* IANA name, e.g. "Asia/Shanghai" */
    double latitude, longitude;
};

struct cw_camera {
    char *id;
    char *input; /* file path or rtsp:// URL */
    int width;   /* the picture size the scene's pixel coordinates refer to */
    int height;
    double fps; /* 0: take it from the stream */
};

/* Per-rule settings; each rule's table is in docs/scene.md. */
struct cw_rule_settings {
    bool enabled;
    double grace_s;             /* red_light, pedestrian_red: ignore this long after red starts */
    double conflict_distance_m; /* fail_to_yield */
    double min_distance_m;      /* wrong_way, motor_lane, speeding */
    double min_duration_s;      /* motor_lane, stop_past_line */
    double past_m;              /* stop_past_line: how far past the line counts */
    double limit_kmh;           /* speeding: motor vehicles */
    double two_wheeler_limit_kmh;
    double tolerance_pct; /* speeding */
    int min_observations; /* no_helmet, passenger, canopy: detections that must have said */
    double min_share;     /* … and the share of them that must agree */
};

enum cw_rule_id {
    CW_RULE_RED_LIGHT,
    CW_RULE_PEDESTRIAN_RED,
    CW_RULE_FAIL_TO_YIELD,
    CW_RULE_WRONG_WAY,
    CW_RULE_MOTOR_LANE,
    CW_RULE_STOP_PAST_LINE,
    CW_RULE_SPEEDING,
    CW_RULE_NO_HELMET, /* attribute rules: fed by a detector that sees helmets, passengers … */
    CW_RULE_PASSENGER,
    CW_RULE_CANOPY,
    CW_RULE_COUNT
};

struct cw_scene {
    char *path; /* where it was read from, for messages */
    struct cw_site site;
    struct cw_camera camera;
    struct cw_homography img_to_ground;
    struct cw_homography ground_to_img;
    double homography_rms_m; /* reprojection error of the point pairs; 0 when given directly */
    int n_zones, n_lines, n_lanes, n_signals;
    struct cw_zone *zones;
    struct cw_line *lines;
    struct cw_lane *lanes;
    struct cw_signal_head *signals;
    struct cw_rule_settings rules[CW_RULE_COUNT];
};

/* Reads and validates the scene file at @path. Returns 0 and a new scene in *@out (free with
 * cw_scene_free), or CW_ENOENT / CW_EIO / CW_EFORMAT (malformed JSON) / CW_EINVAL (invalid
 * contents) after logging every problem found. */
int cw_scene_load(const char *path, struct cw_scene **out);

/* Same, from @len bytes of JSON text; @name stands for the file in messages. */
int cw_scene_parse(const char *text, size_t len, const char *name, struct cw_scene **out);

void cw_scene_free(struct cw_scene *scene);

/* Rasterises what a motion detector must not count into @out (@w × @h bytes, 1 = ignore): the
 * ignore zones, and the signal heads, whose lamps change by design. @sx, @sy: scene pixels per
 * @out pixel. */
void cw_scene_ignore_mask(const struct cw_scene *s, int w, int h, double sx, double sy,
                          uint8_t *out);

/* Names for the enums, as written in scene files. */
const char *cw_zone_kind_name(int kind);
const char *cw_rule_name(int rule);

/* Prints a human summary (site, camera, ground plane, zones with their areas …). */
void cw_scene_print_summary(const struct cw_scene *scene, FILE *out);

/* Writes the Markdown reference of every section's settings (for docs/scene.md). */
void cw_scene_print_reference(FILE *out);

#endif
