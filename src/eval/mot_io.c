/* MOTChallenge text files: ground truth, tracker output and seqinfo.ini. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/mot.h"

#define MOD "mot"
/* Ground truth of the longest MOTChallenge sequences is a few MB; 1 GiB means a wrong file. */
#define MOT_MAX_BYTES (1u << 30)

int cw_mot_read_seqinfo(const char *path, struct cw_mot_seqinfo *out)
{
    char *text, *line, *save = NULL;
    int err;

    memset(out, 0, sizeof(*out));
    err = cw__read_file(MOD, path, 1 << 20, &text, NULL);
    if (err)
        return err;
    for (line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        char *eq = strchr(line, '='), *key = line, *val;
        if (!eq)
            continue;
        *eq = 0;
        val = eq + 1;
        while (isspace((unsigned char)*key))
            key++;
        for (char *e = eq - 1; e >= key && isspace((unsigned char)*e); e--)
            *e = 0;
        while (isspace((unsigned char)*val))
            val++;
        if (!strcmp(key, "name"))
            snprintf(out->name, sizeof(out->name), "%s", val);
        else if (!strcmp(key, "seqLength"))
            out->length = atoi(val);
        else if (!strcmp(key, "frameRate"))
            out->fps = atof(val);
        else if (!strcmp(key, "imWidth"))
            out->width = atoi(val);
        else if (!strcmp(key, "imHeight"))
            out->height = atoi(val);
    }
    free(text);
    if (out->length <= 0) {
        cw_log_error(MOD, "%s: no seqLength in [Sequence]; is this a MOTChallenge seqinfo.ini?",
                     path);
        return CW_EFORMAT;
    }
    return 0;
}

void cw_mot_file_release(struct cw_mot_file *f)
{
    free(f->box);
    free(f->first);
    memset(f, 0, sizeof(*f));
}

/* Reads up to @max numbers separated by commas or blanks from [p, end); returns how many. */
static int read_numbers(const char *p, const char *end, double *v, int max, bool *bad)
{
    int n = 0;
    *bad = false;
    while (p < end) {
        char *stop;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= end)
            break;
        if (n == max) /* extra columns are allowed and ignored */
            break;
        errno = 0;
        v[n] = strtod(p, &stop);
        if (stop == p || stop > end || !isfinite(v[n])) {
            *bad = true;
            return n;
        }
        n++;
        p = stop;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end) {
            if (*p != ',' && !isdigit((unsigned char)*p) && *p != '-' && *p != '+' && *p != '.') {
                *bad = true;
                return n;
            }
            if (*p == ',')
                p++;
        }
    }
    return n;
}

int cw_mot_parse(const char *text, size_t len, const char *name, int frames, bool gt,
                 struct cw_mot_file *out)
{
    size_t cap = 1024, lineno = 0;
    const char *p = text, *end = text + len;
    int errors = 0;

    memset(out, 0, sizeof(*out));
    out->frames = frames;
    out->columns = 99;
    out->box = malloc(sizeof(*out->box) * cap);
    out->first = calloc((size_t)frames + 2, sizeof(*out->first));
    if (!out->box || !out->first)
        goto out_nomem;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        double v[10];
        bool bad;
        int n;
        lineno++;
        if (eol > p && eol[-1] == '\r')
            eol--;
        const char *q = p;
        while (q < eol && isspace((unsigned char)*q))
            q++;
        p = nl ? nl + 1 : end;
        if (q == eol)
            continue; /* blank line */
        /* strtod needs a terminated string: work on a copy of the line. */
        char buf[512];
        size_t llen = (size_t)(eol - q);
        if (llen >= sizeof(buf)) {
            if (errors++ < 5)
                cw_log_error(MOD, "%s:%zu: line longer than %zu characters", name, lineno,
                             sizeof(buf) - 1);
            continue;
        }
        memcpy(buf, q, llen);
        buf[llen] = 0;
        n = read_numbers(buf, buf + llen, v, 10, &bad);
        if (bad || n < (gt ? 8 : 6)) {
            if (errors++ < 5)
                cw_log_error(MOD,
                             "%s:%zu: expected %s numbers "
                             "(frame,id,x,y,w,h,conf%s), found '%.*s'",
                             name, lineno, gt ? "at least 8" : "at least 6",
                             gt ? ",class[,visibility]" : "[,...]",
                             (int)(eol - q > 60 ? 60 : eol - q), q);
            continue;
        }
        if (v[0] != floor(v[0]) || v[0] < 1 || v[0] > frames) {
            if (errors++ < 5)
                cw_log_error(MOD, "%s:%zu: frame %g is outside the sequence's 1..%d", name, lineno,
                             v[0], frames);
            continue;
        }
        if (fabs(v[1]) > 2e9 || (n > 7 && fabs(v[7]) > 2e9) || fabs(v[2]) > 1e9 ||
            fabs(v[3]) > 1e9 || fabs(v[4]) > 1e9 || fabs(v[5]) > 1e9) {
            if (errors++ < 5)
                cw_log_error(MOD, "%s:%zu: id, class or box out of range", name, lineno);
            continue;
        }
        if (out->n == cap) {
            struct cw_mot_box *b = realloc(out->box, sizeof(*b) * cap * 2);
            if (!b)
                goto out_nomem;
            out->box = b;
            cap *= 2;
        }
        struct cw_mot_box *b = &out->box[out->n++];
        b->frame = (int)v[0];
        b->id = (int)v[1]; /* as TrackEval: int(float(id)) */
        b->x = v[2];
        b->y = v[3];
        b->w = v[4];
        b->h = v[5];
        b->conf = n > 6 ? v[6] : 1;
        b->cls = n > 7 ? (int)v[7] : -1;
        b->vis = n > 8 ? v[8] : -1;
        if (n < out->columns)
            out->columns = n;
    }
    if (errors) {
        if (errors > 5)
            cw_log_error(MOD, "%s: %d more bad lines", name, errors - 5);
        cw_mot_file_release(out);
        return CW_EFORMAT;
    }
    /* Group by frame with a stable counting sort: within a frame, boxes keep the file's order,
     * as TrackEval reads them. */
    for (size_t i = 1; i < out->n; i++) {
        if (out->box[i].frame < out->box[i - 1].frame) {
            struct cw_mot_box *tmp = out->box;
            size_t *count = calloc((size_t)frames + 2, sizeof(size_t));
            struct cw_mot_box *sorted = malloc(sizeof(*sorted) * out->n);
            if (!count || !sorted) {
                free(count);
                free(sorted);
                goto out_nomem;
            }
            for (size_t k = 0; k < out->n; k++)
                count[tmp[k].frame + 1]++;
            for (int f = 1; f <= frames + 1; f++)
                count[f] += count[f - 1];
            for (size_t k = 0; k < out->n; k++)
                sorted[count[tmp[k].frame]++] = tmp[k];
            free(count);
            free(tmp);
            out->box = sorted;
            break;
        }
    }
    for (size_t i = 0; i < out->n; i++)
        out->first[out->box[i].frame + 1]++;
    for (int f = 1; f <= frames + 1; f++)
        out->first[f] += out->first[f - 1];
    if (out->n == 0)
        out->columns = gt ? 9 : 10;
    return 0;

out_nomem:
    cw_log_error(MOD, "%s: out of memory", name);
    cw_mot_file_release(out);
    return CW_ENOMEM;
}

int cw_mot_load(const char *path, int frames, bool gt, struct cw_mot_file *out)
{
    char *text;
    size_t len;
    int err;
    memset(out, 0, sizeof(*out));
    if (frames < 1) {
        cw_log_error(MOD, "%s: the sequence length must be given (seqinfo.ini)", path);
        return CW_EINVAL;
    }
    err = cw__read_file(MOD, path, MOT_MAX_BYTES, &text, &len);
    if (err)
        return err;
    err = cw_mot_parse(text, len, path, frames, gt, out);
    free(text);
    return err;
}
