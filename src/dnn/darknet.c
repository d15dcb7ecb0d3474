/* Darknet model files: the .cfg (ini-like sections, one per layer) and the .weights (a header,
 * then each convolution's biases, batch-norm statistics and weights in layer order). Every
 * problem is reported once with the file, the line and what to change. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "crosswatch/dnn.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "dnn/gemm.h"
#include "dnn/net.h"

#define MOD               "dnn"
#define MAX_LAYERS        4096
#define MAX_DIM           8192
#define MAX_CFG_BYTES     (4u << 20)
#define MAX_WEIGHTS_BYTES (1u << 30)
#define MAX_NET_FLOATS    (1u << 29) /* 2 GB of weights and activations */

struct kv {
    const char *key, *val;
    int line;
    bool used;
};

struct section {
    const char *type;
    int line;
    struct kv *kv;
    int nkv;
};

struct cfg {
    const char *name; /* for messages */
    char *text;       /* owned copy, cut into keys and values in place */
    struct section *sec;
    int nsec;
    struct kv *kv;
    int nkv;
};

static void cfg_release(struct cfg *c)
{
    free(c->text);
    free(c->sec);
    free(c->kv);
}

/* Splits the text into sections of key=value pairs. */
static int cfg_parse(struct cfg *c, const char *name, const char *text)
{
    memset(c, 0, sizeof(*c));
    c->name = name;
    c->text = strdup(text);
    size_t lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    c->sec = calloc(lines, sizeof(*c->sec));
    c->kv = calloc(lines, sizeof(*c->kv));
    if (!c->text || !c->sec || !c->kv) {
        cw_log_error(MOD, "%s: out of memory reading the cfg", name);
        return CW_ENOMEM;
    }
    int line = 0;
    for (char *p = c->text, *next; p; p = next) {
        line++;
        next = strchr(p, '\n');
        if (next)
            *next++ = 0;
        char *hash = strpbrk(p, "#;");
        if (hash)
            *hash = 0;
        char *s = cw__trim(p);
        if (!*s)
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end || end[1]) {
                cw_log_error(MOD, "%s:%d: '%s' is not a section header; write [name]", name, line,
                             s);
                return CW_EFORMAT;
            }
            *end = 0;
            struct section *sec = &c->sec[c->nsec++];
            sec->type = cw__trim(s + 1);
            sec->line = line;
            sec->kv = &c->kv[c->nkv];
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            cw_log_error(MOD, "%s:%d: '%s' is neither [section] nor key=value", name, line, s);
            return CW_EFORMAT;
        }
        if (!c->nsec) {
            cw_log_error(MOD, "%s:%d: key '%s' before the first [section]", name, line, s);
            return CW_EFORMAT;
        }
        *eq = 0;
        struct kv *kv = &c->kv[c->nkv++];
        kv->key = cw__trim(s);
        kv->val = cw__trim(eq + 1);
        kv->line = line;
        c->sec[c->nsec - 1].nkv++;
    }
    if (!c->nsec || (strcmp(c->sec[0].type, "net") && strcmp(c->sec[0].type, "network"))) {
        cw_log_error(MOD, "%s: the first section must be [net]", name);
        return CW_EFORMAT;
    }
    return 0;
}

static struct kv *find(struct section *s, const char *key)
{
    struct kv *found = NULL;
    for (int i = 0; i < s->nkv; i++)
        if (!strcmp(s->kv[i].key, key))
            found = &s->kv[i]; /* darknet takes the last */
    if (found)
        found->used = true;
    return found;
}

static int get_int(const struct cfg *c, struct section *s, const char *key, int def, int lo, int hi,
                   int *out)
{
    struct kv *kv = find(s, key);
    if (!kv) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(kv->val, &end, 10);
    if (end == kv->val || *end || errno || v < lo || v > hi) {
        cw_log_error(MOD, "%s:%d: [%s] %s=%s: expected a whole number from %d to %d", c->name,
                     kv->line, s->type, key, kv->val, lo, hi);
        return CW_EINVAL;
    }
    *out = (int)v;
    return 0;
}

static int get_float(const struct cfg *c, struct section *s, const char *key, float def, float lo,
                     float hi, float *out)
{
    struct kv *kv = find(s, key);
    if (!kv) {
        *out = def;
        return 0;
    }
    char *end;
    double v = strtod(kv->val, &end);
    if (end == kv->val || *end || !(v >= lo && v <= hi)) {
        cw_log_error(MOD, "%s:%d: [%s] %s=%s: expected a number from %g to %g", c->name, kv->line,
                     s->type, key, kv->val, lo, hi);
        return CW_EINVAL;
    }
    *out = (float)v;
    return 0;
}

/* Reads a comma-separated list of up to @cap integers (or floats when @f). */
static int get_list(const struct cfg *c, struct kv *kv, const char *type, int *iv, float *fv,
                    int cap, int *n)
{
    *n = 0;
    const char *p = kv->val;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || (iv && (v != (int)v))) {
            cw_log_error(MOD, "%s:%d: [%s] %s=%s: expected a comma-separated list of %s", c->name,
                         kv->line, type, kv->key, kv->val, iv ? "whole numbers" : "numbers");
            return CW_EINVAL;
        }
        if (*n == cap) {
            cw_log_error(MOD, "%s:%d: [%s] %s: more than %d values", c->name, kv->line, type,
                         kv->key, cap);
            return CW_EUNSUPPORTED;
        }
        if (iv)
            iv[*n] = (int)v;
        else
            fv[*n] = (float)v;
        (*n)++;
        while (isspace((unsigned char)*end))
            end++;
        if (*end == ',')
            end++;
        else if (*end) {
            cw_log_error(MOD, "%s:%d: [%s] %s=%s: expected a comma-separated list", c->name,
                         kv->line, type, kv->key, kv->val);
            return CW_EINVAL;
        }
        p = end;
        while (isspace((unsigned char)*p))
            p++;
    }
    return 0;
}

static int get_act(const struct cfg *c, struct section *s, enum act *out)
{
    static const struct {
        const char *name;
        enum act act;
    } acts[] = {{"linear", ACT_LINEAR},    {"leaky", ACT_LEAKY},       {"relu", ACT_RELU},
                {"relu6", ACT_RELU6},      {"logistic", ACT_LOGISTIC}, {"mish", ACT_MISH},
                {"swish", ACT_SWISH},      {"hard_mish", -1},          {"hardswish", ACT_HSWISH},
                {"hard_swish", ACT_HSWISH}};
    struct kv *kv = find(s, "activation");
    *out = ACT_LINEAR;
    if (!kv)
        return 0;
    for (size_t i = 0; i < sizeof(acts) / sizeof(*acts); i++)
        if (!strcmp(kv->val, acts[i].name) && (int)acts[i].act >= 0) {
            *out = acts[i].act;
            return 0;
        }
    cw_log_error(MOD,
                 "%s:%d: [%s] activation=%s is not supported; use linear, leaky, relu, relu6, "
                 "logistic, mish, swish or hardswish",
                 c->name, kv->line, s->type, kv->val);
    return CW_EUNSUPPORTED;
}

/* Keys darknet reads only for training (or ignores at inference): accepted and not used. */
static const char *const training_keys[] = {"batch",
                                            "subdivisions",
                                            "momentum",
                                            "decay",
                                            "angle",
                                            "saturation",
                                            "exposure",
                                            "hue",
                                            "learning_rate",
                                            "burn_in",
                                            "max_batches",
                                            "policy",
                                            "steps",
                                            "scales",
                                            "step",
                                            "scale",
                                            "gamma",
                                            "power",
                                            "mosaic",
                                            "letter_box",
                                            "flip",
                                            "blur",
                                            "gaussian_noise",
                                            "mixup",
                                            "cutmix",
                                            "label_smooth_eps",
                                            "max_chart_loss",
                                            "adam",
                                            "B1",
                                            "B2",
                                            "eps",
                                            "inputs",
                                            "max_crop",
                                            "min_crop",
                                            "aspect",
                                            "jitter",
                                            "ignore_thresh",
                                            "truth_thresh",
                                            "random",
                                            "iou_normalizer",
                                            "cls_normalizer",
                                            "obj_normalizer",
                                            "delta_normalizer",
                                            "iou_loss",
                                            "iou_thresh",
                                            "iou_thresh_kind",
                                            "nms_kind",
                                            "beta_nms",
                                            "resize",
                                            "counters_per_class",
                                            "max_delta",
                                            "objectness_smooth",
                                            "uc_normalizer",
                                            "focal_loss",
                                            "probability",
                                            "stopbackward",
                                            "stop_backward",
                                            "dont_update",
                                            "train_only_bn",
                                            "burnin_update",
                                            "optimized_memory",
                                            "workspace_size_limit_MB",
                                            "sequential_subdivisions",
                                            "try_fix_nan",
                                            "loss_scale",
                                            "dynamic_minibatch",
                                            "ema_alpha",
                                            "track",
                                            "time_steps",
                                            "augment_speed",
                                            "contrastive",
                                            "unsupervised",
                                            "init_sequential_subdivisions",
                                            "dropblock",
                                            "dropblock_size_rel",
                                            "dropblock_size_abs",
                                            "show_details",
                                            "map",
                                            "max",
                                            "adversarial_lr",
                                            "attention",
                                            "letterbox",
                                            "train",
                                            "policy_",
                                            "max_boxes",
                                            NULL};

static bool is_training_key(const char *k)
{
    for (int i = 0; training_keys[i]; i++)
        if (!strcmp(k, training_keys[i]))
            return true;
    return false;
}

/* Every key of @s must have been read or be a training-only key. */
static int check_unused(const struct cfg *c, const struct section *s)
{
    for (int i = 0; i < s->nkv; i++)
        if (!s->kv[i].used && !is_training_key(s->kv[i].key)) {
            cw_log_error(MOD,
                         "%s:%d: [%s] %s=%s is not supported by crosswatch; remove it or "
                         "use a model without it",
                         c->name, s->kv[i].line, s->type, s->kv[i].key, s->kv[i].val);
            return CW_EUNSUPPORTED;
        }
    return 0;
}

static int layer_ref(const struct cfg *c, const struct section *s, const struct kv *kv, int v,
                     int self, int *out)
{
    int idx = v < 0 ? self + v : v;
    if (idx < 0 || idx >= self) {
        cw_log_error(MOD, "%s:%d: [%s] %s: layer %d does not come before this one (layer %d)",
                     c->name, kv ? kv->line : s->line, s->type, kv ? kv->key : "from", v, self);
        return CW_EINVAL;
    }
    *out = idx;
    return 0;
}

static void in_shape(const struct cw_dnn *net, int in, int *ch, int *h, int *w)
{
    if (in < 0) {
        *ch = net->c, *h = net->h, *w = net->w;
    } else {
        *ch = net->layers[in].oc, *h = net->layers[in].oh, *w = net->layers[in].ow;
    }
}

static int parse_conv(const struct cfg *c, struct section *s, struct layer *l)
{
    int pad, padding, dilation, err;
    if ((err = get_int(c, s, "filters", 1, 1, 65536, &l->oc)) ||
        (err = get_int(c, s, "size", 1, 1, 64, &l->size)) ||
        (err = get_int(c, s, "stride", 1, 1, 64, &l->stride)) ||
        (err = get_int(c, s, "pad", 0, 0, 1, &pad)) ||
        (err = get_int(c, s, "padding", 0, 0, 64, &padding)) ||
        (err = get_int(c, s, "groups", 1, 1, 65536, &l->groups)) ||
        (err = get_int(c, s, "batch_normalize", 0, 0, 1, &l->bn)) ||
        (err = get_int(c, s, "dilation", 1, 1, 1, &dilation)) || (err = get_act(c, s, &l->act)))
        return err;
    l->pad = pad ? l->size / 2 : padding;
    if (l->c % l->groups || l->oc % l->groups) {
        cw_log_error(MOD,
                     "%s:%d: [convolutional] groups=%d must divide both the input's %d "
                     "channels and filters=%d",
                     c->name, s->line, l->groups, l->c, l->oc);
        return CW_EINVAL;
    }
    int oh = (l->h + 2 * l->pad - l->size) / l->stride + 1;
    int ow = (l->w + 2 * l->pad - l->size) / l->stride + 1;
    if (l->h + 2 * l->pad < l->size || l->w + 2 * l->pad < l->size || oh < 1 || ow < 1) {
        cw_log_error(MOD, "%s:%d: [convolutional] size=%d does not fit the %d×%d input", c->name,
                     s->line, l->size, l->w, l->h);
        return CW_EINVAL;
    }
    l->oh = oh, l->ow = ow;
    return 0;
}

static int parse_route(const struct cfg *c, struct section *s, struct cw_dnn *net, struct layer *l,
                       int self)
{
    struct kv *kv = find(s, "layers");
    int refs[ROUTE_MAX], n, err;
    if (!kv) {
        cw_log_error(MOD, "%s:%d: [route] needs layers=", c->name, s->line);
        return CW_EINVAL;
    }
    if ((err = get_list(c, kv, "route", refs, NULL, ROUTE_MAX, &n)))
        return err;
    if ((err = get_int(c, s, "groups", 1, 1, 65536, &l->route_groups)) ||
        (err = get_int(c, s, "group_id", 0, 0, 65535, &l->route_group_id)))
        return err;
    if (!n || l->route_group_id >= l->route_groups) {
        cw_log_error(MOD, "%s:%d: [route] needs at least one layer and group_id < groups", c->name,
                     s->line);
        return CW_EINVAL;
    }
    l->nroute = n;
    l->oc = 0;
    for (int i = 0; i < n; i++) {
        if ((err = layer_ref(c, s, kv, refs[i], self, &l->route[i])))
            return err;
        const struct layer *r = &net->layers[l->route[i]];
        if (i == 0) {
            l->oh = r->oh, l->ow = r->ow;
        } else if (r->oh != l->oh || r->ow != l->ow) {
            cw_log_error(MOD,
                         "%s:%d: [route] joins layer %d (%d×%d) with layer %d (%d×%d); "
                         "their sizes must agree",
                         c->name, kv->line, l->route[0], l->ow, l->oh, l->route[i], r->ow, r->oh);
            return CW_EINVAL;
        }
        if (r->oc % l->route_groups) {
            cw_log_error(MOD, "%s:%d: [route] groups=%d does not divide layer %d's %d channels",
                         c->name, s->line, l->route_groups, l->route[i], r->oc);
            return CW_EINVAL;
        }
        l->oc += r->oc / l->route_groups;
    }
    return 0;
}

static int parse_yolo(const struct cfg *c, struct section *s, struct layer *l)
{
    int num, err, n;
    if ((err = get_int(c, s, "classes", 20, 1, 100000, &l->classes)) ||
        (err = get_int(c, s, "num", 1, 1, YOLO_MAX_ANCHORS, &num)) ||
        (err = get_float(c, s, "scale_x_y", 1, 0.5f, 4, &l->scale_xy)) ||
        (err = get_int(c, s, "new_coords", 0, 0, 1, &l->new_coords)))
        return err;
    struct kv *kv = find(s, "mask");
    if (kv) {
        if ((err = get_list(c, kv, "yolo", l->mask, NULL, YOLO_MAX_ANCHORS, &l->nmask)))
            return err;
    } else {
        l->nmask = num;
        for (int i = 0; i < num; i++)
            l->mask[i] = i;
    }
    kv = find(s, "anchors");
    if (!kv) {
        cw_log_error(MOD, "%s:%d: [yolo] needs anchors=", c->name, s->line);
        return CW_EINVAL;
    }
    if ((err = get_list(c, kv, "yolo", NULL, l->anchors, 2 * YOLO_MAX_ANCHORS, &n)))
        return err;
    if (n != 2 * num) {
        cw_log_error(MOD, "%s:%d: [yolo] anchors has %d numbers; num=%d needs %d (w,h pairs)",
                     c->name, kv->line, n, num, 2 * num);
        return CW_EINVAL;
    }
    for (int i = 0; i < l->nmask; i++)
        if (l->mask[i] < 0 || l->mask[i] >= num) {
            cw_log_error(MOD, "%s:%d: [yolo] mask %d is not an anchor index (0..%d)", c->name,
                         s->line, l->mask[i], num - 1);
            return CW_EINVAL;
        }
    if (l->c != l->nmask * (l->classes + 5)) {
        cw_log_error(MOD,
                     "%s:%d: [yolo] with %d masks and %d classes needs %d input channels "
                     "((classes + 5) × masks) but the layer before gives %d; set its filters",
                     c->name, s->line, l->nmask, l->classes, l->nmask * (l->classes + 5), l->c);
        return CW_EINVAL;
    }
    l->oc = l->c, l->oh = l->h, l->ow = l->w;
    return 0;
}

/* Builds the layer list and shapes from the cfg. */
static int build(struct cfg *c, struct cw_dnn *net)
{
    struct section *ns = &c->sec[0];
    int err;
    if ((err = get_int(c, ns, "width", 416, 1, MAX_DIM, &net->w)) ||
        (err = get_int(c, ns, "height", 416, 1, MAX_DIM, &net->h)) ||
        (err = get_int(c, ns, "channels", 3, 1, 4096, &net->c)) || (err = check_unused(c, ns)))
        return err;
    net->nlayers = c->nsec - 1;
    if (net->nlayers < 1 || net->nlayers > MAX_LAYERS) {
        cw_log_error(MOD, "%s: %d layers; a network has 1 to %d", c->name, net->nlayers,
                     MAX_LAYERS);
        return CW_EINVAL;
    }
    net->layers = calloc((size_t)net->nlayers, sizeof(*net->layers));
    if (!net->layers)
        return CW_ENOMEM;
    for (int i = 0; i < net->nlayers; i++) {
        struct section *s = &c->sec[i + 1];
        struct layer *l = &net->layers[i];
        l->line = s->line;
        l->in = i - 1;
        in_shape(net, l->in, &l->c, &l->h, &l->w);
        if (!strcmp(s->type, "convolutional") || !strcmp(s->type, "conv")) {
            l->kind = LAYER_CONV;
            err = parse_conv(c, s, l);
        } else if (!strcmp(s->type, "shortcut")) {
            struct kv *kv = find(s, "from");
            int from;
            l->kind = LAYER_SHORTCUT;
            if (!kv || sscanf(kv->val, "%d", &from) != 1) {
                cw_log_error(MOD, "%s:%d: [shortcut] needs from=<layer>", c->name, s->line);
                return CW_EINVAL;
            }
            if ((err = layer_ref(c, s, kv, from, i, &l->from)) || (err = get_act(c, s, &l->act)))
                return err;
            const struct layer *f = &net->layers[l->from];
            struct kv *wt = find(s, "weights_type");
            if (wt && strcmp(wt->val, "none")) {
                cw_log_error(MOD, "%s:%d: [shortcut] weights_type=%s is not supported", c->name,
                             wt->line, wt->val);
                return CW_EUNSUPPORTED;
            }
            find(s, "weights_normalization");
            if (f->oc != l->c || f->oh != l->h || f->ow != l->w) {
                cw_log_error(MOD,
                             "%s:%d: [shortcut] adds layer %d (%d×%d×%d) to %d×%d×%d; the "
                             "shapes must agree",
                             c->name, s->line, l->from, f->oc, f->oh, f->ow, l->c, l->h, l->w);
                return CW_EINVAL;
            }
            l->oc = l->c, l->oh = l->h, l->ow = l->w;
        } else if (!strcmp(s->type, "route")) {
            l->kind = LAYER_ROUTE;
            err = parse_route(c, s, net, l, i);
        } else if (!strcmp(s->type, "maxpool") || !strcmp(s->type, "max")) {
            int padding;
            l->kind = LAYER_MAXPOOL;
            if ((err = get_int(c, s, "stride", 1, 1, 64, &l->stride)) ||
                (err = get_int(c, s, "size", l->stride, 1, 64, &l->size)) ||
                (err = get_int(c, s, "padding", l->size - 1, 0, 128, &padding)))
                return err;
            l->pad = padding;
            l->oc = l->c;
            l->oh = (l->h + padding - l->size) / l->stride + 1;
            l->ow = (l->w + padding - l->size) / l->stride + 1;
            if (l->h + padding < l->size || l->w + padding < l->size) {
                cw_log_error(MOD, "%s:%d: [maxpool] size=%d does not fit the %d×%d input", c->name,
                             s->line, l->size, l->w, l->h);
                return CW_EINVAL;
            }
        } else if (!strcmp(s->type, "upsample")) {
            float scale;
            l->kind = LAYER_UPSAMPLE;
            if ((err = get_int(c, s, "stride", 2, 1, 64, &l->stride)) ||
                (err = get_float(c, s, "scale", 1, 1, 1, &scale)))
                return err;
            l->oc = l->c, l->oh = l->h * l->stride, l->ow = l->w * l->stride;
            if (l->oh > MAX_DIM || l->ow > MAX_DIM) {
                cw_log_error(MOD, "%s:%d: [upsample] makes %d×%d, larger than %d", c->name, s->line,
                             l->ow, l->oh, MAX_DIM);
                return CW_EINVAL;
            }
        } else if (!strcmp(s->type, "dropout")) {
            l->kind = LAYER_DROPOUT;
            l->oc = l->c, l->oh = l->h, l->ow = l->w;
        } else if (!strcmp(s->type, "yolo")) {
            l->kind = LAYER_YOLO;
            err = parse_yolo(c, s, l);
        } else {
            cw_log_error(MOD,
                         "%s:%d: layer [%s] is not supported; crosswatch runs "
                         "convolutional, shortcut, route, maxpool, upsample, dropout and yolo",
                         c->name, s->line, s->type);
            return CW_EUNSUPPORTED;
        }
        if (err || (err = check_unused(c, s)))
            return err;
        if ((double)l->oc * l->oh * l->ow > (double)(1 << 28)) {
            cw_log_error(MOD, "%s:%d: [%s] output of %d×%d×%d is too large", c->name, s->line,
                         s->type, l->oc, l->ow, l->oh);
            return CW_EINVAL;
        }
    }
    return 0;
}

/* Bytes of the weights file header for @data (at least 16 bytes). */
static size_t header_len(const uint8_t *data)
{
    int32_t hdr[2];
    memcpy(hdr, data, sizeof(hdr));
    return 12 + ((hdr[0] * 10 + hdr[1]) >= 2 ? 8 : 4);
}

/* Bytes of parameters the cfg's convolutions read, after the header. */
static size_t params_len(const struct cw_dnn *net)
{
    size_t need = 0;
    for (int i = 0; i < net->nlayers; i++) {
        const struct layer *l = &net->layers[i];
        if (l->kind == LAYER_CONV)
            need += sizeof(float) * ((size_t)l->oc * (l->bn ? 4 : 1) +
                                     (size_t)l->oc * (l->c / l->groups) * l->size * l->size);
    }
    return need;
}

/* Checks the weights file's header and size against the cfg, before anything is allocated. */
static int check_weights(const struct cw_dnn *net, const char *name, const uint8_t *data,
                         size_t len)
{
    int32_t hdr[3];
    if (len < 16) {
        cw_log_error(MOD, "%s: %zu bytes is too short for a darknet weights file", name, len);
        return CW_EFORMAT;
    }
    memcpy(hdr, data, sizeof(hdr));
    if (hdr[0] < 0 || hdr[0] > 1000 || hdr[1] < 0 || hdr[1] > 1000) {
        cw_log_error(MOD, "%s: header version %d.%d is not a darknet weights file", name, hdr[0],
                     hdr[1]);
        return CW_EFORMAT;
    }
    size_t need = header_len(data) + params_len(net);
    if (len != need) {
        cw_log_error(MOD,
                     "%s: %zu bytes, but the cfg's convolutions need %zu (%s); the weights "
                     "belong to a different cfg%s",
                     name, len, need, len < need ? "file is short" : "file is too long",
                     len < need ? " or the file is truncated" : "");
        return CW_EFORMAT;
    }
    return 0;
}

/* Reads the weights (checked by check_weights) into the convolution layers, folding batch norm
 * in. */
static int load_weights(struct cw_dnn *net, const char *name, const uint8_t *data)
{
    size_t off = header_len(data);
    const uint8_t *p = data + off;
    for (int i = 0; i < net->nlayers; i++) {
        struct layer *l = &net->layers[i];
        if (l->kind != LAYER_CONV)
            continue;
        size_t per = (size_t)(l->c / l->groups) * l->size * l->size;
        float *bias = l->bias, *w = l->weights;
        memcpy(bias, p, sizeof(float) * l->oc);
        p += sizeof(float) * l->oc;
        const float *scale = NULL, *mean = NULL, *var = NULL;
        float *bn = NULL;
        if (l->bn) {
            bn = malloc(sizeof(float) * 3 * l->oc);
            if (!bn)
                return CW_ENOMEM;
            memcpy(bn, p, sizeof(float) * 3 * l->oc);
            p += sizeof(float) * 3 * l->oc;
            scale = bn, mean = bn + l->oc, var = bn + 2 * l->oc;
        }
        for (int f = 0; bn && f < l->oc; f++)
            if (!(var[f] >= 0)) {
                cw_log_error(MOD,
                             "%s: layer %d (cfg line %d) has a batch-norm variance of %g; the "
                             "weights are damaged or not for this cfg",
                             name, i, l->line, var[f]);
                free(bn);
                return CW_EFORMAT;
            }
        memcpy(w, p, sizeof(float) * per * l->oc);
        p += sizeof(float) * per * l->oc;
        for (int f = 0; f < l->oc; f++) {
            if (!l->bn)
                continue;
            /* darknet normalises by sqrt(var) + 1e-6 */
            float k = scale[f] / (sqrtf(var[f]) + .000001f);
            for (size_t q = 0; q < per; q++)
                w[f * per + q] *= k;
            bias[f] -= mean[f] * k;
        }
        free(bn);
        for (size_t q = 0; q < per * l->oc; q++)
            if (!isfinite(w[q])) {
                cw_log_error(MOD, "%s: layer %d (cfg line %d) has a weight that is not a number",
                             name, i, l->line);
                return CW_EFORMAT;
            }
    }
    return 0;
}

static bool is_depthwise(const struct layer *l)
{
    return l->groups > 1 && l->groups == l->c && l->oc == l->c;
}

/* Sizes and carves every buffer; packs the GEMM weights. */
static int allocate(struct cw_dnn *net, int threads)
{
    size_t floats = (size_t)net->c * net->h * net->w, scratch = 0, work = 0;
    for (int i = 0; i < net->nlayers; i++) {
        struct layer *l = &net->layers[i];
        if (l->kind != LAYER_DROPOUT && l->kind != LAYER_YOLO)
            floats += (size_t)l->oc * l->oh * l->ow;
        if (l->kind == LAYER_YOLO)
            floats += (size_t)l->oh * l->ow * l->nmask * (l->classes + 5);
        if (l->kind != LAYER_CONV)
            continue;
        size_t per = (size_t)(l->c / l->groups) * l->size * l->size;
        floats += (size_t)l->oc * per + l->oc;
        net->flops += 2.0 * per * l->oc * l->oh * l->ow;
        if (is_depthwise(l)) {
            size_t plane = cw__dnn_dw_work_len(l);
            work = work > plane ? work : plane;
        } else {
            floats += cw__gemm_packed_len(l->oc / l->groups, (int)per) * l->groups;
            size_t wl = cw__gemm_work_len((int)per);
            work = work > wl ? work : wl;
            if (!(l->size == 1 && l->stride == 1 && l->pad == 0)) {
                size_t col = per * l->oh * l->ow + cw__dnn_dw_work_len(l);
                scratch = scratch > col ? scratch : col;
            }
        }
    }
    /* each buffer below is rounded up to 16 floats (64 bytes): up to 5 per layer, 3 more */
    size_t total = floats + scratch + work * (size_t)threads + 16 * (5 * (size_t)net->nlayers + 3);
    if (total > MAX_NET_FLOATS) {
        cw_log_error(MOD,
                     "the network needs %zu MB of buffers, more than crosswatch allows (%u MB); "
                     "use a smaller input size",
                     total >> 18, MAX_NET_FLOATS >> 18);
        return CW_EINVAL;
    }
    float *arena = aligned_alloc(64, ((total * sizeof(float)) + 63) / 64 * 64);
    if (!arena) {
        cw_log_error(MOD, "out of memory: the network needs %zu MB", total * 4 >> 20);
        return CW_ENOMEM;
    }
    /* zeroed once: a forward pass before any input is set computes on zeros, not on garbage */
    memset(arena, 0, ((total * sizeof(float)) + 63) / 64 * 64);
    net->arena = arena;
    net->bytes = total * sizeof(float);
    float *p = arena;
#define TAKE(n) (p += (((n) + 15) & ~(size_t)15), p - (((n) + 15) & ~(size_t)15))
    net->input = TAKE((size_t)net->c * net->h * net->w);
    for (int i = 0; i < net->nlayers; i++) {
        struct layer *l = &net->layers[i];
        if (l->kind == LAYER_DROPOUT || l->kind == LAYER_YOLO)
            l->out = l->in < 0 ? net->input : net->layers[l->in].out;
        else
            l->out = TAKE((size_t)l->oc * l->oh * l->ow);
        if (l->kind == LAYER_YOLO)
            l->decoded = TAKE((size_t)l->oh * l->ow * l->nmask * (l->classes + 5));
        if (l->kind == LAYER_CONV) {
            size_t per = (size_t)(l->c / l->groups) * l->size * l->size;
            l->weights = TAKE((size_t)l->oc * per);
            l->bias = TAKE((size_t)l->oc);
            if (!is_depthwise(l))
                l->packed = TAKE(cw__gemm_packed_len(l->oc / l->groups, (int)per) * l->groups);
        }
    }
    net->scratch = TAKE(scratch);
    net->work = TAKE(work * (size_t)threads);
    net->work_len = work;
#undef TAKE
    return 0;
}

static void pack_all(struct cw_dnn *net)
{
    for (int i = 0; i < net->nlayers; i++) {
        struct layer *l = &net->layers[i];
        if (l->kind != LAYER_CONV || is_depthwise(l))
            continue;
        int m = l->oc / l->groups, k = (l->c / l->groups) * l->size * l->size;
        size_t glen = cw__gemm_packed_len(m, k);
        for (int g = 0; g < l->groups; g++)
            cw__gemm_pack(l->weights + (size_t)g * m * k, l->bias + (size_t)g * m, m, k,
                          l->packed + g * glen);
    }
}

/* Everything after reading the files; @cfg_name and @weights_name are used in messages. */
static struct cw_dnn *load(const char *cfg_name, const char *cfg_text, const char *weights_name,
                           const void *weights, size_t weights_len, int threads)
{
    struct cfg c;
    struct cw_dnn *net = calloc(1, sizeof(*net));
    if (!net)
        return NULL;
    if (threads < 1)
        threads = 1;
    if (cfg_parse(&c, cfg_name, cfg_text) || build(&c, net) ||
        check_weights(net, weights_name, weights, weights_len) || allocate(net, threads) ||
        load_weights(net, weights_name, weights))
        goto out_free;
    pack_all(net);
    int rows = 0;
    for (int i = 0; i < net->nlayers; i++)
        if (net->layers[i].kind == LAYER_YOLO)
            rows += net->layers[i].oh * net->layers[i].ow * net->layers[i].nmask;
    /* room for two classes per row before the weakest are dropped */
    net->ncand_cap = rows * 2 + 64;
    net->cand = malloc(sizeof(*net->cand) * (size_t)net->ncand_cap);
    net->pool = cw__dnn_pool_new(threads);
    if (!net->cand || !net->pool)
        goto out_free;
    net->bytes += sizeof(*net->cand) * (size_t)net->ncand_cap;
    cfg_release(&c);
    return net;
out_free:
    cfg_release(&c);
    cw_dnn_free(net);
    return NULL;
}

long cw__dnn_weights_bytes(const char *cfg_text)
{
    struct cfg c;
    struct cw_dnn net = {0};
    long n = -1;
    if (!cfg_parse(&c, "cfg", cfg_text) && !build(&c, &net))
        n = (long)(20 + params_len(&net));
    cfg_release(&c);
    free(net.layers);
    return n;
}

static uint8_t *put_float(uint8_t *p, float v)
{
    memcpy(p, &v, sizeof(v));
    return p + sizeof(v);
}

long cw__dnn_random_weights(const char *cfg_text, uint32_t seed, uint8_t **out)
{
    struct cfg c;
    struct cw_dnn net = {0};
    long n = -1;
    *out = NULL;
    if (cfg_parse(&c, "cfg", cfg_text) || build(&c, &net))
        goto out;
    n = (long)(20 + params_len(&net));
    uint8_t *w = calloc(1, (size_t)n);
    if (!w) {
        n = -1;
        goto out;
    }
    int32_t hdr[3] = {0, 2, 0};
    memcpy(w, hdr, sizeof(hdr));
    uint8_t *p = w + 20;
    /* uniform in [-a, a] */
#define RND(a) ((seed = seed * 1664525u + 1013904223u), ((float)(seed >> 8) / (1 << 23) - 1) * (a))
    for (int i = 0; i < net.nlayers; i++) {
        const struct layer *l = &net.layers[i];
        if (l->kind != LAYER_CONV)
            continue;
        int fan_in = (l->c / l->groups) * l->size * l->size;
        for (int f = 0; f < l->oc; f++)
            p = put_float(p, RND(0.1f));
        if (l->bn) {
            for (int f = 0; f < l->oc; f++)
                p = put_float(p, 1 + RND(0.2f)); /* scale */
            for (int f = 0; f < l->oc; f++)
                p = put_float(p, RND(0.1f)); /* mean */
            for (int f = 0; f < l->oc; f++)
                p = put_float(p, 1 + RND(0.5f)); /* variance */
        }
        /* He-style: keeps activations near unit size through deep stacks */
        float a = sqrtf(6.0f / (float)fan_in);
        for (long q = 0; q < (long)l->oc * fan_in; q++)
            p = put_float(p, RND(a));
    }
#undef RND
    *out = w;
out:
    cfg_release(&c);
    free(net.layers);
    return n;
}

struct cw_dnn *cw_dnn_load_mem(const char *name, const char *cfg, const void *weights,
                               size_t weights_len, int threads)
{
    return load(name, cfg, name, weights, weights_len, threads);
}

struct cw_dnn *cw_dnn_load(const char *cfg_path, const char *weights_path, int threads)
{
    char *cfg = NULL, *weights = NULL;
    size_t cfg_len, weights_len;
    struct cw_dnn *net = NULL;
    if (cw__read_file(MOD, cfg_path, MAX_CFG_BYTES, &cfg, &cfg_len) ||
        cw__read_file(MOD, weights_path, MAX_WEIGHTS_BYTES, &weights, &weights_len))
        goto out;
    if (strlen(cfg) != cfg_len)
        cw_log_error(MOD, "%s: has NUL bytes; a cfg is text", cfg_path);
    else
        net = load(cfg_path, cfg, weights_path, weights, weights_len, threads);
out:
    free(cfg);
    free(weights);
    return net;
}

void cw_dnn_free(struct cw_dnn *net)
{
    if (!net)
        return;
    cw__dnn_pool_free(net->pool);
    free(net->cand);
    free(net->arena);
    free(net->layers);
    free(net);
}
