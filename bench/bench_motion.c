/* Benchmark and scorer for the motion detector on a video: time per frame on the 640×360 analysis
 * image (one thread), and, given the renderer's truth masks, per-pixel precision, recall and F1
 * of the road-user mask (truth shadows count as background).
 * Usage: bench_motion video.mp4 [masks.mkv]. Prints one JSON line. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/motion.h"
#include "crosswatch/resample.h"
#include "crosswatch/source.h"

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    struct cw_source_config sc, mc;
    struct cw_source *src, *msrc = NULL;
    struct cw_motion_config cfg;
    struct cw_motion *m = NULL;
    struct cw_resampler *rs = NULL;
    struct cw_image u = {0}, v = {0};
    struct cw_blob blobs[256];
    static int64_t ns[100000];
    int64_t tp = 0, fp = 0, fn = 0, frames = 0, warm = 50;
    if (argc < 2) {
        fprintf(stderr, "usage: bench_motion video.mp4 [masks.mkv]\n");
        return 2;
    }
    cw_options_defaults(cw_source_options, &sc);
    sc.input = argv[1];
    sc.ring_seconds = 0;
    if (cw_source_open(&sc, &src))
        return 1;
    if (argc > 2) {
        cw_options_defaults(cw_source_options, &mc);
        mc.input = argv[2];
        mc.ring_seconds = 0;
        if (cw_source_open(&mc, &msrc))
            return 1;
    }
    cw_options_defaults(cw_motion_options, &cfg);
    struct cw_frame *f, *mf = NULL;
    while (cw_source_read(src, &f) == 0) {
        if (!m) {
            m = cw_motion_new(&cfg, f->grey.width, f->grey.height);
            int cw = (f->grey.width + 1) / 2, ch = (f->grey.height + 1) / 2;
            rs = cw_resampler_new((f->width + 1) / 2, (f->height + 1) / 2, cw, ch);
            u = (struct cw_image){cw, ch, cw, malloc((size_t)cw * ch)};
            v = (struct cw_image){cw, ch, cw, malloc((size_t)cw * ch)};
            if (!m || !rs)
                return 1;
        }
        int64_t t0 = cw_clock_mono_ns();
        cw_resampler_run(rs, f->plane[1], f->stride[1], &u);
        cw_resampler_run(rs, f->plane[2], f->stride[2], &v);
        cw_motion_process(m, &f->grey, &u, &v, 0.04, blobs, 256);
        ns[frames] = cw_clock_mono_ns() - t0;
        if (msrc && cw_source_read(msrc, &mf) == 0) {
            const uint8_t *mask = cw_motion_mask(m);
            if (frames >= warm) /* let both models learn the road first */
                for (int y = 0; y < f->grey.height; y++)
                    for (int x = 0; x < f->grey.width; x++) {
                        bool truth = mf->grey.data[(size_t)y * mf->grey.stride + x] > 200;
                        bool ours = mask[(size_t)y * f->grey.width + x] == CW_MOTION_FG;
                        tp += truth && ours;
                        fp += !truth && ours;
                        fn += truth && !ours;
                    }
            cw_frame_unref(&mf);
        }
        frames++;
        cw_frame_unref(&f);
        if (frames >= 100000)
            break;
    }
    qsort(ns, (size_t)frames, sizeof(*ns), cmp);
    double med = ns[frames / 2] / 1e3, px = (double)u.width * 2 * u.height * 2;
    double p = tp + fp ? (double)tp / (tp + fp) : 1, r = tp + fn ? (double)tp / (tp + fn) : 1;
    printf("{\"frames\":%" PRId64 ",\"median_us\":%.1f,\"ns_per_pixel\":%.2f,\"precision\":%.4f,"
           "\"recall\":%.4f,\"f1\":%.4f}\n",
           frames, med, med * 1e3 / px, p, r, p + r > 0 ? 2 * p * r / (p + r) : 0);
    cw_motion_free(m);
    cw_resampler_free(rs);
    cw_source_free(src);
    cw_source_free(msrc);
    free(u.data);
    free(v.data);
    return 0;
}
