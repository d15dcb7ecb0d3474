/* Clip cutting from the packet ring (issue 7: >= 50x faster than re-encoding the span with
 * ffmpeg, byte-exact packets — the byte-exact part is tested in tests/test_synth.py).
 * usage: bench_clip VIDEO SPAN_S RUNS OUTDIR
 * Reads the whole video through a source with a 60 s ring, then cuts the middle SPAN_S seconds
 * RUNS times (the clip alone, then with the three evidence stills decoded from the same packets)
 * and prints one JSON object: median milliseconds of each, packets and bytes of the clip. */
#include <stdio.h>
#include <stdlib.h>

#include "crosswatch/clip.h"
#include "crosswatch/clock.h"
#include "crosswatch/source.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int still(void *opaque, int k, int64_t pts_ns, struct cw_canvas *pic)
{
    (void)k, (void)pts_ns;
    *(long *)opaque += pic->plane[0][0]; /* touch the picture */
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench_clip VIDEO SPAN_S RUNS OUTDIR\n");
        return 2;
    }
    struct cw_source_config sc;
    struct cw_source *src;
    struct cw_frame *f;
    cw_options_defaults(cw_source_options, &sc);
    sc.input = argv[1];
    sc.ring_seconds = 60;
    sc.ring_mb = 256;
    double span = atof(argv[2]);
    int runs = atoi(argv[3]), err;
    if (cw_source_open(&sc, &src))
        return 1;
    int64_t last = 0;
    while ((err = cw_source_read(src, &f)) == 0) {
        last = f->pts_ns;
        cw_frame_unref(&f);
    }
    int64_t mid = last / 2, half = (int64_t)(span * 5e8);
    int64_t stills[3] = {mid - 1000000000, mid, mid + 1000000000};
    double *t[2] = {calloc((size_t)runs, sizeof(double)), calloc((size_t)runs, sizeof(double))};
    char path[4096];
    struct cw_clip_result r = {0};
    long touched = 0;
    snprintf(path, sizeof(path), "%s/bench-clip.mp4", argv[4]);
    for (int i = 0; i < runs; i++)
        for (int k = 0; k < 2; k++) {
            int64_t t0 = cw_clock_mono_ns();
            if (cw_clip_write(src, mid - half, mid + half, path, &r, stills, k ? 3 : 0, still,
                              &touched))
                return 1;
            t[k][i] = (cw_clock_mono_ns() - t0) / 1e6;
        }
    qsort(t[0], (size_t)runs, sizeof(double), cmp);
    qsort(t[1], (size_t)runs, sizeof(double), cmp);
    printf("{\"cut_ms\":%.2f,\"cut_stills_ms\":%.2f,\"packets\":%d,\"bytes\":%lld,\"from_s\":%.3f,"
           "\"to_s\":%.3f}\n",
           t[0][runs / 2], t[1][runs / 2], r.packets, (long long)r.bytes, (mid - half) / 1e9,
           (mid + half) / 1e9);
    free(t[0]);
    free(t[1]);
    cw_source_free(src);
    return 0;
}
