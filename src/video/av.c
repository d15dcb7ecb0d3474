#include "video/av.h"

#include "core/url.h"

#include <libavutil/log.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/source.h"

static void av_log_to_cw(void *avcl, int level, const char *fmt, va_list vl)
{
    /* FFmpeg may build one line from several calls: collect per thread until the newline. */
    static _Thread_local char line[1024];
    static _Thread_local size_t used;
    static _Thread_local int print_prefix = 1;
    enum cw_log_level lvl = level <= AV_LOG_WARNING ? CW_LOG_DEBUG : CW_LOG_TRACE;
    char part[1024];
    size_t n;

    if (level > AV_LOG_VERBOSE || !cw_log_enabled(lvl))
        return;
    av_log_format_line2(avcl, level, fmt, vl, part, sizeof(part), &print_prefix);
    n = strlen(part);
    if (used + n >= sizeof(line))
        n = sizeof(line) - 1 - used;
    memcpy(line + used, part, n);
    used += n;
    line[used] = 0;
    if (!used || (line[used - 1] != '\n' && used < sizeof(line) - 1))
        return;
    while (used && (line[used - 1] == '\n' || line[used - 1] == '\r'))
        line[--used] = 0;
    if (used)
        cw_log(lvl, "ffmpeg", "%s", line);
    used = 0;
}

static void init_once(void)
{
    av_log_set_callback(av_log_to_cw);
    avformat_network_init();
}

void cw__av_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
}

void cw__av_arm(struct cw__av_interrupt *irq, double timeout_s)
{
    atomic_store(&irq->timed_out, false);
    atomic_store(&irq->deadline_mono_ns,
                 timeout_s > 0 ? cw_clock_mono_ns() + (int64_t)(timeout_s * 1e9) : 0);
}

static int interrupt_cb(void *opaque)
{
    struct cw__av_interrupt *irq = opaque;
    int64_t deadline = atomic_load(&irq->deadline_mono_ns);
    if (atomic_load(&irq->cancel))
        return 1;
    if (deadline && cw_clock_mono_ns() > deadline) {
        atomic_store(&irq->timed_out, true);
        return 1;
    }
    return 0;
}

int cw__av_code(int averr, const struct cw__av_interrupt *irq)
{
    if (irq && atomic_load(&irq->cancel))
        return CW_ECANCELED;
    if (irq && atomic_load(&irq->timed_out))
        return CW_ETIMEDOUT;
    switch (averr) {
    case AVERROR(ENOENT):
        return CW_ENOENT;
    case AVERROR(EACCES):
    case AVERROR(EPERM):
        return CW_EPERM;
    case AVERROR_INVALIDDATA:
        return CW_EFORMAT;
    case AVERROR_DECODER_NOT_FOUND:
    case AVERROR_DEMUXER_NOT_FOUND:
    case AVERROR_PROTOCOL_NOT_FOUND:
        return CW_EUNSUPPORTED;
    case AVERROR_EOF:
        return CW_EOF;
    case AVERROR(ECONNREFUSED):
    case AVERROR(ECONNRESET):
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH):
    case AVERROR(EPIPE):
    case AVERROR_HTTP_NOT_FOUND:
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN:
    case AVERROR_STREAM_NOT_FOUND:
        return CW_ECONNECT;
    case AVERROR(ETIMEDOUT):
        return CW_ETIMEDOUT;
    case AVERROR(ENOMEM):
        return CW_ENOMEM;
    case AVERROR_EXIT:
        return CW_ECANCELED;
    }
    return CW_EIO;
}

static const char *hint(int averr, const struct cw__av_interrupt *irq, bool live)
{
    if (irq && atomic_load(&irq->timed_out))
        return live ? "check that the camera is reachable from this machine and streams"
                    : "check that the file is not on a stalled mount";
    switch (averr) {
    case AVERROR(ENOENT):
        return "check the path";
    case AVERROR(EACCES):
    case AVERROR(EPERM):
        return "check the file's permissions";
    case AVERROR_INVALIDDATA:
        return "is it a video file? check that it is complete";
    case AVERROR(ECONNREFUSED):
        return "check the camera's address and port, and that it is on";
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH):
        return "check the network route to the camera";
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN:
        return "check the user name and password in the URL";
    case AVERROR_HTTP_NOT_FOUND:
    case AVERROR_STREAM_NOT_FOUND:
        return "check the stream path in the URL";
    case AVERROR_PROTOCOL_NOT_FOUND:
        return "use a file path or an rtsp:// URL";
    case AVERROR_DECODER_NOT_FOUND:
        return "this FFmpeg build has no decoder for it";
    }
    return live ? "check the camera and the network" : "check the file";
}

void cw__av_report(int level, const char *module, const char *input, const char *what, int averr,
                   const struct cw__av_interrupt *irq)
{
    char name[512], reason[AV_ERROR_MAX_STRING_SIZE + 64];
    cw__redact(input, name, sizeof(name));
    if (irq && atomic_load(&irq->timed_out))
        snprintf(reason, sizeof(reason), "no answer in time");
    else if (averr == AVERROR(ENOENT))
        snprintf(reason, sizeof(reason), "no such file");
    else
        av_strerror(averr, reason, sizeof(reason));
    cw_log((enum cw_log_level)level, module, "input '%s': %s: %s; %s", name, what, reason,
           hint(averr, irq, cw_input_is_live(input)));
}

int cw__av_open_input(int level, const char *module, const char *input, double timeout_s,
                      int transport, struct cw__av_interrupt *irq, AVFormatContext **out)
{
    AVFormatContext *fmt = avformat_alloc_context();
    AVDictionary *opts = NULL;
    int ret;

    cw__av_init();
    *out = NULL;
    if (!fmt) {
        cw_log_error(module, "out of memory");
        return CW_ENOMEM;
    }
    fmt->interrupt_callback.callback = interrupt_cb;
    fmt->interrupt_callback.opaque = irq;
    if (cw_input_is_live(input)) {
        char us[32];
        snprintf(us, sizeof(us), "%lld", (long long)(timeout_s * 1e6));
        if (strncmp(input, "rtsp", 4) == 0) {
            av_dict_set(&opts, "rtsp_transport", transport == 1 ? "udp" : "tcp", 0);
            av_dict_set(&opts, "timeout", us, 0);
        } else {
            av_dict_set(&opts, "rw_timeout", us, 0);
        }
    }
    cw__av_arm(irq, timeout_s);
    ret = avformat_open_input(&fmt, input, NULL, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        cw__av_report(level, module, input, "cannot open", ret, irq);
        return cw__av_code(ret, irq);
    }
    cw__av_arm(irq, timeout_s);
    ret = avformat_find_stream_info(fmt, NULL);
    if (ret < 0) {
        cw__av_report(level, module, input, "cannot read stream information", ret, irq);
        avformat_close_input(&fmt);
        return cw__av_code(ret, irq);
    }
    cw__av_arm(irq, 0);
    /* FFmpeg renders text files as video ("tty"); for a camera input that is a mistake. */
    if (!strcmp(fmt->iformat->name, "tty")) {
        char name[512];
        cw_log((enum cw_log_level)level, module,
               "input '%s': is a text file, not a video; give a video file or camera URL",
               cw__redact(input, name, sizeof(name)));
        avformat_close_input(&fmt);
        return CW_EFORMAT;
    }
    *out = fmt;
    return 0;
}

int cw__av_find_video(const char *module, const char *input, AVFormatContext *fmt)
{
    char name[512];
    int idx = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (idx < 0) {
        cw_log_error(module, "input '%s': has no video stream; give a video file or camera URL",
                     cw__redact(input, name, sizeof(name)));
        return CW_EFORMAT;
    }
    return idx;
}

int cw__av_open_decoder(const char *module, const char *input, const AVStream *st, int threads,
                        AVCodecContext **out)
{
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    AVCodecContext *dec;
    char name[512];
    int ret;

    cw__redact(input, name, sizeof(name));
    *out = NULL;
    if (!codec) {
        cw_log_error(module, "input '%s': no decoder for codec '%s'; convert it to H.264 or HEVC",
                     name, avcodec_get_name(st->codecpar->codec_id));
        return CW_EUNSUPPORTED;
    }
    dec = avcodec_alloc_context3(codec);
    if (!dec) {
        cw_log_error(module, "out of memory");
        return CW_ENOMEM;
    }
    ret = avcodec_parameters_to_context(dec, st->codecpar);
    if (ret >= 0) {
        dec->pkt_timebase = st->time_base;
        dec->thread_count = threads;
        dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
        ret = avcodec_open2(dec, codec, NULL);
    }
    if (ret < 0) {
        cw__av_report(CW_LOG_ERROR, module, input, "cannot open the decoder", ret, NULL);
        avcodec_free_context(&dec);
        return cw__av_code(ret, NULL);
    }
    *out = dec;
    return 0;
}
