/* crosswatch — writing video: H.264 (or a lossless grey codec) into a container through
 * libavcodec/libavformat, for crosswatch-synth's renders and analyze's debug video. */
#ifndef CROSSWATCH_ENCODER_H
#define CROSSWATCH_ENCODER_H

#include <stdint.h>

enum cw_encoder_format {
    CW_ENCODER_YUV420, /* three planes, chroma halved each way */
    CW_ENCODER_GRAY,   /* one plane */
};

struct cw_encoder_config {
    const char *path;  /* output file; the container follows its extension (.mp4, .mkv) */
    const char *codec; /* encoder name, e.g. "libx264", "ffv1" */
    int format;        /* enum cw_encoder_format */
    int width, height; /* even */
    double fps;
    int crf;            /* libx264 quality (0 = lossless … 51) */
    const char *preset; /* libx264 preset, e.g. "veryfast"; NULL for the codec's default */
};

struct cw_encoder;

/* Opens the file and the encoder (one thread, so the same input gives the same bytes). Returns
 * NULL after logging one line naming the file or the missing encoder. */
struct cw_encoder *cw_encoder_new(const struct cw_encoder_config *cfg);

/* The picture to fill for the next frame: planes and strides (plane 0 only for GRAY). */
int cw_encoder_planes(struct cw_encoder *e, uint8_t *planes[3], int strides[3]);

/* Encodes the filled picture as frame @index. Returns 0, or CW_EIO (logged: a full disk?). */
int cw_encoder_write(struct cw_encoder *e, int64_t index);

/* Flushes, finishes the file and frees. Returns 0, or CW_EIO (logged). NULL is fine. */
int cw_encoder_close(struct cw_encoder *e);

#endif
