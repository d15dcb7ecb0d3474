/* crosswatch — text on YUV pictures through FreeType, for evidence overlays (date and time, site,
 * camera, rule). UTF-8 in; characters the main font lacks (Chinese site names) are taken from a
 * fallback font. Not for the per-frame path: glyphs are rendered as they are drawn. */
#ifndef CROSSWATCH_TEXT_H
#define CROSSWATCH_TEXT_H

#include "crosswatch/draw.h"

/* Debian's fonts-dejavu-core and fonts-droid-fallback. */
#define CW_FONT_DEFAULT  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define CW_FONT_FALLBACK "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

struct cw_font;

/* Opens the font at @path for text @px pixels high; @fallback (NULL or absent: none) serves the
 * characters @path lacks. Logs one line naming the file and returns NULL when it cannot be read. */
struct cw_font *cw_font_open(const char *path, const char *fallback, int px);
void cw_font_free(struct cw_font *f);

/* Height of a line of text, pixels. */
int cw_font_line_height(const struct cw_font *f);

/* Width @utf8 would take, pixels. */
int cw_font_width(struct cw_font *f, const char *utf8);

/* Draws @utf8 with the top of its line at (@x, @y) in @col, anti-aliased into the luma plane and
 * coloured in the chroma planes; clipped to the picture. Returns the width drawn. */
int cw_font_draw(struct cw_font *f, struct cw_canvas *c, int x, int y, const char *utf8,
                 struct cw_colour col);

#endif
