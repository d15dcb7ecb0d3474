/* Cutting blobs that hold several road users along their colours (colour_split.h). */
#include "crosswatch/colour_split.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/log.h"

#define MOD "motion"
/* Blobs smaller than this (analysis pixels) hold one road user as far as colour can tell. */
#define SPLIT_MIN_AREA 300
/* Only blobs whose foot row spans a metre of road in at least this many pixels are cut: farther
 * off a car is a few dozen pixels, its paint a handful of regions of a few pixels each (a roof
 * alone, two road users as one), and busy's far platoon cut so came out in pieces that were
 * tracked worse than its merges. Nor are blobs the picture's bottom cuts: a bus under the
 * camera shows its long side in bands of paint and window, cut into pieces that are none of
 * the road users there (the tracker measures what comes in at the bottom on its own). */
#define SPLIT_MIN_PX_PER_M 20.0
/* Neighbours are one flat region within this much grey and summed |U| + |V| difference. */
#define FLAT_GREY   10
#define FLAT_CHROMA 6
/* Regions smaller than this are edges and texture: they join no body. More than MAX_REGIONS
 * larger ones in a blob is texture (a real scene's asphalt, a crowd): the blob stays whole. */
#define REGION_MIN  6
#define MAX_REGIONS 1024
/* A region is painted when its mean chroma is this far from grey. Painted regions whose hues are
 * within HUE_DEG and whose chroma for their grey are within SAT_RATIO of each other (a pale paint
 * and a deep one of the same hue are two vehicles; grey under SAT_GREY_MIN counts as that) are
 * faces of one body when their boxes come within BODY_GAP pixels, or lie one above the other
 * over BAND_OVERLAP of the narrower one's columns, the narrower at least BAND_WIDTHS of the
 * wider, across up to BAND_SHARE of the narrower one's width (a window band between a roof and
 * a back). */
#define SAT_MIN      8.0
#define HUE_DEG      15.0
#define SAT_RATIO    2.6
#define SAT_GREY_MIN 16.0
#define BODY_GAP     4
#define BAND_SHARE   0.35
#define BAND_OVERLAP 0.7
#define BAND_WIDTHS  0.6
/* A body is a vehicle's when it is at least this wide on the road, this many pixels, and fills
 * this share of its box; a walker's or a rider's clothes are narrower. */
#define BODY_MIN_W_M 1.2
#define BODY_MIN_PX  60
#define BODY_FILL    0.35
/* One body whose box is this share of its blob's is the blob. */
#define WHOLE 0.8
/* A body's box holding this share of a larger one's is part of it. */
#define INSIDE 0.5
/* Pieces stacked over the same columns (STACK_OVERLAP of the narrower) whose widths are within
 * STACK_WIDTHS of each other are one road user. A piece under another, at least UNDER_WIDTH of
 * its width and UNDER_OVERLAP of its own columns under it, is its lower part (a back under a
 * roof, a bike under its rider, a back a little wider than the roof seen at an angle): a nearer
 * road user in the same lane is wider than the one it hides, a walker in front of a car much
 * narrower. A piece under a vehicle's body and less than UNDER_SHORT_M tall (at its foot, where
 * an upright metre is as many pixels as a metre across) is the body's lower part however narrow:
 * a wheel, a bumper, a back broken up by light; whoever walks or rides in front of a car is
 * taller. */
#define STACK_OVERLAP 0.9
#define STACK_WIDTHS  0.88
#define UNDER_WIDTH   0.6
#define UNDER_OVERLAP 0.8
#define UNDER_SHORT_M 1.0
/* Pieces of the rest smaller than this are slivers at bodies' edges. */
#define REST_MIN_PX 40
/* A piece's foot is hidden when the blob goes on, right under it, across this share of its
 * width. */
#define UNDER_SHARE 0.4

struct region {
    int n, x0, y0, x1, y1;
    int64_t su, sv, sg; /* summed chroma off grey, and grey */
    int up;             /* union-find: the body it is part of */
    bool painted;       /* (painted()) */
    double hue, sat;
};

struct cw_colour_splitter {
    int w, h;
    double *mpp;    /* metres per analysis pixel, per row */
    int32_t *lab;   /* per pixel: its region, or -1 */
    int32_t *stack; /* the flood fill's pixels to visit; the labelling's union-find */
    int32_t *cnt;   /* the labelling's pixels per region root */
    uint32_t *key;  /* per pixel of the blob being cut: grey, U, V (key_at) */
    struct region *reg;
    struct region *acc; /* per root region, its body's bounds and count */
    int *body;          /* regions that are vehicle bodies' roots, largest first */
};

struct cw_colour_splitter *cw_colour_splitter_new(int w, int h, const double *mpp)
{
    if (w < 1 || h < 1) {
        cw_log_error(MOD, "no colour splitter for pictures of %dx%d", w, h);
        return NULL;
    }
    struct cw_colour_splitter *s = calloc(1, sizeof(*s));
    size_t n = (size_t)w * h;
    if (!s || !(s->mpp = malloc((size_t)h * sizeof(double))) ||
        !(s->lab = malloc(n * sizeof(int32_t))) || !(s->stack = malloc(n * sizeof(int32_t))) ||
        !(s->key = malloc(n * sizeof(uint32_t))) || !(s->cnt = malloc(n * sizeof(int32_t))) ||
        !(s->reg = malloc(MAX_REGIONS * sizeof(struct region))) ||
        !(s->acc = malloc(MAX_REGIONS * sizeof(struct region))) ||
        !(s->body = malloc(MAX_REGIONS * sizeof(int)))) {
        cw_colour_splitter_free(s);
        cw_log_error(MOD, "out of memory for the colour splitter (%dx%d)", w, h);
        return NULL;
    }
    s->w = w, s->h = h;
    memcpy(s->mpp, mpp, (size_t)h * sizeof(double));
    for (size_t i = 0; i < n; i++)
        s->lab[i] = -1;
    return s;
}

void cw_colour_splitter_free(struct cw_colour_splitter *s)
{
    if (!s)
        return;
    free(s->mpp);
    free(s->lab);
    free(s->stack);
    free(s->key);
    free(s->cnt);
    free(s->reg);
    free(s->acc);
    free(s->body);
    free(s);
}

static int find(struct region *r, int i)
{
    while (r[i].up != i)
        i = r[i].up = r[r[i].up].up;
    return i;
}

/* A pixel's grey, U and V as bytes of one word, for the labelling; NOT_MINE off the blob. */
#define NOT_MINE UINT32_MAX

static inline uint32_t key_at(const struct cw_image *grey, const struct cw_image *u,
                              const struct cw_image *v, int x, int y)
{
    size_t c = (size_t)(y / 2) * u->stride + x / 2;
    return (uint32_t)grey->data[(size_t)y * grey->stride + x] | (uint32_t)u->data[c] << 8 |
           (uint32_t)v->data[c] << 16;
}

static inline bool flat(uint32_t a, uint32_t b)
{
    int dg = (int)(a & 255) - (int)(b & 255), du = (int)(a >> 8 & 255) - (int)(b >> 8 & 255);
    int dv = (int)(a >> 16 & 255) - (int)(b >> 16 & 255);
    return abs(dg) <= FLAT_GREY && abs(du) + abs(dv) <= FLAT_CHROMA;
}

static int32_t root(int32_t *up, int32_t i)
{
    while (up[i] != i)
        i = up[i] = up[up[i]];
    return i;
}

/* Joins the flat regions of pixels @i and @j: the root is the pixel first in raster order. */
static void join(int32_t *up, int32_t i, int32_t j)
{
    int32_t a = root(up, i), b = root(up, j);
    if (a < b)
        up[b] = a;
    else if (b < a)
        up[a] = b;
}

/* Labels blob @b's pixels inside @bb into flat regions (4-connected: neighbours flat() to each
 * other), in raster order of their first pixels, into s->reg; returns how many reached
 * REGION_MIN pixels, or -1 when more than MAX_REGIONS did (texture). */
static int label_regions(struct cw_colour_splitter *s, const int32_t *map, int b,
                         const struct cw_blob *bb, const struct cw_image *grey,
                         const struct cw_image *u, const struct cw_image *v)
{
    int w = s->w, nreg = 0;
    uint32_t *key = s->key;
    int32_t *up = s->stack, *cnt = s->cnt;
    for (int y = bb->y0; y <= bb->y1; y++)
        for (int x = bb->x0; x <= bb->x1; x++) {
            int32_t i = y * w + x;
            if (map[i] != b) {
                key[i] = NOT_MINE;
                continue;
            }
            key[i] = key_at(grey, u, v, x, y);
            up[i] = i, cnt[i] = 0;
            if (x > bb->x0 && key[i - 1] != NOT_MINE && flat(key[i], key[i - 1]))
                join(up, i, i - 1);
            if (y > bb->y0 && key[i - w] != NOT_MINE && flat(key[i], key[i - w]))
                join(up, i, i - w);
        }
    for (int y = bb->y0; y <= bb->y1; y++)
        for (int x = bb->x0; x <= bb->x1; x++)
            if (key[y * w + x] != NOT_MINE)
                cnt[root(up, y * w + x)]++;
    for (int y = bb->y0; y <= bb->y1; y++)
        for (int x = bb->x0; x <= bb->x1; x++) {
            int32_t i = y * w + x;
            if (key[i] == NOT_MINE)
                continue;
            int32_t r = root(up, i);
            if (cnt[r] < REGION_MIN)
                continue;
            if (r == i) { /* the region's first pixel */
                if (nreg == MAX_REGIONS)
                    return -1;
                s->lab[r] = nreg;
                s->reg[nreg] = (struct region){0, x, y, x, y, 0, 0, 0, nreg};
                nreg++;
            }
            struct region *g = &s->reg[s->lab[r]];
            uint32_t a = key[i];
            g->n++;
            g->sg += a & 255, g->su += (int)(a >> 8 & 255) - 128;
            g->sv += (int)(a >> 16 & 255) - 128;
            g->x0 = x < g->x0 ? x : g->x0, g->x1 = x > g->x1 ? x : g->x1;
            g->y1 = y; /* (rows come in order) */
        }
    return nreg;
}

/* Whether @r is painted; its hue (degrees) and its chroma for its grey (a paint's, whatever its
 * light) to @hue and @sat. */
static bool painted(const struct region *r, double *hue, double *sat)
{
    double mu = (double)r->su / r->n, mv = (double)r->sv / r->n, c = hypot(mu, mv);
    *hue = atan2(mv, mu) * (180.0 / M_PI);
    *sat = c / fmax((double)r->sg / r->n, SAT_GREY_MIN);
    return c >= SAT_MIN;
}

/* Whether @a and @b lie together: their boxes within BODY_GAP pixels, or one above the other
 * over the same columns, as wide, within BAND_SHARE of the narrower one's width (a window band
 * between a roof and a back). */
static bool near_box(const struct region *a, const struct region *b)
{
    if (a->x0 > b->x1 + BODY_GAP || b->x0 > a->x1 + BODY_GAP)
        return false;
    if (a->y0 <= b->y1 + BODY_GAP && b->y0 <= a->y1 + BODY_GAP)
        return true;
    int wa = a->x1 - a->x0 + 1, wb = b->x1 - b->x0 + 1, narrow = wa < wb ? wa : wb;
    int lo = a->x0 > b->x0 ? a->x0 : b->x0, hi = a->x1 < b->x1 ? a->x1 : b->x1;
    if (hi - lo + 1 < BAND_OVERLAP * narrow || narrow < BAND_WIDTHS * (wa + wb - narrow))
        return false;
    int gy = (int)(BAND_SHARE * narrow);
    return a->y0 <= b->y1 + gy && b->y0 <= a->y1 + gy;
}

/* Joins painted regions of one hue lying together into bodies (the roots carry the bounds and
 * counts); returns how many bodies are a vehicle's, their roots in s->body, largest first. */
static int bodies(struct cw_colour_splitter *s, int nreg)
{
    struct region *r = s->reg;
    for (int i = 0; i < nreg; i++)
        r[i].painted = painted(&r[i], &r[i].hue, &r[i].sat);
    for (int i = 0; i < nreg; i++) {
        if (!r[i].painted)
            continue;
        for (int j = i + 1; j < nreg; j++) {
            if (!r[j].painted || !near_box(&r[i], &r[j]))
                continue;
            double dh = fabs(r[i].hue - r[j].hue), si = r[i].sat, sj = r[j].sat;
            if (fmin(dh, 360 - dh) > HUE_DEG || fmax(si, sj) > SAT_RATIO * fmin(si, sj))
                continue;
            int a = find(r, i), c = find(r, j);
            if (a != c)
                r[c].up = a;
        }
    }
    /* the roots' bounds and counts become the bodies' (a root is never merged into after this) */
    int nb = 0;
    static const struct region none = {0, 1 << 30, 1 << 30, -1, -1, 0, 0, 0, 0};
    struct region *acc = s->acc;
    for (int i = 0; i < nreg; i++)
        acc[i] = none;
    for (int i = 0; i < nreg; i++) {
        if (!r[i].painted)
            continue;
        struct region *a = &acc[find(r, i)];
        a->n += r[i].n;
        a->x0 = r[i].x0 < a->x0 ? r[i].x0 : a->x0, a->x1 = r[i].x1 > a->x1 ? r[i].x1 : a->x1;
        a->y0 = r[i].y0 < a->y0 ? r[i].y0 : a->y0, a->y1 = r[i].y1 > a->y1 ? r[i].y1 : a->y1;
    }
    for (int i = 0; i < nreg; i++) {
        const struct region *a = &acc[i];
        if (a->n < BODY_MIN_PX)
            continue;
        int bw = a->x1 - a->x0 + 1, bh = a->y1 - a->y0 + 1;
        double m = s->mpp[a->y1];
        if (!(m > 0) || bw * m < BODY_MIN_W_M || a->n < BODY_FILL * bw * bh)
            continue;
        int k = nb++;
        while (k > 0 && acc[s->body[k - 1]].n < a->n) {
            s->body[k] = s->body[k - 1];
            k--;
        }
        s->body[k] = i;
    }
    /* keep the bounds where the caller reads them */
    for (int i = 0; i < nb; i++) {
        int k = s->body[i];
        r[k].x0 = acc[k].x0, r[k].x1 = acc[k].x1, r[k].y0 = acc[k].y0, r[k].y1 = acc[k].y1;
        r[k].n = acc[k].n;
    }
    return nb;
}

static int overlap(const struct cw_blob *a, const struct cw_blob *b)
{
    int w = (a->x1 < b->x1 ? a->x1 : b->x1) - (a->x0 > b->x0 ? a->x0 : b->x0) + 1;
    int h = (a->y1 < b->y1 ? a->y1 : b->y1) - (a->y0 > b->y0 ? a->y0 : b->y0) + 1;
    return w > 0 && h > 0 ? w * h : 0;
}

static bool in_any(const struct cw_blob *box, int n, int x, int y)
{
    for (int i = 0; i < n; i++)
        if (x >= box[i].x0 && x <= box[i].x1 && y >= box[i].y0 && y <= box[i].y1)
            return true;
    return false;
}

/* Whether blob @b goes on right under piece @p across UNDER_SHARE of its width. */
static bool foot_hidden(const struct cw_colour_splitter *s, const int32_t *map, int b,
                        const struct cw_blob *p)
{
    int under = 0;
    for (int x = p->x0; x <= p->x1; x++)
        for (int y = p->y1 + 1; y <= p->y1 + 2 && y < s->h; y++)
            if (map[y * s->w + x] == b) {
                under++;
                break;
            }
    return under >= UNDER_SHARE * (p->x1 - p->x0 + 1);
}

/* Whether piece @c starts under the top of @a, at most 2 rows below its bottom, with
 * UNDER_OVERLAP of its columns within @a's. */
static bool under(const struct cw_blob *a, const struct cw_blob *c)
{
    int lo = a->x0 > c->x0 ? a->x0 : c->x0, hi = a->x1 < c->x1 ? a->x1 : c->x1;
    return hi - lo + 1 >= UNDER_OVERLAP * (c->x1 - c->x0 + 1) && c->y0 > a->y0 &&
           c->y0 <= a->y1 + 2;
}

/* Whether piece @c, under @a and at least UNDER_WIDTH of its width, is @a's lower part (a back
 * under its roof, a bike under its rider, a bumper); much wider, it is a nearer road user. */
static bool lower_part(const struct cw_blob *a, const struct cw_blob *c)
{
    return under(a, c) && c->x1 - c->x0 + 1 >= UNDER_WIDTH * (a->x1 - a->x0 + 1);
}

/* @a grown over @c. */
static void take_in(struct cw_blob *a, const struct cw_blob *c)
{
    a->x0 = c->x0 < a->x0 ? c->x0 : a->x0, a->x1 = c->x1 > a->x1 ? c->x1 : a->x1;
    a->y1 = c->y1 > a->y1 ? c->y1 : a->y1;
    a->area += c->area;
}

/* Pieces one above the other, touching, as wide as each other and over the same columns are
 * the faces of one road user (a roof and a back in two lights, a white top over a dark bike): a
 * road user farther away in the same lane is narrower in the picture. Joins them; returns how
 * many pieces are left. */
static int join_stacked(struct cw_blob *p, int n)
{
    for (bool again = true; again;) {
        again = false;
        for (int i = 0; i < n && !again; i++)
            for (int j = 0; j < n && !again; j++) {
                struct cw_blob *a = &p[i], *c = &p[j]; /* a above c */
                int wa = a->x1 - a->x0 + 1, wc = c->x1 - c->x0 + 1;
                int lo = a->x0 > c->x0 ? a->x0 : c->x0, hi = a->x1 < c->x1 ? a->x1 : c->x1;
                int narrow = wa < wc ? wa : wc, wide = wa < wc ? wc : wa;
                if (i == j || a->y0 >= c->y0 || c->y0 > a->y1 + 2 ||
                    (!lower_part(a, c) &&
                     (hi - lo + 1 < STACK_OVERLAP * narrow || narrow < STACK_WIDTHS * wide)))
                    continue;
                take_in(a, c);
                p[j] = p[--n];
                again = true;
            }
    }
    return n;
}

/* Cuts blob @b (bounds @bb) given its @nb vehicle bodies: writes the bodies, then the rest's
 * connected pieces, to @out (room @cap); returns how many. */
static int cut(struct cw_colour_splitter *s, const int32_t *map, int b, const struct cw_blob *bb,
               int nb, struct cw_blob *out, int cap)
{
    int n = 0, w = s->w;
    for (int i = 0; i < nb && n < cap; i++) {
        const struct region *r = &s->reg[s->body[i]];
        struct cw_blob box = {r->x0, r->y0, r->x1, r->y1, r->n, false};
        bool inside = false;
        for (int j = 0; j < n && !inside; j++)
            inside =
                overlap(&box, &out[j]) >= INSIDE * (box.x1 - box.x0 + 1) * (box.y1 - box.y0 + 1);
        if (!inside)
            out[n++] = box;
    }
    int nbody = n;
    /* the rest: the blob's pixels outside the bodies' boxes, in 8-connected pieces */
    for (int y = bb->y0; y <= bb->y1; y++)
        for (int x = bb->x0; x <= bb->x1; x++)
            if (map[y * w + x] == b)
                s->lab[y * w + x] = in_any(out, nbody, x, y) ? -3 : -1;
    for (int y = bb->y0; y <= bb->y1; y++)
        for (int x = bb->x0; x <= bb->x1; x++) {
            int32_t seed = y * w + x;
            if (map[seed] != b || s->lab[seed] != -1)
                continue;
            struct cw_blob p = {x, y, x, y, 0, false};
            int top = 0;
            s->stack[top++] = seed;
            s->lab[seed] = -4;
            while (top > 0) {
                int32_t q = s->stack[--top];
                int qx = q % w, qy = q / w;
                p.area++;
                p.x0 = qx < p.x0 ? qx : p.x0, p.x1 = qx > p.x1 ? qx : p.x1;
                p.y0 = qy < p.y0 ? qy : p.y0, p.y1 = qy > p.y1 ? qy : p.y1;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int rx = qx + dx, ry = qy + dy;
                        if (rx < bb->x0 || rx > bb->x1 || ry < bb->y0 || ry > bb->y1)
                            continue;
                        int32_t t = ry * w + rx;
                        if (map[t] == b && s->lab[t] == -1) {
                            s->lab[t] = -4;
                            s->stack[top++] = t;
                        }
                    }
            }
            /* a body's lower part, however small, is the body's; so is anything under it too
             * short to be someone in front of it */
            bool own = false, short_one = (p.y1 - p.y0 + 1) * s->mpp[p.y1] < UNDER_SHORT_M;
            for (int j = 0; j < nbody && !own; j++)
                if ((own = lower_part(&out[j], &p) || (short_one && under(&out[j], &p))))
                    take_in(&out[j], &p);
            if (!own && p.area >= REST_MIN_PX && n < cap)
                out[n++] = p;
        }
    n = join_stacked(out, n);
    for (int i = 0; i < n; i++)
        out[i].foot_hidden = foot_hidden(s, map, b, &out[i]);
    return n;
}

/* Resets the labels of blob @b's bounds for the next blob. */
static void clear(struct cw_colour_splitter *s, const struct cw_blob *bb)
{
    for (int y = bb->y0; y <= bb->y1; y++) /* (-1 is all ones) */
        memset(s->lab + (size_t)y * s->w + bb->x0, 0xff,
               (size_t)(bb->x1 - bb->x0 + 1) * sizeof(*s->lab));
}

/* Whether blob @b is near enough for its paint to be read, and whole at the bottom (above). */
static bool near_enough(const struct cw_colour_splitter *s, const struct cw_blob *b)
{
    double mpp = s->mpp[b->y1];
    return b->y1 < s->h - 1 && mpp > 0 && 1 / mpp >= SPLIT_MIN_PX_PER_M;
}

int cw_colour_split(struct cw_colour_splitter *s, const int32_t *map, const struct cw_image *grey,
                    const struct cw_image *u, const struct cw_image *v, const struct cw_blob *in,
                    int n, struct cw_blob *out, int *parent, int cap)
{
    int k = 0;
    for (int b = 0; b < n && k < cap; b++) {
        const struct cw_blob *bb = &in[b];
        int made = 0;
        if (bb->area >= SPLIT_MIN_AREA && near_enough(s, bb)) {
            int nreg = label_regions(s, map, b, bb, grey, u, v);
            int nb = nreg > 0 ? bodies(s, nreg) : 0;
            const struct region *r = nb > 0 ? &s->reg[s->body[0]] : NULL;
            /* one body that is the whole blob is no cut */
            bool whole = nb == 1 && (r->x1 - r->x0 + 1) * (r->y1 - r->y0 + 1) >=
                                        WHOLE * (bb->x1 - bb->x0 + 1) * (bb->y1 - bb->y0 + 1);
            if (nb > 0 && !whole)
                made = cut(s, map, b, bb, nb, out + k, cap - k);
            clear(s, bb);
        }
        if (made < 2) { /* all one road user after all */
            out[k] = *bb;
            made = 1;
        }
        for (int i = 0; i < made; i++)
            parent[k + i] = b;
        k += made;
    }
    return k;
}
