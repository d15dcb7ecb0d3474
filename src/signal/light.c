/* Signal lamps from the picture: colour and brightness features along the head, a linear model
 * fitted on real crops (light_model.h), a colour-only reading for single-lamp heads. */
#include "crosswatch/light.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "crosswatch/scene.h"
#include "signal/light_model.h"

static const char *const names[] = {"unknown", "off", "red", "yellow", "green"};

const char *cw_light_name(int light)
{
    return light >= 0 && light < CW_LIGHT_COUNT ? names[light] : "unknown";
}

int cw_light_parse(const char *name)
{
    for (int i = 0; i < CW_LIGHT_COUNT; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}

/* Which lamp colour a hue (degrees) belongs to: 0 red, 1 yellow (amber), 2 green (which is
 * cyan-green on real heads), -1 none (blue sky, magenta). */
static int hue_class(float hue)
{
    if (hue >= 300 || hue < 15)
        return 0;
    if (hue < 70)
        return 1;
    if (hue >= 90 && hue < 195)
        return 2;
    return -1;
}

/* Value of the @q-quantile (0..1) of a 256-bin histogram of @n samples, as 0..1. */
static float quantile(const uint32_t hist[256], uint32_t n, double q)
{
    uint32_t want = (uint32_t)(q * (n - 1)), seen = 0;
    for (int i = 0; i < 256; i++) {
        seen += hist[i];
        if (seen > want)
            return i / 255.0f;
    }
    return 1;
}

/* lroundf() for @c >= 0, without the library call: the fraction of a float is exact. */
static inline int round_pos(float c)
{
    int t = (int)c;
    return t + (c - (float)t >= 0.5f);
}

struct pixel {
    float v, s;
    int cls; /* hue_class */
};

static struct pixel pixel_at(const uint8_t *p)
{
    int r = p[0], g = p[1], b = p[2];
    int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
    int mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
    struct pixel px = {mx / 255.0f, mx ? (float)(mx - mn) / mx : 0, -1};
    if (mx == mn)
        return px;
    float d = (float)(mx - mn), hue;
    if (mx == r)
        hue = (g - b) / d + 6, hue = 60 * (hue >= 6 ? hue - 6 : hue); /* fmodf(…, 6) on [5, 7] */
    else if (mx == g)
        hue = 60 * ((b - r) / d + 2);
    else
        hue = 60 * ((r - g) / d + 4);
    px.cls = hue_class(hue);
    return px;
}

void cw_light_features(const uint8_t *rgb, int w, int h, int stride, int layout,
                       float f[CW_LIGHT_FEATURES])
{
    bool across = layout == CW_SIGNAL_HORIZONTAL; /* thirds along x, red on the left */
    int len = across ? w : h;
    uint32_t vh_all[256] = {0}, vh[3][256] = {{0}}, sh[3][256] = {{0}}, n[3] = {0};
    double col[3][3] = {{0}}, vsum[3] = {0}, vall = 0;
    memset(f, 0, sizeof(float) * CW_LIGHT_FEATURES);
    if (w < 1 || h < 1)
        return;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            struct pixel px = pixel_at(rgb + (size_t)y * stride + 3 * x);
            int pos = across ? x : y, t = pos * 3 / len;
            int v8 = round_pos(px.v * 255), s8 = round_pos(px.s * 255);
            vh_all[v8]++;
            vh[t][v8]++;
            sh[t][s8]++;
            n[t]++;
            vsum[t] += px.v;
            vall += px.v;
            if (px.cls >= 0)
                col[t][px.cls] += px.s * px.v;
        }
    uint32_t total = (uint32_t)w * (uint32_t)h;
    float median = quantile(vh_all, total, 0.5), mean = (float)(vall / total);
    for (int t = 0; t < 3; t++) {
        if (!n[t])
            continue;
        for (int c = 0; c < 3; c++)
            f[6 * t + c] = (float)(col[t][c] / n[t]);
        f[6 * t + 3] = quantile(vh[t], n[t], 0.9) - median;
        f[6 * t + 4] = quantile(sh[t], n[t], 0.9);
        f[6 * t + 5] = (float)(vsum[t] / n[t]) - mean;
    }
}

/* A lamp is lit when some third has saturated colour and stands out from the head. */
static bool lit(const float f[CW_LIGHT_FEATURES])
{
    float colour = 0, contrast = 0;
    for (int t = 0; t < 3; t++) {
        for (int c = 0; c < 3; c++)
            colour = fmaxf(colour, f[6 * t + c]);
        contrast = fmaxf(contrast, f[6 * t + 3]);
    }
    return colour >= LIGHT_OFF_COLOUR || contrast >= LIGHT_OFF_CONTRAST;
}

int cw_light_classify_features(const float f[CW_LIGHT_FEATURES], int layout, float *confidence)
{
    float z[3], conf;
    int best = 0;
    if (layout == CW_SIGNAL_SINGLE) {
        /* one lamp: its colour, wherever it is */
        float sum = 0;
        for (int c = 0; c < 3; c++) {
            z[c] = f[c] + f[6 + c] + f[12 + c];
            sum += z[c];
            if (z[c] > z[best])
                best = c;
        }
        conf = sum > 0 ? z[best] / sum : 0;
    } else {
        float zmax = -INFINITY, sum = 0;
        for (int c = 0; c < 3; c++) {
            z[c] = light_w[CW_LIGHT_FEATURES][c];
            for (int k = 0; k < CW_LIGHT_FEATURES; k++)
                z[c] += (f[k] - light_mu[k]) / light_sd[k] * light_w[k][c];
            zmax = fmaxf(zmax, z[c]);
        }
        for (int c = 0; c < 3; c++) {
            z[c] = expf(z[c] - zmax);
            sum += z[c];
            if (z[c] > z[best])
                best = c;
        }
        conf = z[best] / sum;
    }
    if (confidence)
        *confidence = conf;
    return CW_LIGHT_RED + best;
}

int cw_light_classify_rgb(const uint8_t *rgb, int w, int h, int stride, int layout,
                          float *confidence)
{
    float f[CW_LIGHT_FEATURES];
    cw_light_features(rgb, w, h, stride, layout, f);
    if (!lit(f)) {
        if (confidence)
            *confidence = 1;
        return CW_LIGHT_OFF;
    }
    return cw_light_classify_features(f, layout, confidence);
}

bool cw_light_frame_features(const struct cw_frame *f, const struct cw_box *region, int layout,
                             uint8_t *scratch, size_t scratch_len, float feat[CW_LIGHT_FEATURES])
{
    int x0 = (int)floor(region->x), y0 = (int)floor(region->y);
    int x1 = (int)ceil(region->x + region->w), y1 = (int)ceil(region->y + region->h);
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > f->width ? f->width : x1, y1 = y1 > f->height ? f->height : y1;
    int w = x1 - x0, h = y1 - y0;
    if (w < 1 || h < 1 || (size_t)w * h * 3 > scratch_len)
        return false;
    for (int y = 0; y < h; y++) {
        const uint8_t *yr = f->plane[0] + (size_t)(y0 + y) * f->stride[0];
        const uint8_t *ur = f->plane[1] + (size_t)((y0 + y) / 2) * f->stride[1];
        const uint8_t *vr = f->plane[2] + (size_t)((y0 + y) / 2) * f->stride[2];
        uint8_t *o = scratch + (size_t)y * w * 3;
        for (int x = 0; x < w; x++) {
            int X = x0 + x;
            float l = 1.164f * (yr[X] - 16), u = ur[X / 2] - 128.0f, v = vr[X / 2] - 128.0f;
            float c[3] = {l + 1.596f * v, l - 0.392f * u - 0.813f * v, l + 2.017f * u};
            for (int k = 0; k < 3; k++)
                o[3 * x + k] = (uint8_t)(c[k] < 0 ? 0 : c[k] > 255 ? 255 : round_pos(c[k]));
        }
    }
    cw_light_features(scratch, w, h, w * 3, layout, feat);
    return true;
}

int cw_light_classify_frame(const struct cw_frame *f, const struct cw_box *region, int layout,
                            uint8_t *scratch, size_t scratch_len, float *confidence)
{
    float feat[CW_LIGHT_FEATURES];
    if (confidence)
        *confidence = 0;
    if (!cw_light_frame_features(f, region, layout, scratch, scratch_len, feat))
        return CW_LIGHT_UNKNOWN;
    if (!lit(feat)) {
        if (confidence)
            *confidence = 1;
        return CW_LIGHT_OFF;
    }
    return cw_light_classify_features(feat, layout, confidence);
}
