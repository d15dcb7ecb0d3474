/* crosswatch — a native CPU inference engine for darknet-format YOLO models.
 *
 * cw_dnn_load reads a darknet .cfg and .weights pair (the format Yolo-Fastest, yolov3-tiny and
 * yolov4-tiny ship in), folds batch normalisation into the weights, packs them for the
 * convolution kernels and sizes every buffer, so that cw_dnn_forward allocates nothing. Layers:
 * convolutional (groups, depthwise, batch_normalize; activations linear, leaky, relu, relu6,
 * logistic, mish, swish, hard-swish), shortcut, route (groups/group_id), maxpool, upsample,
 * dropout, yolo (anchors, mask, scale_x_y, new_coords). Anything else is refused with the cfg
 * line that asks for it.
 *
 * Data is planar (CHW), one image at a time. A network is used by one thread at a time; it may run
 * its convolutions on @threads worker threads of its own.
 */
#ifndef CROSSWATCH_DNN_H
#define CROSSWATCH_DNN_H

#include <stddef.h>

struct cw_dnn;

/* Loads @cfg_path and @weights_path. @threads (≥ 1) is how many threads run the convolutions.
 * Returns NULL after logging one line that names the file, the line and what to fix (an unknown
 * layer or key, sizes that do not fit, a weights file too short or too long for the cfg). */
struct cw_dnn *cw_dnn_load(const char *cfg_path, const char *weights_path, int threads);

/* The same from memory: @cfg is NUL-terminated text, @weights the file's bytes. @name is used in
 * messages in place of the file names. Used by tests and the fuzzer. */
struct cw_dnn *cw_dnn_load_mem(const char *name, const char *cfg, const void *weights,
                               size_t weights_len, int threads);

void cw_dnn_free(struct cw_dnn *net);

/* The input the network takes: width, height, channels (3 for RGB). */
void cw_dnn_input_size(const struct cw_dnn *net, int *w, int *h, int *c);

/* Bytes held by the loaded network: weights, activations and scratch. */
size_t cw_dnn_memory(const struct cw_dnn *net);

/* Number of layers, and the multiply-adds of one forward pass ×2 (FLOPs). */
int cw_dnn_layer_count(const struct cw_dnn *net);
double cw_dnn_flops(const struct cw_dnn *net);

/* The network's input buffer, c × h × w floats (RGB planes, 0..1): fill it, then call
 * cw_dnn_forward. Owned by @net. */
float *cw_dnn_input(struct cw_dnn *net);

/* Runs the network on its input buffer. Returns 0. */
int cw_dnn_forward(struct cw_dnn *net);

/* Number of yolo (output) layers. */
int cw_dnn_output_count(const struct cw_dnn *net);

/* Decoded output of yolo layer @i after a forward pass, laid out as OpenCV's DNN module does it
 * (so the two can be compared number for number): *@rows = h × w × anchors rows (cell-major,
 * anchors innermost) of *@cols = 5 + classes floats: centre x, centre y, width, height as
 * fractions of the network input, objectness, then each class's probability × objectness.
 * Owned by @net, valid until the next forward pass. */
const float *cw_dnn_output(const struct cw_dnn *net, int i, int *rows, int *cols);

/* Number of classes of the last yolo layer. */
int cw_dnn_classes(const struct cw_dnn *net);

/* One box found by the network, in network-input fractions (0..1). */
struct cw_dnn_box {
    float x, y, w, h; /* top-left and size */
    float score;      /* class probability × objectness */
    int cls;          /* class index in the model's names */
};

/* Boxes from the last forward pass: every class scoring at least @conf, then greedy per-class
 * non-maximum suppression at IoU @nms, best first. Writes at most @cap; returns the count. */
int cw_dnn_boxes(struct cw_dnn *net, float conf, float nms, struct cw_dnn_box *out, int cap);

#endif
