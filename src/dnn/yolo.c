/* YOLO outputs: decoding each yolo layer's raw map into boxes (the layout OpenCV's DNN module
 * uses, so the two compare number for number) and greedy per-class non-maximum suppression. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "crosswatch/dnn.h"
#include "crosswatch/log.h"
#include "dnn/net.h"

void cw__dnn_yolo_decode(const struct cw_dnn *net, struct layer *l, const float *raw)
{
    int cols = 5 + l->classes, hw = l->oh * l->ow;
    float s = l->scale_xy, shift = (s - 1) / 2;
    for (int a = 0; a < l->nmask; a++) {
        const float *ch = raw + (size_t)a * cols * hw;
        float aw = l->anchors[2 * l->mask[a]] / net->w,
              ah = l->anchors[2 * l->mask[a] + 1] / net->h;
        for (int cell = 0; cell < hw; cell++) {
            float *d = l->decoded + ((size_t)cell * l->nmask + a) * cols;
            int x = cell % l->ow, y = cell / l->ow;
            float tx = ch[cell], ty = ch[hw + cell], tw = ch[2 * hw + cell], th = ch[3 * hw + cell];
            float obj = ch[4 * hw + cell];
            if (l->new_coords) {
                /* the convolution before already applied the logistic */
                d[0] = (x + tx * s - shift) / l->ow;
                d[1] = (y + ty * s - shift) / l->oh;
                d[2] = 4 * tw * tw * aw;
                d[3] = 4 * th * th * ah;
            } else {
                d[0] = (x + logistic(tx) * s - shift) / l->ow;
                d[1] = (y + logistic(ty) * s - shift) / l->oh;
                d[2] = expf(tw) * aw;
                d[3] = expf(th) * ah;
                obj = logistic(obj);
            }
            d[4] = obj;
            for (int c = 0; c < l->classes; c++) {
                float p = ch[(size_t)(5 + c) * hw + cell];
                d[5 + c] = obj * (l->new_coords ? p : logistic(p));
            }
        }
    }
}

static const struct layer *yolo_layer(const struct cw_dnn *net, int i)
{
    for (int k = 0; k < net->nlayers; k++)
        if (net->layers[k].kind == LAYER_YOLO && i-- == 0)
            return &net->layers[k];
    return NULL;
}

int cw_dnn_output_count(const struct cw_dnn *net)
{
    int n = 0;
    for (int k = 0; k < net->nlayers; k++)
        n += net->layers[k].kind == LAYER_YOLO;
    return n;
}

const float *cw_dnn_output(const struct cw_dnn *net, int i, int *rows, int *cols)
{
    const struct layer *l = yolo_layer(net, i);
    if (!l)
        return NULL;
    *rows = l->oh * l->ow * l->nmask;
    *cols = 5 + l->classes;
    return l->decoded;
}

int cw_dnn_classes(const struct cw_dnn *net)
{
    const struct layer *l = yolo_layer(net, cw_dnn_output_count(net) - 1);
    return l ? l->classes : 0;
}

static int by_class_then_score(const void *a, const void *b)
{
    const struct cw_dnn_box *p = a, *q = b;
    if (p->cls != q->cls)
        return p->cls - q->cls;
    return (p->score < q->score) - (p->score > q->score);
}

static int by_score(const void *a, const void *b)
{
    const struct cw_dnn_box *p = a, *q = b;
    return (p->score < q->score) - (p->score > q->score);
}

/* In float, as OpenCV's NMS computes it, so the two keep the same boxes at the margin. */
static float iou(const struct cw_dnn_box *a, const struct cw_dnn_box *b)
{
    float iw = fminf(a->x + a->w, b->x + b->w) - fmaxf(a->x, b->x);
    float ih = fminf(a->y + a->h, b->y + b->h) - fmaxf(a->y, b->y);
    if (iw <= 0 || ih <= 0)
        return 0;
    float inter = iw * ih;
    return inter / (a->w * a->h + b->w * b->h - inter);
}

int cw_dnn_boxes(struct cw_dnn *net, float conf, float nms, struct cw_dnn_box *out, int cap)
{
    int n = 0;
    bool full = false;
    for (int k = 0; k < net->nlayers; k++) {
        const struct layer *l = &net->layers[k];
        if (l->kind != LAYER_YOLO)
            continue;
        int cols = 5 + l->classes, rows = l->oh * l->ow * l->nmask;
        for (int r = 0; r < rows; r++) {
            const float *d = l->decoded + (size_t)r * cols;
            if (d[4] < conf)
                continue; /* every class score is ≤ objectness */
            for (int c = 0; c < l->classes; c++) {
                if (d[5 + c] < conf)
                    continue;
                if (n == net->ncand_cap) {
                    full = true;
                    continue;
                }
                net->cand[n++] =
                    (struct cw_dnn_box){d[0] - d[2] / 2, d[1] - d[3] / 2, d[2], d[3], d[5 + c], c};
            }
        }
    }
    if (full)
        cw_log_warn("dnn",
                    "more than %d boxes above the score threshold %.2f; the rest were "
                    "dropped (raise the threshold)",
                    net->ncand_cap, conf);
    qsort(net->cand, (size_t)n, sizeof(*net->cand), by_class_then_score);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        struct cw_dnn_box *b = &net->cand[i];
        if (b->score <= 0)
            continue;
        for (int j = i + 1; j < n && net->cand[j].cls == b->cls; j++)
            if (net->cand[j].score > 0 && iou(b, &net->cand[j]) > nms)
                net->cand[j].score = 0;
        net->cand[kept++] = *b;
    }
    qsort(net->cand, (size_t)kept, sizeof(*net->cand), by_score);
    if (kept > cap)
        kept = cap;
    for (int i = 0; i < kept; i++)
        out[i] = net->cand[i];
    return kept;
}
