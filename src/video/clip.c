/* Clips from the packet ring: the span's packets are copied out under the ring's lock (quick),
 * then muxed into an MP4 with libavformat outside it, so the decode thread never waits on the
 * disk. */
#include "crosswatch/clip.h"

#include <errno.h>
#include <fcntl.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/packet_ring.h"
#include "crosswatch/source.h"
#include "video/av.h"

#define MOD      "clip"
#define CLIP_TB  ((AVRational){1, 90000})
#define NS_TB    ((AVRational){1, 1000000000})
#define MAX_CLIP (256u << 20) /* bytes: a minute of 30 Mbit/s */

struct held {
    struct cw_packet_info info;
    size_t off;
};

struct copy {
    struct held *pk;
    int n, cap;
    uint8_t *bytes;
    size_t len, cap_bytes;
    int err;
};

static int grab(void *opaque, const uint8_t *data, const struct cw_packet_info *info)
{
    struct copy *c = opaque;
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 256;
        struct held *p = realloc(c->pk, sizeof(*p) * (size_t)cap);
        if (!p)
            return c->err = CW_ENOMEM;
        c->pk = p, c->cap = cap;
    }
    if (c->len + info->size > c->cap_bytes) {
        size_t cap = c->cap_bytes ? 2 * c->cap_bytes : 1u << 20;
        while (cap < c->len + info->size)
            cap *= 2;
        if (cap > MAX_CLIP)
            return c->err = CW_ENOSPC;
        uint8_t *b = realloc(c->bytes, cap);
        if (!b)
            return c->err = CW_ENOMEM;
        c->bytes = b, c->cap_bytes = cap;
    }
    memcpy(c->bytes + c->len, data, info->size);
    c->pk[c->n++] = (struct held){*info, c->len};
    c->len += info->size;
    return 0;
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

static int mux(const struct copy *c, AVCodecParameters *par, const char *path, const char *part)
{
    AVFormatContext *oc = NULL;
    int ret = avformat_alloc_output_context2(&oc, NULL, "mp4", part);
    AVStream *st = ret >= 0 ? avformat_new_stream(oc, NULL) : NULL;
    AVPacket *pkt = av_packet_alloc();
    if (!st || !pkt) {
        ret = AVERROR(ENOMEM);
        goto out;
    }
    if ((ret = avcodec_parameters_copy(st->codecpar, par)) < 0)
        goto out;
    st->codecpar->codec_tag = 0;
    st->time_base = CLIP_TB;
    if ((ret = avio_open(&oc->pb, part, AVIO_FLAG_WRITE)) < 0 ||
        (ret = avformat_write_header(oc, NULL)) < 0)
        goto out;
    /* the clip's clock starts at its first packet's decode time */
    int64_t t0 = c->pk[0].info.dts_ns != INT64_MIN ? c->pk[0].info.dts_ns : c->pk[0].info.pts_ns;
    int64_t last_dts = INT64_MIN;
    for (int i = 0; i < c->n; i++) {
        const struct cw_packet_info *in = &c->pk[i].info;
        int64_t dts = av_rescale_q((in->dts_ns != INT64_MIN ? in->dts_ns : in->pts_ns) - t0, NS_TB,
                                   st->time_base);
        int64_t pts = av_rescale_q(in->pts_ns - t0, NS_TB, st->time_base);
        if (last_dts != INT64_MIN && dts <= last_dts)
            dts = last_dts + 1; /* a stream clock that stepped back: keep the file valid */
        if (pts < dts)
            pts = dts;
        last_dts = dts;
        av_packet_unref(pkt);
        if ((ret = av_new_packet(pkt, (int)in->size)) < 0)
            goto out;
        memcpy(pkt->data, c->bytes + c->pk[i].off, in->size);
        pkt->pts = pts, pkt->dts = dts, pkt->stream_index = 0;
        pkt->duration = av_rescale_q(in->duration_ns, NS_TB, st->time_base);
        if (in->keyframe)
            pkt->flags |= AV_PKT_FLAG_KEY;
        if ((ret = av_write_frame(oc, pkt)) < 0)
            goto out;
    }
    ret = av_write_trailer(oc);
out:
    av_packet_free(&pkt);
    if (oc) {
        if (oc->pb && avio_closep(&oc->pb) < 0 && ret >= 0)
            ret = AVERROR(EIO);
        avformat_free_context(oc);
    }
    if (ret >= 0 && (fsync_path(part) != 0 || rename(part, path) != 0))
        ret = AVERROR(errno);
    return ret;
}

/* Hands @f to the stills it is due for; returns a non-zero code from the callback. */
static int offer(AVFrame *f, int64_t pts_ns, struct SwsContext **sws, uint8_t **buf,
                 const int64_t *stills, int n, int *next, bool last, cw_clip_still_fn fn,
                 void *opaque, int *delivered)
{
    while (*next < n && (pts_ns >= stills[*next] || last)) {
        struct cw_canvas cv = {{NULL}, {0}, f->width, f->height};
        bool direct = f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P;
        int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
        if (!*buf && !(*buf = malloc((size_t)f->width * f->height + 2 * (size_t)cw * ch)))
            return CW_ENOMEM;
        /* a private copy, so the callback may draw on it */
        uint8_t *dst[3] = {*buf, *buf + (size_t)f->width * f->height,
                           *buf + (size_t)f->width * f->height + (size_t)cw * ch};
        int dstride[3] = {f->width, cw, cw};
        if (direct) {
            for (int p = 0; p < 3; p++) {
                int w = p ? cw : f->width, h = p ? ch : f->height;
                for (int y = 0; y < h; y++)
                    memcpy(dst[p] + (size_t)y * dstride[p], f->data[p] + (size_t)y * f->linesize[p],
                           (size_t)w);
            }
        } else {
            *sws = sws_getCachedContext(*sws, f->width, f->height, f->format, f->width, f->height,
                                        AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
            if (!*sws)
                return CW_ENOMEM;
            sws_scale(*sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst,
                      dstride);
        }
        for (int p = 0; p < 3; p++)
            cv.plane[p] = dst[p], cv.stride[p] = dstride[p];
        int r = fn(opaque, *next, pts_ns, &cv);
        (*next)++;
        (*delivered)++;
        if (r)
            return r;
    }
    return 0;
}

/* Decodes the copied packets from the keyframe before the first still until every still is
 * delivered. */
static int decode_stills(const struct copy *c, const AVCodecParameters *par, const int64_t *stills,
                         int n, cw_clip_still_fn fn, void *opaque, const char *path, int *delivered)
{
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    AVCodecContext *dec = codec ? avcodec_alloc_context3(codec) : NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc(), *prev = av_frame_alloc();
    struct SwsContext *sws = NULL;
    uint8_t *buf = NULL;
    int err = CW_ENOMEM, next = 0, start = 0;
    int64_t prev_pts = 0;
    bool have_prev = false;

    if (!dec || !pkt || !f || !prev || avcodec_parameters_to_context(dec, par) < 0)
        goto out;
    dec->pkt_timebase = NS_TB;
    if (avcodec_open2(dec, codec, NULL) < 0) {
        cw_log_error(MOD, "%s: cannot open a %s decoder for the stills", path,
                     avcodec_get_name(par->codec_id));
        err = CW_EUNSUPPORTED;
        goto out;
    }
    for (int i = 0; i < c->n; i++)
        if (c->pk[i].info.keyframe && c->pk[i].info.pts_ns <= stills[0])
            start = i;
    err = 0;
    for (int i = start; i <= c->n && next < n && !err; i++) {
        int ret;
        if (i < c->n) {
            const struct cw_packet_info *in = &c->pk[i].info;
            av_packet_unref(pkt);
            if (av_new_packet(pkt, (int)in->size) < 0) {
                err = CW_ENOMEM;
                break;
            }
            memcpy(pkt->data, c->bytes + c->pk[i].off, in->size);
            pkt->pts = in->pts_ns;
            pkt->dts = in->dts_ns != INT64_MIN ? in->dts_ns : AV_NOPTS_VALUE;
            if (in->keyframe)
                pkt->flags |= AV_PKT_FLAG_KEY;
            ret = avcodec_send_packet(dec, pkt);
        } else {
            ret = avcodec_send_packet(dec, NULL); /* drain */
        }
        if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
            continue; /* a damaged packet: the decoder conceals, the stills go on */
        while (!err && (ret = avcodec_receive_frame(dec, f)) >= 0) {
            int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp
                                                                     : prev_pts + 1;
            err = offer(f, pts, &sws, &buf, stills, n, &next, false, fn, opaque, delivered);
            av_frame_unref(prev);
            av_frame_move_ref(prev, f);
            prev_pts = pts;
            have_prev = true;
        }
    }
    /* stills beyond the span: its last picture */
    if (!err && next < n && have_prev)
        err = offer(prev, prev_pts, &sws, &buf, stills, n, &next, true, fn, opaque, delivered);
out:
    free(buf);
    sws_freeContext(sws);
    av_frame_free(&f);
    av_frame_free(&prev);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    return err;
}

int cw_clip_write(struct cw_source *src, int64_t from_ns, int64_t to_ns, const char *path,
                  struct cw_clip_result *res, const int64_t *stills, int nstills,
                  cw_clip_still_fn fn, void *opaque)
{
    struct cw_packet_ring *ring = cw_source_ring(src);
    struct copy c = {0};
    char part[4096];
    int err;

    memset(res, 0, sizeof(*res));
    if (!ring) {
        cw_log_error(MOD, "%s: the source keeps no packet ring (ring_seconds is 0)", path);
        return CW_EINVAL;
    }
    if (snprintf(part, sizeof(part), "%s.part", path) >= (int)sizeof(part))
        return CW_EINVAL;
    err = cw_packet_ring_visit(ring, from_ns, to_ns, grab, &c);
    if (err < 0 || c.err || c.n == 0) {
        err = c.err ? c.err : err < 0 ? err : CW_ENOENT;
        if (err == CW_ENOENT)
            cw_log_error(MOD,
                         "%s: the packet ring no longer holds %.1f–%.1f s (raise ring_seconds)",
                         path, from_ns / 1e9, to_ns / 1e9);
        else
            cw_log_error(MOD, "%s: cannot copy the packets: %s", path, cw_strerror(err));
        goto out;
    }
    AVCodecParameters *par = avcodec_parameters_alloc();
    if (!par || cw__source_codecpar(src, par)) {
        avcodec_parameters_free(&par);
        err = CW_ENOMEM;
        goto out;
    }
    int ret = mux(&c, par, path, part);
    if (ret < 0) {
        avcodec_parameters_free(&par);
        unlink(part);
        err = ret == AVERROR(ENOSPC) ? CW_ENOSPC : CW_EIO;
        char why[AV_ERROR_MAX_STRING_SIZE];
        av_strerror(ret, why, sizeof(why));
        cw_log_error(MOD, "%s: cannot write the clip: %s%s", path, why,
                     err == CW_ENOSPC ? " (the disk is full)" : "");
        goto out;
    }
    res->packets = c.n;
    res->first_pts_ns = res->last_pts_ns = c.pk[0].info.pts_ns;
    for (int i = 1; i < c.n; i++) {
        if (c.pk[i].info.pts_ns < res->first_pts_ns)
            res->first_pts_ns = c.pk[i].info.pts_ns;
        if (c.pk[i].info.pts_ns > res->last_pts_ns)
            res->last_pts_ns = c.pk[i].info.pts_ns;
    }
    res->bytes = (int64_t)c.len;
    res->t0_ns = c.pk[0].info.dts_ns != INT64_MIN ? c.pk[0].info.dts_ns : c.pk[0].info.pts_ns;
    err = nstills > 0 ? decode_stills(&c, par, stills, nstills, fn, opaque, path, &res->stills) : 0;
    avcodec_parameters_free(&par);
out:
    free(c.pk);
    free(c.bytes);
    return err;
}
