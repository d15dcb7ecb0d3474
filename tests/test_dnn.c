/* The darknet engine without any downloaded model: networks written here with pseudo-random
 * weights, run by crosswatch and by a plain double-precision reference written here layer by
 * layer; a one-cell network whose output is worked out by hand; weights header versions; and
 * every malformed cfg or weights file named with its line or expected size. */
#include <math.h>

#include "crosswatch/dnn.h"
#include "helpers.h"

/* ---- writing weights ---- */

struct wbuf {
    uint8_t *data;
    size_t len, cap;
    uint32_t seed;
};

static void put(struct wbuf *w, const void *p, size_t n)
{
    if (w->len + n > w->cap) {
        w->cap = (w->len + n) * 2;
        w->data = realloc(w->data, w->cap);
        assert_non_null(w->data);
    }
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

static void header(struct wbuf *w, int major, int minor)
{
    int32_t h[3] = {major, minor, 0};
    put(w, h, sizeof(h));
    uint64_t seen = 64000;
    put(w, &seen, (major * 10 + minor) >= 2 ? 8 : 4);
}

static float rnd(struct wbuf *w, float lo, float hi)
{
    w->seed = w->seed * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)(w->seed >> 8) / (float)(1u << 24);
}

/* One convolution's block: biases, [scales, means, variances], weights. Keeps a copy of what
 * it wrote in @keep (bias, scale, mean, var, weights) for the reference. */
struct conv_ref {
    int c, oc, k, s, pad, groups, bn, act;
    float *bias, *scale, *mean, *var, *w;
};

enum { LIN, LEAKY, RELU6, MISH, SWISH, LOGI, HSWISH };

static void conv_block(struct wbuf *w, struct conv_ref *r)
{
    size_t per = (size_t)(r->c / r->groups) * r->k * r->k;
    r->bias = malloc(sizeof(float) * r->oc);
    r->scale = malloc(sizeof(float) * r->oc);
    r->mean = malloc(sizeof(float) * r->oc);
    r->var = malloc(sizeof(float) * r->oc);
    r->w = malloc(sizeof(float) * r->oc * per);
    for (int i = 0; i < r->oc; i++)
        r->bias[i] = rnd(w, -0.5f, 0.5f);
    put(w, r->bias, sizeof(float) * r->oc);
    if (r->bn) {
        for (int i = 0; i < r->oc; i++)
            r->scale[i] = rnd(w, 0.5f, 1.5f);
        for (int i = 0; i < r->oc; i++)
            r->mean[i] = rnd(w, -0.3f, 0.3f);
        for (int i = 0; i < r->oc; i++)
            r->var[i] = rnd(w, 0.5f, 2.0f);
        put(w, r->scale, sizeof(float) * r->oc);
        put(w, r->mean, sizeof(float) * r->oc);
        put(w, r->var, sizeof(float) * r->oc);
    }
    for (size_t i = 0; i < r->oc * per; i++)
        r->w[i] = rnd(w, -0.4f, 0.4f);
    put(w, r->w, sizeof(float) * r->oc * per);
}

static void conv_free(struct conv_ref *r)
{
    free(r->bias);
    free(r->scale);
    free(r->mean);
    free(r->var);
    free(r->w);
}

/* ---- the reference, in double precision, written for clarity ---- */

struct t {
    int c, h, w;
    double *v;
};

static struct t t_new(int c, int h, int w)
{
    struct t x = {c, h, w, calloc((size_t)c * h * w, sizeof(double))};
    assert_non_null(x.v);
    return x;
}

#define AT(x, ch, y, xx) (x).v[((size_t)(ch) * (x).h + (y)) * (x).w + (xx)]

static double act(double v, int a)
{
    switch (a) {
    case LEAKY:
        return v > 0 ? v : 0.1 * v;
    case RELU6:
        return v < 0 ? 0 : v > 6 ? 6 : v;
    case MISH:
        return v * tanh(log1p(exp(v)));
    case SWISH:
        return v / (1 + exp(-v));
    case LOGI:
        return 1 / (1 + exp(-v));
    case HSWISH: {
        double r = v + 3;
        return v * (r < 0 ? 0 : r > 6 ? 6 : r) / 6;
    }
    default:
        return v;
    }
}

static struct t ref_conv(struct t in, const struct conv_ref *r)
{
    int oh = (in.h + 2 * r->pad - r->k) / r->s + 1, ow = (in.w + 2 * r->pad - r->k) / r->s + 1;
    int cg = r->c / r->groups, og = r->oc / r->groups;
    struct t o = t_new(r->oc, oh, ow);
    for (int f = 0; f < r->oc; f++) {
        int g = f / og;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                double sum = 0;
                for (int ch = 0; ch < cg; ch++)
                    for (int ky = 0; ky < r->k; ky++)
                        for (int kx = 0; kx < r->k; kx++) {
                            int iy = y * r->s - r->pad + ky, ix = x * r->s - r->pad + kx;
                            if (iy < 0 || ix < 0 || iy >= in.h || ix >= in.w)
                                continue;
                            sum += r->w[((size_t)(f * cg + ch) * r->k + ky) * r->k + kx] *
                                   AT(in, g * cg + ch, iy, ix);
                        }
                if (r->bn)
                    sum = (sum - r->mean[f]) / (sqrt(r->var[f]) + .000001) * r->scale[f];
                AT(o, f, y, x) = act(sum + r->bias[f], r->act);
            }
    }
    return o;
}

/* darknet's maxpool: padding size-1, offset -padding/2 */
static struct t ref_maxpool(struct t in, int size, int stride)
{
    int pad = size - 1, off = -pad / 2;
    int oh = (in.h + pad - size) / stride + 1, ow = (in.w + pad - size) / stride + 1;
    struct t o = t_new(in.c, oh, ow);
    for (int ch = 0; ch < in.c; ch++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                double best = -INFINITY;
                for (int ky = 0; ky < size; ky++)
                    for (int kx = 0; kx < size; kx++) {
                        int iy = off + y * stride + ky, ix = off + x * stride + kx;
                        if (iy >= 0 && ix >= 0 && iy < in.h && ix < in.w &&
                            AT(in, ch, iy, ix) > best)
                            best = AT(in, ch, iy, ix);
                    }
                AT(o, ch, y, x) = best;
            }
    return o;
}

/* A yolo layer decoded as OpenCV lays it out. */
static double *ref_yolo(struct t in, const int *mask, int nmask, const float *anchors, int classes,
                        double sxy, int new_coords, int net_w, int net_h)
{
    int cols = 5 + classes;
    double *d = calloc((size_t)in.h * in.w * nmask * cols, sizeof(double));
    for (int y = 0; y < in.h; y++)
        for (int x = 0; x < in.w; x++)
            for (int a = 0; a < nmask; a++) {
                double *r = d + ((size_t)(y * in.w + x) * nmask + a) * cols;
                double v[5 + 16] = {0};
                for (int e = 0; e < cols; e++)
                    v[e] = AT(in, a * cols + e, y, x);
                double lx = new_coords ? v[0] : act(v[0], LOGI);
                double ly = new_coords ? v[1] : act(v[1], LOGI);
                r[0] = (x + lx * sxy - (sxy - 1) / 2) / in.w;
                r[1] = (y + ly * sxy - (sxy - 1) / 2) / in.h;
                double aw = anchors[2 * mask[a]] / net_w, ah = anchors[2 * mask[a] + 1] / net_h;
                r[2] = new_coords ? 4 * v[2] * v[2] * aw : exp(v[2]) * aw;
                r[3] = new_coords ? 4 * v[3] * v[3] * ah : exp(v[3]) * ah;
                r[4] = new_coords ? v[4] : act(v[4], LOGI);
                for (int c = 0; c < classes; c++)
                    r[5 + c] = r[4] * (new_coords ? v[5 + c] : act(v[5 + c], LOGI));
            }
    return d;
}

/* ---- the networks ---- */

/* Every layer kind and activation, a non-square input, grouped, depthwise (3×3 and 5×5, stride 1
 * and 2), strided im2col, maxpool, upsample, route with groups, shortcut, and two yolo heads
 * (classic and new_coords with scale_x_y). */
static const char *big_cfg =
    "[net]\n# a comment\nbatch=1\nwidth=12\nheight=10\nchannels=3\n\n"
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n"
    "[convolutional]\ngroups=8\nbatch_normalize=1\nfilters=8\nsize=3\nstride=2\npad=1\n"
    "activation=relu6\n\n"
    "[convolutional]\nfilters=8\nsize=1\nstride=1\npad=0\nactivation=mish\n\n"
    "[convolutional]\ngroups=2\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=swish\n\n"
    "[shortcut]\nfrom=-2\nactivation=linear\n\n"
    "[maxpool]\nsize=2\nstride=1\n\n"
    "[upsample]\nstride=2\n\n"
    "[route]\nlayers=-1, 0\n\n"
    "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n\n"
    "[dropout]\nprobability=.5\n\n"
    "[convolutional]\nsize=1\nfilters=14\nactivation=linear\n\n"
    "[yolo]\nmask=0,1\nanchors=2,3, 4,5, 6,7\nnum=3\nclasses=2\njitter=.3\n\n"
    "[route]\nlayers=-7\n\n"
    "[convolutional]\ngroups=8\nfilters=8\nsize=5\nstride=1\npad=1\nbatch_normalize=1\n"
    "activation=hardswish\n\n"
    "[convolutional]\nfilters=12\nsize=3\nstride=2\npad=1\nactivation=logistic\n\n"
    "[yolo]\nmask=2\nanchors=2,3, 4,5, 6,7\nnum=3\nclasses=7\nscale_x_y=1.05\nnew_coords=1\n";

static void check_close(const float *got, const double *want, size_t n, double tol,
                        const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabs(got[i] - want[i]) <= tol * (1 + fabs(want[i]))))
            fail_msg("%s[%zu]: crosswatch %.7g, reference %.7g", what, i, got[i], want[i]);
}

static void run_big(int threads)
{
    struct wbuf w = {.seed = 7};
    struct conv_ref cv[7] = {{3, 8, 3, 1, 1, 1, 1, LEAKY}, {8, 8, 3, 2, 1, 8, 1, RELU6},
                             {8, 8, 1, 1, 0, 1, 0, MISH},  {8, 8, 3, 1, 1, 2, 0, SWISH},
                             {8, 14, 1, 1, 0, 1, 0, LIN},  {8, 8, 5, 1, 2, 8, 1, HSWISH},
                             {8, 12, 3, 2, 1, 1, 0, LOGI}};
    header(&w, 0, 2);
    for (int i = 0; i < 7; i++)
        conv_block(&w, &cv[i]);
    struct cw_dnn *net = cw_dnn_load_mem("big.cfg", big_cfg, w.data, w.len, threads);
    assert_non_null(net);
    int iw, ih, ic;
    cw_dnn_input_size(net, &iw, &ih, &ic);
    assert_int_equal(iw, 12);
    assert_int_equal(ih, 10);
    assert_int_equal(ic, 3);
    assert_int_equal(cw_dnn_layer_count(net), 16);
    assert_int_equal(cw_dnn_output_count(net), 2);
    assert_int_equal(cw_dnn_classes(net), 7);
    struct t x = t_new(3, 10, 12);
    float *in = cw_dnn_input(net);
    for (size_t i = 0; i < 3 * 10 * 12; i++)
        x.v[i] = in[i] = rnd(&w, 0, 1);
    assert_int_equal(cw_dnn_forward(net), 0);

    struct t l0 = ref_conv(x, &cv[0]);  /* 8×10×12 */
    struct t l1 = ref_conv(l0, &cv[1]); /* 8×5×6 */
    struct t l2 = ref_conv(l1, &cv[2]);
    struct t l3 = ref_conv(l2, &cv[3]);
    struct t l4 = t_new(8, 5, 6);
    for (size_t i = 0; i < 8 * 5 * 6; i++)
        l4.v[i] = l3.v[i] + l2.v[i];
    struct t l5 = ref_maxpool(l4, 2, 1);
    struct t l6 = t_new(8, 10, 12); /* upsample ×2 */
    for (int ch = 0; ch < 8; ch++)
        for (int y = 0; y < 10; y++)
            for (int xx = 0; xx < 12; xx++)
                AT(l6, ch, y, xx) = AT(l5, ch, y / 2, xx / 2);
    /* route -1,0 makes 16 channels (l6 then l0); the grouped route keeps the second half: l0 */
    struct t l10 = ref_conv(l0, &cv[4]);
    int mask0[] = {0, 1}, mask1[] = {2};
    float anchors[] = {2, 3, 4, 5, 6, 7};
    double *y0 = ref_yolo(l10, mask0, 2, anchors, 2, 1, 0, 12, 10);
    struct t l13 = ref_conv(l5, &cv[5]);  /* 8×5×6 (pad=1 means size/2) */
    struct t l14 = ref_conv(l13, &cv[6]); /* 12×3×3 */
    double *y1 = ref_yolo(l14, mask1, 1, anchors, 7, 1.05, 1, 12, 10);
    int rows, cols;
    const float *o = cw_dnn_output(net, 0, &rows, &cols);
    assert_int_equal(rows, 10 * 12 * 2);
    assert_int_equal(cols, 7);
    check_close(o, y0, (size_t)rows * cols, 1e-4, "yolo 0");
    o = cw_dnn_output(net, 1, &rows, &cols);
    assert_int_equal(rows, 3 * 3 * 1);
    assert_int_equal(cols, 12);
    check_close(o, y1, (size_t)rows * cols, 1e-4, "yolo 1");
    assert_null(cw_dnn_output(net, 2, &rows, &cols));
    assert_true(cw_dnn_memory(net) > 0);
    assert_true(cw_dnn_flops(net) > 0);
    cw_dnn_free(net);
    free(w.data);
    for (int i = 0; i < 7; i++)
        conv_free(&cv[i]);
    free(x.v), free(l0.v), free(l1.v), free(l2.v), free(l3.v), free(l4.v), free(l5.v), free(l6.v);
    free(l10.v), free(l13.v), free(l14.v), free(y0), free(y1);
}

static void test_big_network(void **state)
{
    (void)state;
    run_big(1);
}

static void test_big_network_threads(void **state)
{
    (void)state;
    run_big(3);
}

/* One cell, one anchor, two classes; weights zero, so the raw outputs are the biases. */
static const char *cell_cfg = "[net]\nwidth=%d\nheight=1\nchannels=1\n"
                              "[convolutional]\nfilters=7\nsize=1\nactivation=linear\n"
                              "[yolo]\nmask=0\nanchors=10,20\nnum=1\nclasses=2\n";

static struct wbuf cell_weights(int major, int minor)
{
    struct wbuf w = {0};
    header(&w, major, minor);
    float bias[7] = {logf(3), 0, logf(2), 0, 0, logf(3), -logf(3)}, zero[7] = {0};
    put(&w, bias, sizeof(bias));
    put(&w, zero, sizeof(zero));
    return w;
}

static void test_hand_computed(void **state)
{
    (void)state;
    char cfg[512];
    snprintf(cfg, sizeof(cfg), cell_cfg, 1);
    /* both header versions: 0.1 has a 32-bit "seen", 0.2 and later a 64-bit one */
    for (int v = 1; v <= 2; v++) {
        struct wbuf w = cell_weights(0, v);
        struct cw_dnn *net = cw_dnn_load_mem("cell.cfg", cfg, w.data, w.len, 1);
        assert_non_null(net);
        cw_dnn_input(net)[0] = 0.7f;
        cw_dnn_forward(net);
        int rows, cols;
        const float *o = cw_dnn_output(net, 0, &rows, &cols);
        assert_int_equal(rows, 1);
        assert_int_equal(cols, 7);
        /* x = (0 + logistic(ln 3)) / 1 = 0.75, y = 0.5, w = e^(ln 2) × 10 / 1, h = 20,
         * objectness 0.5, classes 0.5 × 0.75 and 0.5 × 0.25 */
        const float want[7] = {0.75f, 0.5f, 20, 20, 0.5f, 0.375f, 0.125f};
        for (int i = 0; i < 7; i++)
            assert_float_equal(o[i], want[i], 1e-5);
        struct cw_dnn_box b[4];
        assert_int_equal(cw_dnn_boxes(net, 0.2f, 0.45f, b, 4), 1);
        assert_int_equal(b[0].cls, 0);
        assert_float_equal(b[0].score, 0.375f, 1e-6);
        assert_float_equal(b[0].x, 0.75f - 10, 1e-5);
        assert_float_equal(b[0].y, 0.5f - 10, 1e-5);
        assert_float_equal(b[0].w, 20, 1e-5);
        cw_dnn_free(net);
        free(w.data);
    }
}

/* Two cells make two near-identical boxes per class: NMS keeps one of each class unless the
 * overlap limit allows both. */
static void test_nms(void **state)
{
    (void)state;
    char cfg[512];
    snprintf(cfg, sizeof(cfg), cell_cfg, 2);
    struct wbuf w = cell_weights(0, 2);
    struct cw_dnn *net = cw_dnn_load_mem("cell.cfg", cfg, w.data, w.len, 1);
    assert_non_null(net);
    cw_dnn_input(net)[0] = cw_dnn_input(net)[1] = 0.3f;
    cw_dnn_forward(net);
    struct cw_dnn_box b[8];
    assert_int_equal(cw_dnn_boxes(net, 0.2f, 0.45f, b, 8), 1);
    assert_int_equal(cw_dnn_boxes(net, 0.1f, 0.45f, b, 8), 2);
    assert_true(b[0].score >= b[1].score);
    assert_int_not_equal(b[0].cls, b[1].cls);
    assert_int_equal(cw_dnn_boxes(net, 0.1f, 1.0f, b, 8), 4);
    assert_int_equal(cw_dnn_boxes(net, 0.1f, 1.0f, b, 3), 3);
    cw_dnn_free(net);
    free(w.data);
}

static void test_bad_models(void **state)
{
    (void)state;
    static const char *head = "[net]\nwidth=1\nheight=1\nchannels=1\n";
    static const struct {
        const char *cfg;
        long extra; /* bytes added to (or removed from) the good weights */
        const char *expect;
    } cases[] = {
        {"[convolutional]\nfilters=7\nsize=1\n[lstm]\n", 0,
         "bad.cfg:8: layer [lstm] is not supported"},
        {"[convolutional]\nfilters=7\nsize=1\nfoo=1\n[yolo]\nmask=0\nanchors=1,1\nclasses=2\n", 0,
         "bad.cfg:8: [convolutional] foo=1 is not supported"},
        {"[convolutional]\nfilters=abc\n", 0,
         "bad.cfg:6: [convolutional] filters=abc: expected a whole number"},
        {"[convolutional]\nfilters=6\nsize=1\n[yolo]\nmask=0\nanchors=1,1\nclasses=2\n", 0,
         "needs 7 input channels ((classes + 5) × masks) but the layer before gives 6"},
        {"[convolutional]\nfilters=7\nsize=1\n[route]\nlayers=3\n", 0,
         "layer 3 does not come before this one"},
        {"[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=0\nanchors=1,1\nclasses=2\n", -4,
         "72 bytes, but the cfg's convolutions need 76 (file is short)"},
        {"[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=0\nanchors=1,1\nclasses=2\n", 4,
         "80 bytes, but the cfg's convolutions need 76 (file is too long)"},
        {"[convolutional]\nfilters=7\nsize=5\n", 0, "size=5 does not fit the 1×1 input"},
        {"[convolutional]\nfilters=7\nsize=1\nactivation=elu\n", 0,
         "activation=elu is not supported"},
        {"[convolutional]\nfilters=7\nsize=1\n[shortcut]\nfrom=-2\n", 0, "does not come before"},
        {"[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=0,3\nanchors=1,1\nclasses=2\n", 0,
         "mask 3 is not an anchor index"},
        {"[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=0\nanchors=1,1,2\nclasses=2\n", 0,
         "anchors has 3 numbers; num=1 needs 2"},
        {"[convolutional]\nfilters=7\ngroups=2\n", 0, "groups=2 must divide"},
        {"[convolutional\n", 0, "bad.cfg:5: '[convolutional' is not a section header"},
        {"just words\n", 0, "bad.cfg:5: 'just words' is neither [section] nor key=value"},
    };
    struct log_capture c;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char cfg[1024];
        snprintf(cfg, sizeof(cfg), "%s%s", head, cases[i].cfg);
        struct wbuf w = cell_weights(0, 2);
        if (cases[i].extra > 0)
            put(&w, "\0\0\0\0\0\0\0\0", (size_t)cases[i].extra);
        else
            w.len -= (size_t)-cases[i].extra;
        capture_start(&c);
        struct cw_dnn *net = cw_dnn_load_mem("bad.cfg", cfg, w.data, w.len, 1);
        capture_stop();
        if (net)
            fail_msg("case %zu loaded", i);
        if (!strstr(c.text, cases[i].expect))
            fail_msg("case %zu: expected \"%s\"; the log was:\n%s", i, cases[i].expect, c.text);
        assert_int_equal(c.errors, 1);
        free(w.data);
    }
    /* no [net]; a weights header that is not darknet's; a weight that is not a number; files */
    struct wbuf w = cell_weights(0, 2);
    capture_start(&c);
    assert_null(cw_dnn_load_mem("bad.cfg", "[convolutional]\n", w.data, w.len, 1));
    assert_logged(&c, "bad.cfg: the first section must be [net]");
    char cfg[512];
    snprintf(cfg, sizeof(cfg), cell_cfg, 1);
    int32_t bad = 123456;
    memcpy(w.data, &bad, 4);
    assert_null(cw_dnn_load_mem("bad.cfg", cfg, w.data, w.len, 1));
    assert_logged(&c, "header version 123456.2 is not a darknet weights file");
    free(w.data);
    w = cell_weights(0, 2);
    float nan = NAN;
    memcpy(w.data + w.len - 4, &nan, 4);
    assert_null(cw_dnn_load_mem("bad.cfg", cfg, w.data, w.len, 1));
    assert_logged(&c, "layer 0 (cfg line 5) has a weight that is not a number");
    assert_null(cw_dnn_load_mem("bad.cfg", "[net]\nwidth=0\nheight=1\n", w.data, w.len, 1));
    assert_logged(&c, "bad.cfg:2: [net] width=0: expected a whole number from 1 to 8192");
    assert_null(cw_dnn_load_mem("bad.cfg", cfg, w.data, 10, 1));
    assert_logged(&c, "10 bytes is too short for a darknet weights file");
    assert_null(cw_dnn_load("/nonexistent/m.cfg", "/nonexistent/m.weights", 1));
    assert_logged(&c, "/nonexistent/m.cfg");
    capture_stop();
    free(w.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big_network),   cmocka_unit_test(test_big_network_threads),
        cmocka_unit_test(test_hand_computed), cmocka_unit_test(test_nms),
        cmocka_unit_test(test_bad_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
