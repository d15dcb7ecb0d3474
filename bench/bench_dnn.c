/* Runs a darknet model with crosswatch's engine: times the forward pass (median of @runs) and,
 * given an input blob, writes every yolo layer's decoded output so a test can compare it with
 * OpenCV's. Usage:
 *   bench_dnn model.cfg model.weights [--runs N] [--threads T] [--blob in.f32] [--out out.f32]
 *             [--boxes conf nms] [--random-weights]
 * --random-weights makes pseudo-random weights that fit the cfg and writes them to the weights
 * path (for timing models whose trained weights are not at hand; OpenCV can then load the same).
 * The blob is c×h×w float32 (what cv2.dnn.blobFromImage makes); without one the input is a fixed
 * pseudo-random pattern. The output file holds, per yolo layer, rows×cols float32 in order.
 * Prints one JSON line: median and min milliseconds, memory, FLOPs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "crosswatch/clock.h"
#include "crosswatch/dnn.h"
#include "dnn/net.h"

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int runs = 20, threads = 1;
    const char *blob = NULL, *out = NULL;
    float conf = -1, nms = 0.45f;
    int random_weights = 0;
    if (argc < 3) {
        fprintf(stderr, "usage: bench_dnn model.cfg model.weights [--runs N] [--threads T] "
                        "[--blob in.f32] [--out out.f32] [--boxes conf nms]\n");
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--blob") && i + 1 < argc)
            blob = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--boxes") && i + 2 < argc) {
            conf = (float)atof(argv[++i]);
            nms = (float)atof(argv[++i]);
        } else if (!strcmp(argv[i], "--random-weights")) {
            random_weights = 1;
        } else {
            fprintf(stderr, "bench_dnn: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (runs < 1)
        runs = 1;
    struct cw_dnn *net;
    if (random_weights) {
        FILE *f = fopen(argv[1], "rb");
        static char cfg[1 << 20];
        size_t n = f ? fread(cfg, 1, sizeof(cfg) - 1, f) : 0;
        if (f)
            fclose(f);
        cfg[n] = 0;
        uint8_t *wb;
        long need = cw__dnn_random_weights(cfg, 99, &wb);
        if (need < 20)
            return 1;
        FILE *out_w = fopen(argv[2], "wb");
        if (!out_w || fwrite(wb, 1, (size_t)need, out_w) != (size_t)need) {
            fprintf(stderr, "bench_dnn: cannot write %s\n", argv[2]);
            return 1;
        }
        fclose(out_w);
        free(wb);
        net = cw_dnn_load(argv[1], argv[2], threads);
    } else {
        net = cw_dnn_load(argv[1], argv[2], threads);
    }
    if (!net)
        return 1;
    int w, h, c;
    cw_dnn_input_size(net, &w, &h, &c);
    size_t n = (size_t)w * h * c;
    float *in = cw_dnn_input(net);
    if (blob) {
        FILE *f = fopen(blob, "rb");
        if (!f || fread(in, sizeof(float), n, f) != n) {
            fprintf(stderr, "bench_dnn: %s: cannot read %zu floats\n", blob, n);
            return 1;
        }
        fclose(f);
    } else {
        uint32_t s = 12345;
        for (size_t i = 0; i < n; i++) {
            s = s * 1664525u + 1013904223u;
            in[i] = (float)(s >> 8) / (float)(1u << 24);
        }
    }
    int64_t *ns = calloc((size_t)runs, sizeof(*ns));
    cw_dnn_forward(net); /* warm */
    for (int r = 0; r < runs; r++) {
        int64_t t0 = cw_clock_mono_ns();
        cw_dnn_forward(net);
        ns[r] = cw_clock_mono_ns() - t0;
    }
    qsort(ns, (size_t)runs, sizeof(*ns), cmp);
    if (out) {
        FILE *f = fopen(out, "wb");
        for (int i = 0; f && i < cw_dnn_output_count(net); i++) {
            int rows, cols;
            const float *o = cw_dnn_output(net, i, &rows, &cols);
            fwrite(o, sizeof(float), (size_t)rows * cols, f);
        }
        if (f)
            fclose(f);
    }
    if (conf >= 0) {
        struct cw_dnn_box boxes[1000];
        int nb = cw_dnn_boxes(net, conf, nms, boxes, 1000);
        for (int i = 0; i < nb; i++)
            printf("{\"box\":[%.6f,%.6f,%.6f,%.6f],\"score\":%.6f,\"class\":%d}\n", boxes[i].x,
                   boxes[i].y, boxes[i].w, boxes[i].h, boxes[i].score, boxes[i].cls);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"median_ms\":%.4f,\"min_ms\":%.4f,\"memory_bytes\":%zu,\"peak_rss_kb\":%ld,"
           "\"gflops\":%.4f,\"layers\":%d,\"threads\":%d}\n",
           ns[runs / 2] / 1e6, ns[0] / 1e6, cw_dnn_memory(net), ru.ru_maxrss,
           cw_dnn_flops(net) / 1e9, cw_dnn_layer_count(net), threads);
    free(ns);
    cw_dnn_free(net);
    return 0;
}
