/* Splitting blobs that hold several road users, by their size on the ground (blob_split.h). */
#include "crosswatch/blob_split.h"

#include <math.h>
#include <stdlib.h>

#include "crosswatch/geom.h"
#include "crosswatch/log.h"
#include "crosswatch/scene.h"

#define MOD        "motion"
#define MAX_PIECES 6 /* road users cut from one blob at most */
#define FOOT_ROWS  3 /* rows at least at a piece's bottom that give its width (a tenth of it) */

/* The sizes a road user of a class may have: length along the view and height, the smallest and
 * the largest. Pedestrians and two-wheelers seen from behind are narrow; cars and vans are as
 * wide as a lane's half; wider blobs (buses, or two road users side by side) are not cut. */
struct envelope {
    double max_width_m;
    double len_min_m, height_min_m, len_max_m, height_max_m;
    double len_m, height_m; /* the usual one */
};

static const struct envelope classes[] = {
    {1.3, 0.4, 1.1, 2.6, 2.2, 1.2, 1.7}, /* pedestrian, two-wheeler */
    {2.3, 3.3, 1.3, 6.0, 2.4, 4.6, 1.6}, /* car, van */
};

struct cw_blob_splitter {
    const struct cw_scene *scene;
    struct cw_pinhole cam;
    int w, h;
    double sx, sy; /* scene pixels per analysis pixel */
    int min_area;  /* pieces smaller than this are not cut off */
    int *count;    /* road-user pixels per row of the piece being cut */
    int *span;     /* … and from its first to its last one */
};

struct cw_blob_splitter *cw_blob_splitter_new(const struct cw_scene *scene, int w, int h, double sx,
                                              double sy, int min_area)
{
    struct cw_pinhole cam;
    if (!scene || w < 1 || h < 1)
        return NULL;
    double cx = scene->camera.width > 0 ? scene->camera.width / 2.0 : w * sx / 2;
    double cy = scene->camera.height > 0 ? scene->camera.height / 2.0 : h * sy / 2;
    if (cw_pinhole_from_homography(&scene->ground_to_img, cx, cy, &cam)) {
        cw_log_info(MOD,
                    "%s: the ground homography is not a camera's view of the road (square pixels, "
                    "centred); blobs holding several road users are not split",
                    scene->path ? scene->path : "scene");
        return NULL;
    }
    struct cw_blob_splitter *s = calloc(1, sizeof(*s));
    if (!s || !(s->count = calloc((size_t)h + 1, sizeof(int))) ||
        !(s->span = calloc((size_t)h + 1, sizeof(int)))) {
        if (s)
            free(s->count);
        free(s);
        cw_log_error(MOD, "out of memory for the blob splitter");
        return NULL;
    }
    s->scene = scene, s->cam = cam, s->w = w, s->h = h, s->sx = sx, s->sy = sy;
    s->min_area = min_area;
    return s;
}

void cw_blob_splitter_free(struct cw_blob_splitter *s)
{
    if (!s)
        return;
    free(s->count);
    free(s->span);
    free(s);
}

/* The analysis row of the top of a road user standing on ground point @foot, @len_m long away
 * from the camera and @height_m tall (the higher of its near and far top edges), or -1e9. */
static double top_row(const struct cw_blob_splitter *s, struct cw_point foot, double len_m,
                      double height_m)
{
    double dx = foot.x - s->cam.foot.x, dy = foot.y - s->cam.foot.y, d = hypot(dx, dy);
    if (!(d > 0.1))
        return -1e9;
    struct cw_point far = {foot.x + dx / d * len_m, foot.y + dy / d * len_m}, a, b;
    if (!cw_pinhole_project(&s->cam, foot, height_m, &a) ||
        !cw_pinhole_project(&s->cam, far, height_m, &b))
        return -1e9;
    return fmin(a.y, b.y) / s->sy;
}

/* The bounds and area of the road-user pixels of rows [y0, y1] between columns x0 and x1. */
static struct cw_blob bounds(const uint8_t *mask, int w, int x0, int x1, int y0, int y1)
{
    struct cw_blob b = {x1 + 1, y1 + 1, x0 - 1, y0 - 1, 0};
    for (int y = y0; y <= y1; y++) {
        const uint8_t *row = mask + (size_t)y * w;
        for (int x = x0; x <= x1; x++)
            if (row[x] == CW_MOTION_FG) {
                b.area++;
                b.x0 = x < b.x0 ? x : b.x0;
                b.x1 = x > b.x1 ? x : b.x1;
                b.y0 = y < b.y0 ? y : b.y0;
                b.y1 = y > b.y1 ? y : b.y1;
            }
    }
    return b;
}

/* Where the next road user starts in rows [@r0, @r1] (columns @x0..@x1): the row above which
 * the piece is cut. Candidates are the bottom rows of thin stretches (a rear window, the road
 * between two road users; only when the band has a clearly thin stretch) and rows where the
 * outline narrows sharply going up (the one behind is farther, so narrower); the one nearest
 * @typical (the top of a road user of the usual size) wins, or @typical itself when there is
 * none. */
static int cut_row(struct cw_blob_splitter *s, const uint8_t *mask, int x0, int x1, int r0, int r1,
                   int typical)
{
    int least = s->w + 1, most = 0;
    for (int y = r0; y <= r1 + 1; y++) {
        const uint8_t *row = mask + (size_t)y * s->w;
        int c = 0, l = -1, r = -1;
        for (int x = x0; x <= x1; x++)
            if (row[x] == CW_MOTION_FG) {
                c++;
                l = l < 0 ? x : l;
                r = x;
            }
        s->count[y] = c;
        s->span[y] = c ? r - l + 1 : 0;
        if (y <= r1) {
            least = c < least ? c : least;
            most = c > most ? c : most;
        }
    }
    bool gaps = 4 * (most - least) >= most;
    int best = typical < r0 ? r0 : typical > r1 ? r1 : typical, dist = s->h + 1;
    for (int y = r1; y >= r0; y--) {
        bool thin = gaps && 10 * (s->count[y] - least) <= most - least;
        bool thin_below = gaps && 10 * (s->count[y + 1] - least) <= most - least && y < r1;
        int step = s->span[y + 1] - s->span[y];
        bool candidate = (thin && !thin_below) || (step >= 2 && 25 * step >= s->span[y + 1]);
        if (candidate && abs(y - typical) < dist) {
            dist = abs(y - typical);
            best = y;
        }
    }
    return best;
}

/* Cuts @b from the bottom up into at most MAX_PIECES pieces written to @out (room for @cap).
 * Returns how many were written (1 when it holds one road user). */
static int split_one(struct cw_blob_splitter *s, const uint8_t *mask, const struct cw_blob *b,
                     struct cw_blob *out, int cap)
{
    int n = 0, bottom = b->y1;
    /* a blob the picture's bottom edge cuts off has no foot to measure from */
    while (b->y1 < s->h - 2 && n < cap - 1 && n < MAX_PIECES - 1) {
        /* the piece's foot: the bottom rows' extent, placed on the ground */
        int rows = (bottom - b->y0 + 1) / 10 > FOOT_ROWS ? (bottom - b->y0 + 1) / 10 : FOOT_ROWS;
        struct cw_blob foot = bounds(mask, s->w, b->x0, b->x1,
                                     bottom - rows + 1 > b->y0 ? bottom - rows + 1 : b->y0, bottom);
        if (foot.area == 0)
            break;
        struct cw_point fl = {foot.x0 * s->sx, (bottom + 1) * s->sy};
        struct cw_point fr = {(foot.x1 + 1) * s->sx, fl.y}, fc = {(fl.x + fr.x) / 2, fl.y}, gl, gr,
                        gc;
        if (!cw_homography_apply(&s->scene->img_to_ground, fl, &gl) ||
            !cw_homography_apply(&s->scene->img_to_ground, fr, &gr) ||
            !cw_homography_apply(&s->scene->img_to_ground, fc, &gc))
            break;
        double width = hypot(gr.x - gl.x, gr.y - gl.y);
        const struct envelope *e = NULL;
        for (size_t k = 0; k < sizeof(classes) / sizeof(classes[0]) && !e; k++)
            if (width < classes[k].max_width_m)
                e = &classes[k];
        if (!e)
            break; /* a bus, or road users side by side: not cut */
        double hi = top_row(s, gc, e->len_max_m, e->height_max_m);
        double lo = top_row(s, gc, e->len_min_m, e->height_min_m);
        if (hi < -1e8 || lo < -1e8 || lo <= hi)
            break;
        /* one road user reaches no higher than the largest of its class, give or take */
        double slack = 2 + 0.04 * (bottom - hi);
        if (b->y0 >= hi - slack)
            break;
        /* the cut: in the band between the smallest's and the largest's tops, a gap or a
         * narrowing nearest the top of one of the usual size (cut_row) */
        int r0 = (int)ceil(hi), r1 = (int)floor(lo);
        r0 = r0 < b->y0 + 1 ? b->y0 + 1 : r0;
        r1 = r1 > bottom - 1 ? bottom - 1 : r1;
        if (r1 < r0)
            break;
        int margin = (foot.x1 - foot.x0 + 1) / 8, x0 = foot.x0 - margin, x1 = foot.x1 + margin;
        x0 = x0 < b->x0 ? b->x0 : x0;
        x1 = x1 > b->x1 ? b->x1 : x1;
        int cut =
            cut_row(s, mask, x0, x1, r0, r1, (int)lround(top_row(s, gc, e->len_m, e->height_m)));
        cw_log_debug(MOD,
                     "blob x %d-%d y %d-%d: cut at row %d (foot %d, %.1f m wide, tops %.0f-%.0f)",
                     b->x0, b->x1, b->y0, b->y1, cut, bottom, width, hi, lo);
        struct cw_blob below = bounds(mask, s->w, b->x0, b->x1, cut + 1, bottom);
        struct cw_blob above = bounds(mask, s->w, b->x0, b->x1, b->y0, cut);
        if (below.area < s->min_area || above.area < s->min_area)
            break;
        below.foot_hidden = n > 0;
        out[n++] = below;
        bottom = above.y1;
    }
    if (n == 0) {
        out[0] = *b;
        return 1;
    }
    out[n] = bounds(mask, s->w, b->x0, b->x1, b->y0, bottom);
    out[n++].foot_hidden = true;
    return n;
}

int cw_blob_split(struct cw_blob_splitter *s, const uint8_t *mask, const struct cw_blob *in, int n,
                  struct cw_blob *out, int *parent, int cap)
{
    int m = 0;
    for (int i = 0; i < n && m < cap; i++) {
        int k = split_one(s, mask, &in[i], out + m, cap - m);
        for (int j = 0; parent && j < k; j++)
            parent[m + j] = i;
        m += k;
    }
    return m;
}
