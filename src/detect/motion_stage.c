/* The motion detector as a stage: model, chroma resampling and ignore mask made on the first
 * frame, then blobs → detections each frame. */
#include "crosswatch/motion_stage.h"

#include <math.h>
#include <stdlib.h>

#include "crosswatch/blob_split.h"
#include "crosswatch/error.h"
#include "crosswatch/geom.h"
#include "crosswatch/log.h"
#include "crosswatch/resample.h"
#include "crosswatch/scene.h"

#define MAX_BLOBS 512
/* the smallest road user's share seen, for the smallest blob far away (m², analysis pixels) */
#define FAR_AREA_M2  0.6
#define FAR_MIN_AREA 16

struct cw_motion_stage {
    struct cw_motion_config cfg;
    const struct cw_scene *scene;
    struct cw_motion *mot;
    struct cw_resampler *rs;
    struct cw_image u, v;
    int fw, fh, gw, gh;             /* the picture and analysis sizes it was set up for */
    struct cw_blob_splitter *split; /* NULL: blobs are not split */
    struct cw_blob blobs[MAX_BLOBS], pieces[MAX_BLOBS];
    int parent[MAX_BLOBS]; /* each piece's blob */
    double sx, sy;         /* the detections' pixels per analysis pixel, last frame */
};

/* Drops what was made for the previous picture size. */
static void teardown(struct cw_motion_stage *s)
{
    free(s->u.data);
    free(s->v.data);
    cw_resampler_free(s->rs);
    cw_motion_free(s->mot);
    cw_blob_splitter_free(s->split);
    s->u.data = s->v.data = NULL;
    s->rs = NULL;
    s->mot = NULL;
    s->split = NULL;
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
 * Near rows keep min_area; a far car, a few pixels across, is kept where min_area would drop it. */
static int far_areas(struct cw_motion_stage *s, double sx, double sy)
{
    int gh = s->gh;
    int32_t *area = malloc((size_t)gh * sizeof(int32_t));
    if (!area)
        return CW_ENOMEM;
    double cx = s->gw / 2.0 * sx;
    for (int y = 0; y < gh; y++) {
        double yy = (y + 0.5) * sy;
        double mpp = cw_ground_span(&s->scene->img_to_ground, (struct cw_point){cx, yy},
                                    (struct cw_point){cx + sx, yy});
        double px = mpp > 0 && isfinite(mpp) ? FAR_AREA_M2 / (mpp * mpp) : INFINITY;
        area[y] = px < s->cfg.min_area ? (int32_t)fmax(FAR_MIN_AREA, ceil(px)) : s->cfg.min_area;
    }
    cw_motion_set_row_area(s->mot, area);
    free(area);
    return 0;
}

static int first_frame(struct cw_motion_stage *s, const struct cw_frame *f)
{
    s->fw = f->width, s->fh = f->height, s->gw = f->grey.width, s->gh = f->grey.height;
    int cw = (f->grey.width + 1) / 2, ch = (f->grey.height + 1) / 2;
    s->mot = cw_motion_new(&s->cfg, f->grey.width, f->grey.height);
    s->rs = cw_resampler_new((f->width + 1) / 2, (f->height + 1) / 2, cw, ch);
    s->u = (struct cw_image){cw, ch, cw, malloc((size_t)cw * ch)};
    s->v = (struct cw_image){cw, ch, cw, malloc((size_t)cw * ch)};
    if (!s->mot || !s->rs || !s->u.data || !s->v.data) {
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
        int err = far_areas(s, (double)sw / f->grey.width, (double)sh / f->grey.height);
        if (err)
            return err;
        if (s->cfg.split)
            s->split = cw_blob_splitter_new(s->scene, f->grey.width, f->grey.height,
                                            (double)sw / f->grey.width, (double)sh / f->grey.height,
                                            s->cfg.min_area);
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
    }
    /* boxes in the scene's pixels (camera.width × height), whatever size the stream is now */
    int w = f->width, h = f->height;
    if (s->scene && s->scene->camera.width > 0 && s->scene->camera.height > 0)
        w = s->scene->camera.width, h = s->scene->camera.height;
    s->sx = (double)w / f->grey.width, s->sy = (double)h / f->grey.height;
    int n = cw_motion_detections(s->mot, blobs, nb, s->scene, w, h, out);
    /* a piece's pixels are its blob's: the pixel queries are of the blob it was cut from */
    for (int i = 0; s->split && i < n; i++)
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

const struct cw_pixel_ops cw_motion_stage_pixels = {support, span};
