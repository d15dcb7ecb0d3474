/* The event writer of `crosswatch run`: one thread takes the cameras' batches from a bounded
 * queue, writes each in one transaction, then asks the camera's evidence maker for the evidence
 * (the events have their ids by then). Latency from the analysis's decision to the commit is kept
 * for the last LAT_KEEP events. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/clock.h"
#include "crosswatch/evidence.h"
#include "crosswatch/log.h"
#include "crosswatch/store.h"
#include "run/internal.h"

#define MOD      "run"
#define LAT_KEEP 4096

struct writer {
    struct cw_store *store;
    struct camera *const *cams; /* borrowed from the run */
    int ncameras;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t more;
    struct batch *q; /* ring of WRITER_QUEUE */
    int head, n;
    bool stop;
    struct writer_stats st;
    double lat[LAT_KEEP];
    int nlat;
    int64_t last_drop_log_ns;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct batch *b = malloc(sizeof(*b));
    if (!b)
        return NULL;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (w->n == 0 && !w->stop)
            pthread_cond_wait(&w->more, &w->lock);
        if (w->n == 0 && w->stop) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        *b = w->q[w->head];
        w->head = (w->head + 1) % WRITER_QUEUE;
        w->n--;
        pthread_mutex_unlock(&w->lock);
        int err = cw_store_write(w->store, b->ev, b->nev);
        if (!err)
            err = cw_store_add_passages(w->store, b->pass, b->npass);
        double ms = (cw_clock_mono_ns() - b->decided_mono_ns) / 1e6;
        pthread_mutex_lock(&w->lock);
        w->st.batches++;
        if (err) {
            w->st.errors++;
        } else {
            w->st.events += b->nev;
            for (int i = 0; i < b->nev; i++)
                w->lat[w->nlat++ % LAT_KEEP] = ms;
        }
        pthread_mutex_unlock(&w->lock);
        struct cw_evidence *ev =
            b->camera < w->ncameras ? cw__camera_evidence(w->cams[b->camera]) : NULL;
        for (int i = 0; !err && ev && i < b->nev; i++)
            cw_evidence_request(ev, &b->ev[i]);
    }
    free(b);
    return NULL;
}

struct writer *cw__writer_start(struct cw_store *store, struct camera *const *cams, int ncameras)
{
    struct writer *w = calloc(1, sizeof(*w));
    if (!w || !(w->q = malloc(sizeof(*w->q) * WRITER_QUEUE))) {
        free(w);
        cw_log_error(MOD, "out of memory for the event queue");
        return NULL;
    }
    w->store = store, w->cams = cams, w->ncameras = ncameras;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->more, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w)) {
        cw_log_error(MOD, "cannot start the event writer thread");
        free(w->q);
        free(w);
        return NULL;
    }
    return w;
}

bool cw__writer_push(struct writer *w, const struct batch *b)
{
    bool ok;
    pthread_mutex_lock(&w->lock);
    ok = w->n < WRITER_QUEUE;
    if (ok) {
        w->q[(w->head + w->n) % WRITER_QUEUE] = *b;
        w->n++;
        pthread_cond_signal(&w->more);
    } else {
        w->st.dropped_batches++;
        w->st.dropped_events += b->nev;
    }
    int64_t now = cw_clock_mono_ns();
    bool log = !ok && now - w->last_drop_log_ns > 60 * CW_NS_PER_S;
    if (log)
        w->last_drop_log_ns = now;
    pthread_mutex_unlock(&w->lock);
    if (log)
        cw_log_error(MOD,
                     "the store is not keeping up: %d batches wait; events are being dropped "
                     "(check the store's disk)",
                     WRITER_QUEUE);
    return ok;
}

void cw__writer_stop(struct writer *w, struct writer_stats *final)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    if (final)
        cw__writer_stats(w, final);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->more);
    free(w->q);
    free(w);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void cw__writer_stats(struct writer *w, struct writer_stats *out)
{
    static double tmp[LAT_KEEP];
    static pthread_mutex_t tmp_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&tmp_lock);
    pthread_mutex_lock(&w->lock);
    *out = w->st;
    out->queued = w->n;
    int n = w->nlat < LAT_KEEP ? w->nlat : LAT_KEEP;
    memcpy(tmp, w->lat, sizeof(double) * (size_t)n);
    pthread_mutex_unlock(&w->lock);
    if (n) {
        qsort(tmp, (size_t)n, sizeof(double), cmp_double);
        out->latency_p50_ms = tmp[n / 2];
        out->latency_p99_ms = tmp[(int)(n * 0.99) < n ? (int)(n * 0.99) : n - 1];
        out->latency_max_ms = tmp[n - 1];
    }
    pthread_mutex_unlock(&tmp_lock);
}

void cw__writer_stats_log(const struct writer_stats *s)
{
    cw_log_info(MOD,
                "events: %" PRId64 " written, %" PRId64 " dropped, %" PRId64
                " failed writes; decision to commit p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                s->events, s->dropped_events, s->errors, s->latency_p50_ms, s->latency_p99_ms,
                s->latency_max_ms);
}
