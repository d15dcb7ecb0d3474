/* crosswatch — the normalised detection record every detector produces and the tracker reads.
 *
 * A detector (the motion model, a DNN) turns a frame into an array of these; it knows nothing of
 * tracks or rules. Boxes are in full-resolution image pixels; the ground point and size are
 * filled when the scene's homography is known.
 */
#ifndef CROSSWATCH_DETECTION_H
#define CROSSWATCH_DETECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "crosswatch/geom.h"

enum cw_class {
    CW_CLASS_UNKNOWN = 0,
    CW_CLASS_PEDESTRIAN,
    CW_CLASS_TWO_WHEELER, /* bicycle, e-bike, motorcycle */
    CW_CLASS_CAR,
    CW_CLASS_BUS_TRUCK,
    CW_CLASS_COUNT
};

/* A two-wheeler with its rider, in metres: what a lone lamp at night stands for (the motion
 * detector boxes it seen square, the tracker along its way once it rides) */
#define CW_RIDER_W_M 0.7 /* wide … */
#define CW_RIDER_H_M 1.7 /* … high, the rider's head included … */
#define CW_RIDER_L_M 1.8 /* … and long */

/* Attributes a custom model may fill (e.g. helmet: no), indexes into cw_detection.attr. */
enum cw_attr {
    CW_ATTR_HELMET,    /* yes: wearing one */
    CW_ATTR_PASSENGER, /* yes: carrying a passenger */
    CW_ATTR_CANOPY,    /* yes: an illegal canopy on an e-bike */
    CW_ATTR_COUNT
};

/* An attribute's value; zero is "not said", so a zeroed detection claims nothing. */
enum cw_attr_value { CW_ATTR_UNKNOWN = 0, CW_ATTR_NO = 1, CW_ATTR_YES = 2 };

struct cw_detection {
    struct cw_box box; /* image pixels, top-left and size */
    float score;       /* detector confidence 0..1 */
    int cls;           /* enum cw_class */
    float cls_conf;    /* confidence in cls, 0..1 */
    bool has_ground;
    struct cw_point ground;     /* foot point (bottom-centre of the box) on the ground, metres */
    float ground_sigma_m;       /* how far the foot point moves on the ground for a few pixels of
                                   error in the picture: small near the camera, large far away */
    float width_m, length_m;    /* metric size on the ground, when known */
    int8_t attr[CW_ATTR_COUNT]; /* enum cw_attr_value per enum cw_attr */
    bool bottom_hidden;         /* a nearer road user hides its lower part: the box's bottom edge
                                   is not the road user's (no ground point then) */
    bool cut_off;               /* the picture's bottom edge cuts it (entering or leaving there):
                                   its box is the part in the picture, its shape not its own */
    bool lamp;                  /* found by a lone lamp at night: its class is a guess (a
                                   two-wheeler's lamp, or a lit patch of someone on foot) */
    int blob; /* 1 + the detector's index of its own pixels (struct cw_pixel_ops), 0: none */
};

/* A road user's look: the picture under its box sampled on a CW_LOOK_N × CW_LOOK_N grid of cells
 * (grey and chroma), and which cells were a road user's pixels (foreground) then: what finds it
 * again inside a merged blob, where its box cannot be measured. */
#define CW_LOOK_N 16
struct cw_look {
    uint8_t y[CW_LOOK_N * CW_LOOK_N], u[CW_LOOK_N * CW_LOOK_N], v[CW_LOOK_N * CW_LOOK_N];
    uint8_t own[CW_LOOK_N * CW_LOOK_N]; /* 1: a road user's pixel when sampled */
    int n_own;                          /* cells with own set; 0: no look */
};

/* A detector's own pixels, kept for the last frame (the motion detector's: what a box cannot
 * say when blobs' boxes overlap or one blob holds several road users). @blob is a detection's
 * cw_detection.blob; boxes are in the detections' pixels. */
struct cw_pixel_ops {
    /* the share (0..1) of @box that @blob's own pixels fill */
    double (*support)(const void *ctx, int blob, const struct cw_box *box);
    /* the leftmost and rightmost edges of @blob's pixels within @box; false where there are none */
    bool (*span)(const void *ctx, int blob, const struct cw_box *box, double *x0, double *x1);
    /* samples the picture under @box into @look (look->n_own 0 where it is off the picture) */
    void (*look)(const void *ctx, const struct cw_box *box, struct cw_look *look);
    /* looks for @look at boxes of @box's size moved up to @radius pixels each way (the detector
     * may search less far: the motion stage, four of its analysis pixels); the cells hidden
     * by the @nskip nearer road users are left out: those under box @skip[k] where its look
     * @skip_look[k] has its own pixels (all of the box where @skip_look, its entry, or that
     * look is empty). Writes the best place to @found and returns its mean difference per own
     * cell compared (grey and chroma, 0..255), or INFINITY where fewer than @min_share of the
     * look's own cells are left to compare at @box itself (then it is not looked for
     * elsewhere). */
    double (*find)(const void *ctx, const struct cw_look *look, const struct cw_box *box,
                   double radius, const struct cw_box *skip, const struct cw_look *const *skip_look,
                   int nskip, double min_share, struct cw_box *found);
};

/* "pedestrian", "two_wheeler", "car", "bus_truck" or "unknown". */
const char *cw_class_name(int cls);

/* The enum cw_class for one of the names above, or -1. */
int cw_class_parse(const char *name);

struct cw_scene;

/* Places @d on the ground from its box through @scene's homography: the foot point
 * (bottom-centre), the box's width on the ground at the foot, and ground_sigma_m, how far the foot
 * point moves for @pixel_err full-resolution pixels of error up the picture. Leaves has_ground
 * false when the foot point does not map (above the horizon), or when the box reaches the bottom
 * of the picture (@image_h high; 0: not known), where the road user's foot is cut off: a car
 * entering at the bottom edge would seem to stand still there; such a box is marked cut_off. */
void cw_detection_locate(struct cw_detection *d, const struct cw_scene *scene, double pixel_err,
                         double image_h);

#endif
