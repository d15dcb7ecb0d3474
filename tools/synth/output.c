/* What crosswatch-synth writes: the H.264 video (and lossless masks) through libavcodec, and the
 * scene file, truth, MOT ground truth and signal states that describe it exactly. */
#include <cjson/cJSON.h>
#include <libavutil/log.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/encoder.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "synth.h"

#define MOD "synth"

struct syn_writer {
    struct cw_encoder *video, *mask;
    int width, height;
};

struct syn_writer *syn_writer_new(const char *dir, const struct syn_scenario *sc, bool masks)
{
    struct syn_writer *wr = calloc(1, sizeof(*wr));
    char path[1200];
    const char *preset = getenv("CW_SYNTH_PRESET") ? getenv("CW_SYNTH_PRESET") : "veryfast";
    if (!wr)
        return NULL;
    av_log_set_level(AV_LOG_ERROR);
    wr->width = sc->width;
    wr->height = sc->height;
    snprintf(path, sizeof(path), "%s/video.mp4", dir);
    struct cw_encoder_config c = {path,       "libx264", CW_ENCODER_YUV420, sc->width,
                                  sc->height, sc->fps,   sc->nz.crf,        preset};
    if (!(wr->video = cw_encoder_new(&c)))
        goto out_free;
    if (masks) {
        snprintf(path, sizeof(path), "%s/masks.mkv", dir);
        c.codec = "ffv1";
        c.format = CW_ENCODER_GRAY;
        if (!(wr->mask = cw_encoder_new(&c)))
            goto out_free;
    }
    return wr;
out_free:
    cw_encoder_close(wr->video);
    free(wr);
    return NULL;
}

static void copy_plane(uint8_t *dst, int dst_stride, const uint8_t *src, int src_stride, int w,
                       int h)
{
    for (int y = 0; y < h; y++)
        memcpy(dst + (size_t)y * dst_stride, src + (size_t)y * src_stride, (size_t)w);
}

int syn_writer_frame(struct syn_writer *wr, const struct syn_renderer *r, int frame)
{
    uint8_t *planes[3];
    int strides[3];
    if (cw_encoder_planes(wr->video, planes, strides))
        return CW_ENOMEM;
    for (int p = 0; p < 3; p++) {
        int stride;
        const uint8_t *src = syn_renderer_plane(r, p, &stride);
        copy_plane(planes[p], strides[p], src, stride, p ? wr->width / 2 : wr->width,
                   p ? wr->height / 2 : wr->height);
    }
    int err = cw_encoder_write(wr->video, frame);
    if (!err && wr->mask) {
        if (cw_encoder_planes(wr->mask, planes, strides))
            return CW_ENOMEM;
        copy_plane(planes[0], strides[0], syn_renderer_mask(r), wr->width, wr->width, wr->height);
        err = cw_encoder_write(wr->mask, frame);
    }
    return err;
}

int syn_writer_close(struct syn_writer *wr)
{
    if (!wr)
        return 0;
    int a = cw_encoder_close(wr->video), b = cw_encoder_close(wr->mask);
    free(wr);
    return a ? a : b;
}

/* ---- the scene file ---- */

/* Clips a ground polygon to the picture: near plane first, then the image rectangle. Returns
 * the number of image points (0 when it is not in view). */
static int ground_to_image(const struct syn_camera *cam, int W, int H, const struct cw_point *g,
                           int n, struct cw_point *out)
{
    struct cw_point a[40], b[40] = {{0, 0}};
    int m = 0;
    /* near plane: keep points well in front of the camera */
    for (int i = 0; i < n; i++) {
        struct cw_point p = g[i], q = g[(i + 1) % n];
        struct cw_point pi, qi;
        bool inp = syn_project(cam, p.x, p.y, 0, &pi), inq = syn_project(cam, q.x, q.y, 0, &qi);
        if (inp)
            a[m++] = pi;
        if (inp != inq) {
            /* bisect for the crossing */
            struct cw_point lo = inp ? p : q, hi = inp ? q : p, mid, img;
            for (int k = 0; k < 40; k++) {
                mid = (struct cw_point){(lo.x + hi.x) / 2, (lo.y + hi.y) / 2};
                if (syn_project(cam, mid.x, mid.y, 0, &img))
                    lo = mid;
                else
                    hi = mid;
            }
            syn_project(cam, lo.x, lo.y, 0, &img);
            a[m++] = img;
        }
    }
    /* image rectangle, one side at a time */
    const double lim[4] = {0, (double)W, 0, (double)H};
    for (int side = 0; side < 4; side++) {
        int k = 0;
        for (int i = 0; i < m; i++) {
            struct cw_point p = a[i], q = a[(i + 1) % m];
            double vp = side < 2 ? p.x : p.y, vq = side < 2 ? q.x : q.y;
            bool inp = side % 2 == 0 ? vp >= lim[side] : vp <= lim[side];
            bool inq = side % 2 == 0 ? vq >= lim[side] : vq <= lim[side];
            if (inp)
                b[k++] = p;
            if (inp != inq && k < 39) {
                double f = (lim[side] - vp) / (vq - vp);
                b[k++] = (struct cw_point){p.x + f * (q.x - p.x), p.y + f * (q.y - p.y)};
            }
        }
        memcpy(a, b, sizeof(b[0]) * (size_t)k);
        m = k;
    }
    /* drop points closer than a pixel to the previous one */
    int k = 0;
    for (int i = 0; i < m; i++) {
        struct cw_point p = {fmin(fmax(round(a[i].x * 10) / 10, 0), W),
                             fmin(fmax(round(a[i].y * 10) / 10, 0), H)};
        if (k && hypot(p.x - out[k - 1].x, p.y - out[k - 1].y) < 1.0)
            continue;
        out[k++] = p;
    }
    while (k > 1 && hypot(out[0].x - out[k - 1].x, out[0].y - out[k - 1].y) < 1.0)
        k--;
    if (k < 3 || fabs(cw_polygon_area(out, k)) < 50)
        return 0;
    return k > 32 ? 32 : k;
}

static cJSON *points_json(const struct cw_point *p, int n)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *pt = cJSON_CreateArray();
        cJSON_AddItemToArray(pt, cJSON_CreateNumber(round(p[i].x * 10) / 10));
        cJSON_AddItemToArray(pt, cJSON_CreateNumber(round(p[i].y * 10) / 10));
        cJSON_AddItemToArray(arr, pt);
    }
    return arr;
}

static bool in_image(const struct syn_scenario *sc, struct cw_point p, double margin)
{
    return p.x >= margin && p.y >= margin && p.x <= sc->width - margin &&
           p.y <= sc->height - margin;
}

static int write_json(const char *dir, const char *name, cJSON *root)
{
    char path[1200], *text = cJSON_Print(root);
    FILE *f;
    int ret = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!text || !f || fputs(text, f) < 0 || fputc('\n', f) < 0) {
        cw_log_error(MOD, "%s: cannot write", path);
        ret = CW_EIO;
    }
    if (f && fclose(f) != 0 && !ret) {
        cw_log_error(MOD, "%s: cannot write (disk full?)", path);
        ret = CW_EIO;
    }
    free(text);
    return ret;
}

static void add_zone(cJSON *zones, const struct syn_world *w, const struct syn_camera *cam,
                     const char *id, const char *kind, const struct cw_point *g, int n)
{
    struct cw_point img[40];
    int k = ground_to_image(cam, w->sc->width, w->sc->height, g, n, img);
    if (!k)
        return;
    cJSON *z = cJSON_CreateObject();
    cJSON_AddStringToObject(z, "id", id);
    cJSON_AddStringToObject(z, "kind", kind);
    cJSON_AddItemToObject(z, "polygon", points_json(img, k));
    cJSON_AddItemToArray(zones, z);
}

int syn_write_scene(const char *dir, const struct syn_world *w, const struct syn_camera *cam)
{
    const struct syn_scenario *sc = w->sc;
    cJSON *root = cJSON_CreateObject(), *o, *arr;
    int ret;

    cJSON_AddNumberToObject(root, "version", 1);
    o = cJSON_AddObjectToObject(root, "site");
    cJSON_AddStringToObject(o, "id", sc->name);
    cJSON_AddStringToObject(o, "name", "crosswatch-synth scenario");
    o = cJSON_AddObjectToObject(root, "camera");
    cJSON_AddStringToObject(o, "id", "synth");
    cJSON_AddStringToObject(o, "input", "video.mp4");
    cJSON_AddNumberToObject(o, "width", sc->width);
    cJSON_AddNumberToObject(o, "height", sc->height);
    cJSON_AddNumberToObject(o, "fps", sc->fps);
    o = cJSON_AddObjectToObject(root, "ground");
    arr = cJSON_AddArrayToObject(o, "image_to_ground");
    for (int i = 0; i < 9; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(cam->i2g.m[i]));

    /* signal heads: the housing's box in the picture */
    cJSON *sigs = cJSON_AddArrayToObject(root, "signals");
    bool head_ok[4] = {false};
    for (int h = 0; h < w->n_heads; h++) {
        const struct syn_signal_head *hd = &w->head[h];
        double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
        bool ok = true;
        for (int k = 0; k < 8; k++) {
            struct cw_point p;
            double x = hd->x + (k & 1 ? 1 : -1) * hd->w / 2, y = hd->y + (k & 2 ? 0.15 : -0.15);
            double z = hd->z + (k & 4 ? 1 : -1) * hd->h / 2;
            ok &= syn_project(cam, x, y, z, &p);
            x0 = fmin(x0, p.x);
            y0 = fmin(y0, p.y);
            x1 = fmax(x1, p.x);
            y1 = fmax(y1, p.y);
        }
        x0 = floor(x0 - 1);
        y0 = floor(y0 - 1);
        x1 = ceil(x1 + 1);
        y1 = ceil(y1 + 1);
        if (!ok || x0 < 0 || y0 < 0 || x1 > sc->width || y1 > sc->height || x1 - x0 < 2 ||
            y1 - y0 < 2) {
            cw_log_warn(MOD,
                        "signal head '%s' is out of the picture; the scene reads it from "
                        "the controller instead",
                        hd->id);
        }
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "id", hd->id);
        cJSON_AddStringToObject(s, "kind", hd->lamps == 3 ? "vehicle" : "pedestrian");
        cJSON_AddStringToObject(s, "layout", "vertical");
        if (ok && x0 >= 0 && y0 >= 0 && x1 <= sc->width && y1 <= sc->height && x1 - x0 >= 2 &&
            y1 - y0 >= 2) {
            cJSON *reg = cJSON_AddArrayToObject(s, "region");
            cJSON_AddItemToArray(reg, cJSON_CreateNumber(x0));
            cJSON_AddItemToArray(reg, cJSON_CreateNumber(y0));
            cJSON_AddItemToArray(reg, cJSON_CreateNumber(x1 - x0));
            cJSON_AddItemToArray(reg, cJSON_CreateNumber(y1 - y0));
            head_ok[h] = true;
        }
        cJSON_AddStringToObject(s, "external_id", hd->id);
        cJSON_AddItemToArray(sigs, s);
    }
    (void)head_ok;

    /* stop lines, cut to the picture, with a point on the side traffic crosses into */
    cJSON *lines = cJSON_AddArrayToObject(root, "lines");
    bool line_ok[SYN_MAX_ITEMS] = {false};
    for (int l = 0; l < w->n_lines; l++) {
        const struct syn_line *ln = &w->line[l];
        struct cw_point pa, pb, tw;
        /* the visible part of the segment: sample it */
        int first = -1, last = -1;
        struct cw_point samples[101];
        for (int k = 0; k <= 100; k++) {
            double f = k / 100.0;
            struct cw_point p;
            if (syn_project(cam, ln->a.x + f * (ln->b.x - ln->a.x), ln->a.y, 0, &p) &&
                in_image(sc, p, 1)) {
                samples[k] = p;
                if (first < 0)
                    first = k;
                last = k;
            }
        }
        if (first < 0 || last - first < 10)
            continue;
        pa = samples[first];
        pb = samples[last];
        double fm = (first + last) / 200.0, sgn = ln->toward.y > ln->a.y ? 1 : -1;
        if (!syn_project(cam, ln->a.x + fm * (ln->b.x - ln->a.x), ln->a.y + 1.5 * sgn, 0, &tw) ||
            !in_image(sc, tw, 1))
            continue;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", ln->id);
        cJSON_AddStringToObject(j, "kind", "stop_line");
        struct cw_point ends[2] = {pa, pb};
        cJSON_AddItemToObject(j, "points", points_json(ends, 2));
        cJSON *tp = cJSON_AddArrayToObject(j, "toward");
        cJSON_AddItemToArray(tp, cJSON_CreateNumber(round(tw.x * 10) / 10));
        cJSON_AddItemToArray(tp, cJSON_CreateNumber(round(tw.y * 10) / 10));
        cJSON_AddItemToArray(lines, j);
        line_ok[l] = true;
    }

    cJSON *zones = cJSON_AddArrayToObject(root, "zones");
    add_zone(zones, w, cam, "crosswalk", "crosswalk", w->crosswalk.p, 4);
    add_zone(zones, w, cam, "wait-west", "waiting_area", w->wait_w.p, 4);
    add_zone(zones, w, cam, "wait-east", "waiting_area", w->wait_e.p, 4);
    if (sc->school_zone)
        add_zone(zones, w, cam, "school-gate", "school_zone", w->school.p, 4);
    if (sc->nz.vegetation && sc->nz.mask_vegetation)
        for (int k = 0; k < w->n_trees; k++) {
            char id[16];
            struct cw_point g[4];
            /* the trees' footprint on the ground, grown to cover the swaying canopy's image */
            double x = w->trees[k].x, y = w->trees[k].y;
            g[0] = (struct cw_point){x - 4, y - 3};
            g[1] = (struct cw_point){x + 4, y - 3};
            g[2] = (struct cw_point){x + 4, y + 3};
            g[3] = (struct cw_point){x - 4, y + 3};
            snprintf(id, sizeof(id), "tree-%d", k + 1);
            add_zone(zones, w, cam, id, "ignore", g, 4);
        }

    cJSON *lanes = cJSON_AddArrayToObject(root, "lanes");
    for (int l = 0; l < w->n_lanes; l++) {
        const struct syn_lane *ln = &w->lane[l];
        struct cw_point img[40];
        int k = ground_to_image(cam, sc->width, sc->height, ln->poly.p, 4, img);
        if (!k)
            continue;
        /* direction arrow along the centre, in the visible stretch */
        double xc = (ln->poly.p[0].x + ln->poly.p[1].x) / 2;
        double ya = ln->poly.p[0].y, yb = ln->poly.p[2].y, lo = 1e9, hi = -1e9;
        for (int s = 0; s <= 200; s++) {
            double y = ya + (yb - ya) * s / 200.0;
            struct cw_point p;
            if (syn_project(cam, xc, y, 0, &p) && in_image(sc, p, 2)) {
                lo = fmin(lo, y);
                hi = fmax(hi, y);
            }
        }
        if (hi - lo < 2)
            continue;
        struct cw_point arrow[2];
        double y0 = ln->dir.y > 0 ? lo + 0.3 * (hi - lo) : hi - 0.3 * (hi - lo);
        double y1 = ln->dir.y > 0 ? lo + 0.7 * (hi - lo) : hi - 0.7 * (hi - lo);
        syn_project(cam, xc, y0, 0, &arrow[0]);
        syn_project(cam, xc, y1, 0, &arrow[1]);
        if (hypot(arrow[1].x - arrow[0].x, arrow[1].y - arrow[0].y) < 2)
            continue;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", ln->id);
        cJSON_AddStringToObject(j, "kind", ln->motor ? "motor" : "non_motor");
        if (ln->stop_line >= 0 && line_ok[ln->stop_line])
            cJSON_AddStringToObject(j, "stop_line", w->line[ln->stop_line].id);
        cJSON_AddStringToObject(j, "signal", w->head[0].id);
        if (ln->motor)
            cJSON_AddNumberToObject(j, "speed_limit_kmh", sc->speed_limit_kmh);
        cJSON_AddItemToObject(j, "polygon", points_json(img, k));
        cJSON_AddItemToObject(j, "direction", points_json(arrow, 2));
        cJSON_AddItemToArray(lanes, j);
    }

    /* the rules as the truth was derived */
    o = cJSON_AddObjectToObject(root, "rules");
    cJSON *r = cJSON_AddObjectToObject(o, "red_light");
    cJSON_AddNumberToObject(r, "grace_s", sc->grace_s);
    r = cJSON_AddObjectToObject(o, "pedestrian_red");
    cJSON_AddNumberToObject(r, "grace_s", sc->ped_grace_s);
    r = cJSON_AddObjectToObject(o, "fail_to_yield");
    cJSON_AddNumberToObject(r, "conflict_distance_m", 3.0);
    r = cJSON_AddObjectToObject(o, "wrong_way");
    cJSON_AddNumberToObject(r, "min_distance_m", 5.0);
    r = cJSON_AddObjectToObject(o, "motor_lane");
    cJSON_AddNumberToObject(r, "min_duration_s", 3.0);
    cJSON_AddNumberToObject(r, "min_distance_m", 10.0);
    r = cJSON_AddObjectToObject(o, "stop_past_line");
    cJSON_AddNumberToObject(r, "min_duration_s", 2.0);
    cJSON_AddNumberToObject(r, "past_m", 0.5);
    r = cJSON_AddObjectToObject(o, "speeding");
    cJSON_AddNumberToObject(r, "limit_kmh", sc->speed_limit_kmh);
    cJSON_AddNumberToObject(r, "two_wheeler_limit_kmh", 25);
    cJSON_AddNumberToObject(r, "tolerance_pct", 10);
    cJSON_AddNumberToObject(r, "min_distance_m", 10);

    ret = write_json(dir, "scene.json", root);
    cJSON_Delete(root);
    return ret;
}

static const char *const behaviour_names[] = {"obey", "run_red", "stop_past", "no_yield"};

int syn_write_truth(const char *dir, const struct syn_world *w, int frames)
{
    const struct syn_scenario *sc = w->sc;
    cJSON *root = cJSON_CreateObject();
    int ret;
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "scenario", sc->name);
    cJSON_AddNumberToObject(root, "width", sc->width);
    cJSON_AddNumberToObject(root, "height", sc->height);
    cJSON_AddNumberToObject(root, "fps", sc->fps);
    cJSON_AddNumberToObject(root, "frames", frames);
    cJSON_AddStringToObject(root, "video", "video.mp4");
    cJSON_AddStringToObject(root, "scene", "scene.json");
    cJSON_AddStringToObject(root, "tracks", "gt/gt.txt");
    cJSON_AddStringToObject(root, "signals", "signals.csv");
    cJSON *ev = cJSON_AddArrayToObject(root, "events");
    for (int i = 0; i < w->n_events; i++) {
        const struct syn_event *e = &w->events[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "type", syn_event_names[e->type]);
        cJSON_AddNumberToObject(j, "actor", e->actor);
        cJSON_AddStringToObject(j, "class", syn_class_names[e->cls]);
        cJSON_AddNumberToObject(j, "frame", e->frame);
        cJSON_AddNumberToObject(j, "time_s", round(e->t * 1000) / 1000);
        cJSON *g = cJSON_AddArrayToObject(j, "ground");
        cJSON_AddItemToArray(g, cJSON_CreateNumber(round(e->x * 100) / 100));
        cJSON_AddItemToArray(g, cJSON_CreateNumber(round(e->y * 100) / 100));
        cJSON_AddItemToArray(ev, j);
    }
    cJSON *ac = cJSON_AddArrayToObject(root, "actors");
    for (int i = 0; i < w->n_actors; i++) {
        const struct syn_actor_spec *sp = w->actor[i].spec;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "id", sp->id);
        cJSON_AddStringToObject(j, "class", syn_class_names[sp->cls]);
        cJSON_AddStringToObject(j, "route", sp->route);
        cJSON_AddStringToObject(j, "behaviour", behaviour_names[sp->behaviour]);
        cJSON_AddBoolToObject(j, "reverse", sp->reverse);
        cJSON_AddItemToArray(ac, j);
    }
    ret = write_json(dir, "truth.json", root);
    cJSON_Delete(root);
    return ret;
}
