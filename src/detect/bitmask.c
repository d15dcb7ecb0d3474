/* Binary masks one bit a pixel: packing, unpacking and 3×3 morphology a word at a time. */
#include "crosswatch/bitmask.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "crosswatch/error.h"

int cw_bitmask_init(struct cw_bitmask *b, int w, int h)
{
    memset(b, 0, sizeof(*b));
    if (w < 1 || h < 1 || w > 1 << 16 || h > 1 << 16)
        return CW_EINVAL;
    b->w = w, b->h = h, b->words = (w + 63) / 64;
    b->bits = calloc((size_t)h * b->words, sizeof(uint64_t));
    return b->bits ? 0 : CW_ENOMEM;
}

void cw_bitmask_free(struct cw_bitmask *b)
{
    free(b->bits);
    b->bits = NULL;
}

/* The bits of the last word of a row that are pixels. */
static uint64_t last_word_mask(int w)
{
    return w % 64 ? (UINT64_C(1) << (w % 64)) - 1 : ~UINT64_C(0);
}

void cw_bitmask_from_bytes(struct cw_bitmask *b, const uint8_t *bytes, size_t stride, uint8_t value)
{
    for (int y = 0; y < b->h; y++) {
        const uint8_t *row = bytes + (size_t)y * stride;
        uint64_t *out = b->bits + (size_t)y * b->words;
        int x = 0, j = 0;
#ifdef __SSE2__
        const __m128i v = _mm_set1_epi8((char)value);
        for (; x + 64 <= b->w; x += 64, j++) {
            uint64_t word = 0;
            for (int k = 0; k < 4; k++) {
                __m128i px = _mm_loadu_si128((const __m128i *)(const void *)(row + x + 16 * k));
                word |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(px, v)) << (16 * k);
            }
            out[j] = word;
        }
#endif
        for (; j < b->words; j++) {
            uint64_t word = 0;
            for (int k = 0; k < 64 && 64 * j + k < b->w; k++)
                word |= (uint64_t)(row[64 * j + k] == value) << k;
            out[j] = word;
        }
    }
}

static uint64_t spread[256];
static pthread_once_t spread_once = PTHREAD_ONCE_INIT;

static void make_spread(void)
{
    for (int i = 0; i < 256; i++) {
        uint64_t v = 0;
        for (int k = 0; k < 8; k++)
            if (i >> k & 1)
                v |= UINT64_C(0xff) << (8 * k);
        spread[i] = v;
    }
}

void cw_bitmask_to_bytes(const struct cw_bitmask *b, uint8_t *bytes, uint8_t on)
{
    /* eight pixels a step: a byte of bits spread to eight bytes of 0 or 0xff */
    pthread_once(&spread_once, make_spread);
    const uint64_t fill = UINT64_C(0x0101010101010101) * on;
    for (int y = 0; y < b->h; y++) {
        const uint64_t *in = b->bits + (size_t)y * b->words;
        uint8_t *row = bytes + (size_t)y * b->w;
        int x = 0;
        for (int j = 0; j < b->words; j++) {
            uint64_t word = in[j];
            for (int k = 0; k < 8 && x < b->w; k++, x += 8, word >>= 8) {
                uint64_t px = spread[word & 0xff] & fill;
                if (x + 8 <= b->w)
                    memcpy(row + x, &px, 8);
                else
                    memcpy(row + x, &px, (size_t)(b->w - x));
            }
        }
    }
}

void cw_bitmask_clear_border(struct cw_bitmask *b, int top, int bottom, int left, int right)
{
    for (int y = 0; y < b->h; y++) {
        uint64_t *row = b->bits + (size_t)y * b->words;
        if (y < top || y >= b->h - bottom) {
            memset(row, 0, sizeof(*row) * (size_t)b->words);
            continue;
        }
        for (int x = 0; x < left && x < b->w; x++)
            row[x / 64] &= ~(UINT64_C(1) << (x % 64));
        for (int x = b->w - right < 0 ? 0 : b->w - right; x < b->w; x++)
            row[x / 64] &= ~(UINT64_C(1) << (x % 64));
    }
}

/* One row across: each pixel with its left and right neighbours, the edges repeated. */
static void morph_row(uint64_t *restrict t, const uint64_t *restrict s, int w, int words,
                      bool dilate)
{
    const int last = words - 1;
    const uint64_t keep = last_word_mask(w);
    const uint64_t first_px = s[0] & 1, last_px = s[last] >> ((w - 1) % 64) & 1;
    for (int j = 0; j < words; j++) {
        uint64_t c = s[j];
        /* the neighbours' bits that shift in: the edge pixel itself beyond the edges */
        uint64_t prev = j ? s[j - 1] >> 63 : first_px;
        uint64_t next;
        if (j < last)
            next = s[j + 1] & 1;
        else
            next = last_px;
        if (j == last && w % 64) {
            c |= last_px << (w % 64); /* the pixel past the edge repeats the edge */
            next = 0;
        }
        uint64_t l = c << 1 | prev, r = c >> 1 | next << 63;
        uint64_t v = dilate ? (c | l | r) : (c & l & r);
        t[j] = j == last ? v & keep : v;
    }
}

void cw_bitmask_morph(struct cw_bitmask *dst, const struct cw_bitmask *src, struct cw_bitmask *tmp,
                      bool dilate)
{
    const int w = src->w, h = src->h, words = src->words;
    for (int y = 0; y < h; y++)
        morph_row(tmp->bits + (size_t)y * words, src->bits + (size_t)y * words, w, words, dilate);
    /* then down: each row with the rows above and below, the edge rows repeated */
    for (int y = 0; y < h; y++) {
        const uint64_t *a = tmp->bits + (size_t)(y > 0 ? y - 1 : y) * words;
        const uint64_t *c = tmp->bits + (size_t)y * words;
        const uint64_t *d = tmp->bits + (size_t)(y < h - 1 ? y + 1 : y) * words;
        uint64_t *o = dst->bits + (size_t)y * words;
        if (dilate)
            for (int j = 0; j < words; j++)
                o[j] = a[j] | c[j] | d[j];
        else
            for (int j = 0; j < words; j++)
                o[j] = a[j] & c[j] & d[j];
    }
}

void cw_bitmask_bridge_down(struct cw_bitmask *set, const struct cw_bitmask *gap,
                            struct cw_bitmask *open, int max_run, uint16_t *run)
{
    const int h = set->h, words = set->words;
    /* open row y: the columns whose run through row y hangs from a set bit above and is at most
     * max_run long so far; run[x] its length. A run goes through gap bits and the pixels right
     * above and below them (the seam between a windscreen and a bonnet matches neither). */
    for (int y = 0; y < h; y++) {
        const uint64_t *g = gap->bits + (size_t)y * words;
        const uint64_t *ga = y ? g - words : NULL, *gb = y < h - 1 ? g + words : NULL;
        uint64_t *s = set->bits + (size_t)y * words, *o = open->bits + (size_t)y * words;
        const uint64_t *ps = y ? s - words : NULL, *po = y ? o - words : NULL;
        for (int j = 0; j < words; j++) {
            uint64_t was_open = po ? po[j] : 0, on = 0;
            uint64_t through = (g[j] | (ga ? ga[j] : 0) | (gb ? gb[j] : 0)) & ~s[j];
            /* runs that end on a set bit: their pixels become set */
            for (uint64_t left = was_open & s[j]; left; left &= left - 1) {
                const int k = __builtin_ctzll(left), x = 64 * j + k;
                for (int r = 1; r <= run[x]; r++)
                    set->bits[(size_t)(y - r) * words + j] |= UINT64_C(1) << k;
            }
            /* runs that go on, and runs that start under a set bit */
            for (uint64_t left = through & (was_open | (ps ? ps[j] : 0)); left; left &= left - 1) {
                const int k = __builtin_ctzll(left), x = 64 * j + k;
                int r = (was_open >> k & 1) ? run[x] + 1 : 1;
                if (r <= max_run) {
                    run[x] = (uint16_t)r;
                    on |= UINT64_C(1) << k;
                }
            }
            o[j] = on;
        }
    }
}
