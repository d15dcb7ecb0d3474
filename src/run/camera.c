/* One camera of `crosswatch run`: a decode thread feeding a bounded frame queue, an analysis
 * thread (motion detector, tracker, signals, rules) handing events to the writer, and an evidence
 * thread. See run.h for the queues' policies. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/evidence.h"
#include "crosswatch/log.h"
#include "crosswatch/motion_stage.h"
#include "crosswatch/rules.h"
#include "crosswatch/scene.h"
#include "crosswatch/signals.h"
#include "crosswatch/source.h"
#include "crosswatch/tracker.h"
#include "run/internal.h"

#define MOD           "run"
#define MAX_DETS      512
#define RETRY_FIRST_S 1.0
#define RETRY_MAX_S   30.0
#define EVIDENCE_NICE 10
#define DECODE_NICE   3

struct camera {
    struct cw_run_camera_config cfg;
    const struct cw_run_config *run;
    int index;
    char id[64];
    struct cw_store *store;
    struct writer **writer;

    /* the analysis's own (the scene and what is built on it may be swapped on reload) */
    struct cw_scene *scene;
    struct cw_motion_config mcfg;
    struct cw_signals_config scfg;
    struct cw_tracker_config tcfg;
    struct cw_motion_stage *mot;
    struct cw_tracker *trk;
    struct cw_signals *sig;
    struct cw_rules *rules;
    struct cw_detection dets[MAX_DETS];
    struct cw_track_out outs[MAX_DETS];
    struct cw_event ev[64];
    struct cw_passage pass[256];
    struct batch batch;

    struct cw_source *src;           /* made by the decode thread */
    struct cw_evidence *_Atomic evi; /* made once the source is open */
    pthread_t decode, analysis, evidence;
    bool have_decode, have_analysis, have_evidence;

    pthread_mutex_t lock; /* the frame queue, stats, and the stop flag's waits */
    pthread_cond_t changed;
    struct cw_frame *q[FRAME_QUEUE];
    int qhead, qn;
    bool ended; /* the decoder will push no more */
    atomic_bool stop, reload, evidence_stop;
    struct camera_stats st;
};

static bool live(const struct camera *c)
{
    return cw_input_is_live(c->cfg.input) || c->cfg.loop;
}

/* Waits @s seconds or until stopped; false when stopped. */
static bool pause_for(struct camera *c, double s)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += (time_t)s;
    t.tv_nsec += (long)((s - (double)(time_t)s) * 1e9);
    if (t.tv_nsec >= 1000000000L)
        t.tv_sec++, t.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&c->lock);
    while (!atomic_load(&c->stop) && pthread_cond_timedwait(&c->changed, &c->lock, &t) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&c->lock);
    return !atomic_load(&c->stop);
}

/* Lowers the calling thread's priority to @nice (a thread may always lower its own). */
static void lower_priority(const struct camera *c, int nice, const char *what)
{
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice))
        cw_log_warn(MOD, "camera %s: cannot lower the %s thread's priority: %s", c->cfg.id, what,
                    strerror(errno));
}

static void *evidence_main(void *arg)
{
    struct camera *c = arg;
    struct cw_evidence *ev = atomic_load(&c->evi);
    /* Evidence may take seconds; a camera's frames may not wait tens of milliseconds. Under load
     * this thread yields to decoding and analysis (nice 10: about a tenth of a core's share). */
    lower_priority(c, EVIDENCE_NICE, "evidence");
    while (!atomic_load(&c->evidence_stop)) {
        cw_evidence_run(ev, false);
        struct timespec t = {0, 100 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    cw_evidence_run(ev, true);
    return NULL;
}

static int open_source(struct camera *c)
{
    struct cw_source_config sc;
    cw_options_defaults(cw_source_options, &sc);
    sc.input = c->cfg.input;
    sc.threads = c->cfg.threads;
    sc.loop = c->cfg.loop;
    sc.frames = FRAME_QUEUE + 3;
    sc.reconnects = -1; /* a live camera is retried for as long as the run goes */
    /* the clip's span and the longest wait from a violation's decisive moment to its report
     * (a slow red-light run, a 3 s stay in the motor lane); memory is twice the bit rate times
     * this (14 MB at 4 Mbit/s) */
    sc.ring_seconds = c->run->evidence ? c->run->evi.before_s + c->run->evi.after_s + 6 : 0;
    int err = cw_source_open(&sc, &c->src);
    if (err)
        return err;
    if (c->run->evidence && !atomic_load(&c->evi)) {
        struct cw_evidence *ev =
            cw_evidence_new(&c->run->evi, c->run->evidence_dir, c->src, c->scene, c->store);
        if (!ev)
            return CW_EINVAL;
        atomic_store(&c->evi, ev);
        c->have_evidence = !pthread_create(&c->evidence, NULL, evidence_main, c);
    }
    return 0;
}

static void push_frame(struct camera *c, struct cw_frame *f)
{
    pthread_mutex_lock(&c->lock);
    if (c->st.done) { /* the analysis has stopped: nobody would take it */
        pthread_mutex_unlock(&c->lock);
        cw_frame_unref(&f);
        return;
    }
    if (c->qn == FRAME_QUEUE) {
        if (live(c)) {
            /* the analysis is behind: the oldest frame goes, the camera is never held up */
            cw_frame_unref(&c->q[c->qhead]);
            c->qhead = (c->qhead + 1) % FRAME_QUEUE;
            c->qn--;
            c->st.dropped_queue++;
        } else {
            while (c->qn == FRAME_QUEUE && !atomic_load(&c->stop))
                pthread_cond_wait(&c->changed, &c->lock);
        }
    }
    if (c->qn < FRAME_QUEUE) {
        c->q[(c->qhead + c->qn) % FRAME_QUEUE] = f;
        c->qn++;
        f = NULL;
    }
    c->st.decoded++;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    if (f)
        cw_frame_unref(&f); /* stopped while waiting */
}

static void *decode_main(void *arg)
{
    struct camera *c = arg;
    double wait = RETRY_FIRST_S;
    /* When the machine is short of time, decoding waits rather than the analysis: a late
     * decoder leaves packets waiting (small, and caught up within moments), a late analysis
     * makes the decoder drop decoded pictures from the full queue. */
    lower_priority(c, DECODE_NICE, "decode");
    while (!atomic_load(&c->stop) && !c->src) {
        int err = open_source(c);
        if (!err)
            break;
        if (!cw_input_is_live(c->cfg.input) || err == CW_EINVAL) {
            pthread_mutex_lock(&c->lock);
            c->st.failed = true;
            pthread_mutex_unlock(&c->lock);
            cw_log_error(MOD, "camera %s: given up (see the error above); the others go on", c->id);
            break;
        }
        cw_log_warn(MOD, "camera %s: not reachable; trying again in %.0f s", c->id, wait);
        if (!pause_for(c, wait))
            break;
        wait = wait * 2 > RETRY_MAX_S ? RETRY_MAX_S : wait * 2;
    }
    /* a looped file stands in for a live camera: it is played at its own pace */
    bool pace = c->cfg.loop && !cw_input_is_live(c->cfg.input);
    int64_t start_mono = 0, start_t = 0;
    while (c->src && !atomic_load(&c->stop)) {
        struct cw_frame *f;
        int err = cw_source_read(c->src, &f);
        if (err) {
            if (err != CW_EOF && err != CW_ECANCELED)
                cw_log_error(MOD, "camera %s: input ended: %s", c->id, cw_strerror(err));
            break;
        }
        if (pace) {
            if (!start_mono)
                start_mono = cw_clock_mono_ns(), start_t = f->time_ns;
            int64_t due = start_mono + (f->time_ns - start_t) - cw_clock_mono_ns();
            if (due > 0) {
                struct timespec t = {(time_t)(due / CW_NS_PER_S), (long)(due % CW_NS_PER_S)};
                nanosleep(&t, NULL);
            }
        }
        push_frame(c, f);
    }
    pthread_mutex_lock(&c->lock);
    c->ended = true;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static int build(struct camera *c, struct cw_scene *scene, struct cw_motion_stage **mot,
                 struct cw_signals **sig, struct cw_rules **rules)
{
    *mot = cw_motion_stage_new(&c->mcfg, scene);
    *sig = cw_signals_new(scene, &c->scfg);
    *rules = cw_rules_new(scene, scene->site.id, c->id);
    if (*mot && *sig && *rules)
        return 0;
    cw_motion_stage_free(*mot);
    cw_signals_free(*sig);
    cw_rules_free(*rules);
    return CW_EINVAL;
}

static void reload(struct camera *c)
{
    struct cw_scene *ns;
    struct cw_motion_stage *mot;
    struct cw_signals *sig;
    struct cw_rules *rules;
    if (cw_scene_load(c->cfg.scene, &ns)) {
        cw_log_error(MOD, "camera %s: scene %s not reloaded (see above); keeping the one it had",
                     c->id, c->cfg.scene);
        return;
    }
    if (build(c, ns, &mot, &sig, &rules)) {
        cw_log_error(MOD, "camera %s: scene %s not reloaded; keeping the one it had", c->id,
                     c->cfg.scene);
        cw_scene_free(ns);
        return;
    }
    cw_tracker_set_zones(c->trk, ns);
    cw_tracker_set_pixels(c->trk, &cw_motion_stage_pixels, mot);
    cw_motion_stage_free(c->mot);
    cw_signals_free(c->sig);
    cw_rules_free(c->rules);
    cw_scene_free(c->scene);
    c->scene = ns, c->mot = mot, c->sig = sig, c->rules = rules;
    cw_log_info(MOD, "camera %s: scene reloaded from %s", c->id, c->cfg.scene);
}

static void analyse(struct camera *c, struct cw_frame *f)
{
    double dt = 1 / c->tcfg.fps;
    int nb = cw_motion_stage_run(c->mot, f, dt, c->dets, MAX_DETS);
    int nt = cw_tracker_update(c->trk, c->dets, nb < 0 ? 0 : nb, c->outs, MAX_DETS);
    if (nt < 0)
        nt = 0;
    struct cw_evidence *ev = atomic_load(&c->evi);
    cw_signals_read_frame(c->sig, f, f->time_ns);
    struct cw_rule_input in = {c->outs, nt, c->sig, f->time_ns, f->wall_ns / 1000000, f->index};
    int npass = 0, nev = cw_rules_process(c->rules, &in, c->ev, 64, c->pass, 256, &npass);
    if (nev < 0)
        nev = 0;
    /* after the rules: they say whether this picture may be needed */
    if (ev)
        cw_evidence_observe(ev, f, c->outs, nt, cw_rules_interest(c->rules));
    for (int i = 0; ev && i < nev; i++)
        cw_evidence_name(ev, &c->ev[i]);
    /* to the writer in batches of at most BATCH_EVENTS events and BATCH_PASSAGE passages */
    struct batch *b = &c->batch;
    int64_t now = cw_clock_mono_ns();
    for (int ie = 0, ip = 0; ie < nev || ip < npass;) {
        b->camera = c->index;
        b->nev = nev - ie < BATCH_EVENTS ? nev - ie : BATCH_EVENTS;
        b->npass = npass - ip < BATCH_PASSAGE ? npass - ip : BATCH_PASSAGE;
        memcpy(b->ev, c->ev + ie, sizeof(*b->ev) * (size_t)b->nev);
        memcpy(b->pass, c->pass + ip, sizeof(*b->pass) * (size_t)b->npass);
        b->decided_mono_ns = now;
        cw__writer_push(*c->writer, b);
        ie += b->nev, ip += b->npass;
    }
    pthread_mutex_lock(&c->lock);
    c->st.analysed++;
    c->st.events += nev;
    c->st.last_frame_wall_ms = f->wall_ns / 1000000;
    c->st.last_frame_mono_ns = cw_clock_mono_ns();
    pthread_mutex_unlock(&c->lock);
}

static void *analysis_main(void *arg)
{
    struct camera *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        while (c->qn == 0 && !c->ended && !atomic_load(&c->stop))
            pthread_cond_wait(&c->changed, &c->lock);
        if (c->qn == 0 || atomic_load(&c->stop)) {
            pthread_mutex_unlock(&c->lock);
            break;
        }
        struct cw_frame *f = c->q[c->qhead];
        c->qhead = (c->qhead + 1) % FRAME_QUEUE;
        c->qn--;
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
        if (atomic_exchange(&c->reload, false))
            reload(c);
        if (!c->trk) {
            const struct cw_source_info *info = cw_source_get_info(c->src);
            c->tcfg.fps = info->fps > 0 ? info->fps : 25;
            c->tcfg.interpolate_s = 0;
            if (!(c->trk = cw_tracker_new(&c->tcfg))) {
                cw_frame_unref(&f);
                break;
            }
            cw_tracker_set_zones(c->trk, c->scene);
            cw_tracker_set_pixels(c->trk, &cw_motion_stage_pixels, c->mot);
        }
        analyse(c, f);
        cw_frame_unref(&f);
    }
    pthread_mutex_lock(&c->lock);
    c->st.done = true;
    /* frames left when stopped go back to the pool */
    while (c->qn) {
        cw_frame_unref(&c->q[c->qhead]);
        c->qhead = (c->qhead + 1) % FRAME_QUEUE;
        c->qn--;
    }
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

struct camera *cw__camera_start(const struct cw_run_camera_config *cfg, int index,
                                const struct cw_run_config *run, struct cw_store *store,
                                struct writer **writer)
{
    struct camera *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->cfg = *cfg, c->run = run, c->index = index, c->store = store, c->writer = writer;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->changed, NULL);
    if (cw_scene_load(cfg->scene, &c->scene))
        goto fail;
    snprintf(c->id, sizeof(c->id), "%s",
             cfg->id               ? cfg->id
             : c->scene->camera.id ? c->scene->camera.id
                                   : "camera");
    if (!c->cfg.input)
        c->cfg.input = c->scene->camera.input;
    if (!c->cfg.input || !*c->cfg.input) {
        cw_log_error(MOD,
                     "camera %s: no input: give \"input\" in the site file or camera.input "
                     "in %s",
                     c->id, cfg->scene);
        goto fail;
    }
    cw_options_defaults(cw_motion_options, &c->mcfg);
    cw_options_defaults(cw_signals_options, &c->scfg);
    cw_options_defaults(cw_tracker_options, &c->tcfg);
    c->tcfg.new_score = CW_MOTION_NEW_SCORE; /* as analyze: motion blobs */
    c->tcfg.coast_s = CW_MOTION_COAST_S;
    if (build(c, c->scene, &c->mot, &c->sig, &c->rules))
        goto fail;
    c->st.up = true;
    if (pthread_create(&c->decode, NULL, decode_main, c))
        goto fail;
    c->have_decode = true;
    if (pthread_create(&c->analysis, NULL, analysis_main, c)) {
        cw__camera_cancel(c);
        goto fail;
    }
    c->have_analysis = true;
    return c;
fail:
    cw__camera_join(c);
    cw__camera_free(c);
    return NULL;
}

struct cw_evidence *cw__camera_evidence(struct camera *c)
{
    return atomic_load(&c->evi);
}

const char *cw__camera_id(const struct camera *c)
{
    return c->id;
}

void cw__camera_reload(struct camera *c)
{
    atomic_store(&c->reload, true);
}

void cw__camera_stats(struct camera *c, struct camera_stats *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->st;
    pthread_mutex_unlock(&c->lock);
    if (c->src && !out->failed) {
        struct cw_source_stats ss;
        cw_source_get_stats(c->src, &ss);
        out->reconnects = (int64_t)ss.reconnects;
        out->dropped_decoder = (int64_t)ss.dropped;
        out->damaged = (int64_t)ss.damaged;
    }
    out->up = c->src && !out->failed && !out->done;
}

void cw__camera_cancel(struct camera *c)
{
    atomic_store(&c->stop, true);
    if (c->src)
        cw_source_cancel(c->src);
    pthread_mutex_lock(&c->lock);
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

void cw__camera_join(struct camera *c)
{
    if (c->have_decode)
        pthread_join(c->decode, NULL);
    if (c->have_analysis)
        pthread_join(c->analysis, NULL);
    c->have_decode = c->have_analysis = false;
}

void cw__camera_finish_evidence(struct camera *c)
{
    atomic_store(&c->evidence_stop, true);
    if (c->have_evidence)
        pthread_join(c->evidence, NULL);
    c->have_evidence = false;
}

void cw__camera_free(struct camera *c)
{
    if (!c)
        return;
    cw__camera_finish_evidence(c);
    while (c->qn) { /* frames queued after the analysis ended */
        cw_frame_unref(&c->q[c->qhead]);
        c->qhead = (c->qhead + 1) % FRAME_QUEUE;
        c->qn--;
    }
    cw_evidence_free(atomic_load(&c->evi));
    cw_source_free(c->src);
    cw_motion_stage_free(c->mot);
    cw_tracker_free(c->trk);
    cw_signals_free(c->sig);
    cw_rules_free(c->rules);
    cw_scene_free(c->scene);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->changed);
    free(c);
}
