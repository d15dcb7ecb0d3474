/* crosswatch-synth — internal interfaces between its parts:
 *   scenario.c  reads and checks the scenario file;
 *   world.c     builds the road from the layout, runs the signal plan and the actors, and
 *               derives the true violations;
 *   render.c    draws each frame (perspective, shading, shadows, nuisances) with masks and boxes;
 *   output.c    writes the video, the scene file, the truth, MOT ground truth and signal states.
 */
#ifndef CW_SYNTH_H
#define CW_SYNTH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "crosswatch/geom.h"

#define SYN_MAX_ACTORS 256
#define SYN_MAX_PATH   64
#define SYN_MAX_PHASES 8
#define SYN_MAX_ITEMS  48
#define SYN_MAX_JUMPS  8

enum syn_class {
    SYN_PEDESTRIAN,
    SYN_BICYCLE,
    SYN_EBIKE,
    SYN_MOTORCYCLE,
    SYN_CAR,
    SYN_BUS,
    SYN_TRUCK,
    SYN_CLASS_COUNT
};

enum syn_behaviour {
    SYN_OBEY,      /* stops for red, queues, yields when turning */
    SYN_RUN_RED,   /* ignores the signal */
    SYN_STOP_PAST, /* stops for red, but on the crosswalk (past the stop line) */
    SYN_NO_YIELD,  /* turns through pedestrians */
};

enum syn_light { SYN_RED, SYN_YELLOW, SYN_GREEN, SYN_OFF };

struct syn_phase {
    char id[32];
    int kind;                              /* 0 vehicle, 1 pedestrian */
    double green_start, green_s, yellow_s; /* within the cycle */
};

struct syn_actor_spec {
    int id;
    int cls;        /* enum syn_class */
    char route[32]; /* a route of the layout, or "" with an explicit path */
    int n_path;
    struct cw_point path[SYN_MAX_PATH];
    double start_s;
    double speed_kmh; /* cruise speed; 0: the class's usual */
    int behaviour;    /* enum syn_behaviour */
    bool reverse;     /* travel the route backwards (wrong way) */
    double rgb[3];    /* body colour 0..1; negative: from the seed */
    double size[3];   /* length, width, height in metres; 0: the class's usual */
};

struct syn_nuisance {
    double noise;    /* sensor noise, standard deviation in grey levels */
    int crf;         /* H.264 quality: 18 clean … 40 blocky */
    double slow_amp; /* slow brightness swing, fraction */
    double slow_period_s;
    int n_jumps; /* sudden exposure changes: at time, to gain */
    double jump_t[SYN_MAX_JUMPS], jump_gain[SYN_MAX_JUMPS];
    bool clouds;          /* moving cast shadows */
    bool vegetation;      /* swaying trees */
    bool mask_vegetation; /* put an ignore zone over the trees in the scene file */
    double shake_px;      /* camera shake amplitude */
    double rain;          /* 0..1 */
    bool night;           /* dark, with headlights */
    bool pole;            /* a pole in front of the road that hides what passes behind it */
};

struct syn_scenario {
    char name[64];
    int width, height;
    double fps, duration_s;
    unsigned seed;
    /* camera pose over the ground plane */
    double cam_x, cam_y, cam_h, yaw_deg, pitch_deg, hfov_deg;
    /* layout */
    int lanes_each_way;
    double lane_w, bike_w, sidewalk_w, crosswalk_y, crosswalk_w, stop_gap, speed_limit_kmh;
    bool cross_road, school_zone;
    /* signal plan */
    double cycle_s, offset_s, grace_s, ped_grace_s;
    int n_phases;
    struct syn_phase phase[SYN_MAX_PHASES];
    int n_actors;
    struct syn_actor_spec actor[SYN_MAX_ACTORS];
    struct syn_nuisance nz;
};

/* Reads and checks @path; logs every problem as "<path>: <field>: <what>". */
int syn_scenario_load(const char *path, struct syn_scenario *out);

/* ---- world ---- */

struct syn_poly {
    int n;
    struct cw_point p[8];
};

struct syn_lane {
    char id[32];
    bool motor;
    struct syn_poly poly;
    struct cw_point dir; /* unit, allowed travel */
    int stop_line;       /* index or -1 */
    int phase;           /* governing phase index or -1 */
    bool right_turn;
};

struct syn_line {
    char id[32];
    struct cw_point a, b, toward;
    int phase;
};

struct syn_route {
    char id[32];
    int n;
    struct cw_point p[SYN_MAX_PATH];
    double len;
    int lane;      /* lane it starts in, -1 for pedestrians */
    int stop_line; /* the stop line it crosses, or -1 */
    bool pedestrian, right_turn;
};

struct syn_signal_head {
    char id[32];
    int phase;
    double x, y, z, w, h; /* housing centre and size, facing the camera */
    int lamps;            /* 3 vehicle, 2 pedestrian */
};

struct syn_actor {
    const struct syn_actor_spec *spec;
    struct cw_point path[SYN_MAX_PATH + 8];
    int n_path;
    double path_len;
    int route;
    double length, width, height, accel, cruise;
    double s, v;
    bool active, done;
    double x, y, heading; /* centre on the ground, heading in radians (0 = +x) */
    double vx, vy;
    uint8_t yuv[3], yuv2[3]; /* body and second colour */
    /* violation bookkeeping */
    bool reported[8];
    int prev_line_side;
    int red_line; /* stop line crossed on red, awaiting entry to the junction; -1 */
    int red_frame;
    double red_t;
    bool in_crosswalk, was_in_crosswalk, yielded_event;
    double motor_lane_t, motor_lane_d, wrong_d, stopped_past_t;
    double hist_s[64], hist_t[64];
    int hist_n;
};

struct syn_event {
    int type; /* index into syn_event_names */
    int actor;
    int cls;
    int frame;
    double t;
    double x, y;
};

extern const char *const syn_event_names[];
extern const char *const syn_class_names[];

struct syn_camera;

struct syn_world {
    const struct syn_scenario *sc;
    const struct syn_camera *cam; /* violations count only where the camera sees them */
    struct syn_poly road, crosswalk, school, sidewalk_w, sidewalk_e, cross_road;
    struct syn_poly wait_w, wait_e;
    int n_lanes, n_lines, n_routes, n_heads;
    struct syn_lane lane[SYN_MAX_ITEMS];
    struct syn_line line[SYN_MAX_ITEMS];
    struct syn_route route[SYN_MAX_ITEMS];
    struct syn_signal_head head[4];
    double road_half; /* half the carriageway width incl. bike lanes */
    int n_actors;
    struct syn_actor actor[SYN_MAX_ACTORS];
    int n_events, cap_events;
    struct syn_event *events;
    struct cw_point trees[4];
    int n_trees;
    int max_active; /* most actors on the road at once */
};

int syn_world_init(struct syn_world *w, const struct syn_scenario *sc);
void syn_world_release(struct syn_world *w);
int syn_route_find(const struct syn_world *w, const char *id);
/* The light of phase @p at time @t, and how long it has shown it (seconds). */
int syn_phase_state(const struct syn_scenario *sc, int p, double t, double *age);
/* Advances actors to time @t (frame @frame) and records the violations that happen. */
int syn_world_step(struct syn_world *w, int frame, double t, double dt);

/* ---- rendering ---- */

struct syn_camera {
    double K[9], R[9], C[3];       /* intrinsics, world->camera rotation (rows), centre */
    struct cw_homography g2i, i2g; /* ground (metres) <-> image (pixels) */
};

void syn_camera_init(struct syn_camera *cam, const struct syn_scenario *sc);
/* Projects a world point; false when it is behind the camera. */
bool syn_project(const struct syn_camera *cam, double x, double y, double z, struct cw_point *out);

struct syn_box {
    int id, cls;
    double x, y, w, h; /* image box, after shake */
    double visibility;
};

struct syn_renderer;
struct syn_renderer *syn_renderer_new(const struct syn_world *w, const struct syn_camera *cam,
                                      bool masks);
void syn_renderer_free(struct syn_renderer *r);
/* Draws frame @frame at time @t into the renderer's YUV planes (and mask); fills @boxes with the
 * visible actors' boxes. */
void syn_render(struct syn_renderer *r, int frame, double t, struct syn_box *boxes, int *n_boxes);
const uint8_t *syn_renderer_plane(const struct syn_renderer *r, int p, int *stride);
const uint8_t *syn_renderer_mask(const struct syn_renderer *r);

/* ---- output ---- */

struct syn_writer;
struct syn_writer *syn_writer_new(const char *dir, const struct syn_scenario *sc, bool masks);
int syn_writer_frame(struct syn_writer *wr, const struct syn_renderer *r, int frame);
int syn_writer_close(struct syn_writer *wr);
int syn_write_scene(const char *dir, const struct syn_world *w, const struct syn_camera *cam);
int syn_write_truth(const char *dir, const struct syn_world *w, int frames);

#endif
