/* Runs a fuzz target over seed files and deterministic mutations of them, so that every build
 * (not only clang's libFuzzer build) exercises the parser with damaged input.
 * Usage: <target> [-n iterations] seed-file...   Exit 0 when no input crashed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Tokens that reach deep parser paths: structure, numbers at the edges, wrong types. */
static const char *const tokens[] = {
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "null",
    "true",
    "-1",
    "0",
    "1e308",
    "-1e308",
    "1e-320",
    "NaN",
    "[[0,0],[1,1],[0,1]]",
    "[1,2,3,4,5,6,7,8,9]",
    "\"polygon\"",
    "\"kind\"",
    "\"id\"",
    "\"ground\"",
    "\"points\"",
    "\\u0000",
    "99999999999999999999",
};

static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
    int edits = 1 + (int)(next() % 6);
    for (int e = 0; e < edits; e++) {
        size_t at = len ? next() % len : 0;
        switch (next() % 5) {
        case 0: /* flip a bit */
            if (len)
                buf[at] ^= (uint8_t)(1u << (next() % 8));
            break;
        case 1: { /* delete a run */
            size_t n = 1 + next() % 16;
            if (at + n > len)
                n = len - at;
            memmove(buf + at, buf + at + n, len - at - n);
            len -= n;
            break;
        }
        case 2: { /* insert a token */
            const char *t = tokens[next() % (sizeof(tokens) / sizeof(tokens[0]))];
            size_t n = strlen(t);
            if (len + n <= cap) {
                memmove(buf + at + n, buf + at, len - at);
                memcpy(buf + at, t, n);
                len += n;
            }
            break;
        }
        case 3: /* truncate */
            len = at;
            break;
        default: { /* duplicate a run */
            size_t n = 1 + next() % 64;
            if (at + n > len)
                n = len - at;
            if (len + n <= cap) {
                memmove(buf + at + n, buf + at, len - at);
                len += n;
            }
            break;
        }
        }
    }
    return len;
}

int main(int argc, char **argv)
{
    long iterations = 2000, runs = 0;
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "-n")) {
        iterations = atol(argv[2]);
        first = 3;
    }
    for (int i = first; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        uint8_t *seed, *buf;
        size_t len, cap;
        if (!f) {
            fprintf(stderr, "replay: cannot open %s\n", argv[i]);
            return 1;
        }
        seed = malloc(1 << 20);
        len = fread(seed, 1, 1 << 20, f);
        fclose(f);
        cap = len * 2 + 4096;
        buf = malloc(cap);
        LLVMFuzzerTestOneInput(seed, len);
        for (long k = 0; k < iterations; k++) {
            size_t n;
            memcpy(buf, seed, len);
            n = mutate(buf, len, cap);
            /* An exact-size copy, so ASan sees any read past the end. */
            uint8_t *exact = malloc(n ? n : 1);
            memcpy(exact, buf, n);
            LLVMFuzzerTestOneInput(exact, n);
            free(exact);
            runs++;
        }
        free(seed);
        free(buf);
    }
    printf("replay: %ld mutated inputs, no crash\n", runs);
    return 0;
}
