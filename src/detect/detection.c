/* The normalised detection record: class names and placing a detection on the ground, shared by
 * every detector. */
#include "crosswatch/detection.h"

#include <math.h>
#include <string.h>

#include "crosswatch/scene.h"

static const char *const names[] = {"unknown", "pedestrian", "two_wheeler", "car", "bus_truck"};

const char *cw_class_name(int cls)
{
    return cls >= 0 && cls < CW_CLASS_COUNT ? names[cls] : "unknown";
}

int cw_class_parse(const char *name)
{
    for (int i = 0; i < CW_CLASS_COUNT; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}

void cw_detection_locate(struct cw_detection *d, const struct cw_scene *scene, double pixel_err,
                         double image_h)
{
    struct cw_point foot = {d->box.x + d->box.w / 2, d->box.y + d->box.h};
    double width = cw_ground_span(&scene->img_to_ground, (struct cw_point){d->box.x, foot.y},
                                  (struct cw_point){d->box.x + d->box.w, foot.y});
    d->has_ground = false;
    d->cut_off = false;
    if (isfinite(width))
        d->width_m = (float)width;
    /* cut off by the picture's bottom: the width measured there is its width at least that
     * near (at most that wide), but where it stands is not known */
    if (image_h > 0 && foot.y >= image_h - pixel_err) {
        d->cut_off = true;
        return;
    }
    if (!cw_homography_apply(&scene->img_to_ground, foot, &d->ground))
        return;
    d->has_ground = true;
    struct cw_point up = {foot.x, foot.y - pixel_err}, gu;
    d->ground_sigma_m = cw_homography_apply(&scene->img_to_ground, up, &gu)
                            ? (float)hypot(gu.x - d->ground.x, gu.y - d->ground.y)
                            : 10.0f;
}
