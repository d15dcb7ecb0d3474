#include "crosswatch/geom.h"

#include <math.h>
#include <string.h>

#include "crosswatch/error.h"

double cw_line_side(struct cw_point a, struct cw_point b, struct cw_point p)
{
    return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
}

static int sign_eps(double v, double eps)
{
    return v > eps ? 1 : (v < -eps ? -1 : 0);
}

static bool on_segment(struct cw_point a, struct cw_point b, struct cw_point p)
{
    return fmin(a.x, b.x) <= p.x && p.x <= fmax(a.x, b.x) && fmin(a.y, b.y) <= p.y &&
           p.y <= fmax(a.y, b.y);
}

bool cw_segments_intersect(struct cw_point a, struct cw_point b, struct cw_point c,
                           struct cw_point d)
{
    double scale = fmax(fmax(fabs(a.x), fabs(a.y)), fmax(fabs(b.x), fabs(b.y))) + 1.0;
    double eps = 1e-12 * scale * scale;
    int d1 = sign_eps(cw_line_side(c, d, a), eps), d2 = sign_eps(cw_line_side(c, d, b), eps);
    int d3 = sign_eps(cw_line_side(a, b, c), eps), d4 = sign_eps(cw_line_side(a, b, d), eps);

    if (d1 * d2 < 0 && d3 * d4 < 0)
        return true;
    return (d1 == 0 && on_segment(c, d, a)) || (d2 == 0 && on_segment(c, d, b)) ||
           (d3 == 0 && on_segment(a, b, c)) || (d4 == 0 && on_segment(a, b, d));
}

double cw_polygon_area(const struct cw_point *pts, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) {
        const struct cw_point *p = &pts[i], *q = &pts[(i + 1) % n];
        s += p->x * q->y - q->x * p->y;
    }
    return s / 2;
}

bool cw_polygon_contains(const struct cw_point *pts, int n, struct cw_point p)
{
    bool in = false;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        if ((pts[i].y > p.y) != (pts[j].y > p.y) &&
            p.x < (pts[j].x - pts[i].x) * (p.y - pts[i].y) / (pts[j].y - pts[i].y) + pts[i].x)
            in = !in;
    }
    return in;
}

bool cw_polygon_self_intersects(const struct cw_point *pts, int n, int *ea, int *eb)
{
    /* O(n²) is fine: scene polygons have a handful of vertices. */
    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
            if (j == i + 1 || (i == 0 && j == n - 1))
                continue; /* adjacent edges share a vertex by construction */
            if (cw_segments_intersect(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n])) {
                if (ea)
                    *ea = i;
                if (eb)
                    *eb = j;
                return true;
            }
        }
    }
    return false;
}

bool cw_homography_apply(const struct cw_homography *h, struct cw_point p, struct cw_point *out)
{
    const double *m = h->m;
    double w = m[6] * p.x + m[7] * p.y + m[8];
    if (!(w > 1e-12))
        return false;
    out->x = (m[0] * p.x + m[1] * p.y + m[2]) / w;
    out->y = (m[3] * p.x + m[4] * p.y + m[5]) / w;
    return true;
}

double cw_ground_span(const struct cw_homography *img_to_ground, struct cw_point a,
                      struct cw_point b)
{
    struct cw_point ga, gb;
    if (!cw_homography_apply(img_to_ground, a, &ga) || !cw_homography_apply(img_to_ground, b, &gb))
        return INFINITY;
    return hypot(gb.x - ga.x, gb.y - ga.y);
}

static double det3(const double *m)
{
    return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
           m[2] * (m[3] * m[7] - m[4] * m[6]);
}

bool cw_homography_is_singular(const struct cw_homography *h)
{
    double norm = 0;
    for (int i = 0; i < 9; i++) {
        if (!isfinite(h->m[i]))
            return true;
        norm += h->m[i] * h->m[i];
    }
    norm = sqrt(norm);
    if (norm == 0)
        return true;
    /* det scales with the cube of the entries: compare like with like. */
    return fabs(det3(h->m)) < 1e-10 * norm * norm * norm;
}

int cw_homography_invert(const struct cw_homography *h, struct cw_homography *inv)
{
    const double *m = h->m;
    double d;
    double r[9];
    if (cw_homography_is_singular(h))
        return CW_EINVAL;
    d = det3(m);
    r[0] = (m[4] * m[8] - m[5] * m[7]) / d;
    r[1] = (m[2] * m[7] - m[1] * m[8]) / d;
    r[2] = (m[1] * m[5] - m[2] * m[4]) / d;
    r[3] = (m[5] * m[6] - m[3] * m[8]) / d;
    r[4] = (m[0] * m[8] - m[2] * m[6]) / d;
    r[5] = (m[2] * m[3] - m[0] * m[5]) / d;
    r[6] = (m[3] * m[7] - m[4] * m[6]) / d;
    r[7] = (m[1] * m[6] - m[0] * m[7]) / d;
    r[8] = (m[0] * m[4] - m[1] * m[3]) / d;
    memcpy(inv->m, r, sizeof(r));
    return 0;
}

/* Similarity that moves the points' centroid to the origin and their mean distance to √2. */
static void normaliser(const struct cw_point *p, int n, double t[9])
{
    double cx = 0, cy = 0, d = 0, s;
    for (int i = 0; i < n; i++) {
        cx += p[i].x;
        cy += p[i].y;
    }
    cx /= n;
    cy /= n;
    for (int i = 0; i < n; i++)
        d += hypot(p[i].x - cx, p[i].y - cy);
    d /= n;
    s = d > 0 ? sqrt(2.0) / d : 1.0;
    double v[9] = {s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1};
    memcpy(t, v, sizeof(v));
}

static void mul3(const double *a, const double *b, double *out)
{
    double r[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    memcpy(out, r, sizeof(r));
}

/* Cyclic Jacobi eigen-decomposition of a symmetric 9×9 matrix: eigenvalues to w, eigenvectors
 * to the columns of v. Nine unknowns make this cheap and it is robust for DLT systems. */
static void jacobi9(double a[81], double w[9], double v[81])
{
    for (int i = 0; i < 81; i++)
        v[i] = (i % 10 == 0) ? 1.0 : 0.0;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0;
        for (int p = 0; p < 9; p++)
            for (int q = p + 1; q < 9; q++)
                off += a[p * 9 + q] * a[p * 9 + q];
        if (off < 1e-30)
            break;
        for (int p = 0; p < 9; p++) {
            for (int q = p + 1; q < 9; q++) {
                double apq = a[p * 9 + q], theta, t, c, s;
                if (fabs(apq) < 1e-300)
                    continue;
                theta = (a[q * 9 + q] - a[p * 9 + p]) / (2 * apq);
                t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                c = 1 / sqrt(t * t + 1);
                s = t * c;
                for (int k = 0; k < 9; k++) {
                    double akp = a[k * 9 + p], akq = a[k * 9 + q];
                    a[k * 9 + p] = c * akp - s * akq;
                    a[k * 9 + q] = s * akp + c * akq;
                }
                for (int k = 0; k < 9; k++) {
                    double apk = a[p * 9 + k], aqk = a[q * 9 + k];
                    a[p * 9 + k] = c * apk - s * aqk;
                    a[q * 9 + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 9; k++) {
                    double vkp = v[k * 9 + p], vkq = v[k * 9 + q];
                    v[k * 9 + p] = c * vkp - s * vkq;
                    v[k * 9 + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    for (int i = 0; i < 9; i++)
        w[i] = a[i * 9 + i];
}

static bool all_collinear_or_triple(const struct cw_point *p, int n)
{
    /* With exactly four pairs, any three collinear points leave the homography undetermined. */
    double scale = 0;
    for (int i = 0; i < n; i++)
        scale = fmax(scale, fmax(fabs(p[i].x), fabs(p[i].y)));
    double eps = 1e-9 * (scale + 1) * (scale + 1);
    if (n == 4) {
        for (int i = 0; i < 4; i++) {
            int a = (i + 1) % 4, b = (i + 2) % 4, c = (i + 3) % 4;
            if (fabs(cw_line_side(p[a], p[b], p[c])) <= eps)
                return true;
        }
        return false;
    }
    for (int i = 2; i < n; i++)
        if (fabs(cw_line_side(p[0], p[1], p[i])) > eps)
            return false;
    return true;
}

int cw_homography_solve(const struct cw_point *src, const struct cw_point *dst, int n,
                        struct cw_homography *out, double *rms)
{
    double ts[9], td[9], tdi[9], ata[81] = {0}, w[9], v[81], hn[9];
    struct cw_homography tdh;
    int best = 0;

    if (n < 4 || all_collinear_or_triple(src, n) || all_collinear_or_triple(dst, n))
        return CW_EINVAL;
    normaliser(src, n, ts);
    normaliser(dst, n, td);
    for (int i = 0; i < n; i++) {
        double x = ts[0] * src[i].x + ts[2], y = ts[4] * src[i].y + ts[5];
        double u = td[0] * dst[i].x + td[2], vv = td[4] * dst[i].y + td[5];
        double r1[9] = {-x, -y, -1, 0, 0, 0, u * x, u * y, u};
        double r2[9] = {0, 0, 0, -x, -y, -1, vv * x, vv * y, vv};
        for (int a = 0; a < 9; a++)
            for (int b = 0; b < 9; b++)
                ata[a * 9 + b] += r1[a] * r1[b] + r2[a] * r2[b];
    }
    jacobi9(ata, w, v);
    for (int i = 1; i < 9; i++)
        if (w[i] < w[best])
            best = i;
    for (int i = 0; i < 9; i++)
        hn[i] = v[i * 9 + best];
    /* H = Td⁻¹ · Hn · Ts */
    memcpy(tdh.m, td, sizeof(td));
    if (cw_homography_invert(&tdh, &tdh))
        return CW_EINVAL;
    memcpy(tdi, tdh.m, sizeof(tdi));
    mul3(hn, ts, hn);
    mul3(tdi, hn, out->m);
    if (fabs(out->m[8]) > 1e-12) {
        double s = out->m[8];
        for (int i = 0; i < 9; i++)
            out->m[i] /= s;
    }
    if (cw_homography_is_singular(out))
        return CW_EINVAL;
    if (rms) {
        double e = 0;
        for (int i = 0; i < n; i++) {
            struct cw_point q;
            if (!cw_homography_apply(out, src[i], &q))
                return CW_EINVAL; /* a control point behind the camera: inconsistent pairs */
            e += (q.x - dst[i].x) * (q.x - dst[i].x) + (q.y - dst[i].y) * (q.y - dst[i].y);
        }
        *rms = sqrt(e / n);
    }
    return 0;
}

double cw_box_iou(const struct cw_box *a, const struct cw_box *b)
{
    double iw = fmin(a->x + a->w, b->x + b->w) - fmax(a->x, b->x);
    double ih = fmin(a->y + a->h, b->y + b->h) - fmax(a->y, b->y);
    if (iw <= 0 || ih <= 0)
        return 0;
    double inter = iw * ih, uni = a->w * a->h + b->w * b->h - inter;
    return uni > 0 ? inter / uni : 0;
}

double cw_box_cover(const struct cw_box *a, const struct cw_box *b)
{
    double w = fmin(a->x + a->w, b->x + b->w) - fmax(a->x, b->x);
    double h = fmin(a->y + a->h, b->y + b->h) - fmax(a->y, b->y);
    return w > 0 && h > 0 && a->w * a->h > 0 ? w * h / (a->w * a->h) : 0;
}

int cw_pinhole_from_homography(const struct cw_homography *ground_to_img, double cx, double cy,
                               struct cw_pinhole *out)
{
    /* columns of the homography with the principal point moved to the origin, scaled to norm 1 */
    const double *m = ground_to_img->m;
    double a[3][3], norm = 0;
    for (int k = 0; k < 3; k++) {
        a[k][0] = m[k] - cx * m[6 + k];
        a[k][1] = m[3 + k] - cy * m[6 + k];
        a[k][2] = m[6 + k];
        for (int i = 0; i < 3; i++)
            norm += a[k][i] * a[k][i];
    }
    if (!(norm > 0))
        return CW_EINVAL;
    norm = sqrt(norm);
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 3; i++)
            a[k][i] /= norm;
    /* The first two columns are f·r1 and f·r2 across, r1 and r2 down the third row, up to one
     * scale: r1 ⟂ r2 and |r1| = |r2| give two equations linear in u = 1/f², solved together. */
    double e1 = a[0][0] * a[1][0] + a[0][1] * a[1][1], c1 = a[0][2] * a[1][2];
    double e2 = a[0][0] * a[0][0] + a[0][1] * a[0][1] - a[1][0] * a[1][0] - a[1][1] * a[1][1];
    double c2 = a[0][2] * a[0][2] - a[1][2] * a[1][2];
    double den = e1 * e1 + e2 * e2;
    if (!(den > 1e-18))
        return CW_EINVAL;
    double u = -(e1 * c1 + e2 * c2) / den;
    if (!(u > 0))
        return CW_EINVAL;
    double f = 1 / sqrt(u);
    double v[3][3];
    for (int k = 0; k < 3; k++)
        v[k][0] = a[k][0] / f, v[k][1] = a[k][1] / f, v[k][2] = a[k][2];
    double n0 = sqrt(v[0][0] * v[0][0] + v[0][1] * v[0][1] + v[0][2] * v[0][2]);
    double n1 = sqrt(v[1][0] * v[1][0] + v[1][1] * v[1][1] + v[1][2] * v[1][2]);
    if (!(n0 > 0 && n1 > 0) || fabs(n0 - n1) > 0.05 * (n0 + n1))
        return CW_EINVAL; /* not the view of a plane through a square-pixel camera */
    double lambda = 2 / (n0 + n1);
    struct cw_pinhole c = {.f = f, .cx = cx, .cy = cy};
    for (int i = 0; i < 3; i++) {
        c.r[0][i] = lambda * v[0][i];
        c.r[1][i] = lambda * v[1][i];
        c.t[i] = lambda * v[2][i];
    }
    /* the road is in front of the camera: the point seen at the principal point has depth > 0 */
    struct cw_homography inv;
    struct cw_point g;
    if (cw_homography_invert(ground_to_img, &inv) ||
        !cw_homography_apply(&inv, (struct cw_point){cx, cy}, &g))
        g = (struct cw_point){0, 0};
    double depth = c.r[0][2] * g.x + c.r[1][2] * g.y + c.t[2];
    if (depth < 0)
        for (int i = 0; i < 3; i++)
            c.r[0][i] = -c.r[0][i], c.r[1][i] = -c.r[1][i], c.t[i] = -c.t[i];
    /* up = r1 × r2, turned so that the camera is above the road */
    c.r[2][0] = c.r[0][1] * c.r[1][2] - c.r[0][2] * c.r[1][1];
    c.r[2][1] = c.r[0][2] * c.r[1][0] - c.r[0][0] * c.r[1][2];
    c.r[2][2] = c.r[0][0] * c.r[1][1] - c.r[0][1] * c.r[1][0];
    double pos[3]; /* the camera in ground coordinates: −Rᵀt */
    for (int k = 0; k < 3; k++)
        pos[k] = -(c.r[k][0] * c.t[0] + c.r[k][1] * c.t[1] + c.r[k][2] * c.t[2]);
    if (pos[2] < 0) {
        for (int i = 0; i < 3; i++)
            c.r[2][i] = -c.r[2][i];
        pos[2] = -pos[2];
    }
    if (!(pos[2] > 0))
        return CW_EINVAL;
    c.height_m = pos[2];
    c.foot = (struct cw_point){pos[0], pos[1]};
    *out = c;
    return 0;
}

bool cw_pinhole_project(const struct cw_pinhole *c, struct cw_point g, double z,
                        struct cw_point *img)
{
    double p[3];
    for (int i = 0; i < 3; i++)
        p[i] = c->r[0][i] * g.x + c->r[1][i] * g.y + c->r[2][i] * z + c->t[i];
    if (!(p[2] > 1e-9))
        return false;
    img->x = c->f * p[0] / p[2] + c->cx;
    img->y = c->f * p[1] / p[2] + c->cy;
    return true;
}
