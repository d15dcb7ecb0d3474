/* crosswatch — `crosswatch run`: many live cameras on one small box, for months.
 *
 * A site file names the store, the evidence folder, the metrics address and the cameras (each an
 * input and a scene file). Per camera, one thread decodes and another analyses (motion detector,
 * tracker, signals, rules), joined by a bounded frame queue; one thread per camera makes evidence;
 * one thread writes events to the store. Queues are bounded, with written drop policies:
 *  - frames: a live camera's decoder never waits — when the analysis falls behind, the oldest
 *    queued frame is dropped and counted; a file's decoder waits instead (nothing is dropped);
 *  - events: up to 256 batches (of 16 events) wait for the store; beyond that a batch is dropped,
 * counted and logged (a store that slow is broken, and the camera must not stall);
 *  - evidence: up to 64 events wait per camera; beyond that an event's evidence stays pending.
 * A camera that drops is reconnected with backoff by its source while the others go on; one that
 * cannot be opened is retried. Health per camera (frames in and out per second, drops,
 * reconnects, the last frame's age) goes to the log and to an HTTP /metrics endpoint in
 * Prometheus text format.
 */
#ifndef CROSSWATCH_RUN_H
#define CROSSWATCH_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "crosswatch/evidence.h"
#include "crosswatch/retention.h"

#define CW_RUN_MAX_CAMERAS 32

struct cw_run_camera_config {
    char *id;    /* the camera's name in events and metrics (default: the scene's camera id) */
    char *input; /* file path or rtsp:// URL (default: the scene's camera.input) */
    char *scene; /* scene file */
    bool loop;   /* files: play again at the end (a stand-in for a live camera) */
    int threads; /* decoder threads */
};

struct cw_run_config {
    char *store;        /* SQLite store path */
    char *evidence_dir; /* evidence root */
    char *metrics;      /* "host:port" for /metrics, or NULL/"" for none */
    double health_s;    /* log each camera's health this often */
    bool evidence;      /* make evidence */
    struct cw_evidence_config evi;
    struct cw_retention_config retention; /* applied every retention_s */
    double retention_s;
    int ncameras;
    struct cw_run_camera_config cameras[CW_RUN_MAX_CAMERAS];
};

/* Reads the site file at @path: relative paths in it are taken from its folder. Logs every
 * problem (naming the field) and returns CW_EINVAL / CW_ENOENT / CW_EFORMAT, or 0. */
int cw_run_config_load(const char *path, struct cw_run_config *out);
void cw_run_config_free(struct cw_run_config *cfg);

struct cw_run;

/* Opens the store, the metrics endpoint and every camera, and starts their threads. A camera
 * whose scene is bad fails the start (logged); one whose input cannot be reached yet is retried
 * in the background. Returns NULL after logging. @cfg is borrowed for the run's life. */
struct cw_run *cw_run_start(const struct cw_run_config *cfg);

/* SIGHUP: every camera re-reads its scene file between two frames; a bad one is logged and the
 * old kept. */
void cw_run_reload(struct cw_run *r);

/* True once every camera has ended (files without loop) or failed for good. */
bool cw_run_done(struct cw_run *r);

/* One retention pass over the evidence (also run every retention_s by `crosswatch run`). */
void cw_run_retention(struct cw_run *r);

/* Logs one line of health per camera. */
void cw_run_log_health(struct cw_run *r);

/* The metrics in Prometheus text format into @buf (capacity @cap); returns the length. */
size_t cw_run_metrics(struct cw_run *r, char *buf, size_t cap);

/* SIGTERM: stops the cameras, writes every queued event, finishes the evidence waiting, closes
 * the store; logs a summary. Then frees @r. Returns 0, or 1 when events were dropped. */
int cw_run_stop(struct cw_run *r);

#endif
