/* `crosswatch run`: the store, the writer, the cameras and the metrics endpoint together. See
 * run.h. */
#include "crosswatch/run.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/evidence.h"
#include "crosswatch/log.h"
#include "crosswatch/store.h"
#include "run/internal.h"

#define MOD "run"

struct cw_run {
    const struct cw_run_config *cfg;
    struct cw_store *store;
    struct writer *writer;
    struct camera *cams[CW_RUN_MAX_CAMERAS];
    int n;
    struct metrics *metrics;
    /* for frames per second: the counts at the last health line */
    pthread_mutex_t lock;
    int64_t prev_mono_ns, prev_in[CW_RUN_MAX_CAMERAS], prev_out[CW_RUN_MAX_CAMERAS];
    double fps_in[CW_RUN_MAX_CAMERAS], fps_out[CW_RUN_MAX_CAMERAS];
};

static size_t metrics_text(void *opaque, char *buf, size_t cap)
{
    return cw_run_metrics(opaque, buf, cap);
}

struct cw_run *cw_run_start(const struct cw_run_config *cfg)
{
    struct cw_run *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->cfg = cfg;
    pthread_mutex_init(&r->lock, NULL);
    struct cw_store_config sc = {0};
    cw_options_defaults(cw_store_options, &sc);
    if (!(r->store = cw_store_open(cfg->store, &sc)))
        goto fail;
    if (!(r->writer = cw__writer_start(r->store, r->cams, cfg->ncameras)))
        goto fail;
    for (int i = 0; i < cfg->ncameras; i++) {
        if (!(r->cams[i] = cw__camera_start(&cfg->cameras[i], i, cfg, r->store, &r->writer)))
            goto fail;
        r->n++;
    }
    r->prev_mono_ns = cw_clock_mono_ns();
    if (cfg->metrics && *cfg->metrics &&
        !(r->metrics = cw__metrics_start(cfg->metrics, metrics_text, r)))
        goto fail;
    cw_log_info(MOD, "running %d camera%s; events to %s, evidence to %s", r->n,
                r->n == 1 ? "" : "s", cfg->store, cfg->evidence ? cfg->evidence_dir : "(off)");
    return r;
fail:
    cw_run_stop(r);
    return NULL;
}

void cw_run_retention(struct cw_run *r)
{
    struct cw_retention_result res;
    if (r->cfg->evidence)
        cw_retention_run(&r->cfg->retention, r->cfg->evidence_dir, r->store,
                         cw_clock_wall_ns() / 1000000, &res);
}

void cw_run_reload(struct cw_run *r)
{
    for (int i = 0; i < r->n; i++)
        cw__camera_reload(r->cams[i]);
}

bool cw_run_done(struct cw_run *r)
{
    for (int i = 0; i < r->n; i++) {
        struct camera_stats st;
        cw__camera_stats(r->cams[i], &st);
        if (!st.done && !st.failed)
            return false;
    }
    return true;
}

/* Frames per second since the last call, per camera. */
static void update_rates(struct cw_run *r)
{
    int64_t now = cw_clock_mono_ns();
    pthread_mutex_lock(&r->lock);
    double dt = (now - r->prev_mono_ns) / 1e9;
    if (dt >= 0.5) {
        for (int i = 0; i < r->n; i++) {
            struct camera_stats st;
            cw__camera_stats(r->cams[i], &st);
            r->fps_in[i] = (st.decoded - r->prev_in[i]) / dt;
            r->fps_out[i] = (st.analysed - r->prev_out[i]) / dt;
            r->prev_in[i] = st.decoded, r->prev_out[i] = st.analysed;
        }
        r->prev_mono_ns = now;
    }
    pthread_mutex_unlock(&r->lock);
}

void cw_run_log_health(struct cw_run *r)
{
    update_rates(r);
    int64_t now = cw_clock_mono_ns();
    for (int i = 0; i < r->n; i++) {
        struct camera_stats st;
        struct cw_evidence_stats es = {0};
        cw__camera_stats(r->cams[i], &st);
        if (cw__camera_evidence(r->cams[i]))
            cw_evidence_get_stats(cw__camera_evidence(r->cams[i]), &es);
        double age = st.last_frame_mono_ns ? (now - st.last_frame_mono_ns) / 1e9 : -1;
        cw_log_info(
            MOD,
            "camera %s: %s, %.1f frames/s in, %.1f analysed, %" PRId64 " dropped (queue %" PRId64
            ", decoder %" PRId64 "), %" PRId64 " reconnects, last frame %.1f s ago, %" PRId64
            " events, evidence %" PRId64 " done %" PRId64 " failed %d waiting",
            cw__camera_id(r->cams[i]),
            st.failed ? "failed"
            : st.done ? "ended"
            : st.up   ? "up"
                      : "connecting",
            r->fps_in[i], r->fps_out[i], st.dropped_queue + st.dropped_decoder, st.dropped_queue,
            st.dropped_decoder, st.reconnects, age, st.events, es.complete, es.failed, es.waiting);
    }
}

struct text {
    char *buf;
    size_t cap, n;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    if (t->n >= t->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->buf + t->n, t->cap - t->n, fmt, ap);
    va_end(ap);
    t->n = k < 0 ? t->n : t->n + (size_t)k > t->cap ? t->cap : t->n + (size_t)k;
}

enum which {
    M_UP,
    M_DECODED,
    M_ANALYSED,
    M_DROP_QUEUE,
    M_DROP_DECODER,
    M_FPS_IN,
    M_FPS_OUT,
    M_RECONNECTS,
    M_AGE,
    M_EVENTS,
    M_EV_COMPLETE,
    M_EV_FAILED,
    M_EV_WAITING,
    M_PIC_LIVE,
    M_PIC_DECODED,
    M_EV_DELAY,
    M_COUNT
};

static const struct {
    const char *name, *type, *help;
} families[M_COUNT] = {
    {"crosswatch_camera_up", "gauge", "1 while the camera delivers frames"},
    {"crosswatch_frames_decoded_total", "counter", "frames decoded"},
    {"crosswatch_frames_analysed_total", "counter", "frames analysed"},
    {"crosswatch_frames_dropped_queue_total", "counter",
     "frames dropped because the analysis was behind (live cameras)"},
    {"crosswatch_frames_dropped_decoder_total", "counter",
     "pictures dropped because every pooled frame was in use"},
    {"crosswatch_frames_in_per_second", "gauge", "frames decoded per second"},
    {"crosswatch_frames_out_per_second", "gauge", "frames analysed per second"},
    {"crosswatch_reconnects_total", "counter", "reconnections of the camera"},
    {"crosswatch_last_frame_age_seconds", "gauge",
     "time since the last analysed frame (-1: none yet)"},
    {"crosswatch_events_total", "counter", "violations found"},
    {"crosswatch_evidence_complete_total", "counter", "evidence written"},
    {"crosswatch_evidence_failed_total", "counter",
     "evidence that could not be written (disk full, ...)"},
    {"crosswatch_evidence_waiting", "gauge", "events waiting for their clip to end"},
    {"crosswatch_evidence_pictures_live_total", "counter",
     "evidence pictures taken from frames kept live"},
    {"crosswatch_evidence_pictures_decoded_total", "counter",
     "evidence pictures decoded again from the packet ring (not kept live)"},
    {"crosswatch_evidence_delay_max_seconds", "gauge",
     "longest time from a clip's end to its evidence being complete"},
};

static double value(enum which w, const struct camera_stats *s, const struct cw_evidence_stats *e,
                    double in, double out, double age)
{
    switch (w) {
    case M_UP:
        return s->up ? 1 : 0;
    case M_DECODED:
        return (double)s->decoded;
    case M_ANALYSED:
        return (double)s->analysed;
    case M_DROP_QUEUE:
        return (double)s->dropped_queue;
    case M_DROP_DECODER:
        return (double)s->dropped_decoder;
    case M_FPS_IN:
        return in;
    case M_FPS_OUT:
        return out;
    case M_RECONNECTS:
        return (double)s->reconnects;
    case M_AGE:
        return age;
    case M_EVENTS:
        return (double)s->events;
    case M_EV_COMPLETE:
        return (double)e->complete;
    case M_EV_FAILED:
        return (double)e->failed;
    case M_EV_WAITING:
        return (double)e->waiting;
    case M_PIC_LIVE:
        return (double)e->pictures_live;
    case M_PIC_DECODED:
        return (double)e->pictures_decoded;
    case M_EV_DELAY:
        return e->delay_max_s;
    default:
        return 0;
    }
}

size_t cw_run_metrics(struct cw_run *r, char *buf, size_t cap)
{
    struct text t = {buf, cap, 0};
    struct writer_stats ws;
    struct camera_stats st[CW_RUN_MAX_CAMERAS];
    struct cw_evidence_stats es[CW_RUN_MAX_CAMERAS];
    int64_t now = cw_clock_mono_ns();
    update_rates(r);
    for (int i = 0; i < r->n; i++) {
        cw__camera_stats(r->cams[i], &st[i]);
        memset(&es[i], 0, sizeof(es[i]));
        if (cw__camera_evidence(r->cams[i]))
            cw_evidence_get_stats(cw__camera_evidence(r->cams[i]), &es[i]);
    }
    for (int w = 0; w < M_COUNT; w++) {
        put(&t, "# HELP %s %s\n# TYPE %s %s\n", families[w].name, families[w].help,
            families[w].name, families[w].type);
        for (int i = 0; i < r->n; i++) {
            double age = st[i].last_frame_mono_ns ? (now - st[i].last_frame_mono_ns) / 1e9 : -1;
            put(&t, "%s{camera=\"%s\"} %.10g\n", families[w].name, cw__camera_id(r->cams[i]),
                value((enum which)w, &st[i], &es[i], r->fps_in[i], r->fps_out[i], age));
        }
    }
    cw__writer_stats(r->writer, &ws);
    put(&t,
        "# HELP crosswatch_events_written_total events committed to the store\n"
        "# TYPE crosswatch_events_written_total counter\ncrosswatch_events_written_total %" PRId64
        "\n# HELP crosswatch_events_dropped_total events dropped because the store fell behind\n"
        "# TYPE crosswatch_events_dropped_total counter\ncrosswatch_events_dropped_total %" PRId64
        "\n# HELP crosswatch_store_errors_total failed store writes\n"
        "# TYPE crosswatch_store_errors_total counter\ncrosswatch_store_errors_total %" PRId64
        "\n# HELP crosswatch_event_latency_seconds decision to commit, recent events\n"
        "# TYPE crosswatch_event_latency_seconds summary\n"
        "crosswatch_event_latency_seconds{quantile=\"0.5\"} %.6f\n"
        "crosswatch_event_latency_seconds{quantile=\"0.99\"} %.6f\n",
        ws.events, ws.dropped_events, ws.errors, ws.latency_p50_ms / 1e3, ws.latency_p99_ms / 1e3);
    return t.n;
}

int cw_run_stop(struct cw_run *r)
{
    if (!r)
        return 0;
    int ret = 0;
    cw__metrics_stop(r->metrics);
    for (int i = 0; i < r->n; i++)
        cw__camera_cancel(r->cams[i]);
    for (int i = 0; i < r->n; i++)
        cw__camera_join(r->cams[i]);
    if (r->writer) {
        struct writer_stats ws;
        cw__writer_stop(r->writer, &ws); /* writes what is queued and asks for its evidence */
        r->writer = NULL;
        cw__writer_stats_log(&ws);
        ret = ws.dropped_events || ws.errors ? 1 : 0;
    }
    for (int i = 0; i < r->n; i++)
        cw__camera_finish_evidence(r->cams[i]);
    if (r->n)
        cw_run_log_health(r);
    for (int i = 0; i < r->n; i++)
        cw__camera_free(r->cams[i]);
    cw_store_close(r->store);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return ret;
}
