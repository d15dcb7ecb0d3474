/* crosswatch — JPEG pictures through libjpeg-turbo (TurboJPEG API). */
#ifndef CROSSWATCH_JPEG_H
#define CROSSWATCH_JPEG_H

#include <stdbool.h>
#include <stdint.h>

/* Decodes the JPEG file at @path into a new packed RGB buffer (3 bytes a pixel, rows 3 × *@w
 * bytes apart), which the caller frees. Returns 0, or CW_ENOENT / CW_EIO / CW_EFORMAT after
 * logging one line naming the file. */
int cw_jpeg_read_rgb(const char *path, uint8_t **rgb, int *w, int *h);

/* A JPEG encoder that keeps its TurboJPEG handle and output buffer between pictures (the
 * full-range copy of a TV-range picture is made per picture: 3 MB at 1080p would otherwise stay
 * resident per camera). One thread at a time. NULL (logged) when memory is short. */
struct cw_jpeg_encoder;
struct cw_jpeg_encoder *cw_jpeg_encoder_new(void);
void cw_jpeg_encoder_free(struct cw_jpeg_encoder *e);

/* Encodes a YUV 4:2:0 picture (@planes with row strides @strides; chroma at half size each way)
 * of @w × @h as a colour JPEG of @quality (1–100) with @enc (NULL: one made for this picture)
 * and writes it to @path whole or not at all (core/file.h). A JPEG's YUV spans 0–255: a
 * @tv_range picture (16–235, what cameras send) is stretched to it first, or its blacks would
 * show grey and its colours faded. Returns 0, or CW_ENOSPC / CW_EPERM / CW_EIO / CW_ENOMEM
 * after logging one line naming the file. */
int cw_jpeg_write_yuv420(struct cw_jpeg_encoder *enc, const char *path,
                         const uint8_t *const planes[3], const int strides[3], int w, int h,
                         int quality, bool tv_range);

#endif
