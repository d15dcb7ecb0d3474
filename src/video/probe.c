/* crosswatch probe: streams, codec, size, rate, duration and keyframe interval of an input. */
#include "crosswatch/probe.h"

#include <libavutil/pixdesc.h>
#include <string.h>

#include "core/json_escape.h"
#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/source.h"
#include "video/av.h"

#define MOD "probe"

static void describe_streams(AVFormatContext *fmt, struct cw_probe_result *r)
{
    r->n_streams = 0;
    for (unsigned i = 0; i < fmt->nb_streams && r->n_streams < CW_PROBE_MAX_STREAMS; i++) {
        const AVCodecParameters *par = fmt->streams[i]->codecpar;
        struct cw_probe_stream *s = &r->streams[r->n_streams++];
        const char *type = av_get_media_type_string(par->codec_type);
        const char *profile = avcodec_profile_name(par->codec_id, par->profile);
        s->index = (int)i;
        snprintf(s->type, sizeof(s->type), "%s", type ? type : "unknown");
        snprintf(s->codec, sizeof(s->codec), "%s", avcodec_get_name(par->codec_id));
        snprintf(s->profile, sizeof(s->profile), "%s", profile ? profile : "");
        if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
            const char *pf = av_get_pix_fmt_name(par->format);
            s->width = par->width;
            s->height = par->height;
            snprintf(s->pix_fmt, sizeof(s->pix_fmt), "%s", pf ? pf : "");
        } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
            s->sample_rate = par->sample_rate;
            s->channels = par->ch_layout.nb_channels;
        }
    }
}

/* Reads video packets up to the scan limit, measuring the keyframe interval and checking that
 * the first frame decodes. */
static int scan(const char *input, AVFormatContext *fmt, int vidx,
                const struct cw_probe_config *cfg, struct cw__av_interrupt *irq,
                struct cw_probe_result *r)
{
    AVStream *st = fmt->streams[vidx];
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frm = av_frame_alloc();
    int64_t since_key = -1, gop_total = 0, gops = 0, first_ts = AV_NOPTS_VALUE, last_ts = 0;
    int64_t mono0 = cw_clock_mono_ns();
    int err = 0, ret;

    if (!pkt || !frm) {
        cw_log_error(MOD, "out of memory");
        err = CW_ENOMEM;
        goto out;
    }
    /* A stream without a decoder is still probed; it just cannot say whether it decodes. */
    if (cw__av_open_decoder(MOD, input, st, 1, &dec))
        dec = NULL;
    r->gop_min = 0;
    r->gop_max = 0;
    for (;;) {
        if (r->live)
            cw__av_arm(irq, cfg->timeout_s);
        ret = av_read_frame(fmt, pkt);
        if (ret < 0) {
            if (ret != AVERROR_EOF && r->packets == 0) {
                cw__av_report(CW_LOG_ERROR, MOD, input, "cannot read video", ret, irq);
                err = cw__av_code(ret, irq);
                goto out;
            }
            break;
        }
        if (pkt->stream_index != vidx) {
            av_packet_unref(pkt);
            continue;
        }
        r->packets++;
        int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        if (ts != AV_NOPTS_VALUE) {
            if (first_ts == AV_NOPTS_VALUE)
                first_ts = ts;
            if (ts > last_ts)
                last_ts = ts;
        }
        if (pkt->flags & AV_PKT_FLAG_KEY) {
            if (since_key > 0) {
                gop_total += since_key;
                gops++;
                if (r->gop_min == 0 || since_key < r->gop_min)
                    r->gop_min = (int)since_key;
                if (since_key > r->gop_max)
                    r->gop_max = (int)since_key;
            }
            r->keyframes++;
            since_key = 0;
        }
        if (since_key >= 0)
            since_key++;
        if (dec && !r->decodes) {
            if (avcodec_send_packet(dec, pkt) < 0)
                r->decode_errors++;
            while (avcodec_receive_frame(dec, frm) == 0) {
                r->decodes = true;
                av_frame_unref(frm);
            }
        }
        av_packet_unref(pkt);
        if (first_ts != AV_NOPTS_VALUE) {
            r->scanned_s = (double)(last_ts - first_ts) * av_q2d(st->time_base);
            if (cfg->scan_seconds > 0 && r->scanned_s >= cfg->scan_seconds)
                break;
        }
        /* Live streams are scanned for a bounded wall time too, whatever their clock says. */
        if (r->live && cfg->scan_seconds > 0 &&
            cw_clock_mono_ns() - mono0 > (int64_t)((cfg->scan_seconds + cfg->timeout_s) * 1e9))
            break;
    }
    if (dec && !r->decodes) {
        avcodec_send_packet(dec, NULL);
        while (avcodec_receive_frame(dec, frm) == 0) {
            r->decodes = true;
            av_frame_unref(frm);
        }
    }
    if (gops) {
        r->gop_mean = (double)gop_total / (double)gops;
        if (r->fps > 0)
            r->gop_seconds = r->gop_mean / r->fps;
    }
out:
    avcodec_free_context(&dec);
    av_packet_free(&pkt);
    av_frame_free(&frm);
    return err;
}

int cw_probe(const char *input, const struct cw_probe_config *cfg, struct cw_probe_result *r)
{
    struct cw__av_interrupt irq = {0};
    AVFormatContext *fmt = NULL;
    AVStream *st;
    int vidx, err;

    memset(r, 0, sizeof(*r));
    r->video_index = -1;
    r->live = cw_input_is_live(input);
    err = cw__av_open_input(CW_LOG_ERROR, MOD, input, cfg->timeout_s, cfg->transport, &irq, &fmt);
    if (err)
        return err;
    snprintf(r->format, sizeof(r->format), "%s", fmt->iformat->name);
    describe_streams(fmt, r);
    vidx = cw__av_find_video(MOD, input, fmt);
    if (vidx < 0) {
        err = vidx;
        goto out;
    }
    for (int i = 0; i < r->n_streams; i++)
        if (r->streams[i].index == vidx)
            r->video_index = i;
    st = fmt->streams[vidx];
    r->width = st->codecpar->width;
    r->height = st->codecpar->height;
    if (st->avg_frame_rate.num && st->avg_frame_rate.den)
        r->fps = av_q2d(st->avg_frame_rate);
    else if (st->r_frame_rate.num && st->r_frame_rate.den)
        r->fps = av_q2d(st->r_frame_rate);
    if (!r->live && fmt->duration > 0)
        r->duration_s = (double)fmt->duration / AV_TIME_BASE;
    r->bit_rate = st->codecpar->bit_rate ? st->codecpar->bit_rate : fmt->bit_rate;
    err = scan(input, fmt, vidx, cfg, &irq, r);
out:
    avformat_close_input(&fmt);
    return err;
}

void cw_probe_print(const char *input, const struct cw_probe_result *r, FILE *out)
{
    char name[512];
    cw__redact(input, name, sizeof(name));
    fprintf(out, "input       %s\n", name);
    fprintf(out, "format      %s%s\n", r->format, r->live ? " (live)" : "");
    for (int i = 0; i < r->n_streams; i++) {
        const struct cw_probe_stream *s = &r->streams[i];
        fprintf(out, "stream #%d   %s %s%s%s%s", s->index, s->type, s->codec,
                *s->profile ? " (" : "", s->profile, *s->profile ? ")" : "");
        if (!strcmp(s->type, "video"))
            fprintf(out, ", %dx%d%s%s", s->width, s->height, *s->pix_fmt ? ", " : "", s->pix_fmt);
        else if (!strcmp(s->type, "audio"))
            fprintf(out, ", %d Hz, %d channels", s->sample_rate, s->channels);
        fprintf(out, "%s\n", i == r->video_index ? "  <- analysed" : "");
    }
    fprintf(out, "size        %dx%d\n", r->width, r->height);
    fprintf(out, "fps         %.3f\n", r->fps);
    if (r->duration_s > 0)
        fprintf(out, "duration    %.3f s\n", r->duration_s);
    else
        fprintf(out, "duration    %s\n", r->live ? "live" : "unknown");
    if (r->bit_rate > 0)
        fprintf(out, "bit rate    %.0f kbit/s\n", (double)r->bit_rate / 1000);
    fprintf(out, "scanned     %.2f s, %lld packets, %lld keyframes\n", r->scanned_s,
            (long long)r->packets, (long long)r->keyframes);
    if (r->gop_mean > 0)
        fprintf(out, "keyframes   every %.1f frames (%.2f s), min %d, max %d\n", r->gop_mean,
                r->gop_seconds, r->gop_min, r->gop_max);
    else
        fprintf(out, "keyframes   %s\n",
                r->keyframes == 1 ? "only one in the scanned span" : "none found");
    fprintf(out, "decodes     %s\n", r->decodes ? "yes" : "no (no picture could be decoded)");
}

void cw_probe_print_json(const char *input, const struct cw_probe_result *r, FILE *out)
{
    char name[512], esc[1024];
    cw__redact(input, name, sizeof(name));
    cw__json_escape(esc, sizeof(esc), name);
    fprintf(out, "{\"input\":\"%s\",\"format\":\"%s\",\"live\":%s,\"streams\":[", esc, r->format,
            r->live ? "true" : "false");
    for (int i = 0; i < r->n_streams; i++) {
        const struct cw_probe_stream *s = &r->streams[i];
        fprintf(out, "%s{\"index\":%d,\"type\":\"%s\",\"codec\":\"%s\",\"profile\":\"%s\"",
                i ? "," : "", s->index, s->type, s->codec, s->profile);
        if (!strcmp(s->type, "video"))
            fprintf(out, ",\"width\":%d,\"height\":%d,\"pix_fmt\":\"%s\"", s->width, s->height,
                    s->pix_fmt);
        if (!strcmp(s->type, "audio"))
            fprintf(out, ",\"sample_rate\":%d,\"channels\":%d", s->sample_rate, s->channels);
        fprintf(out, "}");
    }
    fprintf(out,
            "],\"video_stream\":%d,\"width\":%d,\"height\":%d,\"fps\":%.6g,\"duration_s\":%.6g,"
            "\"bit_rate\":%lld,\"scanned_s\":%.6g,\"packets\":%lld,\"keyframes\":%lld,"
            "\"gop_frames\":%.6g,\"gop_min\":%d,\"gop_max\":%d,\"gop_seconds\":%.6g,"
            "\"decodes\":%s}\n",
            r->video_index >= 0 ? r->streams[r->video_index].index : -1, r->width, r->height,
            r->fps, r->duration_s, (long long)r->bit_rate, r->scanned_s, (long long)r->packets,
            (long long)r->keyframes, r->gop_mean, r->gop_min, r->gop_max, r->gop_seconds,
            r->decodes ? "true" : "false");
}
