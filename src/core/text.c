/* Text through FreeType: UTF-8 decoded here, each glyph rendered to an 8-bit coverage bitmap and
 * blended into the picture. */
#include "crosswatch/text.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "crosswatch/log.h"

struct cw_font {
    FT_Library lib;
    FT_Face face[2]; /* main, fallback (may be NULL) */
    int px, ascent, line;
};

struct cw_font *cw_font_open(const char *path, const char *fallback, int px)
{
    struct cw_font *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->px = px < 4 ? 4 : px;
    if (FT_Init_FreeType(&f->lib)) {
        cw_log_error("text", "cannot start FreeType");
        free(f);
        return NULL;
    }
    if (FT_New_Face(f->lib, path, 0, &f->face[0]) || FT_Set_Pixel_Sizes(f->face[0], 0, f->px)) {
        cw_log_error("text",
                     "font '%s': cannot be read; install fonts-dejavu-core or name a "
                     "TrueType font",
                     path);
        f->face[0] = NULL;
        cw_font_free(f);
        return NULL;
    }
    if (fallback && access(fallback, R_OK) == 0 &&
        (FT_New_Face(f->lib, fallback, 0, &f->face[1]) ||
         FT_Set_Pixel_Sizes(f->face[1], 0, f->px))) {
        cw_log_warn("text",
                    "fallback font '%s' cannot be read; characters the main font lacks "
                    "will be left out",
                    fallback);
        f->face[1] = NULL;
    }
    FT_Size_Metrics *m = &f->face[0]->size->metrics;
    f->ascent = (int)(m->ascender >> 6);
    f->line = (int)((m->ascender - m->descender) >> 6);
    return f;
}

void cw_font_free(struct cw_font *f)
{
    if (!f)
        return;
    for (int i = 0; i < 2; i++)
        if (f->face[i])
            FT_Done_Face(f->face[i]);
    FT_Done_FreeType(f->lib);
    free(f);
}

int cw_font_line_height(const struct cw_font *f)
{
    return f->line;
}

/* The next code point of @s (advanced past it); malformed bytes give U+FFFD. */
static uint32_t next_char(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t c = *p++;
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (c >= 0x80 && !extra) {
        *s = (const char *)p;
        return 0xFFFD;
    }
    c &= extra == 3 ? 0x07 : extra == 2 ? 0x0F : extra == 1 ? 0x1F : 0x7F;
    for (int i = 0; i < extra; i++, p++) {
        if ((*p & 0xC0) != 0x80) {
            *s = (const char *)p;
            return 0xFFFD;
        }
        c = c << 6 | (*p & 0x3F);
    }
    *s = (const char *)p;
    return c;
}

/* Renders code point @c into its face's glyph slot; the face used, or NULL when none has it. */
static FT_Face render(struct cw_font *f, uint32_t c)
{
    for (int i = 0; i < 2; i++) {
        FT_Face face = f->face[i];
        FT_UInt g = face ? FT_Get_Char_Index(face, c) : 0;
        if (g && !FT_Load_Glyph(face, g, FT_LOAD_RENDER))
            return face;
    }
    return NULL;
}

static int draw_or_measure(struct cw_font *f, struct cw_canvas *cv, int x, int y, const char *s,
                           struct cw_colour col)
{
    int pen = x;
    while (*s) {
        FT_Face face = render(f, next_char(&s));
        if (!face)
            continue;
        FT_GlyphSlot g = face->glyph;
        if (cv) {
            const FT_Bitmap *b = &g->bitmap;
            int top = y + f->ascent - g->bitmap_top, left = pen + g->bitmap_left;
            for (unsigned r = 0; r < b->rows; r++) {
                int py = top + (int)r;
                if (py < 0 || py >= cv->height)
                    continue;
                for (unsigned k = 0; k < b->width; k++) {
                    int px = left + (int)k;
                    unsigned a = b->buffer[r * (unsigned)b->pitch + k];
                    if (px < 0 || px >= cv->width || !a)
                        continue;
                    uint8_t *yp = cv->plane[0] + (size_t)py * cv->stride[0] + px;
                    *yp = (uint8_t)((*yp * (255 - a) + col.y * a) / 255);
                    if (a > 127) {
                        cv->plane[1][(size_t)(py / 2) * cv->stride[1] + px / 2] = col.u;
                        cv->plane[2][(size_t)(py / 2) * cv->stride[2] + px / 2] = col.v;
                    }
                }
            }
        }
        pen += (int)(g->advance.x >> 6);
    }
    return pen - x;
}

int cw_font_width(struct cw_font *f, const char *utf8)
{
    return draw_or_measure(f, NULL, 0, 0, utf8, (struct cw_colour){0, 0, 0});
}

int cw_font_draw(struct cw_font *f, struct cw_canvas *c, int x, int y, const char *utf8,
                 struct cw_colour col)
{
    return draw_or_measure(f, c, x, y, utf8, col);
}
