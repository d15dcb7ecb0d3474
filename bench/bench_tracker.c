/* Micro-benchmark: tracker time per frame as the number of objects grows (1, 10, 100, 500).
 * Objects walk straight lines with jittered boxes; 10 % of detections are missed.
 * Usage: bench_tracker [frames]. Prints one JSON line per count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "crosswatch/clock.h"
#include "crosswatch/tracker.h"

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffff) / 65535.0;
}

int main(int argc, char **argv)
{
    int frames = argc > 1 ? atoi(argv[1]) : 1000;
    const int counts[] = {1, 10, 100, 500};
    for (int c = 0; c < 4; c++) {
        int n = counts[c];
        struct cw_tracker_config cfg;
        cw_options_defaults(cw_tracker_options, &cfg);
        cfg.max_detections = 1000;
        struct cw_tracker *t = cw_tracker_new(&cfg);
        struct cw_detection *d = calloc((size_t)n, sizeof(*d));
        struct cw_track_out *o = calloc((size_t)n * 2, sizeof(*o));
        double *x = malloc(sizeof(double) * n * 4);
        int64_t *ns = malloc(sizeof(int64_t) * (size_t)frames);
        unsigned seed = 7;
        /* spread the objects over a 4000x4000 canvas so they rarely overlap */
        for (int i = 0; i < n; i++) {
            x[4 * i] = rnd(&seed) * 3900;
            x[4 * i + 1] = rnd(&seed) * 3800;
            x[4 * i + 2] = (rnd(&seed) - 0.5) * 6;
            x[4 * i + 3] = (rnd(&seed) - 0.5) * 2;
        }
        int total = 0;
        for (int f = 0; f < frames; f++) {
            int k = 0;
            for (int i = 0; i < n; i++) {
                x[4 * i] += x[4 * i + 2];
                x[4 * i + 1] += x[4 * i + 3];
                if (rnd(&seed) < 0.1)
                    continue;
                d[k].box = (struct cw_box){x[4 * i] + rnd(&seed) * 2, x[4 * i + 1] + rnd(&seed) * 2,
                                           40, 100};
                d[k].score = 0.9f;
                k++;
            }
            int64_t t0 = cw_clock_mono_ns();
            total += cw_tracker_update(t, d, k, o, n * 2);
            ns[f] = cw_clock_mono_ns() - t0;
        }
        qsort(ns, (size_t)frames, sizeof(*ns), cmp);
        printf("{\"objects\":%d,\"median_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f,\"boxes\":%d}\n",
               n, ns[frames / 2] / 1e3, ns[frames * 99 / 100] / 1e3, ns[frames - 1] / 1e3, total);
        cw_tracker_free(t);
        free(d);
        free(o);
        free(x);
        free(ns);
    }
    return 0;
}
