/* Internal: what the source and the prober share about FFmpeg — opening inputs with timeouts
 * and cancellation, finding the video stream, opening its decoder, and turning FFmpeg's errors
 * into one line that says what to check. */
#ifndef CW_VIDEO_AV_H
#define CW_VIDEO_AV_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/url.h"

/* Passed to FFmpeg's interrupt callback: blocking I/O gives up at the deadline or on cancel. */
struct cw__av_interrupt {
    _Atomic int64_t deadline_mono_ns; /* 0: no deadline */
    atomic_bool cancel;
    atomic_bool timed_out; /* set when the deadline fired */
};

/* Arms the deadline @timeout_s from now (<= 0 disarms). */
void cw__av_arm(struct cw__av_interrupt *irq, double timeout_s);

/* Routes FFmpeg's own log into crosswatch's (at debug level: crosswatch reports the errors that
 * matter itself) and initialises networking. Safe to call many times from any thread. */
void cw__av_init(void);

/* Maps an AVERROR to a CW_E* code. */
int cw__av_code(int averr, const struct cw__av_interrupt *irq);

/* Logs "input '<input>': <what>: <FFmpeg's reason>; <what to check>" under @module at @level. */
void cw__av_report(int level, const char *module, const char *input, const char *what, int averr,
                   const struct cw__av_interrupt *irq);

/* Opens @input for reading with the interrupt callback, the network timeout and, for RTSP, the
 * transport (0 tcp, 1 udp); reads stream information. Logs at @level (a reconnect attempt is a
 * warning, a first open an error) and returns a CW_E* code on failure. */
int cw__av_open_input(int level, const char *module, const char *input, double timeout_s,
                      int transport, struct cw__av_interrupt *irq, AVFormatContext **out);

/* Picks the best video stream. Logs and returns CW_EFORMAT when there is none. */
int cw__av_find_video(const char *module, const char *input, AVFormatContext *fmt);

/* Opens a decoder for @st with @threads threads (0: FFmpeg chooses). Logs on failure. */
int cw__av_open_decoder(const char *module, const char *input, const AVStream *st, int threads,
                        AVCodecContext **out);

struct cw_source;

/* Copies the parameters of @src's video stream (codec, size, headers) into @out, for writing its
 * packets to a clip. Returns 0 or CW_ENOMEM; CW_EINVAL before the source is open. */
int cw__source_codecpar(struct cw_source *src, AVCodecParameters *out);

#endif
