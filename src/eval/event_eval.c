/* Detected violations against the truth of a synthetic scenario. */
#include "crosswatch/event_eval.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "crosswatch/assign.h"
#include "crosswatch/error.h"
#include "crosswatch/geom.h"
#include "crosswatch/log.h"
#include "crosswatch/mot.h"

#define MOD "eval"

void cw_event_set_release(struct cw_event_set *s)
{
    free(s->ev);
    s->ev = NULL;
    s->n = 0;
}

static int grow(struct cw_event_set *s, int *cap)
{
    if (s->n < *cap)
        return 0;
    int nc = *cap ? *cap * 2 : 64;
    struct cw_event_rec *e = realloc(s->ev, sizeof(*e) * (size_t)nc);
    if (!e)
        return CW_ENOMEM;
    s->ev = e;
    *cap = nc;
    return 0;
}

static const char *str_of(const cJSON *o, const char *a, const char *b)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, a);
    if (!j && b)
        j = cJSON_GetObjectItemCaseSensitive(o, b);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

static bool num_of(const cJSON *o, const char *key, double *v)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble))
        return false;
    *v = j->valuedouble;
    return true;
}

/* One event object into @e; logs and returns false when it lacks what is needed. */
static bool read_event(const cJSON *o, const char *where, double fps, bool truth,
                       struct cw_event_rec *e)
{
    const char *type = str_of(o, "type", "rule");
    double v;
    memset(e, 0, sizeof(*e));
    e->actor = -1;
    e->frame = -1;
    if (!cJSON_IsObject(o)) {
        cw_log_error(MOD, "%s: expected an object", where);
        return false;
    }
    if (!type || !*type || strlen(type) >= sizeof(e->type)) {
        cw_log_error(MOD, "%s.type: required (the violation type, e.g. red_light)", where);
        return false;
    }
    snprintf(e->type, sizeof(e->type), "%s", type);
    if (num_of(o, "frame", &v)) {
        if (v < 0 || v > 1e9 || v != floor(v)) {
            cw_log_error(MOD, "%s.frame: %g is not a frame number", where, v);
            return false;
        }
        e->frame = (int)v;
    }
    if (num_of(o, "time_s", &v))
        e->time_s = v;
    else if (e->frame >= 0 && fps > 0)
        e->time_s = e->frame / fps;
    else {
        cw_log_error(MOD, "%s: needs time_s or frame", where);
        return false;
    }
    double first, last;
    if (!truth && num_of(o, "first_ms", &first) && num_of(o, "last_ms", &last) && last >= first &&
        last - first < 864e5)
        e->span_s = (last - first) / 1000;
    if (num_of(o, truth ? "actor" : "track", &v) && fabs(v) < 2e9)
        e->actor = (int)v;
    if (truth && e->actor < 0) {
        cw_log_error(MOD, "%s.actor: required in the truth", where);
        return false;
    }
    const cJSON *box = cJSON_GetObjectItemCaseSensitive(o, "box");
    if (box) {
        double b[4];
        int k = 0;
        for (const cJSON *x = cJSON_IsArray(box) ? box->child : NULL; x && k < 4; x = x->next)
            b[k++] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
        if (k != 4 || cJSON_GetArraySize(box) != 4 || !isfinite(b[0] + b[1] + b[2] + b[3]) ||
            b[2] <= 0 || b[3] <= 0) {
            cw_log_error(MOD, "%s.box: expected [x, y, width, height] with a positive size", where);
            return false;
        }
        e->has_box = true;
        e->x = b[0];
        e->y = b[1];
        e->w = b[2];
        e->h = b[3];
    }
    return true;
}

int cw_event_detections_parse(const char *text, size_t len, const char *name, double fps,
                              struct cw_event_set *out)
{
    int cap = 0, errors = 0, line = 0;
    char where[600];
    const char *p = text, *end = text + len;

    memset(out, 0, sizeof(*out));
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    if (p < end && *p == '[') {
        cJSON *arr = cJSON_ParseWithLength(text, len);
        int i = 0;
        if (!cJSON_IsArray(arr)) {
            cw_log_error(MOD, "%s: malformed JSON array of events", name);
            cJSON_Delete(arr);
            return CW_EFORMAT;
        }
        for (const cJSON *o = arr->child; o; o = o->next, i++) {
            snprintf(where, sizeof(where), "%s: [%d]", name, i);
            if (grow(out, &cap)) {
                cJSON_Delete(arr);
                cw_event_set_release(out);
                return CW_ENOMEM;
            }
            if (read_event(o, where, fps, false, &out->ev[out->n]))
                out->n++;
            else
                errors++;
        }
        cJSON_Delete(arr);
    } else {
        p = text;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *eol = nl ? nl : end;
            line++;
            const char *q = p;
            while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
                q++;
            if (q < eol) {
                cJSON *o = cJSON_ParseWithLength(q, (size_t)(eol - q));
                snprintf(where, sizeof(where), "%s:%d", name, line);
                if (!o) {
                    cw_log_error(MOD, "%s: malformed JSON line", where);
                    errors++;
                } else if (grow(out, &cap)) {
                    cJSON_Delete(o);
                    cw_event_set_release(out);
                    return CW_ENOMEM;
                } else if (read_event(o, where, fps, false, &out->ev[out->n])) {
                    out->n++;
                } else {
                    errors++;
                }
                cJSON_Delete(o);
            }
            p = nl ? nl + 1 : end;
        }
    }
    if (errors) {
        cw_event_set_release(out);
        return CW_EFORMAT;
    }
    return 0;
}

int cw_event_detections_load(const char *path, double fps, struct cw_event_set *out)
{
    char *text;
    size_t len;
    int err;
    memset(out, 0, sizeof(*out));
    err = cw__read_file(MOD, path, 256u << 20, &text, &len);
    if (err)
        return err;
    err = cw_event_detections_parse(text, len, path, fps, out);
    free(text);
    return err;
}

int cw_event_truth_parse(const char *text, size_t len, const char *path, bool load_tracks,
                         struct cw_event_set *truth, double *fps, struct cw_event_set *boxes)
{
    char where[600];
    int err, cap = 0, i = 0;
    cJSON *root;
    const cJSON *events;
    double frames = 0;

    memset(truth, 0, sizeof(*truth));
    memset(boxes, 0, sizeof(*boxes));
    root = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(root)) {
        cw_log_error(MOD, "%s: malformed JSON, or not an object", path);
        cJSON_Delete(root);
        return CW_EFORMAT;
    }
    if (!num_of(root, "fps", fps) || *fps <= 0 || *fps > 1000) {
        cw_log_error(MOD, "%s: fps: required, a positive frame rate", path);
        err = CW_EFORMAT;
        goto out;
    }
    num_of(root, "frames", &frames);
    events = cJSON_GetObjectItemCaseSensitive(root, "events");
    if (!cJSON_IsArray(events)) {
        cw_log_error(MOD, "%s: events: required, a list", path);
        err = CW_EFORMAT;
        goto out;
    }
    for (const cJSON *o = events->child; o; o = o->next, i++) {
        snprintf(where, sizeof(where), "%s: events[%d]", path, i);
        if (grow(truth, &cap)) {
            err = CW_ENOMEM;
            goto out;
        }
        if (!read_event(o, where, *fps, true, &truth->ev[truth->n])) {
            err = CW_EFORMAT;
            goto out;
        }
        truth->n++;
    }
    /* the actors' boxes, from the MOT file next to the truth */
    const char *tracks = str_of(root, "tracks", NULL);
    if (load_tracks && tracks && frames > 0 && frames < 1e7) {
        char mot_path[1200], dir[1024];
        struct cw_mot_file mf;
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash)
            slash[1] = 0;
        else
            dir[0] = 0;
        snprintf(mot_path, sizeof(mot_path), "%s%s", dir, tracks);
        err = cw_mot_load(mot_path, (int)frames, true, &mf);
        if (err)
            goto out;
        boxes->ev = calloc(mf.n + 1, sizeof(*boxes->ev));
        if (!boxes->ev) {
            cw_mot_file_release(&mf);
            err = CW_ENOMEM;
            goto out;
        }
        for (size_t k = 0; k < mf.n; k++) {
            struct cw_event_rec *b = &boxes->ev[boxes->n++];
            b->actor = mf.box[k].id;
            b->frame = mf.box[k].frame - 1;
            b->has_box = true;
            b->x = mf.box[k].x;
            b->y = mf.box[k].y;
            b->w = mf.box[k].w;
            b->h = mf.box[k].h;
        }
        cw_mot_file_release(&mf);
    }
    err = 0;
out:
    cJSON_Delete(root);
    if (err) {
        cw_event_set_release(truth);
        cw_event_set_release(boxes);
    }
    return err;
}

int cw_event_truth_load(const char *path, struct cw_event_set *truth, double *fps,
                        struct cw_event_set *boxes)
{
    char *text;
    size_t len;
    int err;
    memset(truth, 0, sizeof(*truth));
    memset(boxes, 0, sizeof(*boxes));
    err = cw__read_file(MOD, path, 64u << 20, &text, &len);
    if (err)
        return err;
    err = cw_event_truth_parse(text, len, path, true, truth, fps, boxes);
    free(text);
    return err;
}

static double iou(const struct cw_event_rec *a, const struct cw_event_rec *b)
{
    struct cw_box p = {a->x, a->y, a->w, a->h}, q = {b->x, b->y, b->w, b->h};
    return cw_box_iou(&p, &q);
}

/* The box of @actor in @frame, or NULL (boxes are sorted by frame). */
static const struct cw_event_rec *box_of(const struct cw_event_set *boxes, int actor, int frame)
{
    int lo = 0, hi = boxes->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (boxes->ev[mid].frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (int i = lo; i < boxes->n && boxes->ev[i].frame == frame; i++)
        if (boxes->ev[i].actor == actor)
            return &boxes->ev[i];
    return NULL;
}

static void finish(struct cw_event_score *s)
{
    s->precision = s->tp + s->fp ? (double)s->tp / (s->tp + s->fp) : 1.0;
    s->recall = s->tp + s->fn ? (double)s->tp / (s->tp + s->fn) : 1.0;
    s->f1 = s->tp + s->fp + s->fn ? 2.0 * s->tp / (2.0 * s->tp + s->fp + s->fn) : 1.0;
}

static int type_index(struct cw_event_report *r, const char *type)
{
    for (int i = 0; i < r->n_types; i++)
        if (!strcmp(r->per_type[i].type, type))
            return i;
    if (r->n_types == CW_EVAL_MAX_TYPES)
        return -1;
    snprintf(r->per_type[r->n_types].type, sizeof(r->per_type[0].type), "%s", type);
    return r->n_types++;
}

int cw_event_evaluate(const struct cw_event_set *truth, const struct cw_event_set *boxes,
                      const struct cw_event_set *det, const struct cw_event_eval_config *cfg,
                      struct cw_event_report *out)
{
    struct cw_assign *as = cw_assign_new();
    int *ti = malloc(sizeof(int) * (size_t)(truth->n + 1));
    int *di = malloc(sizeof(int) * (size_t)(det->n + 1));
    int *match = malloc(sizeof(int) * (size_t)(det->n + 1));
    double *cost = malloc(sizeof(double) * ((size_t)truth->n * (size_t)det->n + 1));
    int err = 0;

    memset(out, 0, sizeof(*out));
    if (!as || !ti || !di || !match || !cost) {
        cw_log_error(MOD, "out of memory scoring %d events against %d", det->n, truth->n);
        err = CW_ENOMEM;
        goto out;
    }
    for (int k = 0; k < truth->n + det->n; k++) {
        const char *type = k < truth->n ? truth->ev[k].type : det->ev[k - truth->n].type;
        if (type_index(out, type) < 0) {
            cw_log_error(MOD, "more than %d event types", CW_EVAL_MAX_TYPES);
            err = CW_EFORMAT;
            goto out;
        }
    }
    for (int ty = 0; ty < out->n_types; ty++) {
        struct cw_event_score *sc = &out->per_type[ty];
        int nt = 0, nd = 0;
        for (int k = 0; k < truth->n; k++)
            if (!strcmp(truth->ev[k].type, sc->type))
                ti[nt++] = k;
        for (int k = 0; k < det->n; k++)
            if (!strcmp(det->ev[k].type, sc->type))
                di[nd++] = k;
        /* weight: 1000 for any admissible pair (most matches first), plus its quality */
        for (int a = 0; a < nd; a++) {
            const struct cw_event_rec *d = &det->ev[di[a]];
            for (int b = 0; b < nt; b++) {
                const struct cw_event_rec *t = &truth->ev[ti[b]];
                /* from the truth's instant to the detection's span */
                double dt = t->time_s < d->time_s               ? d->time_s - t->time_s
                            : t->time_s > d->time_s + d->span_s ? t->time_s - d->time_s - d->span_s
                                                                : 0;
                double q = -1;
                if (dt <= cfg->tolerance_s) {
                    if (d->has_box && d->frame >= 0 && boxes->n > 0) {
                        const struct cw_event_rec *g = box_of(boxes, t->actor, d->frame);
                        double o = g ? iou(d, g) : 0;
                        if (o >= cfg->min_iou)
                            q = o;
                    } else {
                        q = 1 - dt / (cfg->tolerance_s + 1e-9);
                    }
                }
                cost[(size_t)a * nt + b] = q >= 0 ? -(1000 + q) : 0;
            }
        }
        int tp = 0;
        if (nd && nt) {
            if (cw_assign_solve(as, cost, nd, nt, match) < 0) {
                err = CW_ENOMEM;
                goto out;
            }
            for (int a = 0; a < nd; a++)
                if (match[a] >= 0 && cost[(size_t)a * nt + match[a]] < 0)
                    tp++;
        }
        sc->tp = tp;
        sc->fp = nd - tp;
        sc->fn = nt - tp;
        finish(sc);
        out->overall.tp += sc->tp;
        out->overall.fp += sc->fp;
        out->overall.fn += sc->fn;
    }
    snprintf(out->overall.type, sizeof(out->overall.type), "all");
    finish(&out->overall);
out:
    cw_assign_free(as);
    free(ti);
    free(di);
    free(match);
    free(cost);
    return err;
}

void cw_event_report_print(const struct cw_event_report *r, FILE *out, bool json)
{
    for (int i = 0; i <= r->n_types; i++) {
        const struct cw_event_score *s = i < r->n_types ? &r->per_type[i] : &r->overall;
        if (json)
            fprintf(out,
                    "{\"type\":\"%s\",\"tp\":%d,\"fp\":%d,\"fn\":%d,\"precision\":%.6f,"
                    "\"recall\":%.6f,\"f1\":%.6f}\n",
                    s->type, s->tp, s->fp, s->fn, s->precision, s->recall, s->f1);
        else {
            if (i == 0)
                fprintf(out, "%-16s %5s %5s %5s %9s %7s %7s\n", "type", "TP", "FP", "FN",
                        "precision", "recall", "F1");
            fprintf(out, "%-16s %5d %5d %5d %9.3f %7.3f %7.3f\n", s->type, s->tp, s->fp, s->fn,
                    s->precision, s->recall, s->f1);
        }
    }
}
