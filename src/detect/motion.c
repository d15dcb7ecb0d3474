/* The motion detector: two-mode per-pixel Gaussian background, shadows, relighting, selective
 * update, morphology and connected components. See motion.h. */
#include "crosswatch/motion.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/bitmask.h"
#include "crosswatch/detection.h"
#include "crosswatch/log.h"
#include "crosswatch/scene.h"

#ifdef __SSE2__
#include <immintrin.h>
#endif

#define MOD "motion"

/* camera shake: grid step and number of the textured points, their least gradient, how many
 * must be usable, how often they are chosen again (frames), and how much better than staying
 * put a shift must match; below STAB_STEADY on average, the picture is steady */
#define STAB_STEP       6
#define STAB_POINTS     1024
#define STAB_TEXTURE    30.0f
#define STAB_MIN_POINTS 48
#define STAB_REFRESH    250
#define STAB_GAIN       0.8
#define LIGHT_MIN       1.1f   /* light cast on a night road: this much brighter at least */
#define LIGHT_MAX       8.0f   /* and at most */
#define LAMP_LEVEL      150.0f /* at night, a pixel this bright … */
#define LAMP_RATIO      3.0f   /* … and this many times the road's is a lamp, not light cast */
#define LAMP_AREA       80     /* at night, blobs this small (analysis pixels) may be lamps */
#define LAMP_MIN_AREA   1      /* a blob with a lamp's pixel is kept from this size on … */
#define LONE_MIN_AREA   2      /* … but unpaired it is a road user only from this size on */
#define LAMP_BLOBS      256    /* lamps are paired among this many blobs at most */
#define LAMPS_MIN_M     1.0    /* a pair of lamps this far apart (projected on the road) … */
#define LAMPS_MAX_M     2.6    /* … to this is a car */
#define LAMP_ONE_M      0.6    /* one lamp, glow included, is no wider than this on the road */
#define LAMP_ABOVE      1.05   /* its box: this many lamp-pair widths above the lamps … */
#define LAMP_BELOW      0.5    /* … and this many below */
#define LAMP_INSIDE     0.7    /* a blob this much inside a lamp pair's box is that car's */
#define LAMP_SIDE       0.14   /* and its body this many pair-widths beyond each lamp */
/* ghosts: a blob still for GHOST_S whose outline has less than GHOST_EDGE of the edges the
 * background has there is one; looked for every GHOST_EVERY frames */
#define GHOST_S     1.0
#define GHOST_EDGE  0.5
#define GHOST_EVERY 12
/* lifted shadows: a patch of road brighter than the model as a shadow is darker, still for
 * GHOST_S, whose outline has edges of its own on less than LIFT_EDGE of it; an edge of its own
 * is this many texture steps stronger than the model's there */
#define LIFT_EDGE  0.2f
#define LIFT_STEPS 2.0f
#define LAMP_Z     0.7 /* road users' lamps are about this high above the road (m) … */
#define LAMP_M     0.8 /* … and at most this wide, their glow included (m) */

/* a detection lower than this (m) is no road user: a child is taller, a car twice as tall; a road
 * user whose legs or dark lower half the model misses still shows more */
#define LOW_M 0.7
/* and one narrower than this (m) neither: a walker seen from the side is 0.3 m deep; a shadow's
 * edge left over on coloured paint, a post, may be narrower */
#define THIN_M      0.2
#define BUS_HIGH_M  2.4 /* a road user taller than this (m) is a bus or a truck */
#define STAB_STEADY 6.0 /* grey levels a point may differ on average without a search */
/* start-up: this many pictures (odd), one every bootstrap_s / BOOT_SAMPLES, give the background
 * as their median — what passed or came in during the start-up is not in it */
#define BOOT_SAMPLES 9
#define MAD_SIGMA    1.4826f /* a normal distribution's sigma per median absolute deviation */
/* while it lasts, the model learns as a running average over this many times the frames seen:
 * slower, a walker coming in half-way is not learned before the start-up ends and the median
 * puts the road back; faster, what stood in the first picture and moves off leaves its ghost
 * for less long — a car driving through when a camera switches to its sub-stream and the model
 * starts again, whose first-picture ghost at 2 made its cast shadow a road user and cost its red
 * light (test_synth's test_resolution_changes_mid_way). Pedestrian-red / red-light-ebike /
 * noise MOTA with 1: 94.7, 95.7, 95.8; 1.5: 95.2, 97.1, 96.6; 2: 95.3, 97.3, 97.0 */
#define BOOT_AVG  1.5f
#define BOOT_WEAK 0.05f /* the weight a mode the median does not bear out keeps */

#define OFS(f) offsetof(struct cw_motion_config, f)
const struct cw_option cw_motion_options[] = {
    {"learn_s",
     CW_OPT_DOUBLE,
     OFS(learn_s),
     {.d = 20},
     0.5,
     3600,
     NULL,
     "s",
     "background time constant"},
    {"threshold",
     CW_OPT_DOUBLE,
     OFS(threshold),
     {.d = 3.0},
     1,
     10,
     NULL,
     "sigma",
     "a pixel belongs to the background within this many standard deviations"},
    {"min_sigma",
     CW_OPT_DOUBLE,
     OFS(min_sigma),
     {.d = 4.0},
     0.5,
     50,
     NULL,
     "levels",
     "smallest standard deviation of the background (sensor noise floor)"},
    {"shadow_min",
     CW_OPT_DOUBLE,
     OFS(shadow_min),
     {.d = 0.6},
     0,
     1,
     NULL,
     NULL,
     "a shadow keeps at least this fraction of the background's brightness"},
    {"shadow_max",
     CW_OPT_DOUBLE,
     OFS(shadow_max),
     {.d = 0.92},
     0,
     1,
     NULL,
     NULL,
     "and at most this fraction"},
    {"shadow_chroma",
     CW_OPT_DOUBLE,
     OFS(shadow_chroma),
     {.d = 8},
     0,
     128,
     NULL,
     "levels",
     "a shadow's chroma is within this of the background's"},
    {"shadow_bridge",
     CW_OPT_INT,
     OFS(shadow_bridge),
     {.i = 40},
     0,
     1000,
     NULL,
     "px",
     "what looks like shadow with the road user both above and below it, over at most this many "
     "analysis pixels, is the road user's (a dark windscreen, trousers; 0: off)"},
    {"shadow_foot",
     CW_OPT_INT,
     OFS(shadow_foot),
     {.i = 20},
     0,
     1000,
     NULL,
     "px",
     "a band of what looks like shadow right under a road user, as wide as it, on which a wider "
     "shadow begins, over at most this many analysis pixels, is the road user's dark lower part "
     "standing on its cast shadow (a dark bike under its rider; 0: off)"},
    {"light_dark",
     CW_OPT_DOUBLE,
     OFS(light_dark),
     {.d = 40},
     0,
     255,
     NULL,
     "levels",
     "a background darker than this on average is a road at night: light cast on it "
     "(headlight beams), brighter but of its colour and texture, is not a road user (0: off)"},
    {"colour",
     CW_OPT_DOUBLE,
     OFS(colour),
     {.d = 32},
     0,
     255,
     NULL,
     "levels",
     "a pixel whose chroma is this far from the background's is a road user whatever its "
     "brightness (a magenta coat as bright as the asphalt; 0: off)"},
    {"colour_night",
     CW_OPT_DOUBLE,
     OFS(colour_night),
     {.d = 24},
     0,
     255,
     NULL,
     "levels",
     "the same at night (light_dark): a dimly lit road user's chroma is dimmed with its "
     "brightness (0: colour)"},
    {"absorb_s",
     CW_OPT_DOUBLE,
     OFS(absorb_s),
     {.d = 120},
     0,
     86400,
     NULL,
     "s",
     "a road user that stays still is taken into the background after this long"},
    {"relight",
     CW_OPT_DOUBLE,
     OFS(relight),
     {.d = 0.04},
     0,
     1,
     NULL,
     NULL,
     "global brightness changes larger than this fraction are compensated at once"},
    {"min_area",
     CW_OPT_INT,
     OFS(min_area),
     {.i = 24},
     1,
     100000,
     NULL,
     "px",
     "smallest blob, in analysis-image pixels (at night one with a lamp is kept from 2; with a "
     "scene, far off where 0.6 m² seen square is fewer pixels, from that, and 16 at least)"},
    {"max_blobs",
     CW_OPT_INT,
     OFS(max_blobs),
     {.i = 256},
     1,
     100000,
     NULL,
     NULL,
     "most blobs reported per frame (the largest)"},
    {"bootstrap_s",
     CW_OPT_DOUBLE,
     OFS(bootstrap_s),
     {.d = 2.0},
     0,
     3600,
     NULL,
     "s",
     "at start, learn everything for this long (no ghosts of what stood in the first frame), "
     "then take the median of nine of its pictures where it differs"},
    {"merge_gap",
     CW_OPT_INT,
     OFS(merge_gap),
     {.i = 10},
     0,
     100,
     NULL,
     "px",
     "blobs overlapping across whose pixels come this close are one road user (with a scene: a "
     "metre on the road where that is fewer pixels)"},
    {"stabilize",
     CW_OPT_INT,
     OFS(stabilize),
     {.i = 3},
     0,
     16,
     NULL,
     "px",
     "camera shake up to this many analysis pixels each way is undone (0: off)"},
    {"split",
     CW_OPT_BOOL,
     OFS(split),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "with a scene: cut blobs taller than one road user on their foot can be (a queue seen from "
     "behind) into one per road user (off by default: see docs/BENCHMARKS.md, pipeline)"},
    {"colour_split",
     CW_OPT_BOOL,
     OFS(colour_split),
     {.b = true},
     0,
     0,
     NULL,
     NULL,
     "with a scene, by day: cut vehicles near enough to read out of blobs holding several road "
     "users along their paint (a queue from behind; docs/motion.md)"},
    {NULL},
};

/* A horizontal run of foreground pixels [x0, x1) in row y, and its provisional label. */
struct run {
    int32_t x0, x1, y, label;
};

/* A connected component before pieces of one road user are joined: its bounds, its runs (a list
 * in row order through run_next) and its union-find parent among pieces. */
struct piece {
    struct cw_blob b;
    int32_t label, head, tail, up;
};

/* A blob's area and its index among the joined blobs, to order them largest first (ties in
 * their order). */
struct ranked {
    int area;
    int32_t joined;
};

struct cw_motion {
    struct cw_motion_config cfg;
    int w, h, cw, ch;
    size_t n;
    /* the two modes, structure of arrays: mean, variance, weight (mode 0 dominant) */
    float *m0, *v0, *w0, *m1, *v1, *w1;
    float *bu, *bv; /* background chroma, half size */
    float *still;   /* frames a pixel has been foreground in a row */
    int ghost_tick; /* frames since the last look for ghosts */
    uint8_t *lift;  /* lifted shadows: 1 where the road may be one, 2 once visited */
    int32_t *todo;  /* their flood fill's pixels to visit */
    float *cstill;  /* frames a chroma pixel has been off the background's colour in a row */
    int simd;       /* 2: AVX2 kernel, 1: SSE2 (CW_SIMD=sse), 0: plain C (CW_NO_SIMD=1) */
    uint8_t *raw, *mask, *ignore;
    int32_t *row_area;              /* per row, the smallest blob whose bottom is on it */
    int32_t *row_gap;               /* per row, the join gap below a piece whose bottom is on it */
    struct cw_bitmask fg, fg2, fg3; /* the road-user mask as bits, for the clean-up */
    struct cw_bitmask shadow;       /* the shadow pixels as bits */
    struct cw_bitmask lamps;        /* at night, the pixels of lamps: kept through the clean-up */
    struct cw_bitmask darker;       /* at night, road-user pixels darker than the model */
    bool any_lamp;
    uint16_t *bridge_run; /* per column, for cw_bitmask_bridge_down */
    struct run *runs;     /* one frame's runs of foreground, row by row */
    int runs_cap;
    /* the last frame's runs for cw_motion_support: how many, where each row's begin (h + 1) and
     * the blob each is part of (-1: none reported), and a blob index remap's room */
    int nruns;
    int32_t *row_first, *run_blob, *remap;
    struct ranked *order;  /* the blobs large enough, ordered */
    int32_t *run_next;     /* next run of the same piece */
    int32_t *parent;       /* union-find over labels */
    struct piece *pieces;  /* per-label accumulators, then the components */
    struct cw_blob *blobs; /* the joined blobs */
    int acc_cap;
    bool started;
    /* shake: textured background points (pixel indices), when they were chosen, the shifted
     * copies of the planes, and the last shift found */
    int32_t *stab_pts;
    int nstab;
    int64_t stab_frame;
    uint8_t *sg, *su, *sv;
    int sdx, sdy;
    double gain;
    bool night;       /* the background is dark: light cast on the road is told apart */
    double elapsed_s; /* stream time seen */
    int64_t frames_seen;
    /* the start-up's pictures, BOOT_SAMPLES spread over bootstrap_s (grey, then U and V at half
     * size, picture after picture), whose median the model becomes when it ends; freed then */
    uint8_t *boot;
    int boot_n;
};

static void *zalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    return p;
}

struct cw_motion *cw_motion_new(const struct cw_motion_config *cfg, int w, int h)
{
    struct cw_motion *m;
    if (w < 8 || h < 8 || w > 8192 || h > 8192) {
        cw_log_error(MOD, "motion detector: bad analysis size %dx%d", w, h);
        return NULL;
    }
    m = zalloc(sizeof(*m));
    if (!m)
        goto out_nomem;
    m->cfg = *cfg;
    m->w = w;
    m->h = h;
    m->cw = (w + 1) / 2;
    m->ch = (h + 1) / 2;
    m->n = (size_t)w * h;
    size_t fn = m->n * sizeof(float), cn = (size_t)m->cw * m->ch * sizeof(float);
    m->m0 = zalloc(fn);
    m->v0 = zalloc(fn);
    m->w0 = zalloc(fn);
    m->m1 = zalloc(fn);
    m->v1 = zalloc(fn);
    m->w1 = zalloc(fn);
    m->bu = zalloc(cn);
    m->bv = zalloc(cn);
    m->still = zalloc(fn);
    m->cstill = zalloc(cn);
    m->simd = getenv("CW_NO_SIMD") ? 0 : 1;
#ifdef __SSE2__
    const char *level = getenv("CW_SIMD");
    if (m->simd && !(level && !strncmp(level, "sse", 3)) && __builtin_cpu_supports("avx2"))
        m->simd = 2;
#endif
    m->raw = zalloc(m->n);
    m->bridge_run = zalloc((size_t)w * sizeof(uint16_t));
    m->mask = zalloc(m->n);
    m->ignore = zalloc(m->n);
    m->row_area = zalloc((size_t)h * sizeof(int32_t));
    m->row_gap = zalloc((size_t)h * sizeof(int32_t));
    m->runs_cap = m->h * ((m->w + 1) / 2); /* a row holds at most (w+1)/2 runs */
    m->runs = zalloc((size_t)m->runs_cap * sizeof(struct run));
    m->acc_cap = m->runs_cap + 2; /* a label per run at most */
    m->run_next = zalloc((size_t)m->runs_cap * sizeof(int32_t));
    m->run_blob = zalloc((size_t)m->runs_cap * sizeof(int32_t));
    m->row_first = zalloc((size_t)(h + 1) * sizeof(int32_t));
    m->remap = zalloc((size_t)m->acc_cap * sizeof(int32_t));
    m->order = zalloc((size_t)m->acc_cap * sizeof(*m->order));
    m->parent = zalloc((size_t)m->acc_cap * sizeof(int32_t));
    m->pieces = zalloc((size_t)m->acc_cap * sizeof(struct piece));
    m->blobs = zalloc((size_t)m->acc_cap * sizeof(struct cw_blob));
    m->stab_pts = zalloc(STAB_POINTS * sizeof(int32_t));
    m->sg = zalloc(m->n);
    m->su = zalloc((size_t)m->cw * m->ch);
    m->sv = zalloc((size_t)m->cw * m->ch);
    m->lift = zalloc(m->n);
    m->todo = zalloc(m->n * sizeof(int32_t));
    size_t boot_bytes = (m->n + 2 * (size_t)m->cw * m->ch) * BOOT_SAMPLES;
    m->boot = cfg->bootstrap_s > 0 ? zalloc(boot_bytes) : NULL;
    if (!m->m0 || !m->v0 || !m->w0 || !m->m1 || !m->v1 || !m->w1 || !m->bu || !m->bv || !m->still ||
        !m->cstill || cw_bitmask_init(&m->fg, w, h) || cw_bitmask_init(&m->fg2, w, h) ||
        cw_bitmask_init(&m->fg3, w, h) || cw_bitmask_init(&m->shadow, w, h) ||
        cw_bitmask_init(&m->lamps, w, h) || cw_bitmask_init(&m->darker, w, h) || !m->bridge_run ||
        !m->raw || !m->mask || !m->ignore || !m->row_area || !m->row_gap || !m->runs ||
        !m->run_next || !m->parent || !m->pieces || !m->run_blob || !m->row_first || !m->remap ||
        !m->order || !m->blobs || !m->stab_pts || !m->sg || !m->su || !m->sv || !m->lift ||
        !m->todo || (cfg->bootstrap_s > 0 && !m->boot)) {
        cw_motion_free(m);
        goto out_nomem;
    }
    m->gain = 1;
    cw_motion_set_row_area(m, NULL);
    cw_motion_set_row_gap(m, NULL);
    return m;
out_nomem:
    cw_log_error(MOD, "motion detector: out of memory for %dx%d", w, h);
    return NULL;
}

void cw_motion_free(struct cw_motion *m)
{
    if (!m)
        return;
    free(m->m0);
    free(m->v0);
    free(m->w0);
    free(m->m1);
    free(m->v1);
    free(m->w1);
    free(m->bu);
    free(m->bv);
    free(m->still);
    free(m->cstill);
    free(m->boot);
    free(m->raw);
    free(m->bridge_run);
    cw_bitmask_free(&m->shadow);
    cw_bitmask_free(&m->lamps);
    cw_bitmask_free(&m->darker);
    cw_bitmask_free(&m->fg);
    cw_bitmask_free(&m->fg2);
    cw_bitmask_free(&m->fg3);
    free(m->mask);
    free(m->ignore);
    free(m->row_area);
    free(m->row_gap);
    free(m->runs);
    free(m->run_next);
    free(m->run_blob);
    free(m->row_first);
    free(m->remap);
    free(m->order);
    free(m->parent);
    free(m->pieces);
    free(m->blobs);
    free(m->stab_pts);
    free(m->sg);
    free(m->su);
    free(m->sv);
    free(m->lift);
    free(m->todo);
    free(m);
}

void cw_motion_set_ignore(struct cw_motion *m, const uint8_t *mask)
{
    if (mask)
        memcpy(m->ignore, mask, m->n);
    else
        memset(m->ignore, 0, m->n);
}

void cw_motion_set_row_area(struct cw_motion *m, const int32_t *area)
{
    for (int y = 0; y < m->h; y++)
        m->row_area[y] =
            area && area[y] < m->cfg.min_area ? (area[y] > 1 ? area[y] : 1) : m->cfg.min_area;
}

void cw_motion_set_row_gap(struct cw_motion *m, const int32_t *gap)
{
    for (int y = 0; y < m->h; y++)
        m->row_gap[y] =
            gap && gap[y] < m->cfg.merge_gap ? (gap[y] > 0 ? gap[y] : 0) : m->cfg.merge_gap;
}

const uint8_t *cw_motion_mask(const struct cw_motion *m)
{
    return m->mask;
}

double cw_motion_gain(const struct cw_motion *m)
{
    return m->gain;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

uint64_t cw_motion_model_hash(const struct cw_motion *m)
{
    const float *arrays[] = {m->m0, m->v0, m->w0, m->m1, m->v1, m->w1, m->still};
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
        h = fnv1a(h, arrays[i], m->n * sizeof(float));
    h = fnv1a(h, m->bu, (size_t)m->cw * m->ch * sizeof(float));
    return fnv1a(h, m->bv, (size_t)m->cw * m->ch * sizeof(float));
}

static void start(struct cw_motion *m, const struct cw_image *g, const struct cw_image *u,
                  const struct cw_image *v)
{
    float var = (float)(m->cfg.min_sigma * m->cfg.min_sigma * 4);
    for (int y = 0; y < m->h; y++)
        for (int x = 0; x < m->w; x++) {
            size_t i = (size_t)y * m->w + x;
            m->m0[i] = g->data[(size_t)y * g->stride + x];
            m->v0[i] = var;
            m->w0[i] = 1;
            m->m1[i] = 0;
            m->v1[i] = var;
            m->w1[i] = 0;
        }
    for (int y = 0; y < m->ch; y++)
        for (int x = 0; x < m->cw; x++) {
            size_t i = (size_t)y * m->cw + x;
            m->bu[i] = u ? u->data[(size_t)y * u->stride + x] : 128;
            m->bv[i] = v ? v->data[(size_t)y * v->stride + x] : 128;
        }
    m->started = true;
}

/* ---- camera shake ---- */

/* Textured points of the background (strong gradient both ways summed), on a sparse grid away
 * from the border: where a shifted picture differs most from its background. */
static void choose_points(struct cw_motion *m)
{
    const int w = m->w, b = m->cfg.stabilize + 1;
    m->nstab = 0;
    for (int y = b; y < m->h - b && m->nstab < STAB_POINTS; y += STAB_STEP)
        for (int x = b; x < w - b && m->nstab < STAB_POINTS; x += STAB_STEP) {
            size_t i = (size_t)y * w + x;
            float gr = fabsf(m->m0[i + 1] - m->m0[i - 1]) + fabsf(m->m0[i + w] - m->m0[i - w]);
            if (gr >= STAB_TEXTURE)
                m->stab_pts[m->nstab++] = (int32_t)i;
        }
    m->stab_frame = m->frames_seen;
}

/* Copies plane @src (@sw × @sh, rows @stride apart) shifted by (@dx, @dy) into @dst (rows @sw
 * apart): dst(x, y) = src(x + dx, y + dy), the border repeated. */
static void shift_plane(uint8_t *dst, const uint8_t *src, int stride, int sw, int sh, int dx,
                        int dy)
{
    for (int y = 0; y < sh; y++) {
        int sy = y + dy < 0 ? 0 : y + dy >= sh ? sh - 1 : y + dy;
        const uint8_t *row = src + (size_t)sy * stride;
        uint8_t *out = dst + (size_t)y * sw;
        /* [x0, x1): where x + dx falls inside the row; 0 <= x0 <= x1 <= sw */
        size_t w = (size_t)sw, x0 = dx < 0 ? (size_t)-dx : 0, x1 = dx > 0 ? (size_t)dx : 0;
        x0 = x0 < w ? x0 : w;
        x1 = x1 < w ? w - x1 : 0;
        x1 = x1 > x0 ? x1 : x0;
        memset(out, row[0], x0);
        memcpy(out + x0, row + (ptrdiff_t)x0 + dx, x1 - x0);
        memset(out + x1, row[w - 1], w - x1);
    }
}

/* Sum of |picture - background| over the textured points that were background in the last frame,
 * the picture shifted by (@dx, @dy); *@used gets how many points counted. */
static double shift_cost(const struct cw_motion *m, const struct cw_image *g, int dx, int dy,
                         int *used)
{
    double cost = 0;
    *used = 0;
    for (int k = 0; k < m->nstab; k++) {
        int32_t i = m->stab_pts[k];
        if (m->mask[i] != CW_MOTION_BG)
            continue;
        int x = i % m->w, y = i / m->w;
        cost += fabsf(g->data[(size_t)(y + dy) * g->stride + x + dx] - m->m0[i]);
        (*used)++;
    }
    return cost;
}

/* Finds the shift of @g against the background on the textured points that were background in
 * the last frame, and returns @g (and @u, @v) shifted back when there is one; the shift must
 * beat staying put clearly, or nothing moves. */
static const struct cw_image *stabilize(struct cw_motion *m, const struct cw_image *g,
                                        const struct cw_image **u, const struct cw_image **v,
                                        struct cw_image out[3])
{
    const int r = m->cfg.stabilize;
    m->sdx = m->sdy = 0;
    if (r <= 0)
        return g;
    if (m->frames_seen - m->stab_frame >= STAB_REFRESH || !m->nstab)
        choose_points(m);
    if (m->nstab < STAB_MIN_POINTS)
        return g;
    int used = 0;
    double still = shift_cost(m, g, 0, 0, &used), best = still;
    /* a steady picture matches its background to within the noise: no search */
    if (used < STAB_MIN_POINTS || still < STAB_STEADY * used)
        return g;
    for (int dy = -r; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++) {
            double cost = dx || dy ? shift_cost(m, g, dx, dy, &used) : INFINITY;
            if (cost < best)
                best = cost, m->sdx = dx, m->sdy = dy;
        }
    if (best >= STAB_GAIN * still)
        m->sdx = m->sdy = 0;
    if (!m->sdx && !m->sdy)
        return g;
    shift_plane(m->sg, g->data, g->stride, m->w, m->h, m->sdx, m->sdy);
    out[0] = (struct cw_image){m->w, m->h, m->w, m->sg};
    if (*u && *v) {
        int cdx = (int)lround(m->sdx / 2.0), cdy = (int)lround(m->sdy / 2.0);
        shift_plane(m->su, (*u)->data, (*u)->stride, m->cw, m->ch, cdx, cdy);
        shift_plane(m->sv, (*v)->data, (*v)->stride, m->cw, m->ch, cdx, cdy);
        out[1] = (struct cw_image){m->cw, m->ch, m->cw, m->su};
        out[2] = (struct cw_image){m->cw, m->ch, m->cw, m->sv};
        *u = &out[1];
        *v = &out[2];
    }
    return &out[0];
}

void cw_motion_shift(const struct cw_motion *m, int *dx, int *dy)
{
    *dx = m->sdx;
    *dy = m->sdy;
}

/* The global gain between the picture and its background, from a sparse grid of background
 * pixels (median of ratios, by histogram). */
static double measure_gain(const struct cw_motion *m, const struct cw_image *g)
{
    int hist[256] = {0}, total = 0;
    for (int y = 2; y < m->h; y += 6)
        for (int x = 3; x < m->w; x += 6) {
            size_t i = (size_t)y * m->w + x;
            float b = m->m0[i];
            if (m->mask[i] == CW_MOTION_FG || m->ignore[i] || b < 24)
                continue;
            double r = g->data[(size_t)y * g->stride + x] / b; /* 0 .. ~10 */
            int k = (int)(r * 64);
            hist[k < 0 ? 0 : k > 255 ? 255 : k]++;
            total++;
        }
    if (total < 50)
        return 1;
    for (int k = 0, c = 0; k < 256; k++) {
        c += hist[k];
        if (2 * c >= total)
            return (k + 0.5) / 64;
    }
    return 1;
}

/* The first x' >= @x where (row[x'] != 0) == @set, or @w. Masks are mostly empty and road users
 * solid, so runs are found sixteen bytes at a time. */
static inline int next_edge(const uint8_t *row, int x, int w, bool set)
{
#ifdef __SSE2__
    const __m128i zero = _mm_setzero_si128();
    const int want = set ? 0xffff : 0; /* the zero-byte mask of a stretch with no edge */
    for (; x + 16 <= w; x += 16) {
        int zeros = _mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(row + x)), zero));
        if (zeros != want)
            return x + __builtin_ctz((unsigned)(zeros ^ want));
    }
#endif
    while (x < w && (row[x] != 0) != set)
        x++;
    return x;
}

static int32_t find(int32_t *p, int32_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->area != y->area)
        return (x->area < y->area) - (x->area > y->area);
    return (x->joined > y->joined) - (x->joined < y->joined);
}

static int32_t find_piece(struct piece *p, int32_t x)
{
    while (p[x].up != x) {
        p[x].up = p[p[x].up].up;
        x = p[x].up;
    }
    return x;
}

static int cmp_top(const void *a, const void *b)
{
    int x = ((const struct piece *)a)->b.y0, y = ((const struct piece *)b)->b.y0;
    return (x > y) - (x < y);
}

/* Whether some pixel of @p and some pixel of @q are within @gap of each other across and up and
 * down (both run lists are in row order). */
static bool pieces_near(const struct cw_motion *m, const struct piece *p, const struct piece *q,
                        int gap)
{
    int32_t from = q->head;
    for (int32_t i = p->head; i >= 0; i = m->run_next[i]) {
        const struct run *r = &m->runs[i];
        while (from >= 0 && m->runs[from].y < r->y - gap)
            from = m->run_next[from];
        if (from < 0)
            return false;
        for (int32_t j = from; j >= 0 && m->runs[j].y <= r->y + gap; j = m->run_next[j])
            if (m->runs[j].x0 < r->x1 + gap && r->x0 < m->runs[j].x1 + gap)
                return true;
    }
    return false;
}

/* Shadow-or-road-user pixels of raw row @y over [x0, x1] (clipped to the picture). */
static int dark_count(const struct cw_motion *m, int y, int x0, int x1)
{
    const uint8_t *row = m->raw + (size_t)y * m->w;
    int c = 0;
    x0 = x0 < 0 ? 0 : x0;
    x1 = x1 >= m->w ? m->w - 1 : x1;
    for (int x = x0; x <= x1; x++)
        c += row[x] != CW_MOTION_BG;
    return c;
}

/* A cast shadow begins where its road user touches the road, and no wider than it only where
 * the sun is straight ahead or behind. So "shadow" right under a road user's blob, covering
 * its width row after row and no wider, on which a wider shadow then begins, is the road user's
 * own dark lower part standing on that shadow — a dark bike under its rider, which the shadow
 * test cannot tell from the road in shade — and @b grows down over it (shadow_foot rows at
 * most, and no more than the blob is high). A band that ends without a wider shadow under it
 * is left alone: it may be the cast shadow itself, falling toward the camera. */
static void stand_on_shadow(const struct cw_motion *m, struct cw_blob *b)
{
    const int bw = b->x1 - b->x0 + 1, side = bw / 2 > 1 ? bw / 2 : 1;
    const int margin = bw / 4 > 1 ? bw / 4 : 1, gap = m->cfg.merge_gap / 2;
    int most = b->y1 - b->y0 + 1;
    most = most < m->cfg.shadow_foot ? most : m->cfg.shadow_foot;
    int area = 0, top = -1; /* the band's pixels and first row */
    for (int y = b->y1 + 1; y < m->h; y++) {
        /* wider: a shadow reaching past the margin on a side, over half the blob's width */
        bool wider = dark_count(m, y, b->x1 + margin + 1, b->x1 + margin + side) * 2 > side ||
                     dark_count(m, y, b->x0 - margin - side, b->x0 - margin - 1) * 2 > side;
        if (wider) {
            if (top >= 0) {
                b->y1 = y - 1;
                b->area += area;
            }
            return;
        }
        int c = dark_count(m, y, b->x0 - margin, b->x1 + margin);
        if (c * 10 >= bw * 7) {
            top = top < 0 ? y : top;
            area += c;
            if (y - top >= most)
                return; /* too tall for a lower part */
        } else if (top >= 0 || y - b->y1 > gap) {
            return; /* the band ends, or never began, without a wider shadow under it */
        }
    }
}

/* Whether blob @b has a lamp's pixel in it (its box, at night). */
static bool has_lamp(const struct cw_motion *m, const struct cw_blob *b)
{
    for (int y = b->y0; y <= b->y1; y++)
        for (int x = b->x0; x <= b->x1; x++)
            if (m->lamps.bits[(size_t)y * m->lamps.words + x / 64] >> (x % 64) & 1)
                return true;
    return false;
}

/* Whether most of blob @b's road-user pixels (in its box) are darker than the road (at night:
 * no lamp, but a dark coat, a dark body). */
static bool mostly_darker(const struct cw_motion *m, const struct cw_blob *b)
{
    int n = 0, dark = 0;
    for (int y = b->y0; y <= b->y1; y++)
        for (int x = b->x0; x <= b->x1; x++)
            if (m->mask[(size_t)y * m->w + x] == CW_MOTION_FG) {
                n++;
                dark += (int)(m->darker.bits[(size_t)y * m->darker.words + x / 64] >> (x % 64) & 1);
            }
    return 2 * dark > n;
}

/* Connected components (8-connected) of a 0/255 mask, into blobs: runs of foreground row by row,
 * each joined (union-find) to the runs of the row above that touch it, diagonals included; the
 * background costs only the search for the next run. */
static int components(struct cw_motion *m, const uint8_t *fg, struct cw_blob *out, int cap)
{
    int32_t next = 1;
    const int w = m->w, h = m->h;
    int nr = 0, prev = 0, prev_end = 0; /* the row above's runs are [prev, prev_end) */
    m->parent[0] = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = fg + (size_t)y * w;
        int j = prev, start = nr;
        m->row_first[y] = nr;
        for (int x = next_edge(row, 0, w, true); x < w; x = next_edge(row, x, w, true)) {
            int x1 = next_edge(row, x, w, false);
            struct run *r = &m->runs[nr++];
            *r = (struct run){x, x1, y, 0};
            /* runs above that end left of this one (diagonal included) touch none from here on */
            while (j < prev_end && m->runs[j].x1 < x)
                j++;
            for (int k = j; k < prev_end && m->runs[k].x0 <= x1; k++) {
                int32_t a = find(m->parent, m->runs[k].label);
                if (!r->label)
                    r->label = a;
                else {
                    int32_t b = find(m->parent, r->label);
                    if (a != b)
                        m->parent[a > b ? a : b] = a < b ? a : b;
                }
            }
            if (!r->label) {
                m->parent[next] = next;
                r->label = next++;
            }
            x = x1;
        }
        prev = start;
        prev_end = nr;
    }
    m->row_first[h] = nr;
    m->nruns = nr;
    /* the components, each with its bounds, in order of their top row */
    for (int32_t l = 1; l < next; l++)
        m->pieces[l] = (struct piece){{w, h, -1, -1, 0}, l, -1, -1, 0};
    for (int i = 0; i < nr; i++) {
        struct run *r = &m->runs[i];
        r->label = find(m->parent, r->label);
        struct cw_blob *b = &m->pieces[r->label].b;
        if (r->x0 < b->x0)
            b->x0 = r->x0;
        if (r->x1 - 1 > b->x1)
            b->x1 = r->x1 - 1;
        if (r->y < b->y0)
            b->y0 = r->y;
        if (r->y > b->y1)
            b->y1 = r->y;
        b->area += r->x1 - r->x0;
    }
    int n = 0;
    for (int32_t l = 1; l < next; l++)
        if (m->parent[l] == l)
            m->pieces[n++] = m->pieces[l];
    qsort(m->pieces, (size_t)n, sizeof(*m->pieces), cmp_top);
    for (int i = 0; i < n; i++) {
        m->parent[m->pieces[i].label] = i; /* a root label now names its piece */
        m->pieces[i].up = i;
    }
    for (int i = 0; i < nr; i++) {
        struct piece *p = &m->pieces[m->parent[m->runs[i].label]];
        m->run_next[i] = -1;
        if (p->tail >= 0)
            m->run_next[p->tail] = i;
        else
            p->head = i;
        p->tail = i;
    }
    /* One road user often falls apart into stacked pieces (a bus's dark windows match the
     * asphalt, dark trousers the road): join pieces that overlap across and whose pixels come
     * within merge_gap of each other. Boxes alone would also join a rider to the bus beside it,
     * whose box the rider stands in. */
    for (int a = 0; a < n; a++) {
        const struct cw_blob *p = &m->pieces[a].b;
        const int gap = m->row_gap[p->y1];
        for (int c = a + 1; c < n && m->pieces[c].b.y0 <= p->y1 + gap; c++) {
            const struct cw_blob *q = &m->pieces[c].b;
            int ox = (p->x1 < q->x1 ? p->x1 : q->x1) - (p->x0 > q->x0 ? p->x0 : q->x0) + 1;
            int narrow = p->x1 - p->x0 < q->x1 - q->x0 ? p->x1 - p->x0 + 1 : q->x1 - q->x0 + 1;
            if (ox * 2 < narrow)
                continue;
            int32_t ra = find_piece(m->pieces, a), rc = find_piece(m->pieces, c);
            if (ra != rc && pieces_near(m, &m->pieces[a], &m->pieces[c], gap))
                m->pieces[ra > rc ? ra : rc].up = ra < rc ? ra : rc;
        }
    }
    int nb = 0;
    for (int i = 0; i < n; i++) {
        int32_t r = find_piece(m->pieces, i);
        const struct cw_blob *p = &m->pieces[i].b;
        if (r == i) {
            m->pieces[i].label = nb; /* the root's blob */
            m->blobs[nb++] = *p;
            continue;
        }
        struct cw_blob *b = &m->blobs[m->pieces[r].label];
        b->x0 = p->x0 < b->x0 ? p->x0 : b->x0;
        b->y0 = p->y0 < b->y0 ? p->y0 : b->y0;
        b->x1 = p->x1 > b->x1 ? p->x1 : b->x1;
        b->y1 = p->y1 > b->y1 ? p->y1 : b->y1;
        b->area += p->area;
    }
    /* those large enough, largest first (the joined blob each was, in the pieces' order) */
    struct ranked *order = m->order;
    for (int i = 0; i < nr; i++) /* each run's joined blob */
        m->run_blob[i] = m->pieces[find_piece(m->pieces, m->parent[m->runs[i].label])].label;
    n = 0;
    for (int i = 0; i < nb; i++) {
        if (m->cfg.shadow_foot > 0)
            stand_on_shadow(m, &m->blobs[i]);
        m->remap[i] = -1;
        if (m->blobs[i].area >= m->row_area[m->blobs[i].y1] ||
            (m->any_lamp && m->blobs[i].area >= LAMP_MIN_AREA && has_lamp(m, &m->blobs[i])))
            order[n++] = (struct ranked){m->blobs[i].area, i};
    }
    qsort(order, (size_t)n, sizeof(*order), cmp_ranked);
    if (n > cap)
        n = cap;
    if (n > m->cfg.max_blobs)
        n = m->cfg.max_blobs;
    for (int k = 0; k < n; k++) {
        out[k] = m->blobs[order[k].joined];
        m->remap[order[k].joined] = k;
    }
    /* each run's blob as reported, for cw_motion_support */
    for (int i = 0; i < nr; i++)
        m->run_blob[i] = m->remap[m->run_blob[i]];
    return n;
}

/* The per-pixel model over one row, in float arithmetic without branches (flags are 0/1 floats
 * and choices are blends) so that the compiler runs it on vectors: classify against the two
 * modes, then learn — unless the pixel is a road user that has not yet stood still for absorb —
 * keeping the dominant mode first. */
static void model_row_c(struct cw_motion *m, const uint8_t *restrict px, size_t row, int x0,
                        float alpha, float tg, float vmin, float vmax, float absorb)
{
    float *restrict m0 = m->m0 + row, *restrict v0 = m->v0 + row, *restrict w0 = m->w0 + row;
    float *restrict m1 = m->m1 + row, *restrict v1 = m->v1 + row, *restrict w1 = m->w1 + row;
    float *restrict still = m->still + row;
    const uint8_t *restrict ignore = m->ignore + row;
    uint8_t *restrict raw = m->raw + row;
    const int w = m->w;
    for (int x = x0; x < w; x++) {
        float xv = px[x], a0 = m0[x], b0 = v0[x], c0 = w0[x], a1 = m1[x], b1 = v1[x], c1 = w1[x];
        float d0 = xv - a0, d1 = xv - a1, e0 = d0 * d0, e1 = d1 * d1;
        float match0 = e0 < tg * b0 ? 1.0f : 0.0f;
        float near1 = e1 < tg * b1 ? 1.0f : 0.0f;
        float alive1 = c1 > 0 ? 1.0f : 0.0f;
        float match1 = (1 - match0) * alive1 * near1;
        float strong1 = c1 > 0.3f ? 1.0f : 0.0f;
        float bg = match0 + match1 * strong1; /* 0 or 1 */
        float fg = ignore[x] ? 0.0f : 1 - bg;
        float st = fg * (still[x] + 1);
        float learn = 1 - fg * (st < absorb ? 1.0f : 0.0f);
        float k0 = learn * match0, k1 = learn * match1, k2 = learn * (1 - match0) * (1 - match1);
        /* alpha / weight, never above 1; one division for both modes */
        float q0 = c0 > alpha ? c0 : alpha, q1 = c1 > alpha ? c1 : alpha;
        float inv = alpha / (q0 * q1);
        float r0 = inv * q1, r1 = inv * q0;
        float nv0 = b0 + r0 * (e0 - b0), nv1 = b1 + r1 * (e1 - b1);
        nv0 = nv0 < vmin ? vmin : (nv0 > vmax ? vmax : nv0);
        nv1 = nv1 < vmin ? vmin : (nv1 > vmax ? vmax : nv1);
        a0 += k0 * r0 * d0;
        b0 += k0 * (nv0 - b0);
        c0 += k0 * alpha * (1 - c0) - (k1 + k2) * alpha * c0;
        a1 += k1 * r1 * d1 + k2 * (xv - a1);
        b1 += k1 * (nv1 - b1) + k2 * (vmin * 4 - b1);
        c1 += k1 * alpha * (1 - c1) + k2 * (alpha - c1) - k0 * alpha * c1;
        float sw = c1 > c0 ? 1.0f : 0.0f;
        m0[x] = a0 + sw * (a1 - a0);
        m1[x] = a1 + sw * (a0 - a1);
        v0[x] = b0 + sw * (b1 - b0);
        v1[x] = b1 + sw * (b0 - b1);
        w0[x] = c0 + sw * (c1 - c0);
        w1[x] = c1 + sw * (c0 - c1);
        still[x] = st;
        raw[x] = fg > 0.5f ? CW_MOTION_FG : CW_MOTION_BG;
    }
}

#ifdef __SSE2__
/* SSE2 is part of every x86-64. */
#define V_N          4
#define VF           __m128
#define V_SET1       _mm_set1_ps
#define V_ZERO       _mm_setzero_ps
#define V_LOAD       _mm_loadu_ps
#define V_STORE      _mm_storeu_ps
#define V_ADD        _mm_add_ps
#define V_SUB        _mm_sub_ps
#define V_MUL        _mm_mul_ps
#define V_DIV        _mm_div_ps
#define V_MAX        _mm_max_ps
#define V_MIN        _mm_min_ps
#define V_AND        _mm_and_ps
#define V_LT         _mm_cmplt_ps
#define V_GT         _mm_cmpgt_ps
#define V_MASK       _mm_movemask_ps
#define V_BYTES(p)   sse2_bytes(p)
#define V_WATCHED(p) sse2_watched(p)
#define MODEL_ROW_FN model_row_sse2
#define MODEL_ROW_ATTR

/* Four bytes as floats. */
static inline __m128 sse2_bytes(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    const __m128i z = _mm_setzero_si128();
    return _mm_cvtepi32_ps(_mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(v), z), z));
}

/* All ones where the four ignore bytes are 0. */
static inline __m128 sse2_watched(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    const __m128i z = _mm_setzero_si128();
    __m128i i = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(v), z), z);
    return _mm_castsi128_ps(_mm_cmpeq_epi32(i, z));
}
#include "model_row.inc"
#undef V_N
#undef VF
#undef V_SET1
#undef V_ZERO
#undef V_LOAD
#undef V_STORE
#undef V_ADD
#undef V_SUB
#undef V_MUL
#undef V_DIV
#undef V_MAX
#undef V_MIN
#undef V_AND
#undef V_LT
#undef V_GT
#undef V_MASK
#undef V_BYTES
#undef V_WATCHED
#undef MODEL_ROW_FN
#undef MODEL_ROW_ATTR

/* AVX2, where the CPU has it: eight lanes (no FMA: the same roundings as the others). */
#define V_N            8
#define VF             __m256
#define V_SET1         _mm256_set1_ps
#define V_ZERO         _mm256_setzero_ps
#define V_LOAD         _mm256_loadu_ps
#define V_STORE        _mm256_storeu_ps
#define V_ADD          _mm256_add_ps
#define V_SUB          _mm256_sub_ps
#define V_MUL          _mm256_mul_ps
#define V_DIV          _mm256_div_ps
#define V_MAX          _mm256_max_ps
#define V_MIN          _mm256_min_ps
#define V_AND          _mm256_and_ps
#define V_LT(a, b)     _mm256_cmp_ps(a, b, _CMP_LT_OS)
#define V_GT(a, b)     _mm256_cmp_ps(a, b, _CMP_GT_OS)
#define V_MASK         _mm256_movemask_ps
#define V_BYTES(p)     avx2_bytes(p)
#define V_WATCHED(p)   avx2_watched(p)
#define MODEL_ROW_FN   model_row_avx2
#define MODEL_ROW_ATTR __attribute__((target("avx2")))

__attribute__((target("avx2"))) static inline __m256 avx2_bytes(const uint8_t *p)
{
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

__attribute__((target("avx2"))) static inline __m256 avx2_watched(const uint8_t *p)
{
    __m256i i = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_cmpeq_epi32(i, _mm256_setzero_si256()));
}
#include "model_row.inc"
#endif

/* One chroma pixel of colour_test: counts how long it has been off the background's colour, and
 * makes its 2×2 background pixels road user while that is shorter than @absorb frames. */
static inline void colour_pixel(struct cw_motion *m, int x, int y, float du, float dv, float thr,
                                float absorb)
{
    float *cs = m->cstill + (size_t)y * m->cw + x;
    bool off = du >= thr || dv >= thr;
    *cs = off ? *cs + 1 : 0;
    if (!off || *cs >= absorb)
        return;
    for (int yy = 2 * y; yy < 2 * y + 2 && yy < m->h; yy++)
        for (int xx = 2 * x; xx < 2 * x + 2 && xx < m->w; xx++) {
            size_t i = (size_t)yy * m->w + xx;
            if (m->raw[i] == CW_MOTION_BG && !m->ignore[i])
                m->raw[i] = CW_MOTION_FG;
        }
}

/* A road user as bright as the road but not of its colour (a magenta coat on grey asphalt)
 * matches the grey model; its chroma does not. A chroma pixel at least @thr levels off the
 * background's in U or V makes its 2×2 background pixels road user, until it has stayed @absorb
 * frames: then it is let through to be learned like any still road user. */
static void colour_test(struct cw_motion *m, const struct cw_image *u, const struct cw_image *v,
                        float thr, float absorb)
{
    const int cw = m->cw, ch = m->ch;
    for (int y = 0; y < ch; y++) {
        const uint8_t *ur = u->data + (size_t)y * u->stride, *vr = v->data + (size_t)y * v->stride;
        const float *bu = m->bu + (size_t)y * cw, *bv = m->bv + (size_t)y * cw;
        int x = 0;
#ifdef __SSE2__
        /* four chroma pixels at a time: the same differences, the (rare) ones off the
         * background's colour then one by one */
        const __m128i zi = _mm_setzero_si128();
        const __m128 vthr = _mm_set1_ps(thr), nosign = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
        float *cs = m->cstill + (size_t)y * cw;
        for (; m->simd && x + 4 <= cw; x += 4) {
            int32_t u4, v4;
            memcpy(&u4, ur + x, 4);
            memcpy(&v4, vr + x, 4);
            __m128 fu = _mm_cvtepi32_ps(
                _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(u4), zi), zi));
            __m128 fv = _mm_cvtepi32_ps(
                _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(v4), zi), zi));
            __m128 du = _mm_and_ps(_mm_sub_ps(fu, _mm_loadu_ps(bu + x)), nosign);
            __m128 dv = _mm_and_ps(_mm_sub_ps(fv, _mm_loadu_ps(bv + x)), nosign);
            if (!_mm_movemask_ps(_mm_or_ps(_mm_cmpge_ps(du, vthr), _mm_cmpge_ps(dv, vthr)))) {
                _mm_storeu_ps(cs + x, _mm_setzero_ps());
                continue;
            }
            float au[4], av[4];
            _mm_storeu_ps(au, du);
            _mm_storeu_ps(av, dv);
            for (int k = 0; k < 4; k++)
                colour_pixel(m, x + k, y, au[k], av[k], thr, absorb);
        }
#endif
        for (; x < cw; x++)
            colour_pixel(m, x, y, fabsf(ur[x] - bu[x]), fabsf(vr[x] - bv[x]), thr, absorb);
    }
}

/* Whether the background as a whole is darker than light_dark (a road at night), from every
 * 16th pixel, looked at again once every 25 frames. */
static bool is_night(struct cw_motion *m)
{
    if (m->cfg.light_dark <= 0)
        return false;
    if (m->frames_seen % 25 == 1) {
        double sum = 0;
        size_t n = 0;
        for (size_t i = 0; i < m->n; i += 16, n++)
            sum += m->m0[i];
        m->night = n && sum / (double)n < m->cfg.light_dark;
    }
    return m->night;
}

static void model_row(struct cw_motion *m, const uint8_t *restrict px, size_t row, float alpha,
                      float tg, float vmin, float vmax, float absorb)
{
    int x0 = 0;
#ifdef __SSE2__
    if (m->simd == 2)
        x0 = model_row_avx2(m, px, row, alpha, tg, vmin, vmax, absorb);
    else if (m->simd == 1)
        x0 = model_row_sse2(m, px, row, alpha, tg, vmin, vmax, absorb);
#endif
    model_row_c(m, px, row, x0, alpha, tg, vmin, vmax, absorb);
}

/* Gradient magnitude (|d/dx| + |d/dy|, central differences) at (@x, @y), not on the picture's
 * edge: of a float image @img rows @w apart (the model), or of bytes rows @stride apart. */
static float grad_f(const float *img, int w, int x, int y)
{
    const float *p = img + (size_t)y * w + x;
    return fabsf(p[1] - p[-1]) + fabsf(p[w] - p[-w]);
}

static float grad_b(const uint8_t *img, size_t stride, int x, int y)
{
    const uint8_t *p = img + (size_t)y * stride + x;
    return (float)(abs(p[1] - p[-1]) + abs((int)p[stride] - (int)p[-(ptrdiff_t)stride]));
}

/* Whether the picture at (@x, @y) keeps the look of the road the model has there, lit @ratio
 * times as bright (a shadow, light cast at night, a shadow gone): the background's chroma, and
 * where the background has texture (grain, edges) that texture too — a shadow scales the road's
 * grain, light added leaves its gradients as they were; a dark coat has its own. On the
 * picture's edge only the colour is judged. */
static inline bool road_look(const struct cw_motion *m, const struct cw_image *g,
                             const struct cw_image *u, const struct cw_image *v, int x, int y,
                             float ratio)
{
    if (u && v) {
        size_t c = (size_t)(y / 2) * m->cw + (size_t)(x / 2);
        float sc = (float)m->cfg.shadow_chroma;
        float pu = u->data[(size_t)(y / 2) * u->stride + x / 2] - 128.0f, bu = m->bu[c] - 128.0f;
        float pv = v->data[(size_t)(y / 2) * v->stride + x / 2] - 128.0f, bv = m->bv[c] - 128.0f;
        /* light added (headlights) keeps the chroma; a shadow scales it with the brightness,
         * which matters on coloured paint (a car's shadow over the yellow centre lines) */
        if ((fabsf(pu - bu) >= sc || fabsf(pv - bv) >= sc) &&
            (ratio >= 1 || fabsf(pu - ratio * bu) >= sc || fabsf(pv - ratio * bv) >= sc))
            return false;
    }
    if (x <= 0 || x >= m->w - 1 || y <= 0 || y >= m->h - 1)
        return true;
    float gb = grad_f(m->m0, m->w, x, y), scale = ratio > 1 ? 1 : ratio;
    return !(gb * scale > (float)(2 * m->cfg.min_sigma) &&
             grad_b(g->data, g->stride, x, y) < 0.35f * scale * gb);
}

/* Takes pixel (@x, @y) of the picture into the background at once: it becomes the first mode
 * (the old first mode the second, weak), with its colour, and is no longer a road user. */
static void take_in(struct cw_motion *m, const struct cw_image *g, const struct cw_image *u,
                    const struct cw_image *v, int x, int y)
{
    size_t j = (size_t)y * m->w + x;
    m->m1[j] = m->m0[j], m->v1[j] = m->v0[j], m->w1[j] = 0.05f;
    m->m0[j] = g->data[(size_t)y * g->stride + x];
    m->w0[j] = 0.95f;
    m->still[j] = 0;
    m->mask[j] = 0;
    if (u && v) {
        size_t c = (size_t)(y / 2) * m->cw + (size_t)(x / 2);
        m->bu[c] = u->data[(size_t)(y / 2) * u->stride + x / 2];
        m->bv[c] = v->data[(size_t)(y / 2) * v->stride + x / 2];
    }
}

/* Ghosts: a road user that stood in the picture while the model learned everything (the
 * start-up) and then left uncovers road the model does not know, a blob that never moves and
 * is never absorbed before absorb_s. A real road user standing still has its outline in the
 * picture: edges where it meets the road. A ghost has its outline in the model instead — the
 * picture there is road, smooth across it. So a blob still for GHOST_S whose outline has less
 * than GHOST_EDGE of the edges the background has along it is taken into the background at
 * once (the picture becomes the model's first mode) and not reported. Returns the blobs left. */
static int drop_ghosts(struct cw_motion *m, const struct cw_image *g, const struct cw_image *u,
                       const struct cw_image *v, double dt_s, struct cw_blob *blobs, int n)
{
    const int w = m->w, h = m->h;
    const float still_min = (float)(GHOST_S / dt_s);
    int k = 0;
    for (int i = 0; i < n; i++) {
        const struct cw_blob *b = &blobs[i];
        double pic = 0, model = 0;
        int px = 0, still = 0;
        for (int y = b->y0 > 1 ? b->y0 : 1; y <= b->y1 && y < h - 1; y++)
            for (int x = b->x0 > 1 ? b->x0 : 1; x <= b->x1 && x < w - 1; x++) {
                size_t j = (size_t)y * w + x;
                if (m->mask[j] != 255)
                    continue;
                px++;
                /* (still in grey, or off the background's colour: a coloured road user the
                 * chroma model learned at start-up leaves a ghost of colour only) */
                still += m->still[j] >= still_min ||
                         m->cstill[(size_t)(y / 2) * m->cw + (size_t)(x / 2)] >= still_min;
                if (m->mask[j - 1] == 255 && m->mask[j + 1] == 255 && m->mask[j - w] == 255 &&
                    m->mask[j + w] == 255)
                    continue; /* inside, not on the outline */
                pic += grad_b(g->data, g->stride, x, y);
                model += grad_f(m->m0, w, x, y);
            }
        if (px == 0 || still * 10 < px * 9 || pic >= GHOST_EDGE * model) {
            m->remap[i] = k;
            blobs[k++] = *b;
            continue;
        }
        m->remap[i] = -1;
        for (int y = b->y0; y <= b->y1; y++)
            for (int x = b->x0; x <= b->x1; x++) {
                size_t j = (size_t)y * w + x;
                if (m->mask[j] == 255 &&
                    (m->still[j] >= still_min ||
                     m->cstill[(size_t)(y / 2) * m->cw + (size_t)(x / 2)] >= still_min))
                    take_in(m, g, u, v, x, y);
            }
    }
    for (int i = 0; i < m->nruns; i++) /* the runs' blobs as reported now */
        if (m->run_blob[i] >= 0)
            m->run_blob[i] = m->remap[m->run_blob[i]];
    return k;
}

/* Whether road-user pixel (@x, @y), not on the picture's edge, looks like road a shadow has
 * left: brighter than the model by no more than a shadow darkens (the model learned it shaded),
 * of the background's colour, with the road's grain where the road has some. */
static bool lifted_pixel(const struct cw_motion *m, const struct cw_image *g,
                         const struct cw_image *u, const struct cw_image *v, int x, int y)
{
    size_t j = (size_t)y * m->w + x;
    float ratio = g->data[(size_t)y * g->stride + x] / (m->m0[j] + 1e-3f);
    if (ratio * (float)m->cfg.shadow_max < 1 || ratio * (float)m->cfg.shadow_min > 1)
        return false;
    return road_look(m, g, u, v, x, y, ratio);
}

/* Lifted shadows: where a shadow lay while the model learned the road (a cloud's during the
 * start-up), the road it leaves is brighter than the model, and stays a still "road user" until
 * absorb_s — a band across the junction that joins the road users in it into one blob. Such
 * road is brighter than the model as a shadow is darker, of the road's colour and grain, and
 * has no outline of its own: where it ends, the picture has no edge the model has not (a road
 * user's patch of the same brightness ends at its outline). So the patches of such pixels,
 * still for GHOST_S, with edges of their own on less than LIFT_EDGE of their outline, are taken
 * into the background. Every road-user pixel is looked at, whatever blob it is in: the band
 * touches the road users it joins. */
static void lift_shadows(struct cw_motion *m, const struct cw_image *g, const struct cw_image *u,
                         const struct cw_image *v, double dt_s)
{
    const int w = m->w, h = m->h;
    const float still_min = (float)(GHOST_S / dt_s);
    const float own = LIFT_STEPS * (float)(2 * m->cfg.min_sigma);
    memset(m->lift, 0, m->n);
    for (int y = 1; y < h - 1; y++) { /* the road-user pixels, through their bits */
        const uint64_t *bits = m->fg.bits + (size_t)y * m->fg.words;
        for (int i = 0; i < m->fg.words; i++)
            for (uint64_t left = bits[i]; left; left &= left - 1) {
                const int x = 64 * i + __builtin_ctzll(left);
                size_t j = (size_t)y * w + x;
                m->lift[j] = x > 0 && x < w - 1 && m->mask[j] == 255 && m->still[j] >= still_min &&
                             lifted_pixel(m, g, u, v, x, y);
            }
    }
    for (size_t s = 0; s < m->n; s++) {
        if (m->lift[s] != 1)
            continue;
        /* flood the patch (4-connected), counting its outline and the edges of its own there */
        int32_t n = 0, area = 0, outline = 0, edges = 0;
        m->todo[n++] = (int32_t)s;
        m->lift[s] = 2;
        while (n > 0) {
            int32_t j = m->todo[--n];
            int x = j % w, y = j / w;
            area++;
            static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
            bool edge = false;
            for (int d = 0; d < 4; d++) {
                int32_t q = j + dx[d] + dy[d] * w;
                if (!m->lift[q])
                    edge = true;
                else if (m->lift[q] == 1) {
                    m->lift[q] = 2;
                    m->todo[n++] = q;
                }
            }
            if (edge) {
                float ratio = g->data[(size_t)y * g->stride + x] / (m->m0[j] + 1e-3f);
                outline++;
                edges += grad_b(g->data, g->stride, x, y) > ratio * grad_f(m->m0, w, x, y) + own;
            }
            m->todo[m->n - (size_t)area] = j; /* the patch's pixels, kept from the end */
        }
        if (area < m->cfg.min_area || (float)edges >= LIFT_EDGE * (float)outline)
            continue;
        for (int32_t i = 0; i < area; i++) {
            int32_t j = m->todo[m->n - 1 - (size_t)i];
            take_in(m, g, u, v, j % w, j / w);
        }
    }
}

/* Keeps the start-up's picture (@g, @u, @v; chroma may be absent) when its time has come: one
 * every bootstrap_s / BOOT_SAMPLES of stream time. */
static void boot_sample(struct cw_motion *m, const struct cw_image *g, const struct cw_image *u,
                        const struct cw_image *v)
{
    if (!m->boot || m->boot_n >= BOOT_SAMPLES ||
        m->elapsed_s < m->boot_n * m->cfg.bootstrap_s / BOOT_SAMPLES)
        return;
    const size_t cn = (size_t)m->cw * m->ch;
    uint8_t *gs = m->boot + m->n * m->boot_n;
    uint8_t *us = m->boot + m->n * BOOT_SAMPLES + cn * m->boot_n, *vs = us + cn * BOOT_SAMPLES;
    for (int y = 0; y < m->h; y++)
        memcpy(gs + (size_t)y * m->w, g->data + (size_t)y * g->stride, (size_t)m->w);
    for (int y = 0; y < m->ch; y++)
        for (int x = 0; x < m->cw; x++) {
            size_t i = (size_t)y * m->cw + x;
            us[i] = u ? u->data[(size_t)y * u->stride + x] : 128;
            vs[i] = v ? v->data[(size_t)y * v->stride + x] : 128;
        }
    m->boot_n++;
}

/* The median of @n bytes @stride apart from @p; their values are left sorted in @a. */
static uint8_t median_of(const uint8_t *p, size_t stride, int n, uint8_t a[BOOT_SAMPLES])
{
    for (int k = 0; k < n; k++) { /* insertion sort: nine values */
        uint8_t x = p[stride * k];
        int j = k;
        for (; j > 0 && a[j - 1] > x; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
    return a[n / 2];
}

/* The median absolute deviation of the @n values @a about @med. */
static float mad_of(const uint8_t *a, int n, uint8_t med)
{
    uint8_t d[BOOT_SAMPLES] = {0};
    for (int k = 0; k < n; k++) {
        uint8_t x = (uint8_t)abs(a[k] - med);
        int j = k;
        for (; j > 0 && d[j - 1] > x; j--)
            d[j] = d[j - 1];
        d[j] = x;
    }
    return d[n / 2];
}

/* The start-up is over: where the model, which learned everything, differs from the median of
 * the start-up's pictures, what it learned was a road user passing or coming in (a walker slow
 * enough to be learned while the model learned fast, a car's lamps approaching from afar): the
 * median is the road. There the median becomes the first mode, with the spread of the pictures
 * about it, and the model's the second, weak. A road user that stood through most of the
 * start-up stays in the model as before (a ghost once it leaves). */
static void boot_settle(struct cw_motion *m, float tg, float vmin, float vmax)
{
    const size_t cn = (size_t)m->cw * m->ch;
    const int n = m->boot_n;
    if (!m->boot || n == 0)
        return;
    uint8_t a[BOOT_SAMPLES];
    for (size_t i = 0; i < m->n; i++) {
        /* (most pixels: every picture the first mode's, so is their median) */
        const float lim = tg * m->v0[i], m0 = m->m0[i];
        int k = 0;
        for (; k < n; k++) {
            float e = m->boot[m->n * k + i] - m0;
            if (e * e >= lim)
                break;
        }
        uint8_t med =
            k == n ? m->boot[i] : median_of(m->boot + i, m->n, n, a); /* (any stands in) */
        float d = med - m0;
        if (d * d < lim) {
            /* the road is the first mode; a second one strong enough to pass for background
             * is what came later, unless the median is that too */
            float d1 = med - m->m1[i];
            if (m->w1[i] > BOOT_WEAK && d1 * d1 >= tg * m->v1[i])
                m->w1[i] = BOOT_WEAK, m->w0[i] = 1 - BOOT_WEAK;
            continue;
        }
        float mad = mad_of(a, n, med);
        m->m1[i] = m->m0[i], m->v1[i] = m->v0[i], m->w1[i] = BOOT_WEAK;
        m->m0[i] = med, m->w0[i] = 1 - BOOT_WEAK;
        m->v0[i] = fminf(fmaxf(MAD_SIGMA * MAD_SIGMA * mad * mad, vmin), vmax);
        m->still[i] = 0;
    }
    const uint8_t *us = m->boot + m->n * BOOT_SAMPLES, *vs = us + cn * BOOT_SAMPLES;
    for (size_t i = 0; i < cn; i++) {
        m->bu[i] = median_of(us + i, cn, n, a);
        m->bv[i] = median_of(vs + i, cn, n, a);
        m->cstill[i] = 0;
    }
    free(m->boot);
    m->boot = NULL;
}

int cw_motion_process(struct cw_motion *m, const struct cw_image *g, const struct cw_image *u,
                      const struct cw_image *v, double dt_s, struct cw_blob *blobs, int cap)
{
    const int w = m->w, h = m->h;
    if (g->width != w || g->height != h) {
        cw_log_error(MOD, "motion detector: frame is %dx%d, detector was made for %dx%d", g->width,
                     g->height, w, h);
        return -1;
    }
    m->nruns = 0;
    if (!m->started) {
        start(m, g, u, v);
        boot_sample(m, g, u, v);
        memset(m->mask, 0, m->n);
        return 0;
    }
    if (!(dt_s > 0) || dt_s > 10)
        dt_s = 0.04;
    struct cw_image steady[3];
    g = stabilize(m, g, &u, &v, steady);
    /* Start-up: what stood in the first frame and moves away in the first seconds must not stay
     * foreground for absorb_s ("ghosts"), so for bootstrap_s the model learns everything, at
     * least as fast as a running average over BOOT_AVG times the frames it has seen; at its end
     * it takes the median of the start-up's pictures where that differs (boot_settle). */
    m->elapsed_s += dt_s;
    bool boot = m->elapsed_s < m->cfg.bootstrap_s;
    m->frames_seen++;
    float alpha = (float)fmin(1.0, dt_s / m->cfg.learn_s);
    if (boot && alpha < 1.0f / (BOOT_AVG * (float)m->frames_seen))
        alpha = 1.0f / (BOOT_AVG * (float)m->frames_seen);
    const float tg = (float)(m->cfg.threshold * m->cfg.threshold);
    const float vmin = (float)(m->cfg.min_sigma * m->cfg.min_sigma), vmax = vmin * 25;
    const float smin = (float)m->cfg.shadow_min, smax = (float)m->cfg.shadow_max;
    const bool night = is_night(m);
    const float absorb = boot ? 0 : (float)fmin(1e7, m->cfg.absorb_s / dt_s);
    if (boot)
        boot_sample(m, g, u, v);
    else
        boot_settle(m, tg, vmin, vmax);

    /* relight: a camera that changes exposure (or a cloud over everything) moves the background */
    double gain = measure_gain(m, g);
    m->gain = 1;
    if (fabs(gain - 1) > m->cfg.relight) {
        float k = (float)gain;
        for (size_t i = 0; i < m->n; i++) {
            m->m0[i] *= k;
            m->m1[i] *= k;
        }
        m->gain = gain;
    }

    for (int y = 0; y < h; y++)
        model_row(m, g->data + (size_t)y * g->stride, (size_t)y * w, alpha, tg, vmin, vmax, absorb);
    /* colour: what the grey model took for background but is not of its colour */
    const double colour = night && m->cfg.colour_night > 0 ? m->cfg.colour_night : m->cfg.colour;
    if (u && v && m->cfg.colour > 0)
        colour_test(m, u, v, (float)colour, absorb);
    /* shadows: among what is not background, darker by a bounded ratio with unchanged chroma;
     * the road-user pixels are visited through their bits, the rest costs nothing */
    cw_bitmask_from_bytes(&m->fg, m->raw, (size_t)w, CW_MOTION_FG);
    memset(m->shadow.bits, 0, (size_t)h * m->shadow.words * sizeof(uint64_t));
    if (m->any_lamp) /* (only ever set at night) */
        memset(m->lamps.bits, 0, (size_t)h * m->lamps.words * sizeof(uint64_t));
    m->any_lamp = false;
    if (night)
        memset(m->darker.bits, 0, (size_t)h * m->darker.words * sizeof(uint64_t));
    for (int y = 0; y < h; y++) {
        const uint8_t *px = g->data + (size_t)y * g->stride;
        uint8_t *raw = m->raw + (size_t)y * w;
        const float *mean = m->m0 + (size_t)y * w;
        uint64_t *bits = m->fg.bits + (size_t)y * m->fg.words;
        for (int j = 0; j < m->fg.words; j++)
            for (uint64_t left = bits[j]; left; left &= left - 1) {
                const int k = __builtin_ctzll(left), x = 64 * j + k;
                const float p = px[x], mu = mean[x] + 1e-3f;
                if (night && p < mu)
                    m->darker.bits[(size_t)y * m->darker.words + j] |= UINT64_C(1) << k;
                if (night && p >= LAMP_LEVEL && p >= LAMP_RATIO * mu) {
                    /* a light itself, not light cast: a lamp, however small */
                    m->lamps.bits[(size_t)y * m->lamps.words + j] |= UINT64_C(1) << k;
                    m->any_lamp = true;
                    continue;
                }
                /* at night, light cast on the road (headlight beams) is the mirror of a
                 * shadow: brighter, with the road's colour and texture (the ratio to the
                 * model compared by products: most road-user pixels fail here) */
                if ((p < smin * mu || p > smax * mu) &&
                    !(night && p >= LIGHT_MIN * mu && p <= LIGHT_MAX * mu))
                    continue;
                const float ratio = p / mu;
                if (!road_look(m, g, u, v, x, y, ratio))
                    continue;
                raw[x] = CW_MOTION_SHADOW;
                bits[j] &= ~(UINT64_C(1) << k);
                m->shadow.bits[(size_t)y * m->shadow.words + j] |= UINT64_C(1) << k;
            }
    }
    /* background chroma, learned where the picture is background */
    if (u && v) {
        const int cw = m->cw, ch = m->ch;
        const float a4 = alpha * 4;
        for (int y = 0; y < ch; y++) {
            const uint8_t *raw = m->raw + (size_t)(2 * y < h ? 2 * y : h - 1) * w;
            const uint8_t *ur = u->data + (size_t)y * u->stride,
                          *vr = v->data + (size_t)y * v->stride;
            float *bu = m->bu + (size_t)y * cw, *bv = m->bv + (size_t)y * cw;
            int x = 0;
#ifdef __SSE2__
            /* four chroma pixels at a time, the same arithmetic as the loop below */
            const __m128i zi = _mm_setzero_si128(), lo16 = _mm_set1_epi32(0xffff);
            const __m128 va4 = _mm_set1_ps(a4);
            for (; m->simd && x + 4 <= cw && 2 * x + 8 <= w; x += 4) {
                int64_t r8;
                int32_t u4, v4;
                memcpy(&r8, raw + 2 * x, 8);
                memcpy(&u4, ur + x, 4);
                memcpy(&v4, vr + x, 4);
                __m128i r = _mm_and_si128(_mm_unpacklo_epi8(_mm_cvtsi64_si128(r8), zi), lo16);
                __m128 k = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(r, zi)), va4);
                __m128 fu = _mm_cvtepi32_ps(
                    _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(u4), zi), zi));
                __m128 fv = _mm_cvtepi32_ps(
                    _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(v4), zi), zi));
                __m128 bu4 = _mm_loadu_ps(bu + x), bv4 = _mm_loadu_ps(bv + x);
                _mm_storeu_ps(bu + x, _mm_add_ps(bu4, _mm_mul_ps(k, _mm_sub_ps(fu, bu4))));
                _mm_storeu_ps(bv + x, _mm_add_ps(bv4, _mm_mul_ps(k, _mm_sub_ps(fv, bv4))));
            }
#endif
            for (; x < cw && 2 * x < w; x++) {
                float k = raw[2 * x] == CW_MOTION_BG ? a4 : 0;
                bu[x] += k * (ur[x] - bu[x]);
                bv[x] += k * (vr[x] - bv[x]);
            }
        }
    }
    /* clean-up on the road-user mask (its bits made with the shadows above): open (noise),
     * then close (holes) */
    {
        /* the band a shift brought in from beyond the picture's edge shows nothing real */
        int l = m->sdx < 0 ? -m->sdx : 0, rr = m->sdx > 0 ? m->sdx : 0;
        int t = m->sdy < 0 ? -m->sdy : 0, b = m->sdy > 0 ? m->sdy : 0;
        if (l || rr || t || b)
            cw_bitmask_clear_border(&m->fg, t, b, l, rr);
    }
    cw_bitmask_morph(&m->fg2, &m->fg, &m->fg3, false);
    cw_bitmask_morph(&m->fg, &m->fg2, &m->fg3, true);
    /* a shadow falls on the road beside or below its road user, never between its parts (after
     * the opening, so that the specks of a shadow's own edge anchor nothing) */
    if (m->cfg.shadow_bridge > 0)
        cw_bitmask_bridge_down(&m->fg, &m->shadow, &m->fg3, m->cfg.shadow_bridge, m->bridge_run);
    cw_bitmask_morph(&m->fg2, &m->fg, &m->fg3, true);
    cw_bitmask_morph(&m->fg, &m->fg2, &m->fg3, false);
    if (m->any_lamp) /* lamps a pixel or two across survive the opening */
        for (size_t i = 0; i < (size_t)h * m->fg.words; i++)
            m->fg.bits[i] |= m->lamps.bits[i];
    cw_bitmask_to_bytes(&m->fg, m->mask, 255);
    int n = components(m, m->mask, blobs, cap);
    if (!boot && ++m->ghost_tick >= GHOST_EVERY) {
        m->ghost_tick = 0;
        n = drop_ghosts(m, g, u, v, dt_s, blobs, n);
        if (!night)
            lift_shadows(m, g, u, v, dt_s);
    }
    {
        uint8_t *restrict mk = m->mask;
        const uint8_t *restrict raw = m->raw;
        const size_t np = m->n;
        /* road users stay 255; shadows become 127 where nothing else is (bit operations, so
         * the loop runs on vectors) */
        for (size_t i = 0; i < np; i++) {
            uint8_t shadow = (uint8_t)(-(raw[i] == CW_MOTION_SHADOW) & CW_MOTION_SHADOW);
            mk[i] = (uint8_t)(mk[i] | (shadow & (uint8_t)~mk[i]));
        }
    }
    return n;
}

/* Where ground point @g is from the point under the camera (@cam), in the frame of the lane it
 * is in, or else of the nearest (a pavement runs beside the road): its heading taken along the
 * lane, @across is to the side of it and @along ahead or behind (both 0 without lanes or a
 * camera: seen square). */
static void lane_view(const struct cw_scene *scene, const struct cw_point *cam, struct cw_point g,
                      double *across, double *along)
{
    *across = *along = 0;
    if (!cam)
        return;
    const struct cw_lane *best = NULL;
    double best_d = INFINITY;
    for (int i = 0; i < scene->n_lanes && best_d > 0; i++) {
        const struct cw_lane *l = &scene->lanes[i];
        if (l->poly.n <= 0)
            continue;
        double d = 0;
        if (!cw_polygon_contains(l->poly.ground, l->poly.n, g)) {
            struct cw_point c = {0, 0};
            for (int k = 0; k < l->poly.n; k++)
                c.x += l->poly.ground[k].x / l->poly.n, c.y += l->poly.ground[k].y / l->poly.n;
            d = hypot(g.x - c.x, g.y - c.y);
        }
        if (d < best_d)
            best = l, best_d = d;
    }
    if (!best)
        return;
    double rx = g.x - cam->x, ry = g.y - cam->y;
    *across = fabs(rx * best->dir_ground.y - ry * best->dir_ground.x);
    *along = fabs(rx * best->dir_ground.x + ry * best->dir_ground.y);
}

/* The width across a box's foot of a road user @width_m wide and @len_m long, @across m to the
 * side of the camera and @along m ahead of it in its lane, beyond its width seen square: its
 * near side shows too, shrunk by the perspective of its length (a car in the next lane seen from
 * behind and a little from the side). */
static double side_shows(double width_m, double len_m, double across, double along)
{
    double off = across - width_m / 2;
    return off > 0 && along + len_m > 0 ? off * len_m / (along + len_m) : 0;
}

/* A class from the width on the ground and the box's shape: people are narrow and tall,
 * two-wheelers narrow and about as tall as long, cars wide and low, buses and trucks wider and
 * big. Confidence falls off near the borders between the classes. Each border between two
 * classes, for a road user seen square from behind or ahead, moves up by what the near side of
 * the smaller class's road user shows where this one stands (@across, @along: lane_view), so that
 * perspective does not make a car in the next lane a bus. */
static void classify(double width_m, double aspect, double across, double along, int *cls,
                     float *conf)
{
    if (width_m <= 0) {
        *cls = CW_CLASS_UNKNOWN;
        *conf = 0;
        return;
    }
    double side = side_shows(0.5, 0.5, across, along), ped = 1.0 + side;
    double tw = 1.4 + side_shows(0.7, 2.0, across, along);
    double car = 2.6 + side_shows(1.8, 4.5, across, along);
    /* a person's shape too, without the side that shows: tall and narrow */
    aspect *= width_m / fmax(width_m - side, 0.5 * width_m);
    if (width_m < ped && aspect > 1.8) {
        *cls = CW_CLASS_PEDESTRIAN;
        *conf = (float)fmin(1, (aspect - 1.8) / 0.8 + 0.5);
    } else if (width_m < tw) {
        *cls = CW_CLASS_TWO_WHEELER;
        *conf = (float)fmin(1, (tw - width_m) / 0.4 + 0.4);
    } else if (width_m < car) {
        *cls = CW_CLASS_CAR;
        *conf = (float)fmin(1, fmin(width_m - tw, car - width_m) / 0.3 + 0.4);
    } else {
        *cls = CW_CLASS_BUS_TRUCK;
        *conf = (float)fmin(1, (width_m - car) / 0.4 + 0.5);
    }
}

/* Whether blob @b may be one lamp of a pair: not elongated, and small — LAMP_AREA pixels, or,
 * near the camera where a tail lamp is larger, no wider on the road than LAMP_ONE_M. */
static bool lamp_like(const struct cw_blob *b, const struct cw_scene *scene, double sx, double sy)
{
    int bw = b->x1 - b->x0 + 1, bh = b->y1 - b->y0 + 1;
    if (bw > 3 * bh || bh > 3 * bw)
        return false;
    if (b->area <= LAMP_AREA)
        return true;
    double y = (b->y1 + 1) * sy;
    return cw_ground_span(&scene->img_to_ground, (struct cw_point){b->x0 * sx, y},
                          (struct cw_point){(b->x1 + 1) * sx, y}) <= LAMP_ONE_M;
}

/* At night a car shows little but its lamps: two small blobs side by side on one row, as far
 * apart on the ground as a car is wide. The lamp paired with @i (a later blob), or -1. */
static int lamp_partner(const struct cw_blob *blobs, int n, int i, const bool *taken,
                        const struct cw_scene *scene, double sx, double sy)
{
    const struct cw_blob *a = &blobs[i];
    int ah = a->y1 - a->y0 + 1;
    if (!lamp_like(a, scene, sx, sy))
        return -1;
    double acy = (a->y0 + a->y1) / 2.0, acx = (a->x0 + a->x1) / 2.0;
    for (int j = i + 1; j < n; j++) {
        const struct cw_blob *b = &blobs[j];
        int bh = b->y1 - b->y0 + 1;
        if (taken[j] || b->area > 3 * a->area || a->area > 3 * b->area ||
            !lamp_like(b, scene, sx, sy))
            continue;
        double bcy = (b->y0 + b->y1) / 2.0, bcx = (b->x0 + b->x1) / 2.0;
        if (fabs(acy - bcy) > fmax(ah, bh))
            continue;
        /* apart on the ground (the lamps' row projected onto the road: a little farther and
         * wider than they are, so the range is a car's width and some) */
        struct cw_point pa = {acx * sx, acy * sy}, pb = {bcx * sx, bcy * sy}, ga, gb;
        if (!cw_homography_apply(&scene->img_to_ground, pa, &ga) ||
            !cw_homography_apply(&scene->img_to_ground, pb, &gb))
            continue;
        double apart = hypot(ga.x - gb.x, ga.y - gb.y);
        if (apart >= LAMPS_MIN_M && apart <= LAMPS_MAX_M)
            return j;
    }
    return -1;
}

/* A car's box around its pair of lamps @a and @b (analysis pixels): the lamps sit low in it (a
 * car's body rises above them, its roof going away from the camera). */
static struct cw_box lamps_box(const struct cw_motion *m, const struct cw_blob *a,
                               const struct cw_blob *b)
{
    double x0 = fmin(a->x0, b->x0), x1 = fmax(a->x1, b->x1) + 1, w = x1 - x0;
    double cy = (a->y0 + a->y1 + b->y0 + b->y1) / 4.0 + 0.5;
    double top = fmax(0, cy - LAMP_ABOVE * w), bottom = fmin(m->h, cy + LAMP_BELOW * w);
    x0 = fmax(0, x0 - LAMP_SIDE * w), x1 = fmin(m->w, x1 + LAMP_SIDE * w);
    return (struct cw_box){x0, top, x1 - x0, bottom - top};
}

/* A two-wheeler's box around its lone lamp @b (analysis pixels), which stands LAMP_Z above the
 * road: the ground point under the lamp is where the ray through it meets that height — nearer
 * the camera than where it meets the road, by similar triangles — and the box stands there,
 * CW_RIDER_W_M wide and CW_RIDER_H_M high. A @dark blob (darker than the road: no lamp, but the
 * one part of a road user that shows against lit ground, a walker's trousers on the pavement)
 * stands on its own bottom edge instead. False where the ground does not map. */
static bool lone_lamp_box(const struct cw_blob *b, const struct cw_scene *scene,
                          const struct cw_pinhole *cam, double sx, double sy, bool dark,
                          struct cw_box *out)
{
    struct cw_point lamp = {(b->x0 + b->x1 + 1) / 2.0 * sx,
                            (dark ? b->y1 + 1 : (b->y0 + b->y1 + 1) / 2.0) * sy},
                    far;
    double z = dark ? 0 : LAMP_Z;
    if (!cw_homography_apply(&scene->img_to_ground, lamp, &far) || cam->height_m <= z)
        return false;
    double k = (cam->height_m - z) / cam->height_m;
    struct cw_point g = {cam->foot.x + (far.x - cam->foot.x) * k,
                         cam->foot.y + (far.y - cam->foot.y) * k};
    /* a lamp is small: its width at its height, and about as high as wide */
    double mpp = cw_ground_span(&scene->img_to_ground, lamp, (struct cw_point){lamp.x + 1, lamp.y});
    double bw = (b->x1 - b->x0 + 1) * sx, bh = (b->y1 - b->y0 + 1) * sy;
    if (!(bw * mpp * k <= LAMP_M) || bh > 2 * bw)
        return false;
    struct cw_point foot, top, side;
    if (!cw_pinhole_project(cam, g, 0, &foot) || !cw_pinhole_project(cam, g, CW_RIDER_H_M, &top) ||
        !cw_homography_apply(&scene->ground_to_img, (struct cw_point){g.x + 1, g.y}, &side))
        return false;
    double px_per_m = hypot(side.x - foot.x, side.y - foot.y), w = CW_RIDER_W_M * px_per_m;
    if (!(foot.y > top.y) || !(w > 0))
        return false;
    *out = (struct cw_box){foot.x - w / 2, top.y, w, foot.y - top.y};
    return true;
}

int cw_motion_detections(const struct cw_motion *m, const struct cw_blob *blobs, int n,
                         const struct cw_scene *scene, int full_w, int full_h,
                         struct cw_detection *out)
{
    double sx = (double)full_w / m->w, sy = (double)full_h / m->h;
    /* at night, cars by their lamps first: the pairs, and the blobs inside a pair's box (its
     * body, seen in pieces against lit road markings) are its own */
    bool taken[LAMP_BLOBS] = {false};
    int pair[LAMP_BLOBS], npairs = 0;
    struct cw_box pbox[LAMP_BLOBS];
    bool lamps = m->night && scene && n <= LAMP_BLOBS;
    struct cw_pinhole cam;
    bool have_cam =
        scene &&
        !cw_pinhole_from_homography(
            &scene->ground_to_img, (scene->camera.width > 0 ? scene->camera.width : full_w) / 2.0,
            (scene->camera.height > 0 ? scene->camera.height : full_h) / 2.0, &cam);
    bool lone = lamps && have_cam;
    for (int i = 0; lamps && i < n; i++) {
        pair[i] = -1;
        if (taken[i])
            continue;
        int j = lamp_partner(blobs, n, i, taken, scene, sx, sy);
        if (j >= 0) {
            taken[i] = taken[j] = true;
            pair[i] = j;
            pbox[npairs++] = lamps_box(m, &blobs[i], &blobs[j]);
        }
    }
    int k = 0;
    for (int i = 0; i < n; i++) {
        const struct cw_blob *b = &blobs[i];
        double bw = b->x1 - b->x0 + 1, bh = b->y1 - b->y0 + 1;
        struct cw_box own = {b->x0, b->y0, bw, bh};
        if (lamps && taken[i] && pair[i] < 0)
            continue; /* the second lamp of a pair */
        if (b->area < LONE_MIN_AREA && !(lamps && pair[i] >= 0))
            continue; /* a far car's lamp is a pixel, but one pixel alone is a speck */
        bool inside = false;
        for (int p = 0; lamps && !taken[i] && p < npairs && !inside; p++)
            inside = cw_box_cover(&own, &pbox[p]) >= LAMP_INSIDE;
        if (inside)
            continue;
        struct cw_detection *d = &out[k++];
        memset(d, 0, sizeof(*d));
        d->box = (struct cw_box){b->x0 * sx, b->y0 * sy, bw * sx, bh * sy};
        d->blob = i + 1;
        /* solid blobs are surer than ragged ones */
        d->score = (float)fmin(1, 0.5 + 0.5 * b->area / (bw * bh));
        if (lamps && pair[i] >= 0) {
            struct cw_box c = lamps_box(m, b, &blobs[pair[i]]);
            d->box = (struct cw_box){c.x * sx, c.y * sy, c.w * sx, c.h * sy};
            d->score = 0.9f; /* two lamps a car apart: as sure as a solid blob */
            d->blob = 0;     /* (its pixels are the lamps', not the car's) */
        }
        d->cls = CW_CLASS_UNKNOWN;
        if (!scene)
            continue;
        /* a lone lamp at night: a two-wheeler's (a car shows two); a lone dark patch is the part
         * of a road user that shows, boxed the same but standing where it ends */
        struct cw_box lb;
        /* (darker or not is asked only of a blob a lamp's size: it visits the blob's box) */
        if (lone && pair[i] < 0 && lone_lamp_box(b, scene, &cam, sx, sy, false, &lb) &&
            (!mostly_darker(m, b) || lone_lamp_box(b, scene, &cam, sx, sy, true, &lb))) {
            d->box = lb; /* its score is the lamp blob's */
            cw_detection_locate(d, scene, 3 * sy, full_h);
            d->cls = CW_CLASS_TWO_WHEELER;
            d->cls_conf = 0.6f;
            d->lamp = true;
            d->blob = 0;
            continue;
        }
        /* a blob's bottom edge is good to a few analysis pixels; one whose bottom a nearer road
         * user hides says nothing of where it stands */
        if ((d->bottom_hidden = b->foot_hidden))
            continue;
        cw_detection_locate(d, scene, 3 * sy, full_h);
        d->cut_off |= b->x0 <= 0 || b->x1 >= m->w - 1; /* a side of the picture cuts it */
        double across = 0, along = 0;
        if (d->has_ground)
            lane_view(scene, have_cam ? &cam.foot : NULL, d->ground, &across, &along);
        classify(d->width_m, d->box.h / d->box.w, across, along, &d->cls, &d->cls_conf);
        /* standing on the road at its foot, it is box.h × (width_m / box.w) high */
        double high_m = d->box.h * d->width_m / d->box.w;
        if (!d->has_ground) {
            /* cut off at the bottom: its shape is partial and its width a bound from above (the
             * picture's bottom row is farther than its foot, each pixel wider there) — as wide
             * as a bus there but no taller than a car, it is a car */
            if (d->cls == CW_CLASS_BUS_TRUCK && high_m <= BUS_HIGH_M)
                d->cls = CW_CLASS_CAR;
            d->cls_conf *= 0.5f;
            if (d->width_m < THIN_M)
                d->score *= 0.5f; /* narrower even so than any road user */
        } else if (d->cut_off) {
            /* cut off at a side: its width is a bound too, but not its height — taller than a
             * car, it is a bus or truck coming in */
            if (high_m > BUS_HIGH_M)
                d->cls = CW_CLASS_BUS_TRUCK;
            d->cls_conf *= 0.5f;
        } else if (high_m < LOW_M || d->width_m < THIN_M) {
            /* lower or thinner than any road user: a piece of one's shadow or of the road;
             * starts no track */
            d->score *= 0.5f;
        }
    }
    return k;
}

bool cw_motion_night(const struct cw_motion *m)
{
    return m->night;
}

void cw_motion_blob_map(const struct cw_motion *m, int32_t *map)
{
    for (size_t i = 0; i < m->n; i++)
        map[i] = -1;
    for (int32_t i = 0; i < m->nruns; i++) {
        const struct run *r = &m->runs[i];
        for (int x = r->x0; x < r->x1; x++)
            map[(size_t)r->y * m->w + x] = m->run_blob[i];
    }
}

double cw_motion_support(const struct cw_motion *m, int blob, double x0, double y0, double x1,
                         double y1)
{
    int r0 = (int)fmax(0, ceil(y0 - 0.5)), r1 = (int)fmin(m->h - 1, floor(y1 - 0.5));
    double area = (x1 - x0) * (y1 - y0), px = 0;
    if (!(area > 0) || blob < 0 || m->nruns == 0)
        return 0;
    for (int y = r0; y <= r1; y++)
        for (int32_t i = m->row_first[y]; i < m->row_first[y + 1]; i++) {
            const struct run *r = &m->runs[i];
            if (m->run_blob[i] == blob && r->x1 > x0 && r->x0 < x1)
                px += fmin(r->x1, x1) - fmax(r->x0, x0);
        }
    return fmin(1, px / area);
}

bool cw_motion_span(const struct cw_motion *m, int blob, double x0, double y0, double x1, double y1,
                    double *lo, double *hi)
{
    int r0 = (int)fmax(0, ceil(y0 - 0.5)), r1 = (int)fmin(m->h - 1, floor(y1 - 0.5));
    *lo = INFINITY, *hi = -INFINITY;
    for (int y = r0; blob >= 0 && m->nruns > 0 && y <= r1; y++)
        for (int32_t i = m->row_first[y]; i < m->row_first[y + 1]; i++) {
            const struct run *r = &m->runs[i];
            if (m->run_blob[i] == blob && r->x1 > x0 && r->x0 < x1) {
                *lo = fmin(*lo, fmax(r->x0, x0));
                *hi = fmax(*hi, fmin(r->x1, x1));
            }
        }
    return *hi > *lo;
}
