/* The forward pass: one function per layer kind, planar (CHW) data, buffers sized at load time.
 * Convolutions go to the GEMM kernel (1×1 directly on the activations, others through an
 * im2col matrix), depthwise ones to a direct kernel over a zero-padded copy of each plane. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "crosswatch/dnn.h"
#include "dnn/gemm.h"
#include "dnn/net.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

/* Activations the kernels do not fold into their stores. */
static void activate(float *x, size_t n, enum act act)
{
    switch (act) {
    case ACT_LOGISTIC:
        for (size_t i = 0; i < n; i++)
            x[i] = logistic(x[i]);
        break;
    case ACT_MISH:
        for (size_t i = 0; i < n; i++) {
            float sp = x[i] > 20 ? x[i] : log1pf(expf(x[i]));
            x[i] = x[i] * tanhf(sp);
        }
        break;
    case ACT_SWISH:
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] * logistic(x[i]);
        break;
    case ACT_HSWISH:
        for (size_t i = 0; i < n; i++) {
            float r = x[i] + 3;
            r = r < 0 ? 0 : r > 6 ? 6 : r;
            x[i] = x[i] * r / 6;
        }
        break;
    case ACT_LEAKY:
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] > 0 ? x[i] : 0.1f * x[i];
        break;
    case ACT_RELU:
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] > 0 ? x[i] : 0;
        break;
    case ACT_RELU6:
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] < 0 ? 0 : x[i] > 6 ? 6 : x[i];
        break;
    case ACT_LINEAR:
        break;
    }
}

/* The activations the GEMM and depthwise kernels apply as they store. */
static int fused_act(enum act act)
{
    switch (act) {
    case ACT_LEAKY:
        return GEMM_LEAKY;
    case ACT_RELU:
        return GEMM_RELU;
    case ACT_RELU6:
        return GEMM_RELU6;
    default:
        return GEMM_LINEAR;
    }
}

static const float *input_of(const struct cw_dnn *net, const struct layer *l)
{
    return l->in < 0 ? net->input : net->layers[l->in].out;
}

/* ---- convolution through GEMM ---- */

struct gemm_job {
    const struct cw_dnn *net;
    const float *packed, *b;
    float *c;
    int m, k, n, chunk, act;
};

static void gemm_task(void *ctx, int i, int thread)
{
    const struct gemm_job *j = ctx;
    int n0 = i * j->chunk, n1 = n0 + j->chunk < j->n ? n0 + j->chunk : j->n;
    cw__gemm(j->packed, j->m, j->k, j->b, j->n, j->c, j->n, n0, n1, j->act,
             j->net->work + (size_t)thread * j->net->work_len);
}

static void dw_pad(const struct layer *l, const float *in, float *plane);
static size_t dw_row_len(const struct layer *l);

/* Unrolls group @g of the input into the k × (oh·ow) matrix the GEMM multiplies. Each channel is
 * first copied into a zero-padded plane split by stride phase (as for depthwise), so every row
 * of the matrix is a run of consecutive floats, whatever the stride. */
static void im2col(const struct layer *l, const float *in, int g, float *col, float *plane)
{
    int cg = l->c / l->groups, k = l->size, s = l->stride;
    size_t hw = (size_t)l->oh * l->ow, rl = dw_row_len(l);
    for (int ch = 0; ch < cg; ch++) {
        dw_pad(l, in + (size_t)(g * cg + ch) * l->h * l->w, plane);
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(ch * k + ky) * k + kx) * hw;
                const float *src = plane + (size_t)ky * s * rl + (size_t)(kx % s) * rl + kx / s;
                for (int oy = 0; oy < l->oh; oy++)
                    memcpy(row + (size_t)oy * l->ow, src + (size_t)oy * s * s * rl,
                           sizeof(float) * l->ow);
            }
    }
}

static void conv_gemm(struct cw_dnn *net, struct layer *l, const float *in)
{
    int m = l->oc / l->groups, k = (l->c / l->groups) * l->size * l->size, n = l->oh * l->ow;
    int threads = cw__dnn_pool_threads(net->pool);
    /* tasks of whole 16-column strips, a few per thread so they balance */
    int chunk = n;
    if (threads > 1) {
        chunk = (n + 4 * threads - 1) / (4 * threads);
        chunk = (chunk + CW_GEMM_NR - 1) / CW_GEMM_NR * CW_GEMM_NR;
        if (chunk < 64)
            chunk = 64;
    }
    size_t glen = cw__gemm_packed_len(m, k);
    bool direct = l->size == 1 && l->stride == 1 && l->pad == 0;
    for (int g = 0; g < l->groups; g++) {
        const float *b = in + (size_t)g * k * n;
        if (!direct) {
            im2col(l, in, g, net->scratch, net->scratch + (size_t)k * n);
            b = net->scratch;
        }
        struct gemm_job job = {net,   l->packed + g * glen, b, l->out + (size_t)g * m * n, m, k, n,
                               chunk, fused_act(l->act)};
        cw__dnn_pool_run(net->pool, gemm_task, &job, (n + chunk - 1) / chunk);
    }
}

/* ---- depthwise convolution ---- */

/* A padded plane is stored as @stride phases per row (phase q holds padded columns q, q+s, …),
 * so a strided tap reads consecutive floats. */
static size_t dw_row_len(const struct layer *l)
{
    return (size_t)(l->w + 2 * l->pad + l->stride - 1) / l->stride + 16;
}

size_t cw__dnn_dw_work_len(const struct layer *l)
{
    return (size_t)(l->h + 2 * l->pad) * l->stride * dw_row_len(l);
}

static void dw_pad(const struct layer *l, const float *in, float *plane)
{
    int s = l->stride, p = l->pad;
    size_t rl = dw_row_len(l);
    for (int r = 0; r < l->h + 2 * p; r++) {
        int iy = r - p;
        for (int q = 0; q < s; q++) {
            float *d = plane + ((size_t)r * s + q) * rl;
            if (iy < 0 || iy >= l->h) {
                memset(d, 0, sizeof(float) * rl);
                continue;
            }
            const float *src = in + (size_t)iy * l->w;
            size_t j = 0;
            if (s == 1) {
                for (; j < (size_t)p; j++)
                    d[j] = 0;
                memcpy(d + p, src, sizeof(float) * l->w);
                j = (size_t)p + l->w;
                for (; j < rl; j++)
                    d[j] = 0;
            } else {
                /* phase q holds input columns x = q - p + j·s */
                int j0 = p > q ? (p - q + s - 1) / s : 0, j1 = (l->w - 1 + p - q) / s + 1;
                memset(d, 0, sizeof(float) * rl);
                for (int jj = j0; jj < j1; jj++)
                    d[jj] = src[q - p + jj * s];
            }
        }
    }
}

#ifdef HAVE_X86
/* One channel, @K × @K taps (a constant where inlined, so the tap loops unroll): each tap's weight
 * is broadcast once, and its offset into the phase-split plane computed once. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
dw_kernel_avx2(const struct layer *l, const float *plane, const float *w, float bias, float *out,
               const int K)
{
    int s = l->stride, act = fused_act(l->act);
    size_t rl = dw_row_len(l);
    __m256 wv[K * K];
    size_t off[K];
    for (int t = 0; t < K * K; t++)
        wv[t] = _mm256_set1_ps(w[t]);
    for (int kx = 0; kx < K; kx++)
        off[kx] = (size_t)(kx % s) * rl + (size_t)(kx / s);
    __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6), tenth = _mm256_set1_ps(0.1f);
    __m256 b = _mm256_set1_ps(bias);
    for (int oy = 0; oy < l->oh; oy++) {
        float *o = out + (size_t)oy * l->ow;
        const float *rows = plane + (size_t)oy * s * s * rl;
        for (int ox = 0; ox < l->ow; ox += 8) {
            __m256 acc = b;
            for (int ky = 0; ky < K; ky++) {
                const float *row = rows + (size_t)ky * s * rl + ox;
                for (int kx = 0; kx < K; kx++)
                    acc = _mm256_fmadd_ps(wv[ky * K + kx], _mm256_loadu_ps(row + off[kx]), acc);
            }
            if (act == GEMM_LEAKY)
                acc = _mm256_max_ps(acc, _mm256_mul_ps(acc, tenth));
            else if (act == GEMM_RELU)
                acc = _mm256_max_ps(acc, zero);
            else if (act == GEMM_RELU6)
                acc = _mm256_min_ps(_mm256_max_ps(acc, zero), six);
            if (ox + 8 <= l->ow) {
                _mm256_storeu_ps(o + ox, acc);
            } else {
                float t[8];
                _mm256_storeu_ps(t, acc);
                memcpy(o + ox, t, sizeof(float) * (l->ow - ox));
            }
        }
    }
}

__attribute__((target("avx2,fma"))) static void
dw_rows_avx2(const struct layer *l, const float *plane, const float *w, float bias, float *out)
{
    switch (l->size) {
    case 3:
        dw_kernel_avx2(l, plane, w, bias, out, 3);
        break;
    case 5:
        dw_kernel_avx2(l, plane, w, bias, out, 5);
        break;
    default:
        dw_kernel_avx2(l, plane, w, bias, out, l->size);
        break;
    }
}
#endif

static void dw_rows_c(const struct layer *l, const float *plane, const float *w, float bias,
                      float *out)
{
    int s = l->stride, k = l->size;
    size_t rl = dw_row_len(l);
    for (int oy = 0; oy < l->oh; oy++) {
        float *o = out + (size_t)oy * l->ow;
        for (int ox = 0; ox < l->ow; ox++)
            o[ox] = bias;
        for (int ky = 0; ky < k; ky++) {
            const float *row = plane + (size_t)(oy * s + ky) * s * rl;
            for (int kx = 0; kx < k; kx++) {
                const float *src = row + (kx % s) * rl + kx / s;
                float wk = w[ky * k + kx];
                for (int ox = 0; ox < l->ow; ox++)
                    o[ox] += wk * src[ox];
            }
        }
    }
    enum act a = l->act;
    if (a == ACT_LEAKY || a == ACT_RELU || a == ACT_RELU6)
        activate(out, (size_t)l->oh * l->ow, a);
}

struct dw_job {
    const struct cw_dnn *net;
    const struct layer *l;
    const float *in;
};

static void dw_task(void *ctx, int ch, int thread)
{
    const struct dw_job *j = ctx;
    const struct layer *l = j->l;
    float *plane = j->net->work + (size_t)thread * j->net->work_len;
    dw_pad(l, j->in + (size_t)ch * l->h * l->w, plane);
    const float *w = l->weights + (size_t)ch * l->size * l->size;
    float *out = l->out + (size_t)ch * l->oh * l->ow;
#ifdef HAVE_X86
    if (cw__gemm_uses_avx2()) {
        dw_rows_avx2(l, plane, w, l->bias[ch], out);
        return;
    }
#endif
    dw_rows_c(l, plane, w, l->bias[ch], out);
}

/* ---- the other layers ---- */

static void maxpool(const struct layer *l, const float *in)
{
    int off = -l->pad / 2;
    for (int ch = 0; ch < l->c; ch++) {
        const float *src = in + (size_t)ch * l->h * l->w;
        float *dst = l->out + (size_t)ch * l->oh * l->ow;
        for (int oy = 0; oy < l->oh; oy++)
            for (int ox = 0; ox < l->ow; ox++) {
                float best = -FLT_MAX;
                for (int ky = 0; ky < l->size; ky++) {
                    int iy = off + oy * l->stride + ky;
                    if (iy < 0 || iy >= l->h)
                        continue;
                    for (int kx = 0; kx < l->size; kx++) {
                        int ix = off + ox * l->stride + kx;
                        if (ix >= 0 && ix < l->w && src[(size_t)iy * l->w + ix] > best)
                            best = src[(size_t)iy * l->w + ix];
                    }
                }
                dst[(size_t)oy * l->ow + ox] = best;
            }
    }
}

static void upsample(const struct layer *l, const float *in)
{
    int s = l->stride;
    for (int ch = 0; ch < l->c; ch++)
        for (int oy = 0; oy < l->oh; oy++) {
            const float *src = in + ((size_t)ch * l->h + oy / s) * l->w;
            float *dst = l->out + ((size_t)ch * l->oh + oy) * l->ow;
            for (int ox = 0; ox < l->ow; ox++)
                dst[ox] = src[ox / s];
        }
}

static void route(const struct cw_dnn *net, const struct layer *l)
{
    float *dst = l->out;
    for (int i = 0; i < l->nroute; i++) {
        const struct layer *r = &net->layers[l->route[i]];
        size_t part = (size_t)(r->oc / l->route_groups) * r->oh * r->ow;
        memcpy(dst, r->out + part * l->route_group_id, part * sizeof(float));
        dst += part;
    }
}

void cw__dnn_layer_forward(struct cw_dnn *net, struct layer *l)
{
    const float *in = input_of(net, l);
    size_t n = (size_t)l->oc * l->oh * l->ow;
    switch (l->kind) {
    case LAYER_CONV:
        if (!l->packed) {
            struct dw_job job = {net, l, in};
            cw__dnn_pool_run(net->pool, dw_task, &job, l->c);
        } else {
            conv_gemm(net, l, in);
        }
        if (fused_act(l->act) == GEMM_LINEAR)
            activate(l->out, n, l->act);
        break;
    case LAYER_SHORTCUT: {
        const float *f = net->layers[l->from].out;
        for (size_t i = 0; i < n; i++)
            l->out[i] = in[i] + f[i];
        activate(l->out, n, l->act);
        break;
    }
    case LAYER_ROUTE:
        route(net, l);
        break;
    case LAYER_MAXPOOL:
        maxpool(l, in);
        break;
    case LAYER_UPSAMPLE:
        upsample(l, in);
        break;
    case LAYER_DROPOUT:
        break;
    case LAYER_YOLO:
        cw__dnn_yolo_decode(net, l, in);
        break;
    }
}

int cw_dnn_forward(struct cw_dnn *net)
{
    for (int i = 0; i < net->nlayers; i++)
        cw__dnn_layer_forward(net, &net->layers[i]);
    return 0;
}

void cw_dnn_input_size(const struct cw_dnn *net, int *w, int *h, int *c)
{
    *w = net->w, *h = net->h, *c = net->c;
}

size_t cw_dnn_memory(const struct cw_dnn *net)
{
    return net->bytes;
}

int cw_dnn_layer_count(const struct cw_dnn *net)
{
    return net->nlayers;
}

double cw_dnn_flops(const struct cw_dnn *net)
{
    return net->flops;
}

float *cw_dnn_input(struct cw_dnn *net)
{
    return net->input;
}
