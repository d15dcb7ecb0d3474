/* crosswatch — plane geometry: points, boxes, polygons and homographies.
 *
 * Image coordinates are pixels with y pointing down; ground coordinates are metres on the road
 * plane. A struct cw_homography maps one plane to the other.
 */
#ifndef CROSSWATCH_GEOM_H
#define CROSSWATCH_GEOM_H

#include <stdbool.h>

struct cw_point {
    double x, y;
};

/* Axis-aligned box: top-left corner and size. */
struct cw_box {
    double x, y, w, h;
};

/* 3×3 projective transform, row-major: (x, y, 1) ↦ (m0 x + m1 y + m2, m3 x + …) / (m6 x + m7 y +
 * m8). */
struct cw_homography {
    double m[9];
};

/* Solves the homography mapping src[i] to dst[i] for @n >= 4 pairs (least squares when n > 4),
 * with Hartley normalisation. Writes the root-mean-square reprojection error in dst units to
 * *@rms when not NULL. Returns 0, or CW_EINVAL when the points are degenerate (three collinear
 * among four, or all on one line). Does not log: the caller knows which file to name. */
int cw_homography_solve(const struct cw_point *src, const struct cw_point *dst, int n,
                        struct cw_homography *out, double *rms);

/* Inverts @h into @inv. Returns 0, or CW_EINVAL when @h is singular. */
int cw_homography_invert(const struct cw_homography *h, struct cw_homography *inv);

/* True when @h is singular or numerically close to it. */
bool cw_homography_is_singular(const struct cw_homography *h);

/* Maps @p through @h. Returns false when @p maps to or beyond the horizon (w <= 0), in which case
 * *@out is left unchanged. */
bool cw_homography_apply(const struct cw_homography *h, struct cw_point p, struct cw_point *out);

/* How far apart picture points @a and @b are on the ground (through @img_to_ground), metres;
 * INFINITY where either does not map (above the horizon). */
double cw_ground_span(const struct cw_homography *img_to_ground, struct cw_point a,
                      struct cw_point b);

/* Signed area (positive for counter-clockwise in a y-up frame). */
/* Intersection over union of two boxes; 0 when they do not overlap or are empty. */
double cw_box_iou(const struct cw_box *a, const struct cw_box *b);

/* The share of @a's area that lies inside @b; 0 when @a is empty. */
double cw_box_cover(const struct cw_box *a, const struct cw_box *b);

double cw_polygon_area(const struct cw_point *pts, int n);

/* Even-odd point-in-polygon test; points on an edge may go either way. */
bool cw_polygon_contains(const struct cw_point *pts, int n, struct cw_point p);

/* True when two non-adjacent edges of the closed polygon cross or touch; the indices of the
 * first such pair (edge i runs from pts[i] to pts[i+1]) go to *@ea and *@eb when not NULL. */
bool cw_polygon_self_intersects(const struct cw_point *pts, int n, int *ea, int *eb);

/* True when segments ab and cd share at least one point. */
bool cw_segments_intersect(struct cw_point a, struct cw_point b, struct cw_point c,
                           struct cw_point d);

/* Sign of the cross product (b - a) × (p - a): > 0 on one side of the line ab, < 0 on the other,
 * 0 on it. */
double cw_line_side(struct cw_point a, struct cw_point b, struct cw_point p);

/* A pinhole camera over the ground plane (x, y on the road, z up, metres), recovered from the
 * ground-to-image homography assuming square pixels and the principal point at the picture's
 * centre. It tells what the ground plane alone cannot: where a point above the road shows, so
 * that a road user's size in metres can be drawn in pixels. */
struct cw_pinhole {
    double f, cx, cy;     /* focal length and principal point, pixels */
    double r[3][3];       /* r[k]: ground axis k (x, y, up) in camera coordinates */
    double t[3];          /* the ground origin in camera coordinates */
    double height_m;      /* the camera above the road */
    struct cw_point foot; /* the point of the road under the camera */
};

/* Recovers the camera behind @ground_to_img (ground metres to image pixels) whose principal
 * point is (@cx, @cy). Returns 0, or CW_EINVAL when no such camera fits (a homography that is
 * not a perspective view of a plane, or a degenerate one). */
int cw_pinhole_from_homography(const struct cw_homography *ground_to_img, double cx, double cy,
                               struct cw_pinhole *out);

/* Where ground point @g at @z metres above the road shows in the picture. False when it is
 * behind the camera. */
bool cw_pinhole_project(const struct cw_pinhole *c, struct cw_point g, double z,
                        struct cw_point *img);

#endif
