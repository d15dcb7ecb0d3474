/* Micro-benchmark: the grey analysis image alone (cw_resampler_run), per frame.
 * Usage: bench_resample [iterations]. Prints one JSON line per size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/clock.h"
#include "crosswatch/resample.h"

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void run(int sw, int sh, int dw, int dh, int iters)
{
    uint8_t *src = malloc((size_t)sw * sh);
    struct cw_image dst = {dw, dh, dw, malloc((size_t)dw * dh)};
    struct cw_resampler *rs = cw_resampler_new(sw, sh, dw, dh);
    int64_t *t = malloc(sizeof(*t) * (size_t)iters);
    for (int i = 0; i < sw * sh; i++)
        src[i] = (uint8_t)(i * 2654435761u >> 24);
    for (int i = 0; i < iters; i++) {
        int64_t t0 = cw_clock_mono_ns();
        cw_resampler_run(rs, src, sw, &dst);
        t[i] = cw_clock_mono_ns() - t0;
    }
    qsort(t, (size_t)iters, sizeof(*t), cmp);
    printf("{\"src\":\"%dx%d\",\"dst\":\"%dx%d\",\"median_us\":%.1f,\"min_us\":%.1f,"
           "\"max_us\":%.1f,\"checksum\":%d}\n",
           sw, sh, dw, dh, t[iters / 2] / 1e3, t[0] / 1e3, t[iters - 1] / 1e3, dst.data[dw + 1]);
    cw_resampler_free(rs);
    free(src);
    free(dst.data);
    free(t);
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 300;
    if (iters < 1)
        iters = 1;
    run(1920, 1080, 640, 360, iters);
    run(1280, 720, 640, 360, iters);
    run(1000, 700, 640, 448, iters);
    return 0;
}
