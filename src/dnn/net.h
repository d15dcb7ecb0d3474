/* Internal: the network as the darknet loader builds it and the forward pass runs it. */
#ifndef CW_DNN_NET_H
#define CW_DNN_NET_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "crosswatch/dnn.h"
#include "dnn/pool.h"

enum layer_kind {
    LAYER_CONV,
    LAYER_SHORTCUT,
    LAYER_ROUTE,
    LAYER_MAXPOOL,
    LAYER_UPSAMPLE,
    LAYER_DROPOUT,
    LAYER_YOLO,
};

enum act {
    ACT_LINEAR,
    ACT_LEAKY,
    ACT_RELU,
    ACT_RELU6,
    ACT_LOGISTIC,
    ACT_MISH,
    ACT_SWISH,
    ACT_HSWISH,
};

#define ROUTE_MAX        8
#define YOLO_MAX_ANCHORS 16

struct layer {
    enum layer_kind kind;
    int line;       /* cfg line of the section header, for messages */
    int in;         /* index of the input layer (-1: the network input) */
    int c, h, w;    /* input shape */
    int oc, oh, ow; /* output shape */
    float *out;     /* oc × oh × ow, owned by the network's arena */
    enum act act;
    /* convolutional */
    int size, stride, pad, groups;
    int bn;
    float *weights; /* oc × (c / groups) × size × size, batch norm folded in */
    float *bias;    /* oc */
    float *packed;  /* weights in the GEMM kernel's panel order (NULL for depthwise) */
    /* shortcut */
    int from;
    /* route */
    int nroute, route[ROUTE_MAX], route_groups, route_group_id;
    /* yolo */
    int classes, nmask, mask[YOLO_MAX_ANCHORS], new_coords;
    float anchors[2 * YOLO_MAX_ANCHORS], scale_xy;
    float *decoded; /* rows × (5 + classes), OpenCV's layout */
};

struct cw_dnn {
    int w, h, c; /* input */
    int nlayers;
    struct layer *layers;
    float *input;
    float *scratch;  /* im2col matrix, sized for the largest layer */
    float *work;     /* per thread: GEMM strips or a padded depthwise plane */
    size_t work_len; /* floats of work per thread */
    void *arena;     /* every buffer above, one allocation */
    size_t bytes;
    double flops;
    struct cw__dnn_pool *pool;
    /* NMS work space */
    struct cw_dnn_box *cand;
    int ncand_cap;
};

static inline float logistic(float x)
{
    return 1.f / (1.f + expf(-x));
}

/* Runs layer @l of @net (its input already computed). */
void cw__dnn_layer_forward(struct cw_dnn *net, struct layer *l);

/* Floats of work space a depthwise convolution needs per thread (its padded input plane). */
size_t cw__dnn_dw_work_len(const struct layer *l);

/* Decodes a yolo layer's raw output into its decoded table. */
void cw__dnn_yolo_decode(const struct cw_dnn *net, struct layer *l, const float *raw);

/* Size of a version 0.2 weights file that fits @cfg_text, or -1 (logged) if the cfg is bad. For
 * the fuzzer, which makes weights to go with the cfgs it invents. */
long cw__dnn_weights_bytes(const char *cfg_text);

/* Makes a weights file (version 0.2) that fits @cfg_text, with random weights scaled so the
 * activations stay near unit size: biases and batch-norm statistics small and positive variances,
 * convolution weights uniform over ±sqrt(6 / fan-in). *@out is the caller's to free. Returns its
 * size, or -1 (logged) if the cfg is bad. For benchmarks and checks on models whose trained
 * weights are not at hand. */
long cw__dnn_random_weights(const char *cfg_text, uint32_t seed, uint8_t **out);

#endif
