/* crosswatch — drawing on YUV 4:2:0 pictures: lines, boxes, polygons, filled rectangles and
 * digits, for debug videos and evidence overlays. Clipped to the picture; no allocation. */
#ifndef CROSSWATCH_DRAW_H
#define CROSSWATCH_DRAW_H

#include <stdint.h>

#include "crosswatch/geom.h"

struct cw_canvas {
    uint8_t *plane[3]; /* Y, U, V; U and V at half size each way */
    int stride[3];
    int width, height;
};

struct cw_colour {
    uint8_t y, u, v;
};

/* BT.601 limited-range colours. */
extern const struct cw_colour CW_RED, CW_GREEN, CW_YELLOW, CW_BLUE, CW_WHITE, CW_GREY, CW_ORANGE,
    CW_MAGENTA, CW_CYAN;

void cw_draw_line(struct cw_canvas *c, struct cw_point a, struct cw_point b, struct cw_colour col,
                  int thickness);
void cw_draw_box(struct cw_canvas *c, const struct cw_box *b, struct cw_colour col, int thickness);
void cw_draw_polygon(struct cw_canvas *c, const struct cw_point *p, int n, struct cw_colour col,
                     int thickness);
void cw_draw_fill(struct cw_canvas *c, const struct cw_box *b, struct cw_colour col);

/* Blurs the pixels inside @b (clipped to the picture) so that faces and number plates cannot be
 * read: the region is replaced by blocks of @block pixels (at least 2), each its own average. */
void cw_draw_pixelate(struct cw_canvas *c, const struct cw_box *b, int block);

/* Draws the digits of @text (other characters leave a gap) with the top-left at (@x, @y), each
 * digit 3 × 5 cells of @scale pixels. */
void cw_draw_digits(struct cw_canvas *c, int x, int y, const char *text, struct cw_colour col,
                    int scale);

#endif
