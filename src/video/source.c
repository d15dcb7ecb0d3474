/* The input stage: demux, keep compressed history, decode into pooled frames with the grey
 * analysis image, stamp times, and survive bad data and dropped cameras. */
#include "crosswatch/source.h"

#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/resample.h"
#include "video/av.h"

#define MOD "source"

static const char *const transports[] = {"tcp", "udp", NULL};

#define OFS(field) offsetof(struct cw_source_config, field)
const struct cw_option cw_source_options[] = {
    {"input",
     CW_OPT_STRING,
     OFS(input),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "video file path or camera URL (rtsp://user:pass@host:554/path)"},
    {"analysis_width",
     CW_OPT_INT,
     OFS(analysis_width),
     {.i = 640},
     0,
     4096,
     NULL,
     "px",
     "width of the grey analysis image; 0 follows analysis_height"},
    {"analysis_height",
     CW_OPT_INT,
     OFS(analysis_height),
     {.i = 0},
     0,
     4096,
     NULL,
     "px",
     "height of the grey analysis image; 0 keeps the aspect ratio"},
    {"threads",
     CW_OPT_INT,
     OFS(threads),
     {.i = 1},
     0,
     64,
     NULL,
     NULL,
     "decoder threads; 0 lets FFmpeg choose"},
    {"frames",
     CW_OPT_INT,
     OFS(frames),
     {.i = 8},
     2,
     256,
     NULL,
     NULL,
     "decoded frames in the pool (what downstream stages may hold at once)"},
    {"ring_seconds",
     CW_OPT_DOUBLE,
     OFS(ring_seconds),
     {.d = 10},
     0,
     600,
     NULL,
     "s",
     "compressed video kept for evidence clips; 0 keeps none"},
    {"ring_mb",
     CW_OPT_INT,
     OFS(ring_mb),
     {.i = 0},
     0,
     4096,
     NULL,
     "MiB",
     "memory for the packet ring; 0 sizes it from the stream's bit rate"},
    {"timeout_s",
     CW_OPT_DOUBLE,
     OFS(timeout_s),
     {.d = 5},
     0.1,
     300,
     NULL,
     "s",
     "network timeout for opening and reading a camera"},
    {"reconnects",
     CW_OPT_INT,
     OFS(reconnects),
     {.i = -1},
     -1,
     1000000,
     NULL,
     NULL,
     "reconnect attempts for a camera that drops before giving up; -1 forever"},
    {"backoff_s",
     CW_OPT_DOUBLE,
     OFS(backoff_s),
     {.d = 0.5},
     0.01,
     60,
     NULL,
     "s",
     "first wait before reconnecting; doubles on each failed attempt"},
    {"backoff_max_s",
     CW_OPT_DOUBLE,
     OFS(backoff_max_s),
     {.d = 30},
     0.01,
     3600,
     NULL,
     "s",
     "longest wait between reconnect attempts"},
    {"transport", CW_OPT_ENUM, OFS(transport), {.i = 0}, 0, 0, transports, NULL, "RTSP transport"},
    {"loop",
     CW_OPT_BOOL,
     OFS(loop),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "play a file again from the start when it ends"},
    {"start_time",
     CW_OPT_DOUBLE,
     OFS(start_time),
     {.d = 0},
     0,
     4e9,
     NULL,
     "s",
     "files: Unix time of the first frame; 0 uses the file's creation_time or the open time"},
    {NULL},
};

#define STEADY_MAX_STEP_NS (10 * CW_NS_PER_S) /* a longer step is a clock jump, not time */

struct cw_source {
    struct cw_source_config cfg; /* input is our own copy */
    struct cw_source_info info;
    bool live;

    struct cw__av_interrupt irq;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    int stream;
    AVRational tb;
    int64_t start_pts; /* stream start in time-base units */
    AVPacket *pkt;
    AVFrame *avf;
    bool draining; /* end of input sent to the decoder */

    /* picture path, rebuilt when the decoded size or format changes */
    struct cw_frame_pool *pool;
    struct cw_resampler *rs;
    struct SwsContext *sws;
    int pic_w, pic_h, pic_fmt;

    struct cw_packet_ring *ring;
    AVCodecParameters *par; /* the stream's parameters, for clips cut on other threads (lock) */
    struct cw_wall_anchor anchor;
    int64_t file_wall0_ns;  /* files: wall time at stream time 0 */
    int64_t loop_offset_ns; /* files played again: stream time added per pass */
    int64_t last_pts_ns, frame_dur_ns;
    int64_t last_time_ns; /* steady clock (cw_frame.time_ns) of the last frame */
    int64_t next_index;
    int64_t last_error_warn_ns; /* rate limit for skipped-data warnings */
    int64_t last_drop_warn_ns;
    int64_t last_jump_warn_ns;

    pthread_mutex_t lock; /* stats, and the backoff wait */
    pthread_cond_t wake;
    struct cw_source_stats stats;
};

int cw__source_codecpar(struct cw_source *src, AVCodecParameters *out)
{
    pthread_mutex_lock(&src->lock);
    int err = !src->par ? CW_EINVAL : avcodec_parameters_copy(out, src->par) < 0 ? CW_ENOMEM : 0;
    pthread_mutex_unlock(&src->lock);
    return err;
}

bool cw_input_is_live(const char *input)
{
    static const char *const schemes[] = {"rtsp://", "rtsps://", "rtmp://", "http://", "https://",
                                          "udp://",  "rtp://",   "srt://",  "tcp://",  NULL};
    for (const char *const *s = schemes; *s; s++)
        if (strncmp(input, *s, strlen(*s)) == 0)
            return true;
    return false;
}

static const char *name_of(const struct cw_source *src, char *buf, size_t size)
{
    return cw__redact(src->cfg.input, buf, size);
}

static int64_t to_ns(const struct cw_source *src, int64_t ts)
{
    return av_rescale_q(ts - src->start_pts, src->tb, (AVRational){1, 1000000000});
}

/* ---- pooled pictures ---- */

static void *slot_new(void *opaque)
{
    (void)opaque;
    return av_frame_alloc();
}

static void slot_reset(void *slot)
{
    av_frame_unref(slot);
}

static void slot_free(void *slot)
{
    AVFrame *f = slot;
    av_frame_free(&f);
}

static bool borrowable(int pix_fmt)
{
    return pix_fmt == AV_PIX_FMT_YUV420P || pix_fmt == AV_PIX_FMT_YUVJ420P;
}

/* (Re)builds the pool, resampler and converter for pictures of this size and format. */
static int setup_pictures(struct cw_source *src, const AVFrame *f)
{
    char name[512];
    int aw, ah;
    struct cw_frame_pool_config pc = {0};

    if (src->pool && f->width == src->pic_w && f->height == src->pic_h && f->format == src->pic_fmt)
        return 0;
    if (src->pool)
        cw_log_warn(MOD, "input '%s': picture changed from %dx%d %s to %dx%d %s",
                    name_of(src, name, sizeof(name)), src->pic_w, src->pic_h,
                    av_get_pix_fmt_name(src->pic_fmt), f->width, f->height,
                    av_get_pix_fmt_name(f->format));
    cw_frame_pool_free(src->pool);
    src->pool = NULL;
    cw_resampler_free(src->rs);
    src->rs = NULL;
    sws_freeContext(src->sws);
    src->sws = NULL;

    cw_analysis_size(f->width, f->height, src->cfg.analysis_width, src->cfg.analysis_height, &aw,
                     &ah);
    pc.count = (unsigned)src->cfg.frames;
    pc.width = f->width;
    pc.height = f->height;
    pc.grey_width = aw;
    pc.grey_height = ah;
    if (borrowable(f->format)) {
        pc.slot_new = slot_new;
        pc.slot_reset = slot_reset;
        pc.slot_free = slot_free;
    } else {
        pc.own_planes = true;
        src->sws = sws_getContext(f->width, f->height, f->format, f->width, f->height,
                                  AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
        if (!src->sws) {
            cw_log_error(MOD, "input '%s': cannot convert pixel format %s",
                         name_of(src, name, sizeof(name)), av_get_pix_fmt_name(f->format));
            return CW_EUNSUPPORTED;
        }
    }
    src->pool = cw_frame_pool_new(&pc);
    src->rs = cw_resampler_new(f->width, f->height, aw, ah);
    if (!src->pool || !src->rs)
        return CW_ENOMEM;
    src->pic_w = f->width;
    src->pic_h = f->height;
    src->pic_fmt = f->format;
    /* pictures converted by swscale come out in TV range */
    src->info.full_range = borrowable(f->format) &&
                           (f->format == AV_PIX_FMT_YUVJ420P || f->color_range == AVCOL_RANGE_JPEG);
    src->info.width = f->width;
    src->info.height = f->height;
    src->info.analysis_width = aw;
    src->info.analysis_height = ah;
    return 0;
}

static void warn_limited(struct cw_source *src, int64_t *last, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warn_limited(struct cw_source *src, int64_t *last, const char *fmt, ...)
{
    /* One line per second at most: a damaged stream must not flood the log. */
    char msg[512];
    int64_t now = cw_clock_mono_ns();
    va_list ap;
    (void)src;
    if (*last && now - *last < CW_NS_PER_S)
        return;
    *last = now;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cw_log_warn(MOD, "%s", msg);
}

/* Wraps the decoded picture in src->avf into a pooled frame. Returns 0 with *out set, 0 with
 * *out NULL when the picture was dropped, or an error. */
static int make_frame(struct cw_source *src, struct cw_frame **out)
{
    AVFrame *avf = src->avf;
    struct cw_frame *f;
    char name[512];
    int64_t pts, pts_ns, wall_now;
    bool jumped;
    int err;

    *out = NULL;
    err = setup_pictures(src, avf);
    if (err)
        return err;
    f = cw_frame_pool_get(src->pool);
    if (!f) {
        pthread_mutex_lock(&src->lock);
        src->stats.dropped++;
        pthread_mutex_unlock(&src->lock);
        warn_limited(src, &src->last_drop_warn_ns,
                     "input '%s': all %d pooled frames are held downstream; dropping pictures "
                     "(raise frames, or find the slow stage)",
                     name_of(src, name, sizeof(name)), src->cfg.frames);
        av_frame_unref(avf);
        return 0;
    }
    f->keyframe = avf->key_frame != 0;
    if (avf->decode_error_flags || (avf->flags & AV_FRAME_FLAG_CORRUPT)) {
        pthread_mutex_lock(&src->lock);
        src->stats.damaged++;
        pthread_mutex_unlock(&src->lock);
        warn_limited(src, &src->last_error_warn_ns,
                     "input '%s': damaged picture near %.2f s (decoding errors concealed)",
                     name_of(src, name, sizeof(name)), (double)src->last_pts_ns / 1e9);
    }
    pts = avf->best_effort_timestamp;
    if (pts != AV_NOPTS_VALUE) {
        pts_ns = to_ns(src, pts) + src->loop_offset_ns;
    } else {
        /* No timestamps at all: count frames at the nominal rate. */
        pts_ns = src->last_pts_ns + src->frame_dur_ns;
    }
    /* The steady clock follows the stream's steps but never runs back or leaps: rules time red
     * lights and stays with it, and a spliced file or a camera's clock reset must not undo that. */
    int64_t step = pts_ns - src->last_pts_ns;
    if (src->next_index == 0)
        f->time_ns = pts_ns;
    else if (step <= 0 || step > STEADY_MAX_STEP_NS)
        f->time_ns = src->last_time_ns + (src->frame_dur_ns > 0 ? src->frame_dur_ns : 1);
    else
        f->time_ns = src->last_time_ns + step;
    src->last_time_ns = f->time_ns;
    if (avf->pkt_duration > 0)
        src->frame_dur_ns = av_rescale_q(avf->pkt_duration, src->tb, (AVRational){1, 1000000000});
    src->last_pts_ns = pts_ns;
    f->pts_ns = pts_ns;
    f->index = src->next_index++;

    if (borrowable(avf->format)) {
        AVFrame *held = cw_frame_slot(f);
        av_frame_move_ref(held, avf);
        for (int p = 0; p < 3; p++) {
            f->plane[p] = held->data[p];
            f->stride[p] = held->linesize[p];
        }
    } else {
        sws_scale(src->sws, (const uint8_t *const *)avf->data, avf->linesize, 0, avf->height,
                  f->plane, f->stride);
        av_frame_unref(avf);
    }
    cw_resampler_run(src->rs, f->plane[0], f->stride[0], &f->grey);

    f->mono_ns = cw_clock_mono_ns();
    if (src->live) {
        wall_now = cw_clock_wall_ns();
        f->wall_ns = cw_wall_anchor_map(&src->anchor, pts_ns, wall_now, &jumped);
        /* A camera clock that drifts or jumps back is pulled to ours. */
        if (!jumped && llabs(f->wall_ns - wall_now) > 2 * CW_NS_PER_S) {
            src->anchor.set = false;
            f->wall_ns = cw_wall_anchor_map(&src->anchor, pts_ns, wall_now, NULL);
            src->anchor.jumps++;
            jumped = true;
        }
    } else {
        f->wall_ns = cw_wall_anchor_map(&src->anchor, pts_ns, src->file_wall0_ns + pts_ns, &jumped);
    }
    /* An RTSP stream's clock settles once the first sender report arrives: re-anchor quietly
     * during the first second. */
    if (jumped && !(src->live && f->index < 25))
        warn_limited(src, &src->last_jump_warn_ns,
                     "input '%s': stream clock jumped by %+.1f s at frame %lld; wall time "
                     "re-anchored, the analysis clock goes on one frame later",
                     name_of(src, name, sizeof(name)), (double)step / 1e9, (long long)f->index);

    pthread_mutex_lock(&src->lock);
    src->stats.frames++;
    src->stats.clock_jumps = src->anchor.jumps;
    src->stats.last_frame_mono_ns = f->mono_ns;
    pthread_mutex_unlock(&src->lock);
    *out = f;
    return 0;
}

/* ---- opening and reopening ---- */

static void close_input(struct cw_source *src)
{
    avformat_close_input(&src->fmt);
}

/* True when a reopened stream can keep the decoder it had: same codec, size and headers. */
static bool same_codec(const AVCodecContext *dec, const AVCodecParameters *par)
{
    return dec->codec_id == par->codec_id && dec->width == par->width &&
           dec->height == par->height && dec->extradata_size == par->extradata_size &&
           (!par->extradata_size ||
            memcmp(dec->extradata, par->extradata, (size_t)par->extradata_size) == 0);
}

static int open_input(struct cw_source *src, int level)
{
    AVStream *st;
    int idx, err;

    err = cw__av_open_input(level, MOD, src->cfg.input, src->cfg.timeout_s, src->cfg.transport,
                            &src->irq, &src->fmt);
    if (err)
        return err;
    idx = cw__av_find_video(MOD, src->cfg.input, src->fmt);
    if (idx < 0) {
        close_input(src);
        return idx;
    }
    st = src->fmt->streams[idx];
    pthread_mutex_lock(&src->lock);
    if (!src->par)
        src->par = avcodec_parameters_alloc();
    err = src->par && avcodec_parameters_copy(src->par, st->codecpar) >= 0 ? 0 : CW_ENOMEM;
    pthread_mutex_unlock(&src->lock);
    if (err) {
        close_input(src);
        return err;
    }
    for (unsigned i = 0; i < src->fmt->nb_streams; i++)
        src->fmt->streams[i]->discard = (int)i == idx ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    src->stream = idx;
    src->tb = st->time_base;
    src->start_pts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    src->info.codec = avcodec_get_name(st->codecpar->codec_id);
    src->info.width = st->codecpar->width;
    src->info.height = st->codecpar->height;
    src->info.fps = st->avg_frame_rate.den && st->avg_frame_rate.num
                        ? av_q2d(st->avg_frame_rate)
                        : (st->r_frame_rate.den ? av_q2d(st->r_frame_rate) : 0);
    src->info.bit_rate = st->codecpar->bit_rate ? st->codecpar->bit_rate : src->fmt->bit_rate;
    src->info.duration_s =
        !src->live && src->fmt->duration > 0 ? (double)src->fmt->duration / AV_TIME_BASE : 0;
    if (src->info.fps > 0 && !src->frame_dur_ns)
        src->frame_dur_ns = (int64_t)(1e9 / src->info.fps);
    if (!src->frame_dur_ns)
        src->frame_dur_ns = 40 * CW_NS_PER_MS;

    if (src->dec && same_codec(src->dec, st->codecpar)) {
        avcodec_flush_buffers(src->dec);
    } else {
        avcodec_free_context(&src->dec);
        err = cw__av_open_decoder(MOD, src->cfg.input, st, src->cfg.threads, &src->dec);
        if (err) {
            close_input(src);
            return err;
        }
    }
    src->draining = false;
    return 0;
}

static int make_ring(struct cw_source *src)
{
    struct cw_packet_ring_config rc;
    double rate = src->info.bit_rate > 0 ? (double)src->info.bit_rate : 8e6;
    double fps = src->info.fps > 0 ? src->info.fps : 30;

    if (src->cfg.ring_seconds <= 0)
        return 0;
    rc.seconds = src->cfg.ring_seconds;
    if (src->cfg.ring_mb > 0) {
        rc.max_bytes = (size_t)src->cfg.ring_mb << 20;
    } else {
        /* Twice the nominal rate: keyframes and busy scenes run well above the average. */
        double bytes = 2.0 * rate / 8.0 * src->cfg.ring_seconds;
        if (bytes < (1 << 20))
            bytes = 1 << 20;
        if (bytes > 256.0 * (1 << 20))
            bytes = 256.0 * (1 << 20);
        rc.max_bytes = (size_t)bytes;
    }
    rc.max_packets = (unsigned)(2.0 * fps * src->cfg.ring_seconds) + 64;
    src->ring = cw_packet_ring_new(&rc);
    return src->ring ? 0 : CW_ENOMEM;
}

static int64_t file_start_wall(const struct cw_source *src)
{
    const AVDictionaryEntry *e;
    if (src->cfg.start_time > 0)
        return (int64_t)(src->cfg.start_time * 1e9);
    e = av_dict_get(src->fmt->metadata, "creation_time", NULL, 0);
    if (e) {
        struct tm tm = {0};
        const char *rest = strptime(e->value, "%Y-%m-%dT%H:%M:%S", &tm);
        if (rest) {
            time_t t = timegm(&tm);
            if (t > 0)
                return (int64_t)t * CW_NS_PER_S;
        }
    }
    return cw_clock_wall_ns();
}

int cw_source_open(const struct cw_source_config *cfg, struct cw_source **out)
{
    struct cw_source *src;
    int err;

    *out = NULL;
    if (!cfg->input || !*cfg->input) {
        cw_log_error(MOD, "no input given; name a video file or a camera URL");
        return CW_EINVAL;
    }
    src = calloc(1, sizeof(*src));
    if (!src) {
        cw_log_error(MOD, "out of memory");
        return CW_ENOMEM;
    }
    src->cfg = *cfg;
    src->cfg.input = strdup(cfg->input);
    pthread_mutex_init(&src->lock, NULL);
    {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&src->wake, &ca);
        pthread_condattr_destroy(&ca);
    }
    src->pkt = av_packet_alloc();
    src->avf = av_frame_alloc();
    if (!src->cfg.input || !src->pkt || !src->avf) {
        cw_log_error(MOD, "out of memory");
        err = CW_ENOMEM;
        goto out_free;
    }
    src->live = cw_input_is_live(cfg->input);
    src->info.live = src->live;
    err = open_input(src, CW_LOG_ERROR);
    if (err)
        goto out_free;
    err = make_ring(src);
    if (err)
        goto out_free;
    if (!src->live)
        src->file_wall0_ns = file_start_wall(src);
    *out = src;
    return 0;

out_free:
    cw_source_free(src);
    return err;
}

void cw_source_free(struct cw_source *src)
{
    if (!src)
        return;
    close_input(src);
    avcodec_free_context(&src->dec);
    av_packet_free(&src->pkt);
    av_frame_free(&src->avf);
    cw_frame_pool_free(src->pool);
    cw_resampler_free(src->rs);
    sws_freeContext(src->sws);
    cw_packet_ring_free(src->ring);
    avcodec_parameters_free(&src->par);
    pthread_cond_destroy(&src->wake);
    pthread_mutex_destroy(&src->lock);
    free(src->cfg.input);
    free(src);
}

void cw_source_cancel(struct cw_source *src)
{
    pthread_mutex_lock(&src->lock);
    atomic_store(&src->irq.cancel, true);
    pthread_cond_broadcast(&src->wake);
    pthread_mutex_unlock(&src->lock);
}

const struct cw_source_info *cw_source_get_info(const struct cw_source *src)
{
    return &src->info;
}

void cw_source_get_stats(const struct cw_source *src, struct cw_source_stats *out)
{
    pthread_mutex_lock((pthread_mutex_t *)&src->lock);
    *out = src->stats;
    pthread_mutex_unlock((pthread_mutex_t *)&src->lock);
}

struct cw_packet_ring *cw_source_ring(struct cw_source *src)
{
    return src->ring;
}

/* Waits @seconds unless cancelled first; returns false when cancelled. */
static bool backoff_wait(struct cw_source *src, double seconds)
{
    struct timespec ts;
    int64_t until = cw_clock_mono_ns() + (int64_t)(seconds * 1e9);
    bool cancelled;
    ts.tv_sec = (time_t)(until / CW_NS_PER_S);
    ts.tv_nsec = (long)(until % CW_NS_PER_S);
    pthread_mutex_lock(&src->lock);
    while (!atomic_load(&src->irq.cancel) &&
           pthread_cond_timedwait(&src->wake, &src->lock, &ts) == 0)
        ;
    cancelled = atomic_load(&src->irq.cancel);
    pthread_mutex_unlock(&src->lock);
    return !cancelled;
}

/* A live source failed or ended: reopen it with backoff. */
static int reconnect(struct cw_source *src, int averr)
{
    char name[512];
    double wait = src->cfg.backoff_s;
    int attempt = 0;

    name_of(src, name, sizeof(name));
    if (averr == AVERROR_EOF)
        cw_log_warn(MOD, "input '%s': stream ended; reconnecting", name);
    else
        cw__av_report(CW_LOG_WARN, MOD, src->cfg.input, "stream lost", averr, &src->irq);
    close_input(src);
    if (src->ring)
        cw_packet_ring_clear(src->ring);
    for (;;) {
        if (src->cfg.reconnects >= 0 && attempt >= src->cfg.reconnects) {
            cw_log_error(MOD,
                         "input '%s': gave up after %d reconnect attempts; check the camera "
                         "and the network",
                         name, attempt);
            return CW_ECONNECT;
        }
        attempt++;
        cw_log_warn(MOD, "input '%s': reconnect attempt %d in %.1f s", name, attempt, wait);
        if (!backoff_wait(src, wait))
            return CW_ECANCELED;
        if (open_input(src, CW_LOG_WARN) == 0)
            break;
        if (atomic_load(&src->irq.cancel))
            return CW_ECANCELED;
        wait *= 2;
        if (wait > src->cfg.backoff_max_s)
            wait = src->cfg.backoff_max_s;
    }
    /* The stream starts its clock again: continue where the frames left off. */
    src->loop_offset_ns = src->last_pts_ns + src->frame_dur_ns;
    pthread_mutex_lock(&src->lock);
    src->stats.reconnects++;
    pthread_mutex_unlock(&src->lock);
    cw_log_info(MOD, "input '%s': reconnected after %d attempt%s", name, attempt,
                attempt == 1 ? "" : "s");
    return 0;
}

/* A file ended: play it again or report the end. */
static int restart_file(struct cw_source *src)
{
    char name[512];
    int ret;
    if (!src->cfg.loop)
        return CW_EOF;
    ret = avformat_seek_file(src->fmt, src->stream, INT64_MIN, src->start_pts, src->start_pts, 0);
    if (ret < 0) {
        cw__av_report(CW_LOG_ERROR, MOD, src->cfg.input, "cannot seek back to the start", ret,
                      NULL);
        return CW_EIO;
    }
    avcodec_flush_buffers(src->dec);
    src->draining = false;
    src->loop_offset_ns = src->last_pts_ns + src->frame_dur_ns;
    cw_log_debug(MOD, "input '%s': looping", name_of(src, name, sizeof(name)));
    return 0;
}

/* Reads one packet of the video stream and sends it to the decoder. */
static int feed_decoder(struct cw_source *src)
{
    AVPacket *pkt = src->pkt;
    char name[512];
    int ret;

    if (src->live)
        cw__av_arm(&src->irq, src->cfg.timeout_s);
    ret = av_read_frame(src->fmt, pkt);
    if (ret < 0) {
        if (atomic_load(&src->irq.cancel))
            return CW_ECANCELED;
        if (src->live)
            return reconnect(src, ret);
        if (ret != AVERROR_EOF)
            cw__av_report(CW_LOG_WARN, MOD, src->cfg.input,
                          "read error; treating it as the end of the file", ret, NULL);
        /* Flush the decoder so the last pictures still come out. */
        avcodec_send_packet(src->dec, NULL);
        src->draining = true;
        return 0;
    }
    if (pkt->stream_index != src->stream) {
        av_packet_unref(pkt);
        return 0;
    }
    pthread_mutex_lock(&src->lock);
    src->stats.packets++;
    pthread_mutex_unlock(&src->lock);
    if (src->ring && pkt->size > 0) {
        struct cw_packet_info info = {
            .pts_ns = pkt->pts != AV_NOPTS_VALUE ? to_ns(src, pkt->pts) + src->loop_offset_ns
                                                 : src->last_pts_ns,
            .dts_ns =
                pkt->dts != AV_NOPTS_VALUE ? to_ns(src, pkt->dts) + src->loop_offset_ns : INT64_MIN,
            .duration_ns = av_rescale_q(pkt->duration, src->tb, (AVRational){1, 1000000000}),
            .size = (uint32_t)pkt->size,
            .keyframe = (pkt->flags & AV_PKT_FLAG_KEY) != 0,
        };
        info.wall_ns = src->live ? cw_clock_wall_ns() : src->file_wall0_ns + info.pts_ns;
        cw_packet_ring_push(src->ring, pkt->data, &info);
    }
    ret = avcodec_send_packet(src->dec, pkt);
    if (ret < 0 && ret != AVERROR(EAGAIN)) {
        pthread_mutex_lock(&src->lock);
        src->stats.decode_errors++;
        pthread_mutex_unlock(&src->lock);
        warn_limited(
            src, &src->last_error_warn_ns, "input '%s': skipped undecodable data near %.2f s (%s)",
            name_of(src, name, sizeof(name)), (double)src->last_pts_ns / 1e9, av_err2str(ret));
    }
    av_packet_unref(pkt);
    return 0;
}

int cw_source_read(struct cw_source *src, struct cw_frame **out)
{
    char name[512];
    int ret, err;

    *out = NULL;
    for (;;) {
        if (atomic_load(&src->irq.cancel))
            return CW_ECANCELED;
        ret = avcodec_receive_frame(src->dec, src->avf);
        if (ret == 0) {
            err = make_frame(src, out);
            if (err || *out)
                return err;
            continue; /* dropped */
        }
        if (ret == AVERROR_EOF) {
            if (src->live) {
                err = reconnect(src, AVERROR_EOF);
                if (err)
                    return err;
                continue;
            }
            err = restart_file(src);
            if (err)
                return err;
            continue;
        }
        if (ret != AVERROR(EAGAIN)) {
            pthread_mutex_lock(&src->lock);
            src->stats.decode_errors++;
            pthread_mutex_unlock(&src->lock);
            warn_limited(src, &src->last_error_warn_ns,
                         "input '%s': skipped a picture that did not decode near %.2f s (%s)",
                         name_of(src, name, sizeof(name)), (double)src->last_pts_ns / 1e9,
                         av_err2str(ret));
            continue;
        }
        if (src->draining)
            continue; /* receive_frame will say EOF once the decoder is empty */
        err = feed_decoder(src);
        if (err)
            return err;
    }
}
