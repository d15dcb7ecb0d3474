/* The event store's figures (issue 6): sustained writes (events/s, batches as a camera's writer
 * thread would commit them) and the dashboard's count per rule per hour over a large store.
 * Usage: bench_store DB [events] [batch]   — DB is created (removed first); default 10,000,000
 * events in batches of 100. Prints one JSON line. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crosswatch/clock.h"
#include "crosswatch/detection.h"
#include "crosswatch/light.h"
#include "crosswatch/store.h"

static const char *const rules[] = {"red_light",  "pedestrian_red", "fail_to_yield", "wrong_way",
                                    "motor_lane", "stop_past_line", "speeding"};

static void count(void *o, const struct cw_hour_count *h)
{
    *(int64_t *)o += h->violations;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_store DB [events] [batch]\n");
        return 2;
    }
    int64_t total = argc > 2 ? atoll(argv[2]) : 10000000;
    int batch = argc > 3 ? atoi(argv[3]) : 100;
    char wal[4096];
    unlink(argv[1]);
    snprintf(wal, sizeof(wal), "%s-wal", argv[1]);
    unlink(wal);
    snprintf(wal, sizeof(wal), "%s-shm", argv[1]);
    unlink(wal);
    struct cw_store_config cfg = {0};
    cw_options_defaults(cw_store_options, &cfg);
    struct cw_store *s = cw_store_open(argv[1], &cfg);
    if (!s)
        return 1;
    struct cw_event *ev = calloc((size_t)batch, sizeof(*ev));
    int64_t t0_ms = 1764374400000, span_ms = 365LL * 24 * 3600 * 1000; /* a year of events */
    uint32_t seed = 1;
    int64_t start = cw_clock_mono_ns(), first_100k_ns = 0;
    for (int64_t done = 0; done < total; done += batch) {
        int n = total - done < batch ? (int)(total - done) : batch;
        for (int i = 0; i < n; i++) {
            struct cw_event *e = &ev[i];
            seed = seed * 1664525u + 1013904223u;
            memset(e, 0, sizeof(*e));
            snprintf(e->site, sizeof(e->site), "site-%u", seed % 20);
            snprintf(e->camera, sizeof(e->camera), "cam-%u", (seed >> 8) % 4);
            snprintf(e->rule, sizeof(e->rule), "%s", rules[(seed >> 12) % 7]);
            e->cls = CW_CLASS_TWO_WHEELER;
            e->track = done + i;
            e->first_ms = t0_ms + (done + i) * (span_ms / total);
            e->last_ms = e->first_ms + 2000;
            e->signal_state = CW_LIGHT_RED;
            e->confidence = 0.9f;
            snprintf(e->evidence, sizeof(e->evidence), "ev/%" PRId64, done + i);
        }
        if (cw_store_write(s, ev, n))
            return 1;
        if (!first_100k_ns && done + n >= 100000)
            first_100k_ns = cw_clock_mono_ns() - start;
    }
    double write_s = (cw_clock_mono_ns() - start) / 1e9;
    /* the dashboard's query: counts per rule per hour over the whole year, median of 9 */
    double ms[9];
    int64_t sum = 0;
    int rows = 0;
    for (int r = 0; r < 9; r++) {
        sum = 0;
        int64_t t = cw_clock_mono_ns();
        rows = cw_store_hourly(s, t0_ms, t0_ms + span_ms + 1, NULL, count, &sum);
        ms[r] = (cw_clock_mono_ns() - t) / 1e6;
    }
    for (int i = 0; i < 9; i++)
        for (int j = i + 1; j < 9; j++)
            if (ms[j] < ms[i]) {
                double x = ms[i];
                ms[i] = ms[j], ms[j] = x;
            }
    printf("{\"events\":%" PRId64 ",\"batch\":%d,\"write_s\":%.2f,\"events_per_s\":%.0f,"
           "\"first_100k_events_per_s\":%.0f,\"hourly_rows\":%d,\"hourly_sum\":%" PRId64
           ",\"hourly_ms\":%.2f}\n",
           total, batch, write_s, total / write_s,
           first_100k_ns ? 100000 / (first_100k_ns / 1e9) : 0.0, rows, sum, ms[4]);
    free(ev);
    cw_store_close(s);
    return sum == total ? 0 : 1;
}
