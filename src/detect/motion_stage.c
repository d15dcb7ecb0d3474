/* The motion detector as a stage: model, chroma resampling and ignore mask made on the first
 * frame, then blobs → detections each frame. */
#include "crosswatch/motion_stage.h"

#include <stdlib.h>

#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/resample.h"
#include "crosswatch/scene.h"

#define MAX_BLOBS 512

struct cw_motion_stage {
    struct cw_motion_config cfg;
    const struct cw_scene *scene;
    struct cw_motion *mot;
    struct cw_resampler *rs;
    struct cw_image u, v;
    struct cw_blob blobs[MAX_BLOBS];
};

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
    free(s->u.data);
    free(s->v.data);
    cw_resampler_free(s->rs);
    cw_motion_free(s->mot);
    free(s);
}

struct cw_motion *cw_motion_stage_model(struct cw_motion_stage *s)
{
    return s->mot;
}

static int first_frame(struct cw_motion_stage *s, const struct cw_frame *f)
{
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
    }
    return 0;
}

int cw_motion_stage_run(struct cw_motion_stage *s, const struct cw_frame *f, double dt_s,
                        struct cw_detection *out, int cap)
{
    int err;
    if (!s->mot && (err = first_frame(s, f)))
        return err;
    cw_resampler_run(s->rs, f->plane[1], f->stride[1], &s->u);
    cw_resampler_run(s->rs, f->plane[2], f->stride[2], &s->v);
    int nb = cw_motion_process(s->mot, &f->grey, &s->u, &s->v, dt_s, s->blobs,
                               cap < MAX_BLOBS ? cap : MAX_BLOBS);
    if (nb < 0)
        return nb;
    return cw_motion_detections(s->mot, s->blobs, nb, s->scene, f->width, f->height, out);
}
