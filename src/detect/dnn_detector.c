/* The DNN detector stage: letterbox the frame into the network, run it, map the model's classes
 * to crosswatch's, fold riders into their two-wheelers, place the rest on the ground. */
#include "crosswatch/dnn_detector.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "crosswatch/clock.h"
#include "crosswatch/dnn.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/scene.h"

#define MOD           "dnn"
#define MAX_BOXES     1024
#define TARGET_SIGNAL CW_CLASS_COUNT /* a signal head, kept apart */
#define TARGET_IGNORE (-1)

#define OFS(f) offsetof(struct cw_dnn_detector_config, f)
const struct cw_option cw_dnn_detector_options[] = {
    {"model_cfg",
     CW_OPT_STRING,
     OFS(model_cfg),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "darknet .cfg of the detector model",
     CW_OPT_REQUIRED},
    {"model_weights",
     CW_OPT_STRING,
     OFS(model_weights),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "darknet .weights of the detector model",
     CW_OPT_REQUIRED},
    {"names",
     CW_OPT_STRING,
     OFS(names),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "the model's class names, one per line (COCO's 80 assumed without)"},
    {"class_map",
     CW_OPT_STRING,
     OFS(class_map),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "name=class[:helmet|passenger|canopy=0|1],... onto pedestrian, two_wheeler, car, bus_truck, "
     "signal, ignore"},
    {"conf",
     CW_OPT_DOUBLE,
     OFS(conf),
     {.d = 0.25},
     0.01,
     1,
     NULL,
     NULL,
     "smallest class score kept"},
    {"nms",
     CW_OPT_DOUBLE,
     OFS(nms),
     {.d = 0.45},
     0.05,
     1,
     NULL,
     NULL,
     "overlap above which the weaker box of a class is dropped"},
    {"threads", CW_OPT_INT, OFS(threads), {.i = 1}, 1, 64, NULL, NULL, "threads for the network"},
    {NULL},
};

/* COCO's 80 classes in the order darknet's coco.names lists them. */
static const char *const coco[80] = {
    "person",        "bicycle",       "car",           "motorbike",
    "aeroplane",     "bus",           "train",         "truck",
    "boat",          "traffic light", "fire hydrant",  "stop sign",
    "parking meter", "bench",         "bird",          "cat",
    "dog",           "horse",         "sheep",         "cow",
    "elephant",      "bear",          "zebra",         "giraffe",
    "backpack",      "umbrella",      "handbag",       "tie",
    "suitcase",      "frisbee",       "skis",          "snowboard",
    "sports ball",   "kite",          "baseball bat",  "baseball glove",
    "skateboard",    "surfboard",     "tennis racket", "bottle",
    "wine glass",    "cup",           "fork",          "knife",
    "spoon",         "bowl",          "banana",        "apple",
    "sandwich",      "orange",        "broccoli",      "carrot",
    "hot dog",       "pizza",         "donut",         "cake",
    "chair",         "sofa",          "pottedplant",   "bed",
    "diningtable",   "toilet",        "tvmonitor",     "laptop",
    "mouse",         "remote",        "keyboard",      "cell phone",
    "microwave",     "oven",          "toaster",       "sink",
    "refrigerator",  "book",          "clock",         "vase",
    "scissors",      "teddy bear",    "hair drier",    "toothbrush"};

static const struct {
    const char *name;
    int target;
} default_map[] = {
    {"person", CW_CLASS_PEDESTRIAN},      {"pedestrian", CW_CLASS_PEDESTRIAN},
    {"bicycle", CW_CLASS_TWO_WHEELER},    {"motorbike", CW_CLASS_TWO_WHEELER},
    {"motorcycle", CW_CLASS_TWO_WHEELER}, {"car", CW_CLASS_CAR},
    {"bus", CW_CLASS_BUS_TRUCK},          {"truck", CW_CLASS_BUS_TRUCK},
    {"traffic light", TARGET_SIGNAL},
};

static const char *const attr_names[CW_ATTR_COUNT] = {"helmet", "passenger", "canopy"};

struct class_rule {
    int target;                 /* enum cw_class, TARGET_SIGNAL or TARGET_IGNORE */
    int8_t attr[CW_ATTR_COUNT]; /* enum cw_attr_value; CW_ATTR_UNKNOWN: not set by this class */
};

struct cw_dnn_detector {
    struct cw_dnn *net;
    int nw, nh, classes;
    struct class_rule *rules;
    bool rules_say[CW_ATTR_COUNT]; /* the class map sets this attribute for some class */
    float conf, nms;
    /* letterbox tables for the last frame size */
    int fw, fh, rw, rh, dx, dy;
    double scale;
    int *x0, *x1, *cx0, *cx1, *y0, *y1, *cy0, *cy1;
    float *fx, *fcx, *fy, *fcy;
    struct cw_dnn_box *boxes;
    uint8_t riders[MAX_BOXES]; /* persons folded into each output of the frame */
    struct cw_box signals[64];
    float signal_scores[64];
    int nsignals;
    double last_ms;
};

static int find_class(char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (names[i] && !strcmp(names[i], name))
            return i;
    char *end;
    long v = strtol(name, &end, 10);
    return *name && !*end && v >= 0 && v < n ? (int)v : -1;
}

/* Applies "name=class[:attr=v]..." items over the rules. */
static int parse_map(struct cw_dnn_detector *d, char **names, const char *spec)
{
    char *copy = strdup(spec), *save = NULL;
    int err = 0;
    if (!copy)
        return CW_ENOMEM;
    for (char *item = strtok_r(copy, ",", &save); item && !err; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            cw_log_error(MOD, "class_map: '%s' should be name=class", cw__trim(item));
            err = CW_EINVAL;
            break;
        }
        *eq = 0;
        char *name = cw__trim(item), *rest = eq + 1, *colon = strchr(rest, ':');
        if (colon)
            *colon = 0;
        char *target = cw__trim(rest);
        int k = find_class(names, d->classes, name);
        if (k < 0) {
            cw_log_error(MOD, "class_map: '%s' is not one of the model's %d classes", name,
                         d->classes);
            err = CW_EINVAL;
            break;
        }
        int t = cw_class_parse(target);
        if (!strcmp(target, "signal"))
            t = TARGET_SIGNAL;
        else if (!strcmp(target, "ignore"))
            t = TARGET_IGNORE;
        else if (t <= CW_CLASS_UNKNOWN) {
            cw_log_error(MOD,
                         "class_map: %s=%s: the class must be pedestrian, two_wheeler, car, "
                         "bus_truck, signal or ignore",
                         name, target);
            err = CW_EINVAL;
            break;
        }
        d->rules[k].target = t;
        for (char *a = colon ? colon + 1 : NULL, *next; a && !err; a = next) {
            next = strchr(a, ':');
            if (next)
                *next++ = 0;
            char *aeq = strchr(a, '=');
            int which = -1;
            if (aeq) {
                *aeq = 0;
                for (int q = 0; q < CW_ATTR_COUNT; q++)
                    if (!strcmp(cw__trim(a), attr_names[q]))
                        which = q;
            }
            char *val = aeq ? cw__trim(aeq + 1) : NULL;
            if (which < 0 || !val || (strcmp(val, "0") && strcmp(val, "1"))) {
                cw_log_error(MOD,
                             "class_map: %s: attributes are helmet, passenger or canopy, "
                             "set to 0 or 1 (e.g. %s=two_wheeler:helmet=0)",
                             name, name);
                err = CW_EINVAL;
            } else {
                d->rules[k].attr[which] = *val == '1' ? CW_ATTR_YES : CW_ATTR_NO;
                d->rules_say[which] = true;
            }
        }
    }
    free(copy);
    return err;
}

static int load_names(const char *path, char ***out, int *n)
{
    char *text;
    size_t len;
    int err = cw__read_file(MOD, path, 1 << 20, &text, &len);
    if (err)
        return err;
    int cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += text[i] == '\n';
    char **names = calloc((size_t)cap, sizeof(*names));
    if (!names) {
        free(text);
        return CW_ENOMEM;
    }
    int k = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *s = cw__trim(line);
        if (*s)
            names[k++] = strdup(s);
    }
    free(text);
    *out = names;
    *n = k;
    return 0;
}

struct cw_dnn_detector *cw_dnn_detector_new(const struct cw_dnn_detector_config *cfg)
{
    struct cw_dnn_detector *d = calloc(1, sizeof(*d));
    char **names = NULL;
    int nnames = 0, c;
    if (!d)
        return NULL;
    if (!cfg->model_cfg || !cfg->model_weights) {
        cw_log_error(MOD, "the DNN detector needs model_cfg and model_weights");
        goto out_free;
    }
    d->net = cw_dnn_load(cfg->model_cfg, cfg->model_weights, cfg->threads);
    if (!d->net)
        goto out_free;
    cw_dnn_input_size(d->net, &d->nw, &d->nh, &c);
    d->classes = cw_dnn_classes(d->net);
    if (c != 3 || d->classes < 1) {
        cw_log_error(MOD, "%s: the detector needs a 3-channel (RGB) network with a yolo layer",
                     cfg->model_cfg);
        goto out_free;
    }
    d->conf = (float)cfg->conf;
    d->nms = (float)cfg->nms;
    d->rules = calloc((size_t)d->classes, sizeof(*d->rules));
    d->boxes = calloc(MAX_BOXES, sizeof(*d->boxes));
    size_t nx = (size_t)d->nw, ny = (size_t)d->nh;
    d->x0 = calloc(nx * 4, sizeof(int));
    d->y0 = calloc(ny * 4, sizeof(int));
    d->fx = calloc(nx * 2, sizeof(float));
    d->fy = calloc(ny * 2, sizeof(float));
    if (!d->rules || !d->boxes || !d->x0 || !d->y0 || !d->fx || !d->fy)
        goto out_free;
    d->x1 = d->x0 + nx, d->cx0 = d->x0 + 2 * nx, d->cx1 = d->x0 + 3 * nx;
    d->y1 = d->y0 + ny, d->cy0 = d->y0 + 2 * ny, d->cy1 = d->y0 + 3 * ny;
    d->fcx = d->fx + nx, d->fcy = d->fy + ny;
    if (cfg->names) {
        if (load_names(cfg->names, &names, &nnames))
            goto out_free;
        if (nnames != d->classes) {
            cw_log_error(MOD, "%s: %d names, but the model has %d classes", cfg->names, nnames,
                         d->classes);
            goto out_free;
        }
    } else if (d->classes == 80) {
        names = calloc(80, sizeof(*names));
        if (!names)
            goto out_free;
        for (int i = 0; i < 80; i++)
            names[i] = strdup(coco[i]);
        nnames = 80;
    } else if (!cfg->class_map) {
        cw_log_error(MOD,
                     "%s: the model has %d classes and no names; give names (one per line) "
                     "or a class_map",
                     cfg->model_cfg, d->classes);
        goto out_free;
    }
    for (int k = 0; k < d->classes; k++) {
        d->rules[k].target = TARGET_IGNORE;
        for (size_t m = 0; names && names[k] && m < sizeof(default_map) / sizeof(*default_map); m++)
            if (!strcmp(names[k], default_map[m].name))
                d->rules[k].target = default_map[m].target;
    }
    if (cfg->class_map && parse_map(d, names, cfg->class_map))
        goto out_free;
    for (int i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    return d;
out_free:
    for (int i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    cw_dnn_detector_free(d);
    return NULL;
}

void cw_dnn_detector_free(struct cw_dnn_detector *d)
{
    if (!d)
        return;
    cw_dnn_free(d->net);
    free(d->rules);
    free(d->boxes);
    free(d->x0);
    free(d->y0);
    free(d->fx);
    free(d->fy);
    free(d);
}

/* Source index pairs and weights for bilinear sampling of @n outputs from @src samples, output i
 * centred at (i + 0.5) / scale in the source. */
static void taps(int n, int src, double scale, int *a, int *b, float *f)
{
    for (int i = 0; i < n; i++) {
        double s = (i + 0.5) / scale - 0.5;
        if (s < 0)
            s = 0;
        int k = (int)s;
        if (k > src - 1)
            k = src - 1;
        a[i] = k;
        b[i] = k + 1 < src ? k + 1 : k;
        f[i] = (float)(s - k);
    }
}

static void prepare(struct cw_dnn_detector *d, int fw, int fh)
{
    d->fw = fw, d->fh = fh;
    d->scale = fmin((double)d->nw / fw, (double)d->nh / fh);
    d->rw = (int)lround(fw * d->scale), d->rh = (int)lround(fh * d->scale);
    if (d->rw > d->nw)
        d->rw = d->nw;
    if (d->rh > d->nh)
        d->rh = d->nh;
    d->dx = (d->nw - d->rw) / 2, d->dy = (d->nh - d->rh) / 2;
    taps(d->rw, fw, d->scale, d->x0, d->x1, d->fx);
    taps(d->rh, fh, d->scale, d->y0, d->y1, d->fy);
    /* the chroma planes are half the size: each output pixel covers twice as many of them */
    taps(d->rw, (fw + 1) / 2, d->scale * 2, d->cx0, d->cx1, d->fcx);
    taps(d->rh, (fh + 1) / 2, d->scale * 2, d->cy0, d->cy1, d->fcy);
}

static inline float lerp2(const uint8_t *p, int stride, int y0, int y1, float fy, int x0, int x1,
                          float fx)
{
    const uint8_t *r0 = p + (size_t)y0 * stride, *r1 = p + (size_t)y1 * stride;
    float top = r0[x0] + fx * (r0[x1] - r0[x0]);
    float bot = r1[x0] + fx * (r1[x1] - r1[x0]);
    return top + fy * (bot - top);
}

/* The frame, aspect kept, into the network's RGB planes (0..1), grey (0.5) bars around. Video is
 * taken as BT.601 limited range, as H.264 cameras send it. */
static void letterbox(struct cw_dnn_detector *d, const struct cw_frame *f)
{
    float *in = cw_dnn_input(d->net);
    size_t plane = (size_t)d->nw * d->nh;
    for (size_t i = 0; i < 3 * plane; i++)
        in[i] = 0.5f;
    for (int y = 0; y < d->rh; y++) {
        float *r = in + (size_t)(y + d->dy) * d->nw + d->dx, *g = r + plane, *b = g + plane;
        for (int x = 0; x < d->rw; x++) {
            float Y = lerp2(f->plane[0], f->stride[0], d->y0[y], d->y1[y], d->fy[y], d->x0[x],
                            d->x1[x], d->fx[x]);
            float U = lerp2(f->plane[1], f->stride[1], d->cy0[y], d->cy1[y], d->fcy[y], d->cx0[x],
                            d->cx1[x], d->fcx[x]) -
                      128;
            float V = lerp2(f->plane[2], f->stride[2], d->cy0[y], d->cy1[y], d->fcy[y], d->cx0[x],
                            d->cx1[x], d->fcx[x]) -
                      128;
            float l = 1.164f * (Y - 16);
            float cr = (l + 1.596f * V) / 255, cg = (l - 0.392f * U - 0.813f * V) / 255,
                  cb = (l + 2.017f * U) / 255;
            r[x] = cr < 0 ? 0 : cr > 1 ? 1 : cr;
            g[x] = cg < 0 ? 0 : cg > 1 ? 1 : cg;
            b[x] = cb < 0 ? 0 : cb > 1 ? 1 : cb;
        }
    }
}

/* From network-input fractions to frame pixels, clipped to the frame. */
static struct cw_box to_frame(const struct cw_dnn_detector *d, const struct cw_dnn_box *b)
{
    double x0 = (b->x * d->nw - d->dx) / d->scale, y0 = (b->y * d->nh - d->dy) / d->scale;
    double x1 = ((b->x + b->w) * d->nw - d->dx) / d->scale;
    double y1 = ((b->y + b->h) * d->nh - d->dy) / d->scale;
    x0 = fmax(0, x0), y0 = fmax(0, y0), x1 = fmin(d->fw, x1), y1 = fmin(d->fh, y1);
    return (struct cw_box){x0, y0, fmax(0, x1 - x0), fmax(0, y1 - y0)};
}

/* A rider: most of the person's box lies over the two-wheeler's, and the person's feet are
 * not below the vehicle's bottom. */
static bool rides(const struct cw_box *p, const struct cw_box *v)
{
    double iw = fmin(p->x + p->w, v->x + v->w) - fmax(p->x, v->x);
    double ih = fmin(p->y + p->h, v->y + v->h) - fmax(p->y, v->y);
    if (iw <= 0 || ih <= 0 || p->w * p->h <= 0)
        return false;
    return iw * ih / (p->w * p->h) >= 0.3 && iw >= 0.5 * p->w &&
           p->y + p->h <= v->y + v->h + 0.1 * v->h;
}

int cw_dnn_detector_run(struct cw_dnn_detector *d, const struct cw_frame *frame,
                        const struct cw_scene *scene, struct cw_detection *out, int cap)
{
    if (frame->width < 2 || frame->height < 2) {
        cw_log_error(MOD, "frame of %d×%d is too small to detect in", frame->width, frame->height);
        return CW_EINVAL;
    }
    if (frame->width != d->fw || frame->height != d->fh)
        prepare(d, frame->width, frame->height);
    letterbox(d, frame);
    int64_t t0 = cw_clock_mono_ns();
    cw_dnn_forward(d->net);
    d->last_ms = (cw_clock_mono_ns() - t0) / 1e6;
    int nb = cw_dnn_boxes(d->net, d->conf, d->nms, d->boxes, MAX_BOXES), n = 0;
    d->nsignals = 0;
    for (int i = 0; i < nb; i++) {
        const struct class_rule *r = &d->rules[d->boxes[i].cls];
        struct cw_box box = to_frame(d, &d->boxes[i]);
        if (r->target == TARGET_IGNORE || box.w < 1 || box.h < 1)
            continue;
        if (r->target == TARGET_SIGNAL) {
            if (d->nsignals < (int)(sizeof(d->signals) / sizeof(*d->signals))) {
                d->signal_scores[d->nsignals] = d->boxes[i].score;
                d->signals[d->nsignals++] = box;
            }
            continue;
        }
        if (n == cap)
            break;
        struct cw_detection *o = &out[n++];
        memset(o, 0, sizeof(*o));
        o->box = box;
        o->score = d->boxes[i].score;
        o->cls = r->target;
        o->cls_conf = d->boxes[i].score;
        memcpy(o->attr, r->attr, sizeof(o->attr));
    }
    /* riders: fold each person into the two-wheeler under them (boxes are best first, so the
     * two-wheeler keeps its own score unless the person's is higher). What the model said of the
     * rider (helmet …) goes to the two-wheeler; where it says nothing of passengers, two persons
     * on one two-wheeler are a passenger carried and one is not. */
    memset(d->riders, 0, (size_t)n);
    for (int i = 0; i < n; i++) {
        if (out[i].cls != CW_CLASS_PEDESTRIAN)
            continue;
        for (int j = 0; j < n; j++) {
            if (out[j].cls != CW_CLASS_TWO_WHEELER || !rides(&out[i].box, &out[j].box))
                continue;
            struct cw_box *v = &out[j].box, *p = &out[i].box;
            double x0 = fmin(v->x, p->x), y0 = fmin(v->y, p->y);
            double x1 = fmax(v->x + v->w, p->x + p->w), y1 = fmax(v->y + v->h, p->y + p->h);
            *v = (struct cw_box){x0, y0, x1 - x0, y1 - y0};
            out[j].score = fmaxf(out[j].score, out[i].score);
            for (int k = 0; k < CW_ATTR_COUNT; k++)
                if (out[i].attr[k] != CW_ATTR_UNKNOWN)
                    out[j].attr[k] = out[i].attr[k];
            d->riders[j]++;
            d->riders[i] = d->riders[n - 1];
            out[i] = out[--n];
            i--;
            break;
        }
    }
    for (int j = 0; j < n; j++)
        if (d->riders[j] && out[j].cls == CW_CLASS_TWO_WHEELER && !d->rules_say[CW_ATTR_PASSENGER])
            out[j].attr[CW_ATTR_PASSENGER] = d->riders[j] >= 2 ? CW_ATTR_YES : CW_ATTR_NO;
    /* one road user seen as two of the model's classes (a pickup as car and truck, or as bus and
     * truck): keep the surer box. Boxes of one model class were already thinned at the NMS
     * overlap, below this. */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            if (cw_box_iou(&out[i].box, &out[j].box) <= 0.7)
                continue;
            if (out[j].score > out[i].score)
                out[i] = out[j];
            out[j--] = out[--n];
        }
    for (int i = 0; i < n; i++) {
        /* a box's bottom edge is good to about two pixels of the network's input */
        const double err = 2 / d->scale, right = d->rw / d->scale;
        if (scene)
            cw_detection_locate(&out[i], scene, err, d->rh / d->scale);
        out[i].cut_off |= out[i].box.x <= err || out[i].box.x + out[i].box.w >= right - err;
    }
    return n;
}

int cw_dnn_detector_signals(const struct cw_dnn_detector *d, const struct cw_box **boxes,
                            const float **scores)
{
    *boxes = d->signals;
    *scores = d->signal_scores;
    return d->nsignals;
}

const float *cw_dnn_detector_input(const struct cw_dnn_detector *d, int *w, int *h)
{
    *w = d->nw, *h = d->nh;
    return cw_dnn_input(d->net);
}

double cw_dnn_detector_last_ms(const struct cw_dnn_detector *d)
{
    return d->last_ms;
}
