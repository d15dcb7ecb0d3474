/* Image-plane multi-object tracker: Kalman prediction, ByteTrack's two-round association,
 * OC-SORT's observation-centric re-update. See tracker.h. */
#include "crosswatch/tracker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/assign.h"
#include "crosswatch/error.h"
#include "crosswatch/geom.h"
#include "crosswatch/log.h"
#include "crosswatch/scene.h"

#define MOD "track"
/* a vehicle's size as seen whole keeps this much of itself a second (near the camera more of its
 * roof shows, and its box is higher for its width) */
#define SIZE_KEEP  0.78
#define COAST_HITS 10 /* matches a track needs before it is reported unseen (coast_s) */
#define NO_MATCH   1e6

#define OFS(f) offsetof(struct cw_tracker_config, f)
const struct cw_option cw_tracker_options[] = {
    {"fps", CW_OPT_DOUBLE, OFS(fps), {.d = 30}, 1, 1000, NULL, "1/s", "frame rate"},
    {"high_score",
     CW_OPT_DOUBLE,
     OFS(high_score),
     {.d = 0.6},
     0,
     1,
     NULL,
     NULL,
     "detections at or above this score are matched first"},
    {"low_score",
     CW_OPT_DOUBLE,
     OFS(low_score),
     {.d = 0.1},
     0,
     1,
     NULL,
     NULL,
     "detections below this score are ignored"},
    {"new_score",
     CW_OPT_DOUBLE,
     OFS(new_score),
     {.d = 0.85},
     0,
     1,
     NULL,
     NULL,
     "an unmatched detection at or above this score starts a track"},
    {"min_iou_high",
     CW_OPT_DOUBLE,
     OFS(min_iou_high),
     {.d = 0.3},
     0,
     1,
     NULL,
     NULL,
     "smallest overlap for a first-round match"},
    {"min_iou_low",
     CW_OPT_DOUBLE,
     OFS(min_iou_low),
     {.d = 0.5},
     0,
     1,
     NULL,
     NULL,
     "smallest overlap for a second-round (weak detection) match"},
    {"min_iou_new",
     CW_OPT_DOUBLE,
     OFS(min_iou_new),
     {.d = 0.3},
     0,
     1,
     NULL,
     NULL,
     "smallest overlap to confirm a tentative track"},
    {"confirm_hits",
     CW_OPT_INT,
     OFS(confirm_hits),
     {.i = 3},
     1,
     100,
     NULL,
     NULL,
     "hits before a track is reported"},
    {"keep_s",
     CW_OPT_DOUBLE,
     OFS(keep_s),
     {.d = 2.0},
     0,
     60,
     NULL,
     "s",
     "how long a lost track may be found again"},
    {"coast_s",
     CW_OPT_DOUBLE,
     OFS(coast_s),
     {.d = 0},
     0,
     10,
     NULL,
     "s",
     "a track matched at least 10 times and unseen for at most this long is still reported, on "
     "its prediction (predicted: true): a motion detector's far blob comes and goes (0: off)"},
    {"score_fusion",
     CW_OPT_BOOL,
     OFS(score_fusion),
     {.b = true},
     0,
     0,
     NULL,
     NULL,
     "weigh first-round overlaps by the detection's score"},
    {"interpolate_s",
     CW_OPT_DOUBLE,
     OFS(interpolate_s),
     {.d = 0.33},
     0,
     60,
     NULL,
     "s",
     "offline: fill gaps in a track of up to this long by straight lines (0: off)"},
    {"max_aspect",
     CW_OPT_DOUBLE,
     OFS(max_aspect),
     {.d = 0},
     0,
     100,
     NULL,
     NULL,
     "report only boxes whose width/height is at most this (0: any)"},
    {"min_box_area",
     CW_OPT_DOUBLE,
     OFS(min_box_area),
     {.d = 10},
     0,
     1e9,
     NULL,
     "px²",
     "report only boxes at least this large"},
    {"report_detection",
     CW_OPT_BOOL,
     OFS(report_detection),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "report the matched detection's box instead of the filtered box"},
    {"gate_m",
     CW_OPT_DOUBLE,
     OFS(gate_m),
     {.d = 5.0},
     0.1,
     1000,
     NULL,
     "m",
     "with ground points: never match farther than this (plus both uncertainties) from where a "
     "track should be"},
    {"hold_s",
     CW_OPT_DOUBLE,
     OFS(hold_s),
     {.d = 3.0},
     0,
     60,
     NULL,
     "s",
     "road users merged into one detection are held on their own predictions for up to this "
     "long — those standing still, or found by their looks, for as long as the merge lasts "
     "(needs ground points; 0: off)"},
    {"whole_objects",
     CW_OPT_BOOL,
     OFS(whole_objects),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "detections are whole road users (a DNN's), never several merged into one blob: the "
     "nearest of a merge is not measured on the blob's bottom edge (set by --detector dnn)"},
    {"max_detections",
     CW_OPT_INT,
     OFS(max_detections),
     {.i = 400},
     1,
     100000,
     NULL,
     NULL,
     "most detections used per frame; the highest scores are kept"},
    {NULL},
};

/* ByteTrack's noise model: standard deviations proportional to the box height. */
#define STD_POS (1.0 / 20)
#define STD_VEL (1.0 / 160)

/* One coordinate of the constant-velocity filter: position, velocity and their covariance. The
 * four coordinates (centre x, centre y, aspect ratio, height) never mix, so the 8-state filter is
 * four independent 2-state ones. */
struct kf1 {
    double x, v, p00, p01, p11;
};

enum { TENTATIVE, TRACKED, LOST, REMOVED };

#define TRAJ      64 /* ground positions kept per track */
#define MAX_ZONES 64 /* zones followed per track (bits of cw_track_out.zones) */
/* Ground filter: road users change speed by a few m/s²; foot points are good to ~0.5 m. */
/* merged detections (hold_s): a track inside one covers this much of its predicted box with it,
 * the detection is this much larger than each, and two of them differ in ground speed by this */
#define HOLD_COVER 0.6
#define HOLD_GROW  1.15
#define HOLD_DV    1.0
#define HOLD_MAX   8 /* tracks held in one detection at most */
/* a track missed for up to this many frames (half hidden as the merge began) is still where it
 * is predicted, and is held too */
#define HOLD_RECENT 2
/* a held track's box covered this much by a nearer one's is out of sight */
#define HIDE_COVER 0.9
/* the nearest of a merge is placed across by the blob's pixels in the bottom NEAR_BAND of its
 * height (4 px at least), looked for NEAR_SEARCH of its width beyond its box on either side */
#define NEAR_BAND      0.08
#define NEAR_SEARCH    0.3
#define HOLD_FOOT      0.25 /* the nearest held track's foot within this of its height of the blob's */
#define HOLD_STILL_MPS 1.5 /* a held track slower than a walk stands or creeps (a queue) */
/* a held vehicle slower than this (9 km/h) is closing up in a queue: it slows by HOLD_SLOW a
 * frame held, and stops there */
#define HOLD_QUEUE_MPS 2.5
#define HOLD_SLOW      0.9
/* a faster one's box follows its ground prediction (perspective) for this long held; beyond
 * it, a car nearing the line may have braked (held at 10 m/s for 2 s, one was put across the
 * crosswalk) and the picture's straight line goes on, more slowly toward the camera */
#define HOLD_GROUND_S 1.0
/* one coming in at the bottom moves in the picture by this share of its width a frame at least
 * (its height is what shows of it) */
#define HOLD_ENTER 0.01
/* A road user coming in at the picture's bottom behind a merge (a bus joining a queue, its roof
 * hiding the bottom of the one ahead) is part of the blob from its first frame: the blob's part
 * below the lowest held box, at least BELOW_MIN_H of the blob's height and filled by its pixels to
 * BELOW_FILL, is one more road user. At most BELOW_MAX a frame, matched to its track at
 * BELOW_IOU. (At 15 % of the blob's height, a car joining a long queue, its first 45 px showing
 * under a blob 486 tall, was never tracked.) */
#define BELOW_MIN_H 0.05
#define BELOW_FILL  0.5
#define BELOW_MAX   16
#define BELOW_IOU   0.3
/* A road user coming in at the picture's bottom (cut off there, no ground point yet) may bring
 * into its blob another that touches it above: a rider beside a bus's roof, further up the
 * picture. Its box is the blob's part below where the blob narrows sharply going up: two bands
 * in a row (of SHOULDER_BANDS across the blob's height) narrower than SHOULDER_NARROW of the
 * widest band below them, above its lowest SHOULDER_KEEP bands; only boxes at least
 * SHOULDER_MIN_H pixels tall. */
#define SHOULDER_BANDS  25
#define SHOULDER_NARROW 0.4
#define SHOULDER_KEEP   4
#define SHOULDER_MIN_H  40.0
/* A held road user that is not the nearest is looked for by its look (taken when last measured
 * whole, struct cw_look) within LOOK_RADIUS of its height (LOOK_RADIUS_PX at least) of where it
 * is foreseen, its cells hidden by nearer road users (under their boxes, where their own looks
 * have their pixels) left out; found where the mean difference is at most LOOK_MAX_DIFF (grey
 * and chroma levels) over LOOK_MIN_SHARE of its own cells at least. Its box is the look's, scaled
 * by the perspective — by at least LOOK_SCALE_MIN and at most its inverse (beyond: the look's size
 * as it is). */
#define LOOK_RADIUS    0.1
#define LOOK_RADIUS_PX 6.0
#define LOOK_MAX_DIFF  35.0
#define LOOK_MIN_SHARE 0.3
#define LOOK_SCALE_MIN 0.1
/* A held road user found by its look but not measured on the ground there (a walker, a rider, a
 * vehicle whose foot a nearer one hides) still shows how fast it goes: its ground speed is pulled,
 * by LOOK_SPEED_GAIN a frame, towards how fast its look's foot moved on the ground over the last
 * LOOK_SPEED_S it was found in a row (a difference: what hides its feet biases both ends alike).
 * Without it, a rider who stopped in a queue beside a bus kept the speed it had riding in, was not
 * standing still, and was dropped after hold_s though found all along. At most LOOK_SPEED_N - 1
 * frames apart. */
#define LOOK_SPEED_S    0.25
#define LOOK_SPEED_GAIN 0.2
#define LOOK_SPEED_N    16

/* a "pedestrian" faster than WALK_MAX m/s, once the track has SPEED_HITS hits, is a rider —
 * unless its box only grows (GROW_ONLY: its height changes by this share of its foot's motion) */
#define WALK_MAX  3.5
#define GROW_ONLY 0.7
/* a lone lamp's or a two-wheeler-sized detection on a track moving between these (m/s), a
 * walk's speeds, votes pedestrian */
#define AT_WALK_MIN 0.6
#define AT_WALK_MAX 2.2
#define SPEED_HITS  5
/* a lone lamp (night) on a two-wheeler's track riding faster than this (m/s) is boxed along its
 * way (rider_box) */
#define RIDE_MPS 2.5

/* lost tracks found again by ground distance: the gate, and how it widens while unseen */
#define REFIND_M           1.0
#define REFIND_M_PER_S     1.0
#define REFIND_HEADING_MPS 1.0 /* faster than this, a track has a way it goes */

/* A detection whose bottom a nearer road user hides has no ground point; the track's box, its
 * height kept, has a foot that is good to this share of its height. Without it the ground ran on
 * at its last speed: a rider who rode up beside a car and stopped at the line, its lower part
 * hidden by the car, was 11 m into the junction on the ground while its box stood still, a red
 * light run. */
#define HIDDEN_FOOT_ERR 0.1

#define G_ACCEL 3.0
#define G_MEAS  0.5
/* … and brake or set off at up to this (m/s²) while unseen */
#define G_UNSEEN_ACCEL 6.0

struct track {
    int id;
    int state;
    struct kf1 kf[4];     /* cx, cy, a (w/h), h */
    struct kf1 at_obs[4]; /* the filter right after its last observation */
    struct cw_box obs;    /* last observed box */
    int obs_frame;
    int hits;
    int held; /* frames in a row held on its prediction inside a merged detection */
    /* measured as the nearest of a merged blob (measure_nearest) in frame near_frame: its box's
     * centre was near_dx right of the blob's pixels at its foot */
    int near_frame;
    float near_dx;
    int merge_frame; /* last frame it was one of a merged detection's road users */
    bool below;      /* came in at the picture's bottom behind a merge (come_in_below) */
    int g_frame;     /* frame of the last ground measurement */
    float score;
    bool updated;                /* matched in the current frame */
    float votes[CW_CLASS_COUNT]; /* class votes, weighted by the detector's confidence */
    /* of a road user seen only cut off by the picture's edge so far: the class of its largest
     * view (the most of it seen), and that view's area and confidence */
    int cut_cls;
    float cut_area, cut_conf;
    float attr_votes[CW_ATTR_COUNT][2]; /* attribute votes (no, yes), weighted by the score */
    uint16_t attr_seen[CW_ATTR_COUNT];  /* detections that carried the attribute */
    bool has_g;                         /* ground filter running */
    struct kf1 g[2];                    /* ground X and Y, metres and m/s */
    struct cw_point traj[TRAJ];         /* recent ground positions, a ring */
    int traj_frame[TRAJ];
    int traj_n;
    uint64_t zin;               /* zones it is inside now, a bit each */
    uint32_t zstay[MAX_ZONES];  /* frames since it entered each zone it is in */
    uint32_t ztotal[MAX_ZONES]; /* frames inside each zone over its life */
    float size_w, size_h;   /* a vehicle's width and height (m) as seen whole, slowly forgotten */
    struct cw_look look;    /* how it looked when last measured whole (look.n_own 0: not known) */
    struct cw_box look_box; /* the box it was taken under */
    /* where its look's foot was found on the ground in the last frames held (a ring), the last
     * frame it was, and in how many frames in a row before that */
    struct cw_point seen_g[LOOK_SPEED_N];
    int seen_frame, seen_run;
};

struct cw_tracker {
    struct cw_tracker_config cfg;
    int frame;
    int next_id;
    int max_lost; /* frames */
    int coast;    /* frames a lost track is still reported on its prediction */
    struct track *tr;
    int n, cap;
    struct cw_assign *as;
    double *cost;
    int *match;
    int *rows, *cols;
    size_t cost_cap;
    int idx_cap;
    int *lists; /* index lists of one frame: detections by score, tracks by state */
    int lists_cap;
    uint64_t bad, excess;
    int last_excess_warn;
    const struct cw_scene *scene; /* zones to follow, borrowed; NULL: none */
    struct cw_pinhole cam;        /* the scene's camera, where its ground plane gives one */
    bool have_cam;
    const struct cw_pixel_ops *px; /* detections' own pixels (cw_tracker_set_pixels); NULL: none */
    const void *px_ctx;
    struct cw_detection below[BELOW_MAX]; /* this frame's road users coming in below merges */
    int nbelow;
    int n_zones;
    struct cw_box zbox_img[MAX_ZONES], zbox_ground[MAX_ZONES]; /* the zones' bounding boxes */
};

static double pos_std(double h, int dim)
{
    return dim == 2 ? 1e-2 : STD_POS * h;
}

static double vel_std(double h, int dim)
{
    return dim == 2 ? 1e-5 : STD_VEL * h;
}

static void kf_init(struct kf1 kf[4], const struct cw_box *b)
{
    double z[4] = {b->x + b->w / 2, b->y + b->h / 2, b->w / b->h, b->h};
    for (int d = 0; d < 4; d++) {
        double sp = 2 * pos_std(b->h, d), sv = 10 * vel_std(b->h, d);
        kf[d] = (struct kf1){z[d], 0, sp * sp, 0, sv * sv};
    }
}

/* One coordinate's constant-velocity step of @dt with process noise variances @qp, @qv. */
static void kf1_predict(struct kf1 *k, double dt, double qp, double qv)
{
    k->x += k->v * dt;
    k->p00 += 2 * dt * k->p01 + dt * dt * k->p11 + qp;
    k->p01 += dt * k->p11;
    k->p11 += qv;
}

/* One coordinate's update with measurement @z of variance @r2. */
static void kf1_update(struct kf1 *k, double z, double r2)
{
    double s = k->p00 + r2, k0 = k->p00 / s, k1 = k->p01 / s, y = z - k->x;
    k->x += k0 * y;
    k->v += k1 * y;
    double p00 = k->p00, p01 = k->p01;
    k->p00 = (1 - k0) * p00;
    k->p01 = (1 - k0) * p01;
    k->p11 -= k1 * p01;
}

static void kf_predict(struct kf1 kf[4])
{
    double h = kf[3].x;
    for (int d = 0; d < 4; d++) {
        double qp = pos_std(h, d), qv = vel_std(h, d);
        kf1_predict(&kf[d], 1, qp * qp, qv * qv);
    }
}

static void kf_update(struct kf1 kf[4], const struct cw_box *b)
{
    double z[4] = {b->x + b->w / 2, b->y + b->h / 2, b->w / b->h, b->h};
    double h = kf[3].x;
    for (int d = 0; d < 4; d++) {
        double r = d == 2 ? 1e-1 : STD_POS * h;
        kf1_update(&kf[d], z[d], r * r);
    }
}

/* A box cut off by the picture's edge (a car entering at the bottom: first its roof, wide and
 * flat, then more of it each frame) has a shape that changes with what shows, not a road user's
 * whose aspect and height change slowly: the filter takes the measured box as it is, and the
 * shape's velocities are forgotten (the centre's are kept: the road user does move). */
static void kf_take_shape(struct kf1 kf[4], const struct cw_box *b)
{
    struct kf1 cx = kf[0], cy = kf[1];
    kf_init(kf, b);
    kf[0].v = cx.v, kf[0].p11 = cx.p11, kf[1].v = cy.v, kf[1].p11 = cy.p11;
}

static struct cw_box kf_box(const struct kf1 kf[4])
{
    double h = kf[3].x, w = kf[2].x * h;
    return (struct cw_box){kf[0].x - w / 2, kf[1].x - h / 2, w, h};
}

static void g_init(struct track *tr, struct cw_point p)
{
    tr->g[0] = (struct kf1){p.x, 0, G_MEAS * G_MEAS, 0, 25};
    tr->g[1] = (struct kf1){p.y, 0, G_MEAS * G_MEAS, 0, 25};
    tr->has_g = true;
}

static void g_predict(struct track *tr, double dt)
{
    double qp = 0.25 * G_ACCEL * G_ACCEL * dt * dt * dt * dt, qv = G_ACCEL * G_ACCEL * dt * dt;
    kf1_predict(&tr->g[0], dt, qp, qv);
    kf1_predict(&tr->g[1], dt, qp, qv);
}

static void g_update(struct track *tr, struct cw_point p, double sigma)
{
    double r2 = G_MEAS * G_MEAS + sigma * sigma;
    kf1_update(&tr->g[0], p.x, r2);
    kf1_update(&tr->g[1], p.y, r2);
}

static void remember(struct track *tr, int frame)
{
    int i = tr->traj_n % TRAJ;
    tr->traj[i] = (struct cw_point){tr->g[0].x, tr->g[1].x};
    tr->traj_frame[i] = frame;
    tr->traj_n++;
}

struct cw_tracker *cw_tracker_new(const struct cw_tracker_config *cfg)
{
    struct cw_tracker *t;
    if (!(cfg->fps > 0) || cfg->low_score > cfg->high_score) {
        cw_log_error(MOD, "tracker: bad configuration (fps %g, low_score %g above high_score %g)",
                     cfg->fps, cfg->low_score, cfg->high_score);
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (!t)
        goto out_nomem;
    t->cfg = *cfg;
    t->max_lost = (int)lround(cfg->keep_s * cfg->fps);
    t->coast = (int)lround(cfg->coast_s * cfg->fps);
    t->next_id = 1;
    t->cap = 64;
    t->tr = malloc(sizeof(*t->tr) * (size_t)t->cap);
    t->as = cw_assign_new();
    if (!t->tr || !t->as)
        goto out_free;
    return t;
out_free:
    cw_tracker_free(t);
out_nomem:
    cw_log_error(MOD, "tracker: out of memory");
    return NULL;
}

void cw_tracker_free(struct cw_tracker *t)
{
    if (!t)
        return;
    free(t->tr);
    cw_assign_free(t->as);
    free(t->cost);
    free(t->match);
    free(t->rows);
    free(t->cols);
    free(t->lists);
    free(t);
}

uint64_t cw_tracker_bad_detections(const struct cw_tracker *t)
{
    return t->bad;
}

uint64_t cw_tracker_excess_detections(const struct cw_tracker *t)
{
    return t->excess;
}

int cw_tracker_trajectory(const struct cw_tracker *t, int id, struct cw_point *pts, int *frames,
                          int cap)
{
    for (int i = 0; i < t->n; i++) {
        const struct track *tr = &t->tr[i];
        if (tr->id != id || !id)
            continue;
        int n = tr->traj_n < TRAJ ? tr->traj_n : TRAJ, k = 0;
        for (int j = tr->traj_n - n; j < tr->traj_n && k < cap; j++, k++) {
            pts[k] = tr->traj[j % TRAJ];
            if (frames)
                frames[k] = tr->traj_frame[j % TRAJ];
        }
        return k;
    }
    return 0;
}

static struct cw_box bounds(const struct cw_point *p, int n)
{
    double x0 = p[0].x, y0 = p[0].y, x1 = x0, y1 = y0;
    for (int i = 1; i < n; i++) {
        x0 = fmin(x0, p[i].x);
        y0 = fmin(y0, p[i].y);
        x1 = fmax(x1, p[i].x);
        y1 = fmax(y1, p[i].y);
    }
    return (struct cw_box){x0, y0, x1 - x0, y1 - y0};
}

void cw_tracker_set_pixels(struct cw_tracker *t, const struct cw_pixel_ops *ops, const void *ctx)
{
    t->px = ops;
    t->px_ctx = ctx;
}

void cw_tracker_set_zones(struct cw_tracker *t, const struct cw_scene *scene)
{
    t->scene = scene;
    t->have_cam = scene && scene->camera.width > 0 && scene->camera.height > 0 &&
                  !cw_pinhole_from_homography(&scene->ground_to_img, scene->camera.width / 2.0,
                                              scene->camera.height / 2.0, &t->cam);
    t->n_zones = scene ? (scene->n_zones < MAX_ZONES ? scene->n_zones : MAX_ZONES) : 0;
    for (int z = 0; z < t->n_zones; z++) {
        const struct cw_scene_polygon *p = &scene->zones[z].poly;
        t->zbox_img[z] = bounds(p->img, p->n);
        t->zbox_ground[z] = bounds(p->ground, p->n);
    }
    for (int i = 0; i < t->n; i++) {
        t->tr[i].zin = 0;
        memset(t->tr[i].zstay, 0, sizeof(t->tr[i].zstay));
        memset(t->tr[i].ztotal, 0, sizeof(t->tr[i].ztotal));
    }
}

bool cw_tracker_zone_time(const struct cw_tracker *t, int id, int zone, double *stay_s,
                          double *total_s)
{
    if (zone < 0 || zone >= t->n_zones || !id)
        return false;
    for (int i = 0; i < t->n; i++) {
        const struct track *tr = &t->tr[i];
        if (tr->id != id)
            continue;
        *stay_s = tr->zstay[zone] / t->cfg.fps;
        *total_s = tr->ztotal[zone] / t->cfg.fps;
        return true;
    }
    return false;
}

static bool in_box(const struct cw_box *b, struct cw_point p)
{
    return p.x >= b->x && p.x <= b->x + b->w && p.y >= b->y && p.y <= b->y + b->h;
}

/* Places a live track in the zones for this frame. */
static void place(struct cw_tracker *t, struct track *tr)
{
    struct cw_point p;
    const struct cw_box *boxes;
    bool ground = tr->has_g;
    if (ground) {
        p = (struct cw_point){tr->g[0].x, tr->g[1].x};
        boxes = t->zbox_ground;
    } else {
        struct cw_box b = kf_box(tr->kf);
        p = (struct cw_point){b.x + b.w / 2, b.y + b.h};
        boxes = t->zbox_img;
    }
    uint64_t in = 0;
    for (int z = 0; z < t->n_zones; z++) {
        const struct cw_scene_polygon *poly = &t->scene->zones[z].poly;
        if (in_box(&boxes[z], p) &&
            cw_polygon_contains(ground ? poly->ground : poly->img, poly->n, p)) {
            in |= 1ull << z;
            tr->zstay[z]++;
            tr->ztotal[z]++;
        } else
            tr->zstay[z] = 0;
    }
    tr->zin = in;
}

static int by_score_desc(const void *a, const void *b)
{
    float x = ((const struct cw_detection *)a)->score, y = ((const struct cw_detection *)b)->score;
    return (x < y) - (x > y);
}

/* Grows scratch space to @nt × @nd; allocation happens only when a frame is the busiest yet. */
static int reserve(struct cw_tracker *t, int nt, int nd)
{
    size_t need = (size_t)nt * (size_t)nd + 1;
    int idx = (nt > nd ? nt : nd) + 1;
    if (need > t->cost_cap) {
        free(t->cost);
        t->cost = malloc(sizeof(double) * need);
        if (!t->cost)
            return CW_ENOMEM;
        t->cost_cap = need;
    }
    if (idx > t->idx_cap) {
        free(t->match);
        free(t->rows);
        free(t->cols);
        t->match = malloc(sizeof(int) * (size_t)idx);
        t->rows = malloc(sizeof(int) * (size_t)idx);
        t->cols = malloc(sizeof(int) * (size_t)idx);
        if (!t->match || !t->rows || !t->cols)
            return CW_ENOMEM;
        t->idx_cap = idx;
    }
    return 0;
}

/* Found again after a gap: re-run the filter from the last observation along a straight line to
 * the new one (OC-SORT's observation-centric re-update), so that velocity guessed while unseen is
 * replaced by what actually happened. */
static void reupdate(struct cw_tracker *t, struct track *tr, const struct cw_box *b)
{
    int gap = t->frame - tr->obs_frame;
    memcpy(tr->kf, tr->at_obs, sizeof(tr->kf));
    for (int k = 1; k < gap; k++) {
        double f = (double)k / gap;
        struct cw_box v = {tr->obs.x + f * (b->x - tr->obs.x), tr->obs.y + f * (b->y - tr->obs.y),
                           tr->obs.w + f * (b->w - tr->obs.w), tr->obs.h + f * (b->h - tr->obs.h)};
        kf_predict(tr->kf);
        kf_update(tr->kf, &v);
    }
    kf_predict(tr->kf);
}

/* Whether @tr's box only grows downwards, its top standing: a road user the model had half taken
 * in at start-up shows more of itself each frame, its foot running down the picture while it
 * stands, and its ground speed then says nothing. One coming nearer or going away moves its top
 * too: its height changes by its height over its foot's height above the horizon (a person's
 * over a camera's: a third or so) of what its foot moves. */
static bool only_grows(const struct track *tr)
{
    double bottom_v = tr->kf[1].v + tr->kf[3].v / 2;
    return fabs(tr->kf[3].v) > GROW_ONLY * fabs(bottom_v) && fabs(tr->kf[0].v) < fabs(bottom_v);
}

/* Counts @d's class and attributes towards what @tr is. */
static void vote(struct track *tr, const struct cw_detection *d)
{
    int cls = d->cls;
    /* from behind, a rider is as narrow and tall as a person on foot; speed tells them apart */
    double speed = tr->has_g && tr->hits >= SPEED_HITS ? hypot(tr->g[0].v, tr->g[1].v) : -1;
    if (cls == CW_CLASS_PEDESTRIAN && speed > WALK_MAX && !only_grows(tr))
        cls = CW_CLASS_TWO_WHEELER;
    /* and what has a two-wheeler's size but moves at a walk is someone on foot: a lone lit
     * patch at night (not a rider's lamp), a far walker of whom the detector sees a part (the
     * coat, not the legs). A rider rides faster, or waits; setting off, it passes through a
     * walk's speeds in a second, too few votes to count. (Not a view cut off by the picture's
     * edge: its box's foot moves as more of it comes in.) */
    if ((d->lamp || cls == CW_CLASS_TWO_WHEELER) && !d->cut_off && speed >= AT_WALK_MIN &&
        speed <= AT_WALK_MAX)
        cls = CW_CLASS_PEDESTRIAN;
    float conf = d->cls_conf > 0 ? d->cls_conf : 0.5f;
    /* a view cut off by the picture's edge is partial: its width a bound, its shape a part (one
     * coming in at a side is as narrow as a person at first) — such views do not vote; until
     * the road user is seen whole, its class is its largest cut-off view's */
    bool known = cls > CW_CLASS_UNKNOWN && cls < CW_CLASS_COUNT;
    float area = (float)(d->box.w * d->box.h);
    if (known && d->cut_off && area >= tr->cut_area)
        tr->cut_cls = cls, tr->cut_area = area, tr->cut_conf = conf;
    else if (known && !d->cut_off)
        tr->votes[cls] += conf;
    for (int k = 0; k < CW_ATTR_COUNT; k++)
        if (d->attr[k] == CW_ATTR_NO || d->attr[k] == CW_ATTR_YES) {
            tr->attr_votes[k][d->attr[k] == CW_ATTR_YES] += d->score > 0 ? d->score : 0.5f;
            if (tr->attr_seen[k] < UINT16_MAX)
                tr->attr_seen[k]++;
        }
}

/* What shows of predicted box @pb above detection @d's bottom, when a nearer road user hides
 * the rest. */
static struct cw_box hidden_bottom(const struct cw_box *pb, const struct cw_box *d)
{
    struct cw_box seen = *pb;
    double bottom = d->y + d->h;
    if (seen.y + seen.h > bottom)
        seen.h = bottom > seen.y ? bottom - seen.y : 0;
    return seen;
}

/* Updates @tr with @d; with @reshape its box takes @d's size outright (found again far from
 * where its box was foreseen, that box's size was wrong too). */
static int voted_class(const struct track *tr);

/* At night a lone lamp's box is a two-wheeler's seen square (cw_detection.lamp): where the track
 * is a two-wheeler riding, its box is that of one CW_RIDER_L_M long ahead of its lamp along its way
 * (seen from behind and to the side, its length shows). False where it is not, or the camera is
 * not known. */
static bool rider_box(const struct cw_tracker *t, const struct track *tr,
                      const struct cw_detection *d, struct cw_box *out)
{
    double speed = tr->has_g ? hypot(tr->g[0].v, tr->g[1].v) : 0;
    if (!d->lamp || !d->has_ground || !t->have_cam || speed < RIDE_MPS ||
        voted_class(tr) != CW_CLASS_TWO_WHEELER)
        return false;
    double ux = tr->g[0].v / speed, uy = tr->g[1].v / speed;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int c = 0; c < 8; c++) {
        double along = c & 1 ? CW_RIDER_L_M : 0, across = (c & 2 ? 0.5 : -0.5) * CW_RIDER_W_M;
        struct cw_point p = {d->ground.x + ux * along + uy * across,
                             d->ground.y + uy * along - ux * across},
                        q;
        if (!cw_pinhole_project(&t->cam, p, c & 4 ? CW_RIDER_H_M : 0, &q))
            return false;
        x0 = fmin(x0, q.x), x1 = fmax(x1, q.x), y0 = fmin(y0, q.y), y1 = fmax(y1, q.y);
    }
    if (!(x1 > x0) || !(y1 > y0))
        return false;
    *out = (struct cw_box){x0, y0, x1 - x0, y1 - y0};
    return true;
}

/* A vehicle's blob loses its dark parts (the rear window, taken for shadow) and far away it is a
 * few pixels, its box too small: a vehicle track keeps the largest width and height (m) it was
 * measured with (not while it was one of a merge in the last second: a merge's box is several
 * road users'), forgotten at SIZE_KEEP a second, and a box narrower or lower than that where it
 * stands now grows to it. A walker's blob loses parts too (a coat as grey as the road, or of its
 * chroma): a walker's box grows to the largest height, not width (legs apart or together, that
 * is its own). */
static void whole_size(const struct cw_tracker *t, struct track *tr, const struct cw_detection *d,
                       struct cw_box *box)
{
    if (t->cfg.whole_objects || !d->has_ground || d->cut_off || d->bottom_hidden || d->lamp ||
        !(d->width_m > 0) || !(box->w > 0))
        return;
    int cls = voted_class(tr);
    bool walker = cls == CW_CLASS_PEDESTRIAN;
    if (!walker && cls != CW_CLASS_CAR && cls != CW_CLASS_BUS_TRUCK)
        return;
    double ppm = box->w / d->width_m; /* pixels per metre across, at its foot */
    float w = d->width_m, h = (float)(box->h / ppm);
    bool merged = tr->merge_frame > 0 && t->frame - tr->merge_frame <= t->cfg.fps;
    float keep = (float)pow(SIZE_KEEP, 1 / t->cfg.fps);
    tr->size_w = fmaxf(tr->size_w * keep, merged ? 0 : w);
    tr->size_h = fmaxf(tr->size_h * keep, merged ? 0 : h);
    double ew = tr->size_w * ppm, eh = tr->size_h * ppm;
    /* the side of the box nearer the foreseen box's is the vehicle's own; it grows away from it
     * (a bumper lost: the top stays; a rear window lost: the bottom stays) */
    struct cw_box pb = kf_box(tr->kf);
    if (!walker && box->w < ew) {
        double l = fabs(box->x - pb.x), r = fabs(box->x + box->w - pb.x - pb.w);
        box->x -= l < r ? 0 : r < l ? ew - box->w : (ew - box->w) / 2;
        box->w = ew;
    }
    if (box->h < eh) {
        double top = fabs(box->y - pb.y), bottom = fabs(box->y + box->h - pb.y - pb.h);
        if (walker || bottom <= top) /* (a walker's feet are what its blob keeps) */
            box->y -= eh - box->h;
        box->h = eh;
    }
}

/* @box (of detection @d, come in at the picture's bottom) cut where its blob narrows sharply
 * going up: the part above is another road user's (SHOULDER_NARROW). Its sides then are those
 * of the blob's pixels in the part kept. */
static void shoulder_cut(const struct cw_tracker *t, const struct cw_detection *d,
                         struct cw_box *box)
{
    if (!t->px || d->blob <= 0 || !d->cut_off || d->has_ground || !(box->h >= SHOULDER_MIN_H))
        return;
    double band_h = box->h / SHOULDER_BANDS, bottom = box->y + box->h, widest = 0, w[2];
    for (int i = 0; i < SHOULDER_BANDS; i++) {
        struct cw_box band = {box->x, bottom - (i + 1) * band_h, box->w, band_h};
        double x0, x1;
        w[i % 2] = t->px->span(t->px_ctx, d->blob, &band, &x0, &x1) ? x1 - x0 : 0;
        if (i > SHOULDER_KEEP && w[0] < SHOULDER_NARROW * widest &&
            w[1] < SHOULDER_NARROW * widest) {
            struct cw_box kept = {box->x, bottom - (i - 1) * band_h, box->w, (i - 1) * band_h};
            if (t->px->span(t->px_ctx, d->blob, &kept, &x0, &x1) && x1 > x0)
                kept.x = x0, kept.w = x1 - x0;
            *box = kept;
            return;
        }
        if (i > 0) /* the widest below the pair looked at */
            widest = fmax(widest, w[(i + 1) % 2]);
    }
}

static void apply_match(struct cw_tracker *t, struct track *tr, const struct cw_detection *d,
                        bool reshape)
{
    struct cw_box box = d->box;
    shoulder_cut(t, d, &box);
    if (rider_box(t, tr, d, &box))
        reshape = true;
    whole_size(t, tr, d, &box);
    if (d->bottom_hidden) {
        /* the top and sides are measured; the height is the track's, seen as much nearer or
         * farther as the width says (a queue driving off: the bottom goes with the top) */
        struct cw_box pb = kf_box(tr->kf);
        double h = pb.w > 0 ? pb.h * box.w / pb.w : pb.h;
        if (h > box.h)
            box.h = h;
    }
    if (tr->state == LOST && t->frame - tr->obs_frame > 1)
        reupdate(t, tr, &box);
    kf_update(tr->kf, &box);
    if (d->cut_off || reshape)
        kf_take_shape(tr->kf, &box);
    memcpy(tr->at_obs, tr->kf, sizeof(tr->kf));
    tr->obs = box;
    tr->obs_frame = t->frame;
    tr->score = d->score;
    tr->hits++;
    tr->updated = true;
    vote(tr, d);
    /* where it stands: the detection's foot, or, where a nearer road user hides that, the foot
     * of the box just measured (its height kept), as sure as HIDDEN_FOOT_ERR of its height */
    struct cw_detection at = {
        .has_ground = d->has_ground, .ground = d->ground, .ground_sigma_m = d->ground_sigma_m};
    if (!d->has_ground && d->bottom_hidden && tr->has_g && t->scene) {
        at.box = kf_box(tr->kf);
        cw_detection_locate(&at, t->scene, HIDDEN_FOOT_ERR * at.box.h, 0);
    }
    if (at.has_ground) {
        if (tr->has_g) {
            /* unseen on the ground (held in a merge, missed), it may have braked hard or set off:
             * its speed is that much less certain, and the next measurements set it again (its
             * own foot's: one the box guesses is too loose to set it — letting it took queue
             * 85.9 → 82.7 MOTA) */
            double gap_s = (t->frame - tr->g_frame - 1) / t->cfg.fps, dv = G_UNSEEN_ACCEL * gap_s;
            if (gap_s > 0 && d->has_ground)
                tr->g[0].p11 += dv * dv, tr->g[1].p11 += dv * dv;
            g_update(tr, at.ground, at.ground_sigma_m);
        } else
            g_init(tr, at.ground);
        tr->g_frame = t->frame;
        remember(tr, t->frame);
    }
    if (tr->state == LOST)
        tr->state = TRACKED;
}

/* Takes @tr's look under its measured box, where the detector keeps its pixels and @d, the
 * detection just applied, is the road user whole (not cut off by the picture's edge, nor hidden
 * below, nor a lamp in the dark). */
static void take_look(const struct cw_tracker *t, struct track *tr, const struct cw_detection *d)
{
    if (t->px && t->px->look && !t->cfg.whole_objects && d->blob > 0 && !d->cut_off &&
        !d->bottom_hidden && !d->lamp)
        t->px->look(t->px_ctx, &tr->obs, &tr->look), tr->look_box = tr->obs;
}

/* Solves the assignment on t->cost (@nt tracks × @nd detections) and applies the matches below
 * NO_MATCH; with @confirm, tentative tracks with enough hits are confirmed. Matched entries are
 * set to -1 in both lists. */
static int settle(struct cw_tracker *t, int *ti, int nt, struct cw_detection *dets, int *di, int nd,
                  bool confirm, bool reshape)
{
    if (cw_assign_solve(t->as, t->cost, nt, nd, t->match) < 0)
        return CW_ENOMEM;
    for (int a = 0; a < nt; a++) {
        int b = t->match[a];
        if (b < 0 || t->cost[(size_t)a * nd + b] >= NO_MATCH)
            continue;
        struct track *tr = &t->tr[ti[a]];
        const struct cw_detection *d = &dets[di[b]];
        const struct cw_box pb = kf_box(tr->kf);
        apply_match(t, tr, d, reshape && cw_box_iou(&pb, &d->box) < t->cfg.min_iou_high);
        take_look(t, tr, d);
        tr->held = 0;
        if (confirm && tr->hits >= t->cfg.confirm_hits)
            tr->state = TRACKED;
        ti[a] = -1;
        di[b] = -1;
    }
    return 0;
}

/* One association round: tracks @ti[0..nt) against detections @di[0..nd) by overlap; pairs
 * below @min_iou are not matched. Matched entries are set to -1 in both lists. */
static int associate(struct cw_tracker *t, int *ti, int nt, struct cw_detection *dets, int *di,
                     int nd, double min_iou, bool fuse, bool confirm)
{
    int err;
    if (nt == 0 || nd == 0)
        return 0;
    err = reserve(t, nt, nd);
    if (err)
        return err;
    for (int a = 0; a < nt; a++) {
        const struct track *tr = &t->tr[ti[a]];
        struct cw_box pb = kf_box(tr->kf);
        for (int b = 0; b < nd; b++) {
            const struct cw_detection *d = &dets[di[b]];
            double o = cw_box_iou(&pb, &d->box);
            if (d->bottom_hidden) {
                struct cw_box seen = hidden_bottom(&pb, &d->box);
                o = cw_box_iou(&seen, &d->box);
            }
            double sim = fuse ? o * d->score : o;
            /* the gate widens with the track's own uncertainty and the detection's */
            double spread = sqrt(tr->g[0].p00 + tr->g[1].p00) + 2.0 * d->ground_sigma_m;
            bool near = !tr->has_g || !d->has_ground ||
                        hypot(d->ground.x - tr->g[0].x, d->ground.y - tr->g[1].x) <=
                            t->cfg.gate_m + 3 * spread;
            t->cost[(size_t)a * nd + b] = o >= min_iou && near ? 1 - sim : NO_MATCH;
        }
    }
    return settle(t, ti, nt, dets, di, nd, confirm, false);
}

/* The class with the most votes so far; before any, its largest cut-off view's (vote), or
 * CW_CLASS_UNKNOWN. */
static int voted_class(const struct track *tr)
{
    int cls = CW_CLASS_UNKNOWN;
    for (int c = 1; c < CW_CLASS_COUNT; c++)
        if (tr->votes[c] > tr->votes[cls])
            cls = c;
    return cls != CW_CLASS_UNKNOWN ? cls : tr->cut_cls;
}

/* How much larger a road user standing at image point @from looks standing at @to: the ratio
 * of the metres a pixel spans across the picture's row there and here. 0 where either does not
 * map or the ratio is beyond 0.5..2. */
static double perspective_scale(const struct cw_scene *sc, struct cw_point from, struct cw_point to)
{
    const struct cw_homography *ig = &sc->img_to_ground;
    double m0 = cw_ground_span(ig, from, (struct cw_point){from.x + 1, from.y});
    double m1 = cw_ground_span(ig, to, (struct cw_point){to.x + 1, to.y});
    double k = m0 / m1; /* NaN or 0 or infinite where either does not map */
    return k > 0.5 && k < 2 ? k : 0;
}

/* Box @b of track @tr, its foot moved to image point @foot: scaled about its bottom centre by
 * the perspective between where the track was last updated and @foot (as it is where that is not
 * known). */
static struct cw_box seen_from(const struct cw_tracker *t, const struct track *tr, struct cw_box b,
                               struct cw_point foot)
{
    struct cw_box was = kf_box(tr->at_obs);
    double k =
        t->scene
            ? perspective_scale(t->scene, (struct cw_point){was.x + was.w / 2, was.y + was.h}, foot)
            : 0;
    if (k > 0)
        b = (struct cw_box){foot.x - b.w * k / 2, foot.y - b.h * k, b.w * k, b.h * k};
    return b;
}

/* The nearest road user of merged blob @d (the lowest in the picture) is hidden by none: when
 * its predicted foot is near the blob's bottom edge it is measured there — its box standing on
 * that edge, within the blob, with a ground point. False when it is not (a blob of the motion
 * detector's only: a DNN's box is one road user). */
static bool measure_nearest(struct cw_tracker *t, struct track *tr, const struct cw_detection *d)
{
    struct cw_detection h = {.box = kf_box(tr->kf), .score = d->score};
    double bottom = d->box.y + d->box.h;
    /* (one entering at the picture's bottom, cut off there as the blob is: measured on it too,
     * without a ground point) */
    bool cut = !tr->has_g && d->cut_off;
    if (t->cfg.whole_objects || !t->scene || !(d->has_ground || cut) ||
        (!cut && fabs(h.box.y + h.box.h - bottom) > HOLD_FOOT * h.box.h))
        return false;
    /* moved nearer or farther since last measured, it looks larger or smaller by the
     * perspective */
    if (!cut)
        h.box = seen_from(t, tr, h.box, (struct cw_point){h.box.x + h.box.w / 2, bottom});
    /* a vehicle is, across, where the blob's own pixels at its foot are: its box as far from
     * them as when it became the nearest (its box's straight line would carry it off sideways,
     * and nothing here would pull it back; a walker's feet swing too much to place it by) */
    struct cw_box band = {h.box.x - NEAR_SEARCH * h.box.w, bottom - fmax(NEAR_BAND * h.box.h, 4),
                          (1 + 2 * NEAR_SEARCH) * h.box.w, fmax(NEAR_BAND * h.box.h, 4)};
    double lo, hi;
    int cls = voted_class(tr);
    if ((cls == CW_CLASS_CAR || cls == CW_CLASS_BUS_TRUCK) && t->px && d->blob > 0 &&
        t->px->span(t->px_ctx, d->blob, &band, &lo, &hi)) {
        if (tr->near_frame == t->frame - 1) /* (and in the blob, not cut by its edge) */
            h.box.x = fmax(d->box.x, fmin((lo + hi) / 2 + tr->near_dx - h.box.w / 2,
                                          d->box.x + d->box.w - h.box.w));
        else
            tr->near_dx = (float)(h.box.x + h.box.w / 2 - (lo + hi) / 2);
        tr->near_frame = t->frame;
    }
    h.box.y = fmax(bottom - h.box.h, d->box.y);
    /* coming in at the bottom, its bottom stays there and its top moves twice its centre's
     * speed (the filter moved both by it) */
    if (cut)
        h.box.y = fmax(bottom - h.box.h + 2 * tr->kf[1].v, d->box.y);
    h.box.h = bottom - h.box.y;
    double x0 = fmax(h.box.x, d->box.x), x1 = fmin(h.box.x + h.box.w, d->box.x + d->box.w);
    if (x1 > x0)
        h.box.x = x0, h.box.w = x1 - x0;
    struct cw_point foot = {h.box.x + h.box.w / 2, bottom};
    h.has_ground = !cut && cw_homography_apply(&t->scene->img_to_ground, foot, &h.ground);
    h.ground_sigma_m = d->ground_sigma_m;
    h.cut_off = cut;
    apply_match(t, tr, &h, false);
    tr->held = 0;
    return true;
}

/* Where held track @tr's box is now: standing on its predicted ground point, its box as last
 * updated scaled by the perspective there. A box's straight line in the picture runs ahead of a
 * road user moving away (perspective slows it) and behind one coming closer; its ground point moves
 * at a steady speed. False without a scene or where the ground does not map. */
static bool ground_box(const struct cw_tracker *t, const struct track *tr, struct cw_box *out)
{
    struct cw_point g = {tr->g[0].x, tr->g[1].x}, foot;
    if (!t->scene || !tr->has_g || !cw_homography_apply(&t->scene->ground_to_img, g, &foot))
        return false;
    struct cw_box was = kf_box(tr->at_obs); /* the box as it was last updated */
    struct cw_point last = {was.x + was.w / 2, was.y + was.h};
    double k = perspective_scale(t->scene, last, foot);
    if (k == 0)
        return false;
    double w = was.w * k, h = was.h * k;
    *out = (struct cw_box){foot.x - w / 2, foot.y - h, w, h};
    return true;
}

/* Whether predicted box @pb is @e's road user rather than @d's: the one whose own pixels fill
 * more of it, where the detector keeps them (boxes of blobs side by side overlap, their pixels
 * do not); else the one whose box it overlaps more (IoU). */
static bool fits_better(const struct cw_tracker *t, const struct cw_box *pb,
                        const struct cw_detection *e, const struct cw_detection *d)
{
    if (t->px && e->blob > 0 && d->blob > 0)
        return t->px->support(t->px_ctx, e->blob, pb) > t->px->support(t->px_ctx, d->blob, pb);
    return cw_box_iou(pb, &e->box) > cw_box_iou(pb, &d->box);
}

/* Marks the held road users of @out (@n) whose boxes a nearer one's covers by HIDE_COVER. */
static void mark_hidden(struct cw_track_out *out, int n)
{
    for (int i = 0; i < n; i++) {
        const struct cw_box *b = &out[i].box;
        for (int j = 0; j < n && out[i].predicted && !out[i].hidden; j++)
            out[i].hidden = j != i && !out[j].predicted &&
                            out[j].box.y + out[j].box.h > b->y + b->h &&
                            cw_box_cover(b, &out[j].box) >= HIDE_COVER;
    }
}

static int add_track(struct cw_tracker *t, const struct cw_detection *d);

/* Leaves out of track list @v (@n) those already updated this frame; returns how many remain. */
static int drop_updated(const struct cw_tracker *t, int *v, int n)
{
    int keep = 0;
    for (int i = 0; i < n; i++)
        if (!t->tr[v[i]].updated)
            v[keep++] = v[i];
    return keep;
}

/* Notes the part of merged detection @d, come in at the picture's bottom, below the lowest of
 * @n held boxes @held — reaching BELOW_MIN_H of @d's height up to it and filled to BELOW_FILL by
 * the blob's own pixels — as a road user come in behind the merge (t->below), of @d's class
 * (measured across the blob's bottom row). */
static void below_merge(struct cw_tracker *t, const struct cw_detection *d,
                        const struct cw_box *held, int n)
{
    double bottom = d->box.y + d->box.h, lowest = -INFINITY, x0, x1;
    for (int k = 0; k < n; k++)
        lowest = fmax(lowest, held[k].y + held[k].h);
    if (!d->cut_off || d->has_ground || !t->px || d->blob <= 0 || t->nbelow >= BELOW_MAX ||
        !(bottom - lowest >= BELOW_MIN_H * d->box.h))
        return;
    struct cw_box part = {d->box.x, lowest, d->box.w, bottom - lowest};
    if (!t->px->span(t->px_ctx, d->blob, &part, &x0, &x1) || !(x1 > x0))
        return;
    part.x = x0, part.w = x1 - x0;
    if (t->px->support(t->px_ctx, d->blob, &part) < BELOW_FILL)
        return;
    t->below[t->nbelow++] = (struct cw_detection){.box = part,
                                                  .score = d->score,
                                                  .cut_off = true,
                                                  .blob = d->blob,
                                                  .cls = d->cls,
                                                  .cls_conf = d->cls_conf};
}

/* The road users come in below merges (t->below), each to the track of one that came in so
 * before and has no ground point yet (matched at BELOW_IOU; a tentative one confirmed after
 * confirm_hits) or to a new one. Such a track is measured so, not held in the merge, until it
 * stands wholly in the picture. */
static int come_in_below(struct cw_tracker *t)
{
    for (int i = 0; i < t->nbelow; i++) {
        const struct cw_detection *d = &t->below[i];
        struct track *best = NULL;
        double best_iou = BELOW_IOU;
        for (int k = 0; k < t->n; k++) {
            struct track *tr = &t->tr[k];
            if (tr->state == REMOVED || tr->updated || !tr->below || tr->has_g)
                continue;
            struct cw_box pb = kf_box(tr->kf);
            double iou = cw_box_iou(&pb, &d->box);
            if (iou > best_iou)
                best_iou = iou, best = tr;
        }
        if (!best) {
            int err = add_track(t, d);
            if (err)
                return err;
            t->tr[t->n - 1].below = true;
            continue;
        }
        apply_match(t, best, d, false);
        if (best->state == TENTATIVE && best->hits >= t->cfg.confirm_hits)
            best->state = TRACKED;
    }
    t->nbelow = 0;
    return 0;
}

/* The bottom of @tr's predicted box in the picture. */
static double foot_y(const struct track *tr)
{
    struct cw_box b = kf_box(tr->kf);
    return b.y + b.h;
}

/* The box @tr's look was taken under, standing on @foot: larger or smaller by the perspective
 * between there and where it was taken (as it was where that is not known). */
static struct cw_box look_box(const struct cw_tracker *t, const struct track *tr,
                              struct cw_point foot)
{
    const struct cw_box *was = &tr->look_box;
    double k = 1;
    if (t->scene) {
        const struct cw_homography *ig = &t->scene->img_to_ground;
        struct cw_point from = {was->x + was->w / 2, was->y + was->h};
        double m0 = cw_ground_span(ig, from, (struct cw_point){from.x + 1, from.y});
        double m1 = cw_ground_span(ig, foot, (struct cw_point){foot.x + 1, foot.y});
        if (m0 / m1 > LOOK_SCALE_MIN && m0 / m1 < 1 / LOOK_SCALE_MIN)
            k = m0 / m1;
    }
    return (struct cw_box){foot.x - was->w * k / 2, foot.y - was->h * k, was->w * k, was->h * k};
}

/* Moves held track @tr's foreseen box (@h's) to where its look is found near it, and returns
 * whether it was; the first @k tracks of @merge (placed already, nearer) hide what is behind
 * their boxes where their looks have their own pixels (the whole box, for one without a look).
 * A vehicle whose foot is not hidden so is measured on the ground there too (a look
 * is good to a cell; a walker's or rider's look is not good enough for its foot: legs swing, and
 * one half hidden was found a few pixels up, off the crosswalk it was on). */
static bool find_look(const struct cw_tracker *t, const struct track *tr, const int *merge, int k,
                      struct cw_detection *h)
{
    if (!t->px || !t->px->find || tr->look.n_own == 0)
        return false;
    struct cw_box skip[HOLD_MAX], found, b = h->box;
    const struct cw_look *skip_look[HOLD_MAX];
    for (int j = 0; j < k; j++)
        skip[j] = kf_box(t->tr[merge[j]].kf), skip_look[j] = &t->tr[merge[j]].look;
    /* at the size its look was taken at, seen from where it is foreseen (a held box keeps its
     * size: a car setting off from a queue shrank to a third of it in three seconds) */
    b = look_box(t, tr, (struct cw_point){b.x + b.w / 2, b.y + b.h});
    double radius = fmax(LOOK_RADIUS * b.h, LOOK_RADIUS_PX);
    if (!(t->px->find(t->px_ctx, &tr->look, &b, radius, skip, skip_look, k, LOOK_MIN_SHARE,
                      &found) <= LOOK_MAX_DIFF))
        return false;
    struct cw_point foot = {found.x + found.w / 2, found.y + found.h};
    found = look_box(t, tr, foot);
    h->box = found;
    for (int j = 0; j < k; j++)
        if (in_box(&skip[j], foot))
            return true;
    int cls = voted_class(tr);
    if (t->scene && (cls == CW_CLASS_CAR || cls == CW_CLASS_BUS_TRUCK))
        cw_detection_locate(h, t->scene, found.h / CW_LOOK_N, 0);
    return true;
}

/* Held track @tr, found by its look at @found (no ground point of its own): its ground speed
 * pulled towards how fast that foot moved on the ground over the last LOOK_SPEED_S found
 * (LOOK_SPEED_GAIN). */
static void speed_from_look(struct cw_tracker *t, struct track *tr, const struct cw_box *found)
{
    struct cw_point g, foot = {found->x + found->w / 2, found->y + found->h};
    if (!t->scene || !tr->has_g || !cw_homography_apply(&t->scene->img_to_ground, foot, &g))
        return;
    tr->seen_run = tr->seen_frame == t->frame - 1 ? tr->seen_run + 1 : 0;
    tr->seen_frame = t->frame;
    tr->seen_g[tr->seen_run % LOOK_SPEED_N] = g;
    if (tr->seen_run > 0) { /* it moved on the ground as its look did, not as its filter guessed */
        struct cw_point last = tr->seen_g[(tr->seen_run - 1) % LOOK_SPEED_N];
        tr->g[0].x += g.x - last.x - tr->g[0].v / t->cfg.fps;
        tr->g[1].x += g.y - last.y - tr->g[1].v / t->cfg.fps;
    }
    int span = (int)lround(LOOK_SPEED_S * t->cfg.fps);
    span = span < 1 ? 1 : span > LOOK_SPEED_N - 1 ? LOOK_SPEED_N - 1 : span;
    if (tr->seen_run < span)
        return;
    struct cw_point was = tr->seen_g[(tr->seen_run - span) % LOOK_SPEED_N];
    double v[2] = {(g.x - was.x) * t->cfg.fps / span, (g.y - was.y) * t->cfg.fps / span};
    for (int j = 0; j < 2; j++)
        tr->g[j].v += LOOK_SPEED_GAIN * (v[j] - tr->g[j].v);
}

/* Before association: a confident detection that covers the predicted boxes of several
 * established tracks moving differently is two or more road users merged into one blob. Each of
 * them is held on its own prediction (a box, no ground measurement, no class vote) — but the
 * nearest, measured on the blob's bottom (measure_nearest) — and the detection is used up. A
 * merge goes on for as long as it covers them (a queue at the red); hold_s limits only those
 * that move unseen (not found by their looks). Matched entries are set to -1 in both lists. */
static void hold_merged(struct cw_tracker *t, int *ti, int nt, const struct cw_detection *dets,
                        int *di, int nd)
{
    int max_held = (int)lround(t->cfg.hold_s * t->cfg.fps), grounded = 0, eligible = 0;
    if (max_held <= 0)
        return;
    for (int a = 0; a < nt && (eligible < 2 || !grounded); a++) {
        grounded += t->tr[ti[a]].has_g && t->tr[ti[a]].state == TRACKED;
        eligible += t->tr[ti[a]].state == TRACKED;
    }
    if (!grounded || eligible < 2) /* image-plane tracking (MOTChallenge): nothing to hold */
        return;
    for (int b = 0; b < nd; b++) {
        const struct cw_detection *d = &dets[di[b]];
        double area = d->box.w * d->box.h;
        int in[HOLD_MAX] = {0}, nin = 0, entering = -1;
        double vmin[2] = {INFINITY, INFINITY}, vmax[2] = {-INFINITY, -INFINITY};
        for (int a = 0; a < nt && nin < HOLD_MAX; a++) {
            if (ti[a] < 0)
                continue;
            const struct track *tr = &t->tr[ti[a]];
            /* (one already in a merge may fill most of it: the nearest of a queue) */
            bool was_in = !t->cfg.whole_objects && tr->merge_frame == t->frame - 1;
            /* one without a ground point yet may be in it only coming in at the bottom, or as
             * the nearest of a merge it came in with, now wholly in the picture */
            if (tr->state == TENTATIVE || (tr->below && !tr->has_g) ||
                (!tr->has_g && ((!d->cut_off && !was_in) || entering >= 0)) ||
                t->frame - 1 - tr->obs_frame > HOLD_RECENT || tr->hits < 2 * t->cfg.confirm_hits ||
                tr->held >= max_held)
                continue;
            struct cw_box pb = kf_box(tr->kf);
            if ((!was_in && area < HOLD_GROW * pb.w * pb.h) ||
                cw_box_cover(&pb, &d->box) < HOLD_COVER)
                continue;
            /* a track with a detection of its own that fits it better is not merged */
            bool better = false;
            for (int e = 0; e < nd && !better; e++)
                better = e != b && di[e] >= 0 && fits_better(t, &pb, &dets[di[e]], d);
            if (better)
                continue;
            if (!tr->has_g) {
                entering = nin;
            } else {
                for (int k = 0; k < 2; k++) {
                    vmin[k] = fmin(vmin[k], tr->g[k].v);
                    vmax[k] = fmax(vmax[k], tr->g[k].v);
                }
            }
            in[nin++] = a;
        }
        /* once held, a merge goes on holding them whatever their speeds (a queue at the red:
         * all stand still) */
        bool going_on = false;
        for (int k = 0; k < nin; k++)
            going_on |= t->tr[ti[in[k]]].held > 0;
        /* moving differently: on the ground, or, for one coming in at the bottom, in the
         * picture */
        bool differ = hypot(vmax[0] - vmin[0], vmax[1] - vmin[1]) >= HOLD_DV;
        if (entering >= 0) {
            const struct kf1 *e = t->tr[ti[in[entering]]].kf;
            for (int k = 0; k < nin && !differ; k++) {
                const struct kf1 *o = t->tr[ti[in[k]]].kf;
                differ = hypot(e[0].v - o[0].v, e[1].v - o[1].v) > HOLD_ENTER * e[2].x * e[3].x;
            }
        }
        if (nin < 2 || (!going_on && !differ))
            continue;
        int near = 0; /* the lowest in the picture */
        for (int k = 1; k < nin; k++) {
            struct cw_box pk = kf_box(t->tr[ti[in[k]]].kf), pn = kf_box(t->tr[ti[in[near]]].kf);
            if (pk.y + pk.h > pn.y + pn.h)
                near = k;
        }
        if (entering >= 0 && near != entering)
            continue; /* what comes in at the bottom is the nearest, or this is not understood */
        /* nearest first: each is hidden only by those placed before it */
        int ti_was[HOLD_MAX];
        for (int k = 0; k < nin; k++)
            ti_was[k] = ti[in[k]], ti[in[k]] = -1;
        int tmp = ti_was[0];
        ti_was[0] = ti_was[near], ti_was[near] = tmp;
        for (int k = 2; k < nin; k++)
            for (int j = k; j > 1 && foot_y(&t->tr[ti_was[j]]) > foot_y(&t->tr[ti_was[j - 1]]); j--)
                tmp = ti_was[j], ti_was[j] = ti_was[j - 1], ti_was[j - 1] = tmp;
        for (int k = 0; k < nin; k++) {
            struct track *tr = &t->tr[ti_was[k]];
            tr->kf[2].v = tr->kf[3].v = 0; /* what cannot be seen keeps its size */
            tr->merge_frame = t->frame;
            if (k == 0 && measure_nearest(t, tr, d))
                continue;
            struct cw_detection h = {.box = kf_box(tr->kf), .score = d->score};
            /* one on the move stands, for its first second held, on its ground prediction */
            if (hypot(tr->g[0].v, tr->g[1].v) >= HOLD_QUEUE_MPS &&
                tr->held < HOLD_GROUND_S * t->cfg.fps) {
                ground_box(t, tr, &h.box);
            } else {
                /* beyond it, on the picture's straight line, it still looks smaller going away */
                h.box = seen_from(t, tr, h.box,
                                  (struct cw_point){h.box.x + h.box.w / 2, h.box.y + h.box.h});
            }
            bool seen = find_look(t, tr, ti_was, k, &h);
            if (seen && !h.has_ground)
                speed_from_look(t, tr, &h.box);
            int held = tr->held;
            apply_match(t, tr, &h, false);
            /* one standing still, or found by its look (seen, not foreseen), is held as long as
             * the merge lasts */
            bool still = hypot(tr->g[0].v, tr->g[1].v) < HOLD_STILL_MPS;
            tr->held = (still || seen) && held > 0 ? held : held + 1;
            /* a vehicle closing up in a queue comes to a stop there, unseen (found by its look,
             * it is seen: it may be setting off) */
            int cls = voted_class(tr);
            if (!seen && hypot(tr->g[0].v, tr->g[1].v) < HOLD_QUEUE_MPS &&
                (cls == CW_CLASS_CAR || cls == CW_CLASS_BUS_TRUCK))
                for (int j = 0; j < 2; j++)
                    tr->g[j].v *= HOLD_SLOW, tr->kf[j].v *= HOLD_SLOW;
        }
        struct cw_box held[HOLD_MAX];
        for (int k = 0; k < nin; k++)
            held[k] = kf_box(t->tr[ti_was[k]].kf);
        below_merge(t, d, held, nin);
        di[b] = -1;
    }
}

/* Lost tracks against the confident detections nobody claimed, by ground distance: a road user
 * that comes out of a merge somewhere its box's straight-line prediction did not expect is still
 * where its ground motion says, and keeps its identity; so is one whose blob broke into a part
 * for a while (far off, the rest of it as grey as the road) and whose box shrank to that part.
 * With whole objects (a DNN's boxes, which do not break so) only tracks lost out of a merge are
 * looked for: for every lost track it gave people in a crowd each other's identities. The
 * gate is REFIND_M plus REFIND_M_PER_S for each second without a ground measurement (at most
 * gate_m); a detection of a class two sizes away does not match. Matched entries are set to -1. */
static int refind_on_ground(struct cw_tracker *t, int *ti, int nt, struct cw_detection *dets,
                            int *di, int nd)
{
    if (nt == 0 || nd == 0)
        return 0;
    int err = reserve(t, nt, nd);
    if (err)
        return err;
    for (int a = 0; a < nt; a++) {
        const struct track *tr = &t->tr[ti[a]];
        double unseen_s = (t->frame - tr->g_frame) / t->cfg.fps; /* holds included */
        double gate = fmin(t->cfg.gate_m, REFIND_M + REFIND_M_PER_S * unseen_s);
        /* one on the move may have sped up or braked along its way, far more than it swerved:
         * along it the gate widens as it could have at G_UNSEEN_ACCEL */
        double speed = hypot(tr->g[0].v, tr->g[1].v);
        double ux = speed > REFIND_HEADING_MPS ? tr->g[0].v / speed : 0;
        double uy = speed > REFIND_HEADING_MPS ? tr->g[1].v / speed : 0;
        double along_gate = gate + 0.5 * G_UNSEEN_ACCEL * unseen_s * unseen_s;
        int cls = voted_class(tr);
        for (int b = 0; b < nd; b++) {
            const struct cw_detection *d = &dets[di[b]];
            double cost = INFINITY;
            if (d->has_ground) {
                double dx = d->ground.x - tr->g[0].x, dy = d->ground.y - tr->g[1].x;
                double along = dx * ux + dy * uy, across = fabs(dx * uy - dy * ux);
                double spread = sqrt(tr->g[0].p00 + tr->g[1].p00) + 2.0 * d->ground_sigma_m;
                double ag = fmin(along_gate, t->cfg.gate_m + 3 * spread);
                cost = ux == 0 && uy == 0 ? hypot(dx, dy) / gate : hypot(along / ag, across / gate);
            }
            /* classes are told apart by size, and neighbours in size are often confused */
            bool other =
                cls != CW_CLASS_UNKNOWN && d->cls != CW_CLASS_UNKNOWN && abs(d->cls - cls) > 1;
            t->cost[(size_t)a * nd + b] = cost <= 1 && !other ? cost : NO_MATCH;
        }
    }
    return settle(t, ti, nt, dets, di, nd, false, true);
}

/* Drops the -1 entries of a list; returns the new length. */
static int compact(int *v, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (v[i] >= 0)
            v[k++] = v[i];
    return k;
}

static int add_track(struct cw_tracker *t, const struct cw_detection *d)
{
    if (t->n == t->cap) {
        struct track *nt = realloc(t->tr, sizeof(*nt) * (size_t)t->cap * 2);
        if (!nt)
            return CW_ENOMEM;
        t->tr = nt;
        t->cap *= 2;
    }
    struct track *tr = &t->tr[t->n++];
    memset(tr, 0, sizeof(*tr));
    tr->id = 0;          /* numbered when first reported */
    tr->seen_frame = -2; /* its look not found yet (speed_from_look) */
    kf_init(tr->kf, &d->box);
    memcpy(tr->at_obs, tr->kf, sizeof(tr->kf));
    tr->obs = d->box;
    tr->obs_frame = t->frame;
    tr->score = d->score;
    tr->hits = 1;
    tr->updated = true;
    vote(tr, d);
    if (d->has_ground) {
        g_init(tr, d->ground);
        tr->g_frame = t->frame;
        remember(tr, t->frame);
    }
    /* tracks seen in the first frame are trusted at once, as ByteTrack does */
    tr->state = t->frame == 1 || t->cfg.confirm_hits <= 1 ? TRACKED : TENTATIVE;
    return 0;
}

/* Adds @tr to the frame's output: its box (filtered, or the detection's), the class it has won
 * most votes for, and where it stands on the ground and in the zones. */
static void report(struct cw_tracker *t, struct track *tr, struct cw_track_out *out, int *nout,
                   int cap)
{
    struct cw_box b = t->cfg.report_detection ? tr->obs : kf_box(tr->kf);
    bool show = b.w * b.h > t->cfg.min_box_area &&
                (t->cfg.max_aspect <= 0 || b.w / b.h <= t->cfg.max_aspect);
    if (!tr->id)
        tr->id = t->next_id++;
    if (!show || *nout >= cap)
        return;
    int best = voted_class(tr);
    float total = 0;
    for (int c = 1; c < CW_CLASS_COUNT; c++)
        total += tr->votes[c];
    struct cw_track_out *o = &out[(*nout)++];
    *o = (struct cw_track_out){tr->id, b, tr->score, best,
                               total > 0 ? tr->votes[best] / total : tr->cut_conf};
    for (int k = 0; k < CW_ATTR_COUNT; k++) {
        float no = tr->attr_votes[k][0], yes = tr->attr_votes[k][1];
        o->attr[k] = !tr->attr_seen[k] ? CW_ATTR_UNKNOWN : yes > no ? CW_ATTR_YES : CW_ATTR_NO;
        o->attr_share[k] = tr->attr_seen[k] ? fmaxf(yes, no) / (yes + no) : 0;
        o->attr_seen[k] = tr->attr_seen[k];
    }
    if (tr->has_g) {
        o->has_ground = true;
        o->ground = (struct cw_point){tr->g[0].x, tr->g[1].x};
        o->vel = (struct cw_point){tr->g[0].v, tr->g[1].v};
        o->speed = (float)hypot(o->vel.x, o->vel.y);
    }
    o->zones = tr->zin;
    o->predicted = tr->held > 0;
}

int cw_tracker_predict(struct cw_tracker *t, struct cw_track_out *out, int cap)
{
    int nout = 0;
    t->frame++;
    for (int i = 0; i < t->n; i++) {
        struct track *tr = &t->tr[i];
        if (tr->state == REMOVED)
            continue;
        if (tr->state == LOST)
            tr->kf[3].v = 0;
        kf_predict(tr->kf);
        if (tr->has_g)
            g_predict(tr, 1 / t->cfg.fps);
        if (t->n_zones)
            place(t, tr);
        if (tr->state == TRACKED && tr->id)
            report(t, tr, out, &nout, cap);
    }
    return nout;
}

int cw_tracker_update(struct cw_tracker *t, struct cw_detection *dets, int n,
                      struct cw_track_out *out, int cap)
{
    int nhigh = 0, nlow = 0, ntrk = 0, nlost = 0, ntent = 0, err, nout = 0;
    int *hi, *lo, *trk, *tent;

    t->frame++;
    /* ignore what no detector should produce */
    int k = 0;
    for (int i = 0; i < n; i++) {
        const struct cw_box *b = &dets[i].box;
        if (!(b->w > 0 && b->h > 0 && isfinite(b->x) && isfinite(b->y) && isfinite(b->w) &&
              isfinite(b->h) && isfinite(dets[i].score))) {
            if (t->bad++ == 0)
                cw_log_warn(MOD,
                            "ignoring detections with a non-finite or empty box (first in "
                            "frame %d)",
                            t->frame);
            continue;
        }
        dets[k++] = dets[i];
    }
    n = k;
    if (n > t->cfg.max_detections) {
        qsort(dets, (size_t)n, sizeof(*dets), by_score_desc);
        t->excess += (uint64_t)(n - t->cfg.max_detections);
        if (t->last_excess_warn == 0 || t->frame - t->last_excess_warn >= (int)t->cfg.fps) {
            cw_log_warn(MOD,
                        "frame %d: %d detections; using the %d best (is the lens covered, or "
                        "is it snowing?)",
                        t->frame, n, t->cfg.max_detections);
            t->last_excess_warn = t->frame;
        }
        n = t->cfg.max_detections;
    }
    /* index lists; grown only when a frame is the busiest yet */
    int need = 2 * n + 2 * (t->n + n) + 4;
    if (need > t->lists_cap) {
        free(t->lists);
        t->lists = malloc(sizeof(int) * (size_t)need);
        if (!t->lists) {
            t->lists_cap = 0;
            goto out_nomem;
        }
        t->lists_cap = need;
    }
    hi = t->lists;
    lo = hi + n + 1;
    trk = lo + n + 1;
    tent = trk + t->n + n + 1;
    for (int i = 0; i < n; i++) {
        if (dets[i].score >= t->cfg.high_score)
            hi[nhigh++] = i;
        else if (dets[i].score >= t->cfg.low_score)
            lo[nlow++] = i;
    }
    for (int i = 0; i < t->n; i++) {
        struct track *tr = &t->tr[i];
        tr->updated = false;
        if (tr->state == LOST)
            tr->kf[3].v = 0; /* do not let an unseen box keep growing or shrinking */
        kf_predict(tr->kf);
        if (tr->has_g)
            g_predict(tr, 1 / t->cfg.fps);
        if (tr->state == TENTATIVE)
            tent[ntent++] = i;
        else {
            trk[ntrk++] = i;
            if (tr->state == LOST)
                nlost++;
        }
    }
    /* 0: road users merged into one blob are held on their own predictions */
    hold_merged(t, trk, ntrk, dets, hi, nhigh);
    ntrk = compact(trk, ntrk);
    nhigh = compact(hi, nhigh);
    if ((err = come_in_below(t)))
        goto out_free;
    ntrk = drop_updated(t, trk, ntrk); /* (those come in below are matched) */
    ntent = drop_updated(t, tent, ntent);
    /* 1: tracked and lost tracks against confident detections */
    err = associate(t, trk, ntrk, dets, hi, nhigh, t->cfg.min_iou_high, t->cfg.score_fusion, false);
    if (err)
        goto out_free;
    ntrk = compact(trk, ntrk);
    nhigh = compact(hi, nhigh);
    /* 2: tracks still unmatched and not lost, against weak detections */
    {
        int keep = 0;
        for (int i = 0; i < ntrk; i++)
            if (t->tr[trk[i]].state == TRACKED)
                trk[keep++] = trk[i];
        ntrk = keep;
    }
    err = associate(t, trk, ntrk, dets, lo, nlow, t->cfg.min_iou_low, false, false);
    if (err)
        goto out_free;
    ntrk = compact(trk, ntrk);
    for (int i = 0; i < ntrk; i++)
        t->tr[trk[i]].state = LOST;
    /* 3: tentative tracks against the confident detections left */
    err = associate(t, tent, ntent, dets, hi, nhigh, t->cfg.min_iou_new, t->cfg.score_fusion, true);
    if (err)
        goto out_free;
    ntent = compact(tent, ntent);
    nhigh = compact(hi, nhigh);
    for (int i = 0; i < ntent; i++)
        t->tr[tent[i]].state = REMOVED;
    /* 4: lost tracks (with whole objects: lost coming out of a merge), on the ground, against the
     * confident detections left */
    {
        int nl = 0;
        for (int i = 0; i < t->n; i++)
            if (t->tr[i].state == LOST && t->tr[i].has_g && t->tr[i].obs_frame < t->frame &&
                (t->tr[i].held > 0 || !t->cfg.whole_objects))
                tent[nl++] = i;
        err = refind_on_ground(t, tent, nl, dets, hi, nhigh);
        if (err)
            goto out_free;
        nhigh = compact(hi, nhigh);
    }
    /* new tracks from confident detections nobody claimed; a road user only partly seen behind a
     * nearer one (its bottom hidden) keeps a track it has, but does not start one */
    for (int i = 0; i < nhigh; i++)
        if (dets[hi[i]].score >= t->cfg.new_score && !dets[hi[i]].bottom_hidden &&
            add_track(t, &dets[hi[i]]))
            goto out_free;
    /* forget tracks lost too long; report the rest that were seen now */
    int kept = 0;
    for (int i = 0; i < t->n; i++) {
        struct track *tr = &t->tr[i];
        if (tr->state == LOST && t->frame - tr->obs_frame > t->max_lost)
            tr->state = REMOVED;
        if (tr->state == REMOVED)
            continue;
        if (t->n_zones)
            place(t, tr);
        /* an established track missed for a frame or two: reported where it is foreseen */
        bool coast = tr->state == LOST && tr->id && tr->hits >= COAST_HITS &&
                     t->frame - tr->obs_frame <= t->coast;
        if ((tr->state == TRACKED && tr->updated) || coast) {
            int before = nout;
            report(t, tr, out, &nout, cap);
            if (coast && nout > before)
                out[nout - 1].predicted = true;
        }
        if (kept != i)
            t->tr[kept] = *tr;
        kept++;
    }
    t->n = kept;
    (void)nlost;
    mark_hidden(out, nout);
    return nout;

out_free:
out_nomem:
    cw_log_error(MOD, "tracker: out of memory in frame %d", t->frame);
    return CW_ENOMEM;
}
