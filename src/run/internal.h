/* Internal: the parts of `crosswatch run` — cameras (camera.c), the event writer (writer.c), the
 * metrics endpoint (metrics.c) — and the run that holds them (run.c). */
#ifndef CW_RUN_INTERNAL_H
#define CW_RUN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "crosswatch/event.h"
#include "crosswatch/frame.h"
#include "crosswatch/run.h"

struct cw_store;
struct cw_evidence;

/* ---- the event writer: batches from the cameras into the store, then evidence requests ---- */

/* The queue is touched all round as it turns, so its size is memory held: 256 batches of 16
 * events and 32 passages are 3.3 MB. A frame with more is queued as several batches. */
#define WRITER_QUEUE  256
#define BATCH_EVENTS  16
#define BATCH_PASSAGE 32

struct batch {
    int camera;
    int nev, npass;
    int64_t decided_mono_ns; /* when the analysis decided (for the latency figure) */
    struct cw_event ev[BATCH_EVENTS];
    struct cw_passage pass[BATCH_PASSAGE];
};

struct writer;

struct camera;
/* @cams (ncameras, borrowed): whose evidence makers get the written events. */
struct writer *cw__writer_start(struct cw_store *store, struct camera *const *cams, int ncameras);
/* Queues a copy of @b; false (counted, logged once a minute) when the queue is full. */
bool cw__writer_push(struct writer *w, const struct batch *b);
/* Writes what is queued, then stops the thread and frees @w; @final (may be NULL) gets the
 * figures at the end. */
struct writer_stats;
void cw__writer_stop(struct writer *w, struct writer_stats *final);

struct writer_stats {
    int64_t batches, events, dropped_batches, dropped_events, errors;
    int queued;
    double latency_p50_ms, latency_p99_ms, latency_max_ms; /* decision → committed */
};
void cw__writer_stats(struct writer *w, struct writer_stats *out);
void cw__writer_stats_log(const struct writer_stats *s);

/* ---- a camera: decode thread, analysis thread, evidence thread ---- */

#define FRAME_QUEUE 4 /* frames between decode and analysis: each one pins a decoded picture */

struct camera_stats {
    int64_t decoded, analysed, dropped_queue, dropped_decoder, reconnects, damaged, events,
        last_frame_wall_ms, last_frame_mono_ns;
    bool up, done, failed;
};

struct camera;

/* Loads the scene and starts the camera's threads (its input is opened by the decode thread,
 * retried until it opens or the run stops). Returns NULL after logging when the scene is bad. */
struct camera *cw__camera_start(const struct cw_run_camera_config *cfg, int index,
                                const struct cw_run_config *run, struct cw_store *store,
                                struct writer **writer);
/* The camera's evidence maker, once its input is open (NULL before, or with evidence off). */
struct cw_evidence *cw__camera_evidence(struct camera *c);
const char *cw__camera_id(const struct camera *c);
void cw__camera_reload(struct camera *c);
void cw__camera_stats(struct camera *c, struct camera_stats *out);
/* Asks the threads to stop (non-blocking). */
void cw__camera_cancel(struct camera *c);
/* Waits for decode and analysis to end. */
void cw__camera_join(struct camera *c);
/* Then (after the writer has written the last events): makes the evidence still waiting and
 * stops the evidence thread. */
void cw__camera_finish_evidence(struct camera *c);
void cw__camera_free(struct camera *c);

/* ---- the metrics endpoint ---- */

struct metrics;
typedef size_t (*metrics_fn)(void *opaque, char *buf, size_t cap);
/* Serves GET /metrics on @addr ("host:port") with the text @fn writes. NULL after logging. */
struct metrics *cw__metrics_start(const char *addr, metrics_fn fn, void *opaque);
void cw__metrics_stop(struct metrics *m);

#endif
