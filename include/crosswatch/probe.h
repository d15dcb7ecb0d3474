/* crosswatch — probing an input: what streams it has and how its video is coded. */
#ifndef CROSSWATCH_PROBE_H
#define CROSSWATCH_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CW_PROBE_MAX_STREAMS 16

struct cw_probe_stream {
    int index;
    char type[16]; /* "video", "audio", "data", "subtitle" */
    char codec[32];
    char profile[32];
    int width, height;
    char pix_fmt[24];
    int sample_rate, channels;
};

struct cw_probe_result {
    char format[64]; /* container, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
    int n_streams;
    struct cw_probe_stream streams[CW_PROBE_MAX_STREAMS];
    int video_index; /* index in streams[] of the stream crosswatch would use */
    int width, height;
    double fps;
    double duration_s; /* 0 when unknown or live */
    int64_t bit_rate;
    bool live;
    /* From scanning the video packets for up to the scan limit: */
    double scanned_s;
    int64_t packets;
    int64_t keyframes;
    double gop_mean; /* frames from one keyframe to the next */
    int gop_min, gop_max;
    double gop_seconds; /* mean keyframe interval in seconds */
    bool decodes;       /* the first frame decoded */
    int64_t decode_errors;
};

struct cw_probe_config {
    double scan_seconds; /* how much of the stream to scan for keyframes; <= 0: all of a file */
    double timeout_s;    /* network timeout */
    int transport;       /* RTSP: 0 tcp, 1 udp */
};

/* Opens @input, lists its streams and scans its video. Logs one line naming the input and the
 * problem on failure, with the same codes as cw_source_open(). */
int cw_probe(const char *input, const struct cw_probe_config *cfg, struct cw_probe_result *out);

void cw_probe_print(const char *input, const struct cw_probe_result *r, FILE *out);
void cw_probe_print_json(const char *input, const struct cw_probe_result *r, FILE *out);

#endif
