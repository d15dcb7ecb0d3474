/* The motion detector as a stage: model, chroma resampling and ignore mask made on the first
 * frame, then blobs → detections each frame. */
#include "crosswatch/motion_stage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/blob_split.h"
#include "crosswatch/colour_split.h"
#include "crosswatch/error.h"
#include "crosswatch/geom.h"
#include "crosswatch/log.h"
#include "crosswatch/resample.h"
#include "crosswatch/scene.h"

#define MAX_BLOBS 512
/* the smallest road user's share seen, for the smallest blob far away (m², analysis pixels) */
#define FAR_AREA_M2  0.6
#define FAR_MIN_AREA 16
/* Pieces whose pixels come within JOIN_GAP_M on the road of each other (merge_gap pixels at most,
 * JOIN_MIN_GAP at least) are one road user: a bus's dark windows, a walker's dark trousers are
 * under a metre. Far up the road merge_gap's 10 pixels are metres: cars a car's length apart in
 * a lane were one blob (busy, 2026-12-01: blob recall at IoU 0.5 21.3 -> 23.5 %, precision 68.1
 * -> 71.7 %; the other scenarios within 0.1). */
#define JOIN_GAP_M   1.0
#define JOIN_MIN_GAP 2

struct cw_motion_stage {
    struct cw_motion_config cfg;
    const struct cw_scene *scene;
    struct cw_motion *mot;
    struct cw_resampler *rs;
    struct cw_image u, v;
    struct cw_image grey; /* the last frame's analysis picture, for looks (cw_pixel_ops) */
    int fw, fh, gw, gh;   /* the picture and analysis sizes it was set up for */
    struct cw_blob_splitter *split;   /* NULL: blobs are not split by size */
    struct cw_colour_splitter *paint; /* NULL: nor by colour */
    int32_t *map;                     /* with paint: the blob of each analysis pixel */
    struct cw_blob blobs[MAX_BLOBS], pieces[MAX_BLOBS];
    int parent[MAX_BLOBS]; /* each piece's blob */
    double sx, sy;         /* the detections' pixels per analysis pixel, last frame */
};

/* Drops what was made for the previous picture size. */
static void teardown(struct cw_motion_stage *s)
{
    free(s->u.data);
    free(s->v.data);
    free(s->grey.data);
    cw_resampler_free(s->rs);
    cw_motion_free(s->mot);
    cw_blob_splitter_free(s->split);
    cw_colour_splitter_free(s->paint);
    free(s->map);
    s->u.data = s->v.data = s->grey.data = NULL;
    s->rs = NULL;
    s->mot = NULL;
    s->split = NULL;
    s->paint = NULL;
    s->map = NULL;
}

struct cw_motion_stage *cw_motion_stage_new(const struct cw_motion_config *cfg,
                                            const struct cw_scene *scene)
{
    struct cw_motion_stage *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = *cfg;
    s->scene = scene;
    return s;
}

void cw_motion_stage_free(struct cw_motion_stage *s)
{
    if (!s)
        return;
    teardown(s);
    free(s);
}

struct cw_motion *cw_motion_stage_model(struct cw_motion_stage *s)
{
    return s->mot;
}

/* The smallest blob per analysis row from the scene's ground: FAR_AREA_M2 seen square at the
 * row's distance, no fewer than FAR_MIN_AREA pixels (@sx, @sy: scene pixels per analysis pixel).
 * Near rows keep min_area; a far car, a few pixels across, is kept where min_area would drop it.
 * And the join gap per row: JOIN_GAP_M at the row's distance, merge_gap at most. */
static int row_scales(struct cw_motion_stage *s, double sx, double sy)
{
    int gh = s->gh;
    int32_t *area = malloc((size_t)gh * 2 * sizeof(int32_t));
    double *mpps = malloc((size_t)gh * sizeof(double));
    if (!area || !mpps) {
        free(area);
        free(mpps);
        return CW_ENOMEM;
    }
    int32_t *gap = area + gh;
    double cx = s->gw / 2.0 * sx;
    for (int y = 0; y < gh; y++) {
        double yy = (y + 0.5) * sy;
        double mpp = cw_ground_span(&s->scene->img_to_ground, (struct cw_point){cx, yy},
                                    (struct cw_point){cx + sx, yy});
        mpps[y] = mpp;
        double px = mpp > 0 && isfinite(mpp) ? FAR_AREA_M2 / (mpp * mpp) : INFINITY;
        area[y] = px < s->cfg.min_area ? (int32_t)fmax(FAR_MIN_AREA, ceil(px)) : s->cfg.min_area;
        double g = mpp > 0 && isfinite(mpp) ? JOIN_GAP_M / mpp : 0;
        gap[y] = g < s->cfg.merge_gap ? (int32_t)fmax(JOIN_MIN_GAP, ceil(g)) : s->cfg.merge_gap;
    }
    cw_motion_set_row_area(s->mot, area);
    cw_motion_set_row_gap(s->mot, gap);
    free(area);
    int err = 0;
    if (s->cfg.colour_split && (!(s->paint = cw_colour_splitter_new(s->gw, gh, mpps)) ||
                                !(s->map = malloc((size_t)s->gw * gh * sizeof(int32_t)))))
        err = CW_ENOMEM;
    free(mpps);
    return err;
}

static int first_frame(struct cw_motion_stage *s, const struct cw_frame *f)
{
    s->fw = f->width, s->fh = f->height, s->gw = f->grey.width, s->gh = f->grey.height;
    int cw = (f->grey.width + 1) / 2, ch = (f->grey.height + 1) / 2;
    s->mot = cw_motion_new(&s->cfg, f->grey.width, f->grey.height);
    s->rs = cw_resampler_new((f->width + 1) / 2, (f->height + 1) / 2, cw, ch);
    s->u = (struct cw_image){cw, ch, cw, malloc((size_t)cw * ch)};
    s->v = (struct cw_image){cw, ch, cw, malloc((size_t)cw * ch)};
    s->grey = (struct cw_image){s->gw, s->gh, s->gw, malloc((size_t)s->gw * s->gh)};
    if (!s->mot || !s->rs || !s->u.data || !s->v.data || !s->grey.data) {
        cw_log_error("motion", "out of memory setting up the motion detector for %dx%d",
                     f->grey.width, f->grey.height);
        return CW_ENOMEM;
    }
    if (s->scene) {
        uint8_t *mask = malloc((size_t)f->grey.width * f->grey.height);
        if (!mask)
            return CW_ENOMEM;
        cw_scene_ignore_mask(s->scene, f->grey.width, f->grey.height,
                             (double)f->width / f->grey.width, (double)f->height / f->grey.height,
                             mask);
        cw_motion_set_ignore(s->mot, mask);
        free(mask);
        /* the scene's pixels per analysis pixel, whatever size the stream is */
        int sw = s->scene->camera.width > 0 ? s->scene->camera.width : f->width;
        int sh = s->scene->camera.height > 0 ? s->scene->camera.height : f->height;
        int err = row_scales(s, (double)sw / f->grey.width, (double)sh / f->grey.height);
        if (err)
            return err;
        if (s->cfg.split)
            s->split = cw_blob_splitter_new(s->scene, f->grey.width, f->grey.height,
                                            (double)sw / f->grey.width, (double)sh / f->grey.height,
                                            s->cfg.min_area);
    } else if (s->cfg.split) {
        /* (not for colour_split, on by default: without a scene there is nothing to cut by) */
        cw_log_warn("motion",
                    "--split needs a scene (--scene) to measure road users on the ground: "
                    "blobs are not cut");
    }
    return 0;
}

int cw_motion_stage_run(struct cw_motion_stage *s, const struct cw_frame *f, double dt_s,
                        struct cw_detection *out, int cap)
{
    int err;
    if (s->mot && (f->width != s->fw || f->height != s->fh || f->grey.width != s->gw ||
                   f->grey.height != s->gh)) {
        cw_log_info("motion",
                    "picture size changed from %dx%d to %dx%d: the background is learnt "
                    "afresh",
                    s->fw, s->fh, f->width, f->height);
        teardown(s);
    }
    if (!s->mot && (err = first_frame(s, f)))
        return err;
    for (int y = 0; y < s->gh; y++)
        memcpy(s->grey.data + (size_t)y * s->gw, f->grey.data + (size_t)y * f->grey.stride,
               (size_t)s->gw);
    cw_resampler_run(s->rs, f->plane[1], f->stride[1], &s->u);
    cw_resampler_run(s->rs, f->plane[2], f->stride[2], &s->v);
    int nb = cw_motion_process(s->mot, &f->grey, &s->u, &s->v, dt_s, s->blobs,
                               cap < MAX_BLOBS ? cap : MAX_BLOBS);
    if (nb < 0)
        return nb;
    const struct cw_blob *blobs = s->blobs;
    if (s->split) {
        nb = cw_blob_split(s->split, cw_motion_mask(s->mot), s->blobs, nb, s->pieces, s->parent,
                           cap < MAX_BLOBS ? cap : MAX_BLOBS);
        blobs = s->pieces;
    } else if (s->paint && !cw_motion_night(s->mot)) {
        /* (not at night: lamps paint the picture) */
        cw_motion_blob_map(s->mot, s->map);
        nb = cw_colour_split(s->paint, s->map, &s->grey, &s->u, &s->v, s->blobs, nb, s->pieces,
                             s->parent, cap < MAX_BLOBS ? cap : MAX_BLOBS);
        blobs = s->pieces;
    }
    /* boxes in the scene's pixels (camera.width × height), whatever size the stream is now */
    int w = f->width, h = f->height;
    if (s->scene && s->scene->camera.width > 0 && s->scene->camera.height > 0)
        w = s->scene->camera.width, h = s->scene->camera.height;
    s->sx = (double)w / f->grey.width, s->sy = (double)h / f->grey.height;
    int n = cw_motion_detections(s->mot, blobs, nb, s->scene, w, h, out);
    /* a piece's pixels are its blob's: the pixel queries are of the blob it was cut from */
    for (int i = 0; blobs == s->pieces && i < n; i++)
        out[i].blob = out[i].blob > 0 ? s->parent[out[i].blob - 1] + 1 : 0;
    return n;
}

static double support(const void *stage, int blob, const struct cw_box *box)
{
    const struct cw_motion_stage *s = stage;
    if (!s->mot || blob <= 0)
        return 0;
    return cw_motion_support(s->mot, blob - 1, box->x / s->sx, box->y / s->sy,
                             (box->x + box->w) / s->sx, (box->y + box->h) / s->sy);
}

static bool span(const void *stage, int blob, const struct cw_box *box, double *x0, double *x1)
{
    const struct cw_motion_stage *s = stage;
    if (!s->mot || blob <= 0 ||
        !cw_motion_span(s->mot, blob - 1, box->x / s->sx, box->y / s->sy, (box->x + box->w) / s->sx,
                        (box->y + box->h) / s->sy, x0, x1))
        return false;
    *x0 *= s->sx, *x1 *= s->sx;
    return true;
}

/* Where cell @i of a CW_LOOK_N grid over a box from @x0 (analysis pixels) @w wide falls. */
static int cell_at(double x0, double w, int i)
{
    return (int)floor(x0 + (i + 0.5) * w / CW_LOOK_N);
}

static void look(const void *stage, const struct cw_box *box, struct cw_look *lk)
{
    const struct cw_motion_stage *s = stage;
    lk->n_own = 0;
    if (!s->mot || !s->grey.data)
        return;
    const uint8_t *mask = cw_motion_mask(s->mot);
    double x0 = box->x / s->sx, y0 = box->y / s->sy, w = box->w / s->sx, h = box->h / s->sy;
    for (int j = 0; j < CW_LOOK_N; j++) {
        int y = cell_at(y0, h, j);
        for (int i = 0; i < CW_LOOK_N; i++) {
            int x = cell_at(x0, w, i), c = j * CW_LOOK_N + i;
            lk->own[c] = 0;
            if (x < 0 || y < 0 || x >= s->gw || y >= s->gh)
                continue;
            size_t cp = (size_t)(y / 2) * s->u.stride + x / 2;
            lk->y[c] = s->grey.data[(size_t)y * s->gw + x];
            lk->u[c] = s->u.data[cp];
            lk->v[c] = s->v.data[cp];
            lk->own[c] = mask[(size_t)y * s->gw + x] == CW_MOTION_FG;
            lk->n_own += lk->own[c];
        }
    }
}

/* a place farther from where the look was foreseen costs this much more per analysis pixel (of
 * two equally good, the nearer) */
#define FIND_STEP_COST 0.05
#define FIND_MAX_SKIP  16
/* places are tried at most this many analysis pixels each way (81 at most: bounded work; a
 * foreseen box is rarely off by more, and a wider search found a look on other road users) */
#define FIND_MAX_R 4
/* a cell counts a difference of at most this (grey and chroma): one hidden by something the
 * tracker does not know of costs the same wherever the look is tried, and does not pull it */
#define FIND_CAP 45

/* One search for a look (find): the cells' places at no shift, and the hidden boxes, all in
 * analysis pixels. */
struct search {
    const struct cw_motion_stage *s;
    const struct cw_look *lk;
    int cx[CW_LOOK_N], cy[CW_LOOK_N];
    double sk[FIND_MAX_SKIP][4];
    const struct cw_look *sl[FIND_MAX_SKIP]; /* NULL: the whole box hides */
    int nskip, need;
};

/* Whether analysis point (@x, @y) is hidden by a nearer road user: in its box, on one of its
 * look's own cells where it has a look (a box's corners beside a car seen from behind show what
 * is behind it). */
static bool hidden(const struct search *q, double x, double y)
{
    for (int k = 0; k < q->nskip; k++) {
        const double *b = q->sk[k];
        if (!(x > b[0] && x < b[2] && y > b[1] && y < b[3]))
            continue;
        if (!q->sl[k])
            return true;
        int i = (int)((x - b[0]) / (b[2] - b[0]) * CW_LOOK_N);
        int j = (int)((y - b[1]) / (b[3] - b[1]) * CW_LOOK_N);
        i = i < CW_LOOK_N ? i : CW_LOOK_N - 1;
        j = j < CW_LOOK_N ? j : CW_LOOK_N - 1;
        if (q->sl[k]->own[j * CW_LOOK_N + i])
            return true;
    }
    return false;
}

/* The look's cost shifted by (@dx, @dy): the mean capped difference over its own cells in the
 * picture and not hidden, plus the step cost; INFINITY where fewer than need cells are left, or
 * as soon as it cannot come under @bound. */
static double cost_at(const struct search *q, int dx, int dy, double bound)
{
    const struct cw_motion_stage *s = q->s;
    const struct cw_look *lk = q->lk;
    double step = FIND_STEP_COST * (abs(dx) + abs(dy));
    /* the mean is over at most n_own cells: a sum past this cannot win */
    double most = (bound - step) * lk->n_own;
    long sum = 0;
    int n = 0;
    for (int j = 0; j < CW_LOOK_N; j++) {
        int y = q->cy[j] + dy;
        if (y < 0 || y >= s->gh)
            continue;
        const uint8_t *g = s->grey.data + (size_t)y * s->gw;
        const uint8_t *u = s->u.data + (size_t)(y / 2) * s->u.stride;
        const uint8_t *v = s->v.data + (size_t)(y / 2) * s->v.stride;
        const uint8_t *own = lk->own + j * CW_LOOK_N;
        for (int i = 0; i < CW_LOOK_N; i++) {
            int x = q->cx[i] + dx, c = j * CW_LOOK_N + i;
            if (!own[i] || x < 0 || x >= s->gw)
                continue;
            if (hidden(q, x + 0.5, y + 0.5))
                continue;
            int e = abs(g[x] - lk->y[c]) + abs(u[x / 2] - lk->u[c]) + abs(v[x / 2] - lk->v[c]);
            sum += e < FIND_CAP ? e : FIND_CAP;
            n++;
        }
        if (sum >= most)
            return INFINITY;
    }
    return n == 0 || n < q->need ? INFINITY : (double)sum / n + step;
}

static double find(const void *stage, const struct cw_look *lk, const struct cw_box *box,
                   double radius, const struct cw_box *skip, const struct cw_look *const *skip_look,
                   int nskip, double min_share, struct cw_box *found)
{
    const struct cw_motion_stage *s = stage;
    *found = *box;
    if (!s->mot || !s->grey.data || lk->n_own == 0)
        return INFINITY;
    struct search q = {.s = s, .lk = lk};
    double x0 = box->x / s->sx, y0 = box->y / s->sy, w = box->w / s->sx, h = box->h / s->sy;
    int rx = (int)fmin(ceil(radius / s->sx), FIND_MAX_R),
        ry = (int)fmin(ceil(radius / s->sy), FIND_MAX_R);
    for (int i = 0; i < CW_LOOK_N; i++)
        q.cx[i] = cell_at(x0, w, i), q.cy[i] = cell_at(y0, h, i);
    q.nskip = nskip < FIND_MAX_SKIP ? nskip : FIND_MAX_SKIP;
    for (int k = 0; k < q.nskip; k++) {
        q.sk[k][0] = skip[k].x / s->sx, q.sk[k][1] = skip[k].y / s->sy;
        q.sk[k][2] = (skip[k].x + skip[k].w) / s->sx;
        q.sk[k][3] = (skip[k].y + skip[k].h) / s->sy;
        q.sl[k] = skip_look && skip_look[k] && skip_look[k]->n_own > 0 ? skip_look[k] : NULL;
    }
    q.need = (int)ceil(min_share * lk->n_own);
    /* where it is foreseen first: a good fit there soon ends the others' sums (cost_at). Mostly
     * hidden there, it is not looked for elsewhere: the places where less of it is hidden would
     * win for that alone, and draw it out from behind what hides it */
    double best = cost_at(&q, 0, 0, INFINITY);
    int bx = 0, by = 0;
    if (!isfinite(best))
        return INFINITY;
    for (int dy = -ry; dy <= ry; dy++)
        for (int dx = -rx; dx <= rx; dx++) {
            double cost = dx || dy ? cost_at(&q, dx, dy, best) : INFINITY;
            if (cost < best)
                best = cost, bx = dx, by = dy;
        }
    *found = (struct cw_box){box->x + bx * s->sx, box->y + by * s->sy, box->w, box->h};
    return best;
}

const struct cw_pixel_ops cw_motion_stage_pixels = {support, span, look, find};
