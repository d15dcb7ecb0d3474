/* Drawing on YUV 4:2:0 pictures. */
#include "crosswatch/draw.h"

#include <math.h>
#include <stdlib.h>

const struct cw_colour CW_RED = {81, 90, 240}, CW_GREEN = {145, 54, 34}, CW_YELLOW = {210, 16, 146},
                       CW_BLUE = {41, 240, 110}, CW_WHITE = {235, 128, 128},
                       CW_GREY = {126, 128, 128}, CW_ORANGE = {151, 44, 201},
                       CW_MAGENTA = {106, 202, 222}, CW_CYAN = {170, 166, 16};

static void dot(struct cw_canvas *c, int x, int y, struct cw_colour col)
{
    if (x < 0 || y < 0 || x >= c->width || y >= c->height)
        return;
    c->plane[0][(size_t)y * c->stride[0] + x] = col.y;
    c->plane[1][(size_t)(y / 2) * c->stride[1] + x / 2] = col.u;
    c->plane[2][(size_t)(y / 2) * c->stride[2] + x / 2] = col.v;
}

void cw_draw_fill(struct cw_canvas *c, const struct cw_box *b, struct cw_colour col)
{
    int x0 = (int)fmax(0, floor(b->x)), y0 = (int)fmax(0, floor(b->y));
    int x1 = (int)fmin(c->width, ceil(b->x + b->w)), y1 = (int)fmin(c->height, ceil(b->y + b->h));
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            dot(c, x, y, col);
}

void cw_draw_line(struct cw_canvas *c, struct cw_point a, struct cw_point b, struct cw_colour col,
                  int thickness)
{
    double dx = b.x - a.x, dy = b.y - a.y, len = fmax(fabs(dx), fabs(dy));
    /* lines far outside the picture (a point near the horizon) are drawn only where they can be */
    if (len > 20000)
        return;
    int steps = (int)ceil(len), r = thickness / 2;
    for (int i = 0; i <= steps; i++) {
        double t = steps ? (double)i / steps : 0;
        int x = (int)lround(a.x + t * dx), y = (int)lround(a.y + t * dy);
        if (x < -r || y < -r || x >= c->width + r || y >= c->height + r)
            continue;
        for (int oy = -r; oy <= r; oy++)
            for (int ox = -r; ox <= r; ox++)
                dot(c, x + ox, y + oy, col);
    }
}

void cw_draw_box(struct cw_canvas *c, const struct cw_box *b, struct cw_colour col, int thickness)
{
    struct cw_point p[4] = {
        {b->x, b->y}, {b->x + b->w, b->y}, {b->x + b->w, b->y + b->h}, {b->x, b->y + b->h}};
    cw_draw_polygon(c, p, 4, col, thickness);
}

void cw_draw_polygon(struct cw_canvas *c, const struct cw_point *p, int n, struct cw_colour col,
                     int thickness)
{
    for (int i = 0; i < n; i++)
        cw_draw_line(c, p[i], p[(i + 1) % n], col, thickness);
}

/* 3 × 5 digits, one row per 3 bits, top row first */
static const uint8_t digits[10][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}};

void cw_draw_digits(struct cw_canvas *c, int x, int y, const char *text, struct cw_colour col,
                    int scale)
{
    for (; *text; text++, x += 4 * scale) {
        if (*text < '0' || *text > '9')
            continue;
        const uint8_t *g = digits[*text - '0'];
        for (int row = 0; row < 5; row++)
            for (int bit = 0; bit < 3; bit++)
                if (g[row] & (4 >> bit)) {
                    struct cw_box cell = {x + bit * scale, y + row * scale, scale, scale};
                    cw_draw_fill(c, &cell, col);
                }
    }
}

/* One plane's blocks of @blk pixels inside [x0, x1) × [y0, y1) set to their mean. */
static void pixelate_plane(uint8_t *p, int stride, int x0, int y0, int x1, int y1, int blk)
{
    for (int by = y0; by < y1; by += blk)
        for (int bx = x0; bx < x1; bx += blk) {
            int ex = bx + blk < x1 ? bx + blk : x1, ey = by + blk < y1 ? by + blk : y1;
            unsigned sum = 0, n = (unsigned)((ex - bx) * (ey - by));
            for (int y = by; y < ey; y++)
                for (int x = bx; x < ex; x++)
                    sum += p[(size_t)y * stride + x];
            uint8_t m = (uint8_t)((sum + n / 2) / n);
            for (int y = by; y < ey; y++)
                for (int x = bx; x < ex; x++)
                    p[(size_t)y * stride + x] = m;
        }
}

void cw_draw_pixelate(struct cw_canvas *c, const struct cw_box *b, int block)
{
    int x0 = (int)b->x, y0 = (int)b->y, x1 = (int)(b->x + b->w + 0.5),
        y1 = (int)(b->y + b->h + 0.5);
    x0 = x0 < 0 ? 0 : x0 & ~1;
    y0 = y0 < 0 ? 0 : y0 & ~1;
    x1 = x1 > c->width ? c->width : x1;
    y1 = y1 > c->height ? c->height : y1;
    if (x1 <= x0 || y1 <= y0)
        return;
    block = block < 2 ? 2 : block & ~1;
    pixelate_plane(c->plane[0], c->stride[0], x0, y0, x1, y1, block);
    for (int p = 1; p < 3; p++)
        pixelate_plane(c->plane[p], c->stride[p], x0 / 2, y0 / 2, (x1 + 1) / 2, (y1 + 1) / 2,
                       block / 2);
}
