/* Drawing the synthetic intersection: a pinhole camera over the ground plane, the road painted
 * once into a background, then per frame shaded 3-D boxes with cast shadows, signal heads and the
 * nuisances, straight into planar YUV 4:2:0, with a foreground mask and per-actor visibility. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/log.h"
#include "synth.h"

#define OCCLUDER 0xFFFF

void syn_camera_init(struct syn_camera *cam, const struct syn_scenario *sc)
{
    double yaw = sc->yaw_deg * M_PI / 180, pitch = sc->pitch_deg * M_PI / 180;
    double fx = (sc->width / 2.0) / tan(sc->hfov_deg * M_PI / 360);
    double f[3] = {sin(yaw) * cos(pitch), cos(yaw) * cos(pitch), -sin(pitch)};
    double rt[3] = {cos(yaw), -sin(yaw), 0};
    /* down = forward × right */
    double dn[3] = {f[1] * rt[2] - f[2] * rt[1], f[2] * rt[0] - f[0] * rt[2],
                    f[0] * rt[1] - f[1] * rt[0]};
    double K[9] = {fx, 0, sc->width / 2.0, 0, fx, sc->height / 2.0, 0, 0, 1};
    double R[9] = {rt[0], rt[1], rt[2], dn[0], dn[1], dn[2], f[0], f[1], f[2]};
    memcpy(cam->K, K, sizeof(K));
    memcpy(cam->R, R, sizeof(R));
    cam->C[0] = sc->cam_x;
    cam->C[1] = sc->cam_y;
    cam->C[2] = sc->cam_h;
    /* ground (X, Y, 0) -> image: K R [X - Cx, Y - Cy, -Cz] */
    double M[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            M[i * 3 + j] = K[i * 3] * R[j] + K[i * 3 + 1] * R[3 + j] + K[i * 3 + 2] * R[6 + j];
    for (int i = 0; i < 3; i++) {
        cam->g2i.m[i * 3] = M[i * 3];
        cam->g2i.m[i * 3 + 1] = M[i * 3 + 1];
        cam->g2i.m[i * 3 + 2] =
            -(M[i * 3] * cam->C[0] + M[i * 3 + 1] * cam->C[1] + M[i * 3 + 2] * cam->C[2]);
    }
    cw_homography_invert(&cam->g2i, &cam->i2g);
    /* Scale so that the last entry is ±1 and points on the road have w > 0, which is how
     * crosswatch tells the road from the sky. */
    const double *m = cam->i2g.m;
    double wb = m[6] * sc->width / 2.0 + m[7] * sc->height + m[8];
    double s = fabs(m[8]) * (wb < 0 ? -1 : 1);
    for (int i = 0; i < 9; i++)
        cam->i2g.m[i] /= s;
}

static void to_cam(const struct syn_camera *cam, const double p[3], double out[3])
{
    double d[3] = {p[0] - cam->C[0], p[1] - cam->C[1], p[2] - cam->C[2]};
    for (int i = 0; i < 3; i++)
        out[i] = cam->R[i * 3] * d[0] + cam->R[i * 3 + 1] * d[1] + cam->R[i * 3 + 2] * d[2];
}

bool syn_project(const struct syn_camera *cam, double x, double y, double z, struct cw_point *o)
{
    double p[3] = {x, y, z}, c[3];
    to_cam(cam, p, c);
    if (c[2] <= 0.05)
        return false;
    o->x = cam->K[0] * c[0] / c[2] + cam->K[2];
    o->y = cam->K[4] * c[1] / c[2] + cam->K[5];
    return true;
}

struct syn_renderer {
    const struct syn_world *w;
    const struct syn_camera *cam;
    const struct syn_scenario *sc;
    int W, H, CW, CH;
    uint8_t *bg[3], *cv[3], *out[3];
    uint8_t *mask, *mask_out;
    uint16_t *id;
    float *gx, *gy; /* ground point of each pixel; NAN above the horizon */
    int *drawn, *seen;
    int8_t *noise;
    unsigned rng;
    bool masks;
    int shake_dx, shake_dy;
    uint8_t lut[256]; /* this frame's exposure (and night) curve for luma */
    bool night;
};

static unsigned rnd(struct syn_renderer *r)
{
    r->rng = r->rng * 1103515245u + 12345u;
    return r->rng >> 8;
}

static uint8_t clamp8(double v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* ---- the road, painted once ---- */

static double hash2(double x, double y)
{
    unsigned h = (unsigned)(int)floor(x * 5) * 73856093u ^ (unsigned)(int)floor(y * 5) * 19349663u;
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return (h & 0xffff) / 65535.0;
}

/* Colour of the ground at (x, y): Y, U, V. */
static void ground_color(const struct syn_world *w, double x, double y, double yuv[3])
{
    const struct syn_scenario *sc = w->sc;
    const double half = w->road_half, n = sc->lanes_each_way, lw = sc->lane_w;
    const double cy = sc->crosswalk_y, cw = sc->crosswalk_w;
    double ax = fabs(x), tex = hash2(x, y) - 0.5;
    bool in_cross = y >= w->cross_road.p[0].y && y <= w->cross_road.p[2].y && ax <= 60;
    bool in_cw = y >= cy && y <= cy + cw && ax <= half;

    yuv[1] = 128;
    yuv[2] = 128;
    if (ax <= half || in_cross) {
        yuv[0] = 72 + 10 * tex; /* asphalt */
        if (ax > n * lw && ax <= half && !in_cross && !in_cw) {
            yuv[0] = 70 + 8 * tex; /* coloured non-motor lane */
            yuv[1] = 120;
            yuv[2] = 136;
        }
        if (in_cw) {
            if (fmod(x + 100.25, 1.0) < 0.5) {
                if (sc->school_zone && fmod(x + 100.25, 2.0) < 1.0) {
                    yuv[0] = 95; /* red stripes at a school gate */
                    yuv[1] = 105;
                    yuv[2] = 200;
                } else {
                    yuv[0] = 200 + 8 * tex;
                }
            }
            return;
        }
        if (in_cross)
            return;
        for (int l = 0; l < w->n_lines; l++) {
            const struct syn_line *ln = &w->line[l];
            if (fabs(y - ln->a.y) < 0.2 && x >= fmin(ln->a.x, ln->b.x) &&
                x <= fmax(ln->a.x, ln->b.x))
                yuv[0] = 205;
        }
        if (ax >= 0.05 && ax <= 0.2) { /* double yellow centre line */
            yuv[0] = 165;
            yuv[1] = 60;
            yuv[2] = 150;
        }
        for (int i = 1; i < n; i++)
            if (fabs(ax - i * lw) < 0.075 && fmod(y + 100, 9.0) < 3.0)
                yuv[0] = 195;
        if (fabs(ax - n * lw) < 0.1)
            yuv[0] = 195;
        return;
    }
    if (ax <= half + sc->sidewalk_w) {
        double tile = (fmod(x + 100, 0.6) < 0.03 || fmod(y + 100, 0.6) < 0.03) ? -12 : 0;
        yuv[0] = 150 + tile + 10 * tex;
        if (ax - half < 0.2)
            yuv[0] = 175; /* kerb */
        if (sc->school_zone && cw_polygon_contains(w->school.p, 4, (struct cw_point){x, y})) {
            yuv[0] = 170;
            yuv[1] = 70;
            yuv[2] = 160;
        }
        return;
    }
    yuv[0] = 95 + 20 * tex; /* verge */
    yuv[1] = 105;
    yuv[2] = 115;
}

static void paint_background(struct syn_renderer *r)
{
    const struct syn_camera *cam = r->cam;
    const double *m = cam->i2g.m;
    double haze[3] = {170, 132, 122};

    for (int v = 0; v < r->H; v++)
        for (int u = 0; u < r->W; u++) {
            double acc = 0, gxs = NAN, gys = NAN;
            int hits = 0;
            for (int s = 0; s < 4; s++) {
                double px = u + 0.25 + 0.5 * (s & 1), py = v + 0.25 + 0.5 * (s >> 1);
                double wz = m[6] * px + m[7] * py + m[8];
                if (wz <= 1e-9) {
                    acc += 200 - 60.0 * v / r->H; /* sky */
                    continue;
                }
                double gx = (m[0] * px + m[1] * py + m[2]) / wz;
                double gy = (m[3] * px + m[4] * py + m[5]) / wz;
                double dist = hypot(gx - cam->C[0], gy - cam->C[1]);
                double yuv[3];
                if (dist > 400) {
                    acc += haze[0];
                    continue;
                }
                ground_color(r->w, gx, gy, yuv);
                double k = 1 - exp(-dist / 250);
                acc += yuv[0] * (1 - k) + haze[0] * k;
                if (s == 0) {
                    gxs = gx;
                    gys = gy;
                }
                hits++;
            }
            r->bg[0][(size_t)v * r->W + u] = clamp8(acc / 4);
            r->gx[(size_t)v * r->W + u] = (float)gxs;
            r->gy[(size_t)v * r->W + u] = (float)gys;
            (void)hits;
        }
    for (int v = 0; v < r->CH; v++)
        for (int u = 0; u < r->CW; u++) {
            double px = 2 * u + 1, py = 2 * v + 1;
            double wz = m[6] * px + m[7] * py + m[8];
            double yuv[3] = {0, 128, 128};
            if (wz > 1e-9) {
                double gx = (m[0] * px + m[1] * py + m[2]) / wz;
                double gy = (m[3] * px + m[4] * py + m[5]) / wz;
                double dist = hypot(gx - cam->C[0], gy - cam->C[1]);
                if (dist <= 400) {
                    ground_color(r->w, gx, gy, yuv);
                    double k = 1 - exp(-dist / 250);
                    yuv[1] = yuv[1] * (1 - k) + haze[1] * k;
                    yuv[2] = yuv[2] * (1 - k) + haze[2] * k;
                } else {
                    yuv[1] = haze[1];
                    yuv[2] = haze[2];
                }
            } else {
                yuv[1] = 140; /* pale blue sky */
                yuv[2] = 118;
            }
            r->bg[1][(size_t)v * r->CW + u] = clamp8(yuv[1]);
            r->bg[2][(size_t)v * r->CW + u] = clamp8(yuv[2]);
        }
}

/* ---- polygons ---- */

enum paint_mode { PAINT_SOLID, PAINT_SHADE, PAINT_ADD };

struct paint {
    enum paint_mode mode;
    uint8_t y, u, v;
    double k;    /* SHADE: factor; ADD: amount */
    uint16_t id; /* SOLID: the actor (index + 1), OCCLUDER, or 0 */
    bool fg;     /* SOLID: counts as a road user in the mask */
};

static void fill_poly(struct syn_renderer *r, const struct cw_point *p, int n,
                      const struct paint *pt)
{
    double ymin = 1e9, ymax = -1e9;
    if (n < 3)
        return;
    for (int i = 0; i < n; i++) {
        ymin = fmin(ymin, p[i].y);
        ymax = fmax(ymax, p[i].y);
    }
    int y0 = (int)ceil(ymin - 0.5), y1 = (int)floor(ymax - 0.5);
    if (y0 < 0)
        y0 = 0;
    if (y1 > r->H - 1)
        y1 = r->H - 1;
    for (int y = y0; y <= y1; y++) {
        double sy = y + 0.5, xl = 1e9, xr = -1e9;
        for (int i = 0, j = n - 1; i < n; j = i++) {
            const struct cw_point *a = &p[j], *b = &p[i];
            if ((a->y <= sy && b->y > sy) || (b->y <= sy && a->y > sy)) {
                double x = a->x + (sy - a->y) * (b->x - a->x) / (b->y - a->y);
                xl = fmin(xl, x);
                xr = fmax(xr, x);
            }
        }
        if (xl > xr)
            continue;
        int x0 = (int)ceil(xl - 0.5), x1 = (int)floor(xr - 0.5);
        if (x0 < 0)
            x0 = 0;
        if (x1 > r->W - 1)
            x1 = r->W - 1;
        if (x0 > x1)
            continue;
        uint8_t *Y = r->cv[0] + (size_t)y * r->W;
        uint8_t *U = r->cv[1] + (size_t)(y / 2) * r->CW, *V = r->cv[2] + (size_t)(y / 2) * r->CW;
        uint16_t *id = r->id + (size_t)y * r->W;
        uint8_t *mk = r->mask + (size_t)y * r->W;
        switch (pt->mode) {
        case PAINT_SOLID:
            for (int x = x0; x <= x1; x++) {
                /* count each pixel once per actor, however many of its faces cover it */
                if (pt->id && pt->id != OCCLUDER && id[x] != pt->id)
                    r->drawn[pt->id - 1]++;
                Y[x] = pt->y;
                id[x] = pt->id;
                mk[x] = pt->fg ? 255 : 0;
            }
            for (int x = (x0 + 1) / 2; x <= x1 / 2; x++) {
                U[x] = pt->u;
                V[x] = pt->v;
            }
            break;
        case PAINT_SHADE:
            for (int x = x0; x <= x1; x++) {
                Y[x] = (uint8_t)(16 + (Y[x] - 16) * pt->k);
                if (!mk[x])
                    mk[x] = 128;
            }
            for (int x = (x0 + 1) / 2; x <= x1 / 2; x++) {
                U[x] = (uint8_t)(128 + (U[x] - 128) * (0.5 + 0.5 * pt->k));
                V[x] = (uint8_t)(128 + (V[x] - 128) * (0.5 + 0.5 * pt->k));
            }
            break;
        case PAINT_ADD:
            for (int x = x0; x <= x1; x++)
                Y[x] = clamp8(Y[x] + pt->k);
            break;
        }
    }
}

/* Clips a world polygon to the part in front of the camera, projects and fills it. */
static void draw_world_poly(struct syn_renderer *r, const double (*pts)[3], int n,
                            const struct paint *pt)
{
    double c[24][3], o[24][3];
    struct cw_point img[24];
    int m = 0;
    const double nearz = 0.2;
    if (n > 12)
        return;
    for (int i = 0; i < n; i++)
        to_cam(r->cam, pts[i], c[i]);
    for (int i = 0; i < n; i++) {
        const double *a = c[i], *b = c[(i + 1) % n];
        bool ina = a[2] >= nearz, inb = b[2] >= nearz;
        if (ina)
            memcpy(o[m++], a, sizeof(o[0]));
        if (ina != inb) {
            double f = (nearz - a[2]) / (b[2] - a[2]);
            for (int k = 0; k < 3; k++)
                o[m][k] = a[k] + f * (b[k] - a[k]);
            m++;
        }
    }
    for (int i = 0; i < m; i++) {
        img[i].x = r->cam->K[0] * o[i][0] / o[i][2] + r->cam->K[2];
        img[i].y = r->cam->K[4] * o[i][1] / o[i][2] + r->cam->K[5];
    }
    fill_poly(r, img, m, pt);
}

/* ---- actors ---- */

static const double sun[3] = {-0.45, -0.55, 0.70}; /* towards the sun, normalised roughly */

static void corners(const struct syn_actor *a, double out[8][3])
{
    double c = cos(a->heading), s = sin(a->heading), hl = a->length / 2, hw = a->width / 2;
    const double d[4][2] = {{hl, hw}, {hl, -hw}, {-hl, -hw}, {-hl, hw}};
    for (int k = 0; k < 4; k++) {
        double x = a->x + d[k][0] * c - d[k][1] * s, y = a->y + d[k][0] * s + d[k][1] * c;
        out[k][0] = out[k + 4][0] = x;
        out[k][1] = out[k + 4][1] = y;
        out[k][2] = 0;
        out[k + 4][2] = a->height;
    }
}

/* A surface of colour @yuv lit by @light, through the frame's exposure curve. */
static struct paint shaded(const struct syn_renderer *r, const uint8_t yuv[3], double light,
                           uint16_t id)
{
    uint8_t u = yuv[1], v = yuv[2];
    if (r->night) {
        u = (uint8_t)(128 + (u - 128) / 2);
        v = (uint8_t)(128 + (v - 128) / 2);
    }
    struct paint p = {PAINT_SOLID, r->lut[clamp8(16 + (yuv[0] - 16) * light)], u, v, 0, id, true};
    return p;
}

/* Convex hull of points (gift wrapping; at most 8 points). */
static int hull(struct cw_point *p, int n, struct cw_point *out)
{
    int start = 0, m = 0, cur;
    for (int i = 1; i < n; i++)
        if (p[i].x < p[start].x || (p[i].x == p[start].x && p[i].y < p[start].y))
            start = i;
    cur = start;
    do {
        out[m++] = p[cur];
        int next = (cur + 1) % n;
        for (int i = 0; i < n; i++)
            if (cw_line_side(p[cur], p[next], p[i]) < 0)
                next = i;
        cur = next;
    } while (cur != start && m < n);
    return m;
}

static void draw_shadow(struct syn_renderer *r, const struct syn_actor *a)
{
    double c[8][3], poly[8][3];
    struct cw_point g[8], h[8];
    corners(a, c);
    double k = a->height / sun[2];
    for (int i = 0; i < 4; i++) {
        g[i] = (struct cw_point){c[i][0], c[i][1]};
        g[i + 4] = (struct cw_point){c[i][0] - sun[0] * k, c[i][1] - sun[1] * k};
    }
    int n = hull(g, 8, h);
    for (int i = 0; i < n; i++) {
        poly[i][0] = h[i].x;
        poly[i][1] = h[i].y;
        poly[i][2] = 0.01;
    }
    struct paint p = {PAINT_SHADE, 0, 0, 0, 0.55, 0, false};
    draw_world_poly(r, (const double(*)[3])poly, n, &p);
}

static void draw_actor(struct syn_renderer *r, int idx, const struct syn_actor *a, double t)
{
    static const int faces[4][4] = {{0, 1, 5, 4}, {1, 2, 6, 5}, {2, 3, 7, 6}, {3, 0, 4, 7}};
    double c[8][3];
    uint16_t id = (uint16_t)(idx + 1);
    int cls = a->spec->cls;
    /* lower part in the second colour: legs, the bicycle, a car's body vs windows */
    double split = cls == SYN_PEDESTRIAN                  ? 0.45
                   : (cls == SYN_CAR)                     ? 0.6
                   : (cls == SYN_BUS || cls == SYN_TRUCK) ? 0.55
                                                          : 0.45;
    corners(a, c);
    (void)t;
    for (int f = 0; f < 4; f++) {
        const int *q = faces[f];
        double nx = (c[q[0]][0] + c[q[1]][0]) / 2 - a->x, ny = (c[q[0]][1] + c[q[1]][1]) / 2 - a->y;
        double nl = hypot(nx, ny);
        nx /= nl;
        ny /= nl;
        double fx = (c[q[0]][0] + c[q[1]][0]) / 2, fy = (c[q[0]][1] + c[q[1]][1]) / 2;
        if (nx * (r->cam->C[0] - fx) + ny * (r->cam->C[1] - fy) <= 0)
            continue; /* facing away */
        double light = 0.55 + 0.45 * fmax(0, nx * sun[0] + ny * sun[1]) / 0.71;
        double lo[4][3], hi[4][3];
        for (int k = 0; k < 3; k++) {
            lo[0][k] = c[q[0]][k];
            lo[1][k] = c[q[1]][k];
            lo[2][k] = c[q[1]][k] + (c[q[2]][k] - c[q[1]][k]) * split;
            lo[3][k] = c[q[0]][k] + (c[q[3]][k] - c[q[0]][k]) * split;
            hi[0][k] = lo[3][k];
            hi[1][k] = lo[2][k];
            hi[2][k] = c[q[2]][k];
            hi[3][k] = c[q[3]][k];
        }
        const uint8_t *lower =
            cls == SYN_CAR || cls == SYN_BUS || cls == SYN_TRUCK ? a->yuv : a->yuv2;
        static const uint8_t glass[3] = {60, 132, 124};
        const uint8_t *upper =
            cls == SYN_CAR || cls == SYN_BUS || cls == SYN_TRUCK ? glass : a->yuv;
        struct paint pl = shaded(r, lower, light, id), pu = shaded(r, upper, light, id);
        draw_world_poly(r, (const double(*)[3])lo, 4, &pl);
        draw_world_poly(r, (const double(*)[3])hi, 4, &pu);
    }
    double top[4][3];
    for (int k = 0; k < 4; k++)
        memcpy(top[k], c[k + 4], sizeof(top[k]));
    struct paint pt =
        shaded(r, cls == SYN_PEDESTRIAN ? (const uint8_t[3]){50, 128, 128} : a->yuv, 1.1, id);
    draw_world_poly(r, (const double(*)[3])top, 4, &pt);
}

/* Vehicle lights at night: the pool of light on the road ahead (drawn before the vehicles) or
 * the lamps themselves, on the ends the camera sees (after them). */
static void draw_lights(struct syn_renderer *r, const struct syn_actor *a, bool lamps)
{
    int cls = a->spec->cls;
    if (cls == SYN_PEDESTRIAN || cls == SYN_BICYCLE)
        return;
    double c = cos(a->heading), s = sin(a->heading), hl = a->length / 2, hw = a->width / 2;
    if (!lamps) {
        double pool[4][3] = {
            {a->x + c * (hl + 1) - s * hw, a->y + s * (hl + 1) + c * hw, 0.01},
            {a->x + c * (hl + 1) + s * hw, a->y + s * (hl + 1) - c * hw, 0.01},
            {a->x + c * (hl + 14) + s * (hw + 2), a->y + s * (hl + 14) - c * (hw + 2), 0.01},
            {a->x + c * (hl + 14) - s * (hw + 2), a->y + s * (hl + 14) + c * (hw + 2), 0.01},
        };
        struct paint add = {PAINT_ADD, 0, 0, 0, 45, 0, false};
        draw_world_poly(r, (const double(*)[3])pool, 4, &add);
        return;
    }
    for (int end = -1; end <= 1; end += 2) {
        double fx = a->x + end * c * hl, fy = a->y + end * s * hl;
        if ((end * c) * (r->cam->C[0] - fx) + (end * s) * (r->cam->C[1] - fy) <= 0)
            continue; /* this end faces away from the camera */
        for (int side = -1; side <= 1; side += 2) {
            double cx = a->x + end * c * (hl + 0.02) - side * s * hw * 0.7;
            double cy = a->y + end * s * (hl + 0.02) + side * c * hw * 0.7;
            double z = 0.7, e = 0.15;
            double lamp[4][3] = {{cx - s * e, cy + c * e, z - e},
                                 {cx + s * e, cy - c * e, z - e},
                                 {cx + s * e, cy - c * e, z + e},
                                 {cx - s * e, cy + c * e, z + e}};
            struct paint p = end > 0 ? (struct paint){PAINT_SOLID, 235, 128, 128, 0, 0, false}
                                     : (struct paint){PAINT_SOLID, 110, 100, 230, 0, 0, false};
            draw_world_poly(r, (const double(*)[3])lamp, 4, &p);
            if (cls != SYN_CAR && cls != SYN_BUS && cls != SYN_TRUCK)
                break; /* one lamp on a two-wheeler */
        }
    }
}

static void draw_box(struct syn_renderer *r, double x, double y, double z0, double w, double d,
                     double h, const uint8_t yuv[3], uint16_t id)
{
    double c[8][3];
    const double dx[4] = {-w / 2, w / 2, w / 2, -w / 2}, dy[4] = {-d / 2, -d / 2, d / 2, d / 2};
    for (int k = 0; k < 4; k++) {
        c[k][0] = c[k + 4][0] = x + dx[k];
        c[k][1] = c[k + 4][1] = y + dy[k];
        c[k][2] = z0;
        c[k + 4][2] = z0 + h;
    }
    static const int faces[5][4] = {
        {0, 1, 5, 4}, {1, 2, 6, 5}, {2, 3, 7, 6}, {3, 0, 4, 7}, {4, 5, 6, 7}};
    static const double normal[5][3] = {{0, -1, 0}, {1, 0, 0}, {0, 1, 0}, {-1, 0, 0}, {0, 0, 1}};
    for (int f = 0; f < 5; f++) {
        double fc[3] = {0};
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 3; j++)
                fc[j] += c[faces[f][k]][j] / 4;
        double vis = normal[f][0] * (r->cam->C[0] - fc[0]) + normal[f][1] * (r->cam->C[1] - fc[1]) +
                     normal[f][2] * (r->cam->C[2] - fc[2]);
        if (vis <= 0)
            continue;
        double poly[4][3];
        for (int k = 0; k < 4; k++)
            memcpy(poly[k], c[faces[f][k]], sizeof(poly[k]));
        double light = 0.6 + 0.4 * fmax(0, normal[f][0] * sun[0] + normal[f][1] * sun[1] +
                                               normal[f][2] * sun[2]);
        struct paint p = shaded(r, yuv, light, id);
        p.fg = false;
        draw_world_poly(r, (const double(*)[3])poly, 4, &p);
    }
}

static void draw_disc(struct syn_renderer *r, double x, double y, double z, double rad,
                      const struct paint *p)
{
    double poly[12][3];
    for (int k = 0; k < 12; k++) {
        double a = 2 * M_PI * k / 12;
        poly[k][0] = x + rad * cos(a);
        poly[k][1] = y;
        poly[k][2] = z + rad * sin(a);
    }
    draw_world_poly(r, (const double(*)[3])poly, 12, p);
}

static void draw_signal(struct syn_renderer *r, const struct syn_signal_head *h, double t)
{
    static const uint8_t housing[3] = {30, 128, 128};
    static const uint8_t pole[3] = {90, 128, 128};
    double age;
    int state = syn_phase_state(r->sc, h->phase, t, &age);
    draw_box(r, h->x + h->w / 2 + 0.1, h->y, 0, 0.15, 0.15, h->z + h->h / 2, pole, 0);
    draw_box(r, h->x, h->y, h->z - h->h / 2, h->w, 0.3, h->h, housing, 0);
    for (int k = 0; k < h->lamps; k++) {
        /* vehicle: red, yellow, green from the top; pedestrian: red over green */
        int colour = h->lamps == 3 ? k : (k == 0 ? 0 : 2);
        double z = h->z + h->h / 2 - h->h * (k + 0.5) / h->lamps;
        /* a head without a yellow lamp (pedestrian) flashes its green through the clearance
         * interval, half a second off, half on, as China's pedestrian heads do */
        bool flash = h->lamps < 3 && state == SYN_YELLOW && fmod(age, 1.0) >= 0.5;
        bool lit = (colour == 0 && state == SYN_RED) || (colour == 1 && state == SYN_YELLOW) ||
                   (colour == 2 && (state == SYN_GREEN || flash));
        static const uint8_t on[3][3] = {{95, 95, 235}, {190, 30, 165}, {165, 95, 50}};
        static const uint8_t off[3][3] = {{40, 120, 140}, {45, 118, 134}, {42, 128, 122}};
        const uint8_t *c = lit ? on[colour] : off[colour];
        struct paint p = {PAINT_SOLID, c[0], c[1], c[2], 0, 0, false};
        draw_disc(r, h->x, h->y - 0.16, z, h->w * 0.33, &p);
    }
}

static void draw_tree(struct syn_renderer *r, struct cw_point at, double t, int k)
{
    static const uint8_t trunk[3] = {60, 118, 140};
    draw_box(r, at.x, at.y, 0, 0.35, 0.35, 3.2, trunk, OCCLUDER);
    double sway = 0.35 * sin(2 * M_PI * t / (2.1 + 0.4 * k)) + 0.15 * sin(2 * M_PI * t / 0.7);
    for (int b = 0; b < 4; b++) {
        double ox = (b % 2 ? 0.8 : -0.7) + sway * (1 + 0.3 * b), oz = 4.3 + (b / 2) * 1.0;
        struct paint p = {PAINT_SOLID, (uint8_t)(70 + 14 * b), 110, 112, 0, OCCLUDER, false};
        draw_disc(r, at.x + ox, at.y, oz, 1.6 - 0.2 * b, &p);
    }
}

/* ---- nuisances over the whole picture ---- */

static double gain_at(const struct syn_scenario *sc, double t)
{
    double g = 1 + sc->nz.slow_amp * sin(2 * M_PI * t / sc->nz.slow_period_s);
    for (int i = 0; i < sc->nz.n_jumps; i++)
        if (t >= sc->nz.jump_t[i])
            g = g * sc->nz.jump_gain[i] / (i ? sc->nz.jump_gain[i - 1] : 1);
    return g;
}

static void apply_clouds(struct syn_renderer *r, double t)
{
    /* three soft cloud shadows drifting east at 3 m/s */
    const double cx[3] = {-40, 5, 40}, cy[3] = {20, 45, 70}, rad[3] = {14, 18, 12};
    for (size_t i = 0; i < (size_t)r->W * r->H; i++) {
        float gx = r->gx[i], gy = r->gy[i];
        if (isnan(gx))
            continue;
        double dark = 0;
        for (int c = 0; c < 3; c++) {
            double x = fmod(gx - (cx[c] + 3 * t) + 300, 120) - 60, y = gy - cy[c];
            double d = hypot(x, y * 1.4) / rad[c];
            if (d < 1.2)
                dark = fmax(dark, d < 0.8 ? 1 : (1.2 - d) / 0.4);
        }
        if (dark > 0)
            r->cv[0][i] = (uint8_t)(16 + (r->cv[0][i] - 16) * (1 - 0.3 * dark));
    }
}

static void apply_rain(struct syn_renderer *r)
{
    int streaks = (int)(r->sc->nz.rain * 400);
    for (int i = 0; i < (int)((size_t)r->W * r->H); i++)
        r->cv[0][i] = (uint8_t)(20 + r->cv[0][i] * 0.85);
    for (int s = 0; s < streaks; s++) {
        int x = (int)(rnd(r) % (unsigned)r->W), y = (int)(rnd(r) % (unsigned)r->H);
        int len = 8 + (int)(rnd(r) % 14);
        for (int k = 0; k < len; k++) {
            int px = x + k / 5, py = y + k;
            if (px >= r->W || py >= r->H)
                break;
            uint8_t *p = &r->cv[0][(size_t)py * r->W + px];
            *p = clamp8(*p + 28);
        }
    }
}

/* Builds this frame's exposure curve and applies it to what is on the canvas (the road); what
 * is drawn afterwards goes through it in shaded(). */
static void apply_lut(struct syn_renderer *r, double gain, bool night)
{
    for (int v = 0; v < 256; v++) {
        double y = 16 + (v - 16) * gain;
        if (night)
            y = 16 + (y - 16) * 0.28;
        r->lut[v] = clamp8(y);
    }
    r->night = night;
    for (size_t i = 0; i < (size_t)r->W * r->H; i++)
        r->cv[0][i] = r->lut[r->cv[0][i]];
    if (night)
        for (int p = 1; p < 3; p++)
            for (size_t i = 0; i < (size_t)r->CW * r->CH; i++)
                r->cv[p][i] = (uint8_t)(128 + (r->cv[p][i] - 128) / 2);
}

static void apply_noise(struct syn_renderer *r)
{
    for (int y = 0; y < r->H; y++) {
        unsigned off = rnd(r) & 0xffff;
        uint8_t *row = r->cv[0] + (size_t)y * r->W;
        for (int x = 0; x < r->W; x++) {
            int v = row[x] + r->noise[(off + (unsigned)x) & 0xffff];
            row[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

/* Copies the canvas to the output shifted by the shake offset, edges repeated. */
static void apply_shake(struct syn_renderer *r, int dx, int dy)
{
    for (int p = 0; p < 3; p++) {
        int w = p ? r->CW : r->W, h = p ? r->CH : r->H, ox = p ? dx / 2 : dx, oy = p ? dy / 2 : dy;
        for (int y = 0; y < h; y++) {
            int sy = y - oy;
            sy = sy < 0 ? 0 : sy >= h ? h - 1 : sy;
            const uint8_t *src = r->cv[p] + (size_t)sy * w;
            uint8_t *dst = r->out[p] + (size_t)y * w;
            for (int x = 0; x < w; x++) {
                int sx = x - ox;
                dst[x] = src[sx < 0 ? 0 : sx >= w ? w - 1 : sx];
            }
        }
    }
    if (r->masks)
        for (int y = 0; y < r->H; y++) {
            int sy = y - dy;
            sy = sy < 0 ? 0 : sy >= r->H ? r->H - 1 : sy;
            for (int x = 0; x < r->W; x++) {
                int sx = x - dx;
                r->mask_out[(size_t)y * r->W + x] =
                    r->mask[(size_t)sy * r->W + (sx < 0       ? 0
                                                 : sx >= r->W ? r->W - 1
                                                              : sx)];
            }
        }
}

/* ---- the renderer ---- */

struct syn_renderer *syn_renderer_new(const struct syn_world *w, const struct syn_camera *cam,
                                      bool masks)
{
    struct syn_renderer *r = calloc(1, sizeof(*r));
    size_t n;
    if (!r)
        return NULL;
    r->w = w;
    r->cam = cam;
    r->sc = w->sc;
    r->W = w->sc->width;
    r->H = w->sc->height;
    r->CW = r->W / 2;
    r->CH = r->H / 2;
    r->masks = masks;
    r->rng = w->sc->seed * 747796405u + 2891336453u;
    n = (size_t)r->W * r->H;
    for (int p = 0; p < 3; p++) {
        size_t sz = p ? (size_t)r->CW * r->CH : n;
        r->bg[p] = malloc(sz);
        r->cv[p] = malloc(sz);
        r->out[p] = malloc(sz);
    }
    r->mask = calloc(n, 1);
    r->mask_out = calloc(n, 1);
    r->id = calloc(n, sizeof(*r->id));
    r->gx = malloc(n * sizeof(float));
    r->gy = malloc(n * sizeof(float));
    r->drawn = calloc(SYN_MAX_ACTORS, sizeof(int));
    r->seen = calloc(SYN_MAX_ACTORS, sizeof(int));
    r->noise = malloc(65536);
    if (!r->bg[0] || !r->bg[1] || !r->bg[2] || !r->cv[0] || !r->cv[1] || !r->cv[2] || !r->out[0] ||
        !r->out[1] || !r->out[2] || !r->mask || !r->mask_out || !r->id || !r->gx || !r->gy ||
        !r->drawn || !r->seen || !r->noise) {
        syn_renderer_free(r);
        cw_log_error("synth", "out of memory for %dx%d frames", r->W, r->H);
        return NULL;
    }
    for (int i = 0; i < 65536; i++) {
        /* Box-Muller */
        double u1 = (rnd(r) % 100000 + 1) / 100001.0, u2 = (rnd(r) % 100000) / 100000.0;
        double g = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2) * w->sc->nz.noise;
        r->noise[i] = (int8_t)fmax(-127, fmin(127, lround(g)));
    }
    paint_background(r);
    return r;
}

void syn_renderer_free(struct syn_renderer *r)
{
    if (!r)
        return;
    for (int p = 0; p < 3; p++) {
        free(r->bg[p]);
        free(r->cv[p]);
        free(r->out[p]);
    }
    free(r->mask);
    free(r->mask_out);
    free(r->id);
    free(r->gx);
    free(r->gy);
    free(r->drawn);
    free(r->seen);
    free(r->noise);
    free(r);
}

struct drawable {
    double depth;
    int kind; /* 0 actor, 1 pole, 2 tree */
    int idx;
};

static int cmp_depth(const void *a, const void *b)
{
    double x = ((const struct drawable *)a)->depth, y = ((const struct drawable *)b)->depth;
    return (x < y) - (x > y); /* far first */
}

static double depth_of(const struct syn_renderer *r, double x, double y)
{
    double p[3] = {x, y, 0.8}, c[3];
    to_cam(r->cam, p, c);
    return c[2];
}

/* The truth box of actor @a: the bounds of what of its cuboid the picture shows — its outline
 * cut by the camera's near plane and by the picture's edges (after a shake of @dx, @dy), as
 * MOTChallenge boxes road users partly hidden by others whole but not what lies outside the
 * picture. (The bounds of the eight corners, clipped afterwards, were up to twice as wide as the
 * road user in view where a car under the camera has corners far below the picture.) False where
 * under two pixels of it are in view. */
static bool truth_box(const struct syn_renderer *r, const struct syn_actor *a, int dx, int dy,
                      struct cw_box *out)
{
    static const int edge[12][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 0}, {4, 5}, {5, 6},
                                    {6, 7}, {7, 4}, {0, 4}, {1, 5}, {2, 6}, {3, 7}};
    const double nearz = 0.2;
    double c[8][3], cam[8][3], pts[20][3];
    struct cw_point img[20], poly[40], tmp[40];
    int n = 0;
    corners(a, c);
    for (int k = 0; k < 8; k++) {
        to_cam(r->cam, c[k], cam[k]);
        if (cam[k][2] >= nearz)
            memcpy(pts[n++], cam[k], sizeof(pts[0]));
    }
    for (int e = 0; e < 12; e++) {
        const double *p = cam[edge[e][0]], *q = cam[edge[e][1]];
        if ((p[2] >= nearz) != (q[2] >= nearz)) {
            double f = (nearz - p[2]) / (q[2] - p[2]);
            for (int k = 0; k < 3; k++)
                pts[n][k] = p[k] + f * (q[k] - p[k]);
            n++;
        }
    }
    if (n < 3)
        return false;
    for (int k = 0; k < n; k++)
        img[k] = (struct cw_point){r->cam->K[0] * pts[k][0] / pts[k][2] + r->cam->K[2] + dx,
                                   r->cam->K[4] * pts[k][1] / pts[k][2] + r->cam->K[5] + dy};
    int m = hull(img, n, poly);
    /* the outline cut by each edge of the picture in turn (Sutherland-Hodgman) */
    const double lim[4] = {0, r->W, 0, r->H};
    for (int side = 0; side < 4 && m > 0; side++) {
        int o = 0;
        bool y = side >= 2, lo = side % 2 == 0;
        for (int k = 0; k < m; k++) {
            struct cw_point p = poly[k], q = poly[(k + 1) % m];
            double pv = y ? p.y : p.x, qv = y ? q.y : q.x;
            bool pin = lo ? pv >= lim[side] : pv <= lim[side];
            bool qin = lo ? qv >= lim[side] : qv <= lim[side];
            if (pin)
                tmp[o++] = p;
            if (pin != qin) {
                double f = (lim[side] - pv) / (qv - pv);
                tmp[o++] = (struct cw_point){p.x + f * (q.x - p.x), p.y + f * (q.y - p.y)};
            }
        }
        memcpy(poly, tmp, sizeof(poly[0]) * (size_t)o);
        m = o;
    }
    double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
    for (int k = 0; k < m; k++) {
        x0 = fmin(x0, poly[k].x), x1 = fmax(x1, poly[k].x);
        y0 = fmin(y0, poly[k].y), y1 = fmax(y1, poly[k].y);
    }
    if (m < 3 || x1 - x0 < 2 || y1 - y0 < 2)
        return false;
    *out = (struct cw_box){x0, y0, x1 - x0, y1 - y0};
    return true;
}

void syn_render(struct syn_renderer *r, int frame, double t, struct syn_box *boxes, int *n_boxes)
{
    const struct syn_world *w = r->w;
    const struct syn_scenario *sc = r->sc;
    struct drawable list[SYN_MAX_ACTORS + 8];
    int n = 0;
    size_t npix = (size_t)r->W * r->H;

    (void)frame;
    memcpy(r->cv[0], r->bg[0], npix);
    memcpy(r->cv[1], r->bg[1], (size_t)r->CW * r->CH);
    memcpy(r->cv[2], r->bg[2], (size_t)r->CW * r->CH);
    memset(r->mask, 0, npix);
    memset(r->id, 0, npix * sizeof(*r->id));
    memset(r->drawn, 0, sizeof(int) * SYN_MAX_ACTORS);

    apply_lut(r, gain_at(sc, t), sc->nz.night);
    if (sc->nz.clouds)
        apply_clouds(r, t);
    for (int i = 0; i < w->n_actors; i++)
        if (w->actor[i].active) {
            if (sc->nz.night)
                draw_lights(r, &w->actor[i], false);
            else
                draw_shadow(r, &w->actor[i]);
        }
    for (int i = 0; i < w->n_actors; i++)
        if (w->actor[i].active)
            list[n++] = (struct drawable){depth_of(r, w->actor[i].x, w->actor[i].y), 0, i};
    if (sc->nz.pole)
        list[n++] = (struct drawable){depth_of(r, w->road_half - 1.5, sc->cam_y + 14), 1, 0};
    for (int k = 0; k < w->n_trees; k++)
        list[n++] = (struct drawable){depth_of(r, w->trees[k].x, w->trees[k].y), 2, k};
    qsort(list, (size_t)n, sizeof(list[0]), cmp_depth);
    for (int k = 0; k < n; k++) {
        if (list[k].kind == 0)
            draw_actor(r, list[k].idx, &w->actor[list[k].idx], t);
        else if (list[k].kind == 1) {
            static const uint8_t grey[3] = {110, 126, 130};
            draw_box(r, w->road_half - 1.5, sc->cam_y + 14, 0, 0.45, 0.45, 9, grey, OCCLUDER);
        } else
            draw_tree(r, w->trees[list[k].idx], t, list[k].idx);
    }
    if (sc->nz.night)
        for (int i = 0; i < w->n_actors; i++)
            if (w->actor[i].active)
                draw_lights(r, &w->actor[i], true);
    for (int h = 0; h < w->n_heads; h++)
        draw_signal(r, &w->head[h], t);
    if (sc->nz.rain > 0)
        apply_rain(r);
    if (sc->nz.noise > 0)
        apply_noise(r);

    /* visibility: what is left of each actor after everything in front was drawn */
    memset(r->seen, 0, sizeof(int) * SYN_MAX_ACTORS);
    for (size_t i = 0; i < npix; i++) {
        uint16_t id = r->id[i];
        if (id && id != OCCLUDER)
            r->seen[id - 1]++;
    }
    int dx = 0, dy = 0;
    if (sc->nz.shake_px > 0) {
        dx = (int)lround(sc->nz.shake_px *
                         (0.7 * sin(2 * M_PI * t * 1.7) + 0.3 * sin(2 * M_PI * t * 5.3 + 1)));
        dy = (int)lround(sc->nz.shake_px *
                         (0.6 * sin(2 * M_PI * t * 1.3 + 2) + 0.4 * sin(2 * M_PI * t * 4.1)));
    }
    r->shake_dx = dx;
    r->shake_dy = dy;
    apply_shake(r, dx, dy);

    *n_boxes = 0;
    for (int i = 0; i < w->n_actors; i++) {
        const struct syn_actor *a = &w->actor[i];
        struct cw_box b;
        if (a->active && r->drawn[i] >= 6 && truth_box(r, a, dx, dy, &b))
            boxes[(*n_boxes)++] = (struct syn_box){
                a->spec->id, a->spec->cls, b.x, b.y, b.w, b.h, (double)r->seen[i] / r->drawn[i]};
    }
}

const uint8_t *syn_renderer_plane(const struct syn_renderer *r, int p, int *stride)
{
    *stride = p ? r->CW : r->W;
    return r->out[p];
}

const uint8_t *syn_renderer_mask(const struct syn_renderer *r)
{
    return r->mask_out;
}
