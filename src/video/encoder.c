/* Writing video through libavcodec/libavformat. */
#include "crosswatch/encoder.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/error.h"
#include "crosswatch/log.h"

#define MOD "encoder"

struct cw_encoder {
    AVFormatContext *fmt;
    AVCodecContext *enc;
    AVStream *st;
    AVFrame *frame;
    AVPacket *pkt;
    char *path;
};

static int drain(struct cw_encoder *e, bool flush)
{
    int ret = avcodec_send_frame(e->enc, flush ? NULL : e->frame);
    if (ret < 0)
        return ret;
    while ((ret = avcodec_receive_packet(e->enc, e->pkt)) == 0) {
        if (e->pkt->duration <= 0)
            e->pkt->duration = 1; /* one frame, so the container knows the last one's length */
        av_packet_rescale_ts(e->pkt, e->enc->time_base, e->st->time_base);
        e->pkt->stream_index = e->st->index;
        ret = av_interleaved_write_frame(e->fmt, e->pkt);
        if (ret < 0)
            return ret;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

static void release(struct cw_encoder *e)
{
    if (e->fmt && e->fmt->pb)
        avio_closep(&e->fmt->pb);
    avformat_free_context(e->fmt);
    avcodec_free_context(&e->enc);
    av_frame_free(&e->frame);
    av_packet_free(&e->pkt);
    free(e->path);
    free(e);
}

struct cw_encoder *cw_encoder_new(const struct cw_encoder_config *cfg)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(cfg->codec);
    int pix_fmt = cfg->format == CW_ENCODER_GRAY ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_YUV420P;
    char err[128];
    int ret;
    if (!codec) {
        cw_log_error(MOD, "this FFmpeg has no %s encoder; install Debian's libavcodec with it",
                     cfg->codec);
        return NULL;
    }
    struct cw_encoder *e = calloc(1, sizeof(*e));
    if (!e || !(e->path = strdup(cfg->path)))
        goto out_nomem;
    ret = avformat_alloc_output_context2(&e->fmt, NULL, NULL, cfg->path);
    if (ret < 0)
        goto out_av;
    e->st = avformat_new_stream(e->fmt, NULL);
    e->enc = avcodec_alloc_context3(codec);
    e->frame = av_frame_alloc();
    e->pkt = av_packet_alloc();
    if (!e->st || !e->enc || !e->frame || !e->pkt)
        goto out_nomem;
    /* frame rates such as 25 or 29.97 as an exact fraction */
    e->enc->time_base = av_inv_q(av_d2q(cfg->fps, 100000));
    e->enc->framerate = av_d2q(cfg->fps, 100000);
    e->enc->width = cfg->width;
    e->enc->height = cfg->height;
    e->enc->pix_fmt = pix_fmt;
    e->enc->gop_size = (int)lround(2 * cfg->fps);
    e->enc->thread_count = 1; /* one core, and the same bytes on every run */
    if (e->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        e->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary *opts = NULL;
    if (!strcmp(cfg->codec, "libx264")) {
        char crf[16];
        snprintf(crf, sizeof(crf), "%d", cfg->crf);
        if (cfg->preset)
            av_dict_set(&opts, "preset", cfg->preset, 0);
        av_dict_set(&opts, "crf", crf, 0);
    }
    ret = avcodec_open2(e->enc, codec, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        goto out_av;
    ret = avcodec_parameters_from_context(e->st->codecpar, e->enc);
    if (ret < 0)
        goto out_av;
    e->st->time_base = e->enc->time_base;
    e->st->avg_frame_rate = e->enc->framerate;
    ret = avio_open(&e->fmt->pb, cfg->path, AVIO_FLAG_WRITE);
    if (ret < 0)
        goto out_av;
    ret = avformat_write_header(e->fmt, NULL);
    if (ret < 0)
        goto out_av;
    e->frame->format = pix_fmt;
    e->frame->width = cfg->width;
    e->frame->height = cfg->height;
    ret = av_frame_get_buffer(e->frame, 0);
    if (ret < 0)
        goto out_av;
    return e;
out_av:
    av_strerror(ret, err, sizeof(err));
    cw_log_error(MOD, "%s: cannot write: %s", cfg->path, err);
    release(e);
    return NULL;
out_nomem:
    cw_log_error(MOD, "%s: out of memory opening the encoder", cfg->path);
    if (e)
        release(e);
    return NULL;
}

int cw_encoder_planes(struct cw_encoder *e, uint8_t *planes[3], int strides[3])
{
    if (av_frame_make_writable(e->frame) < 0)
        return CW_ENOMEM;
    for (int p = 0; p < 3; p++) {
        planes[p] = e->frame->data[p];
        strides[p] = e->frame->linesize[p];
    }
    return 0;
}

int cw_encoder_write(struct cw_encoder *e, int64_t index)
{
    e->frame->pts = index;
    if (drain(e, false) < 0) {
        cw_log_error(MOD, "%s: encoding frame %lld failed; is the disk full?", e->path,
                     (long long)index);
        return CW_EIO;
    }
    return 0;
}

int cw_encoder_close(struct cw_encoder *e)
{
    int ret = 0;
    if (!e)
        return 0;
    if (drain(e, true) < 0 || av_write_trailer(e->fmt) < 0) {
        cw_log_error(MOD, "%s: finishing the video failed; is the disk full?", e->path);
        ret = CW_EIO;
    }
    release(e);
    return ret;
}
