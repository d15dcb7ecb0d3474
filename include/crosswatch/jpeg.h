/* crosswatch — JPEG pictures through libjpeg-turbo (TurboJPEG API). */
#ifndef CROSSWATCH_JPEG_H
#define CROSSWATCH_JPEG_H

#include <stdint.h>

/* Decodes the JPEG file at @path into a new packed RGB buffer (3 bytes a pixel, rows 3 × *@w
 * bytes apart), which the caller frees. Returns 0, or CW_ENOENT / CW_EIO / CW_EFORMAT after
 * logging one line naming the file. */
int cw_jpeg_read_rgb(const char *path, uint8_t **rgb, int *w, int *h);

#endif
