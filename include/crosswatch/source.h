/* crosswatch — video input: files and RTSP cameras, demuxed and decoded through FFmpeg.
 *
 * A source reads one video stream, keeps its compressed packets in a ring (packet_ring.h) and
 * decodes them into pooled frames (frame.h) whose grey analysis image is made in the same pass.
 * Frames carry the stream's own timestamps and the wall-clock time they represent.
 *
 * Faults are handled here, not by the caller: undecodable data in a file is skipped with a
 * warning; a live source (rtsp://, rtmp://, http://, udp://, srt://, tcp://) that fails or ends
 * is reopened with exponential backoff, logged each time, until the configured number of
 * attempts runs out.
 */
#ifndef CROSSWATCH_SOURCE_H
#define CROSSWATCH_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "crosswatch/frame.h"
#include "crosswatch/options.h"
#include "crosswatch/packet_ring.h"

struct cw_source_config {
    char *input;          /* file path or URL */
    int analysis_width;   /* grey image width; 0 keeps the aspect ratio from analysis_height */
    int analysis_height;  /* 0 keeps the aspect ratio */
    int threads;          /* decoder threads; 0 lets FFmpeg choose */
    int frames;           /* frames in the pool: how many a consumer may hold at once, plus one */
    double ring_seconds;  /* compressed history to keep; 0 disables the ring */
    int ring_mb;          /* ring arena size; 0 sizes it from the bit rate */
    double timeout_s;     /* network open/read timeout */
    int reconnects;       /* live sources: attempts before giving up; -1 retries forever */
    double backoff_s;     /* first wait before reconnecting; doubles each attempt */
    double backoff_max_s; /* longest wait between attempts */
    int transport;        /* RTSP transport: 0 tcp, 1 udp */
    bool loop;            /* files: start again at the end instead of ending */
    double start_time;    /* files: Unix time of the first frame; 0: the file's creation_time
                             tag, else the time the file is opened */
};

/* The option table for struct cw_source_config: defaults, ranges and help. */
extern const struct cw_option cw_source_options[];

struct cw_source;

/* What the stream is, known once the source is open. */
struct cw_source_info {
    const char *codec; /* short codec name ("h264") */
    int width, height; /* coded picture size */
    int analysis_width, analysis_height;
    double fps;        /* average frame rate, 0 if unknown */
    double duration_s; /* 0 for live sources or when unknown */
    int64_t bit_rate;  /* bits/s, 0 if unknown */
    bool live;         /* a network source: reconnects instead of ending */
    bool full_range;   /* the pictures' YUV spans 0-255 (JPEG range); else TV range 16-235 */
};

struct cw_source_stats {
    uint64_t packets;           /* video packets read */
    uint64_t frames;            /* frames delivered */
    uint64_t decode_errors;     /* packets or frames that could not be decoded and were skipped */
    uint64_t damaged;           /* pictures delivered with decoding errors concealed */
    uint64_t dropped;           /* decoded frames dropped because every pooled frame was in use */
    uint64_t reconnects;        /* successful reopenings of a live source */
    uint64_t clock_jumps;       /* times the stream clock jumped and wall time was re-anchored */
    int64_t last_frame_mono_ns; /* monotonic time of the last delivered frame */
};

/* Opens @cfg->input (copied; @cfg need not outlive the call) and finds its video stream. A live
 * source that cannot be reached at first is an error too: nothing was ever seen from it. Logs
 * one line naming the input and what to check; returns 0 and the source in *@out, or CW_ENOENT,
 * CW_EFORMAT (not a video FFmpeg can read, or no video stream), CW_EUNSUPPORTED (no decoder),
 * CW_ECONNECT, CW_ETIMEDOUT, CW_EPERM, CW_EINVAL (bad configuration) or CW_ENOMEM. */
int cw_source_open(const struct cw_source_config *cfg, struct cw_source **out);

/* Delivers the next decoded frame with one reference owned by the caller. Returns 0, CW_EOF at
 * the end of a file, CW_ECONNECT when a live source could not be reconnected, or CW_ECANCELED
 * after cw_source_cancel(). */
int cw_source_read(struct cw_source *src, struct cw_frame **out);

/* Interrupts a blocking read or a backoff wait from another thread (or a signal handler's
 * thread); the read returns CW_ECANCELED. */
void cw_source_cancel(struct cw_source *src);

/* Closes the source. Frames still referenced stay valid. NULL is allowed. */
void cw_source_free(struct cw_source *src);

const struct cw_source_info *cw_source_get_info(const struct cw_source *src);
void cw_source_get_stats(const struct cw_source *src, struct cw_source_stats *out);

/* The ring of compressed packets, or NULL when ring_seconds is 0. Owned by the source. */
struct cw_packet_ring *cw_source_ring(struct cw_source *src);

/* True for URLs that name a network stream rather than a file. */
bool cw_input_is_live(const char *input);

#endif
