/* CLEAR, Identity and HOTA, computed as TrackEval computes them (trackeval/metrics/clear.py,
 * identity.py, hota.py and datasets/mot_challenge_2d_box.py), so that figures are comparable
 * with published MOTChallenge results. Comments name the TrackEval step each part mirrors. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/assign.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/mot.h"

#define MOD "mot"
#define EPS DBL_EPSILON /* numpy's finfo('float').eps */

enum {
    CLS_PEDESTRIAN = 1,
    CLS_PERSON_ON_VEHICLE = 2,
    CLS_NON_MOT_VEHICLE = 6,
    CLS_STATIC_PERSON = 7,
    CLS_DISTRACTOR = 8,
    CLS_REFLECTION = 12,
    CLS_MAX = 13,
};

/* One frame after preprocessing: kept ground truth and tracker boxes, their contiguous ids, and
 * the IoU matrix between them (gt rows × tracker columns). */
struct frame {
    int ng, nt;
    int *gid, *tid;
    double *sim;
};

struct seq {
    int frames;
    struct frame *f;
    int num_gt_ids, num_tr_ids;
    int64_t gt_dets, tr_dets;
};

/* numpy.arange(0.05, 0.99, 0.05) */
static double alpha_at(int a)
{
    return 0.05 + a * 0.05;
}

/* TrackEval's _calculate_box_ious for 'xywh' boxes. */
static double box_iou(const struct cw_mot_box *a, const struct cw_mot_box *b)
{
    double ax1 = a->x + a->w, ay1 = a->y + a->h, bx1 = b->x + b->w, by1 = b->y + b->h;
    double iw = fmin(ax1, bx1) - fmax(a->x, b->x), ih = fmin(ay1, by1) - fmax(a->y, b->y);
    double inter = fmax(iw, 0) * fmax(ih, 0);
    double area1 = (ax1 - a->x) * (ay1 - a->y), area2 = (bx1 - b->x) * (by1 - b->y);
    double uni = area1 + area2 - inter;
    if (area1 <= EPS || area2 <= EPS || uni <= EPS)
        return 0;
    return inter / uni;
}

/* TrackEval reads the ignore mark as int(conf) != 0. */
static bool not_ignored(double conf)
{
    return conf >= 1 || conf <= -1;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Maps original ids to 0..n-1 in sorted order; returns n. */
static int relabel(int *ids, size_t n, int *map_keys)
{
    int u = 0;
    memcpy(map_keys, ids, n * sizeof(int));
    qsort(map_keys, n, sizeof(int), cmp_int);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || map_keys[i] != map_keys[u - 1])
            map_keys[u++] = map_keys[i];
    for (size_t i = 0; i < n; i++) {
        int *hit = bsearch(&ids[i], map_keys, (size_t)u, sizeof(int), cmp_int);
        ids[i] = (int)(hit - map_keys);
    }
    return u;
}

static void seq_free(struct seq *s)
{
    if (!s->f)
        return;
    for (int t = 0; t < s->frames; t++) {
        free(s->f[t].gid);
        free(s->f[t].tid);
        free(s->f[t].sim);
    }
    free(s->f);
}

static bool duplicate_ids(const struct cw_mot_box *b, size_t n, int *scratch, int *dup)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = b[i].id;
    qsort(scratch, n, sizeof(int), cmp_int);
    for (size_t i = 1; i < n; i++)
        if (scratch[i] == scratch[i - 1]) {
            *dup = scratch[i];
            return true;
        }
    return false;
}

static bool is_distractor(int cls, enum cw_mot_benchmark bench)
{
    return cls == CLS_PERSON_ON_VEHICLE || cls == CLS_STATIC_PERSON || cls == CLS_DISTRACTOR ||
           cls == CLS_REFLECTION || (bench == CW_MOT_MOT20 && cls == CLS_NON_MOT_VEHICLE);
}

/* get_preprocessed_seq_data for the pedestrian class. */
static int preprocess(const struct cw_mot_file *gt, const struct cw_mot_file *res,
                      enum cw_mot_benchmark bench, const char *name, struct cw_assign *as,
                      struct seq *s)
{
    int frames = gt->frames < res->frames ? gt->frames : res->frames;
    size_t maxg = 0, maxt = 0, all_g = 0, all_t = 0;
    int err = CW_ENOMEM;
    double *iou = NULL, *cost = NULL;
    int *match = NULL, *scratch = NULL, *gkeys = NULL, *tkeys = NULL, *gall = NULL, *tall = NULL;
    bool *removed = NULL;

    memset(s, 0, sizeof(*s));
    s->frames = frames;
    s->f = calloc((size_t)frames, sizeof(*s->f));
    if (!s->f)
        goto out;
    for (int t = 1; t <= frames; t++) {
        size_t g = gt->first[t + 1] - gt->first[t], r = res->first[t + 1] - res->first[t];
        if (g > maxg)
            maxg = g;
        if (r > maxt)
            maxt = r;
    }
    iou = malloc(sizeof(double) * (maxg * maxt + 1));
    cost = malloc(sizeof(double) * (maxg * maxt + 1));
    match = malloc(sizeof(int) * (maxg + maxt + 1));
    scratch = malloc(sizeof(int) * (maxg + maxt + 1));
    removed = malloc(sizeof(bool) * (maxt + 1));
    if (!iou || !cost || !match || !scratch || !removed)
        goto out;

    for (int t = 1; t <= frames; t++) {
        const struct cw_mot_box *g = gt->box + gt->first[t], *r = res->box + res->first[t];
        int ng = (int)(gt->first[t + 1] - gt->first[t]);
        int nr = (int)(res->first[t + 1] - res->first[t]);
        struct frame *fr = &s->f[t - 1];
        int dup;

        if (duplicate_ids(r, (size_t)nr, scratch, &dup)) {
            cw_log_error(MOD, "%s: frame %d: the tracker gives id %d to more than one box", name, t,
                         dup);
            err = CW_EFORMAT;
            goto out;
        }
        if (duplicate_ids(g, (size_t)ng, scratch, &dup)) {
            cw_log_error(MOD, "%s: frame %d: the ground truth has id %d more than once", name, t,
                         dup);
            err = CW_EFORMAT;
            goto out;
        }
        for (int j = 0; j < nr; j++) {
            if (r[j].cls > 1) {
                cw_log_error(MOD,
                             "%s: frame %d: tracker box of class %d; only pedestrians (class "
                             "1 or -1) can be scored",
                             name, t, r[j].cls);
                err = CW_EFORMAT;
                goto out;
            }
        }
        for (int i = 0; i < ng; i++)
            for (int j = 0; j < nr; j++)
                iou[i * nr + j] = box_iou(&g[i], &r[j]);
        for (int j = 0; j < nr; j++)
            removed[j] = false;

        /* Step 2: drop tracker boxes matched (IoU >= 0.5) to distractor ground truth. */
        if (bench != CW_MOT_MOT15 && ng > 0 && nr > 0) {
            for (int i = 0; i < ng; i++) {
                if (g[i].cls < 1 || g[i].cls > CLS_MAX) {
                    cw_log_error(MOD,
                                 "%s: frame %d: ground-truth class %d is not a MOTChallenge "
                                 "class (1..13); use --benchmark MOT15 for files without "
                                 "classes",
                                 name, t, g[i].cls);
                    err = CW_EFORMAT;
                    goto out;
                }
            }
            for (int k = 0; k < ng * nr; k++)
                cost[k] = iou[k] < 0.5 - EPS ? 0 : -iou[k];
            if (cw_assign_solve(as, cost, ng, nr, match) < 0)
                goto out;
            for (int i = 0; i < ng; i++) {
                int j = match[i];
                if (j >= 0 && -cost[i * nr + j] > EPS && is_distractor(g[i].cls, bench))
                    removed[j] = true;
            }
        }
        /* Step 4: keep pedestrian ground truth that is not marked to ignore. */
        int kg = 0, kt = 0;
        for (int i = 0; i < ng; i++)
            if (not_ignored(g[i].conf) && (bench == CW_MOT_MOT15 || g[i].cls == CLS_PEDESTRIAN))
                kg++;
        for (int j = 0; j < nr; j++)
            if (!removed[j])
                kt++;
        fr->ng = kg;
        fr->nt = kt;
        fr->gid = malloc(sizeof(int) * (size_t)(kg + 1));
        fr->tid = malloc(sizeof(int) * (size_t)(kt + 1));
        fr->sim = malloc(sizeof(double) * (size_t)(kg * kt + 1));
        if (!fr->gid || !fr->tid || !fr->sim)
            goto out;
        int gi = 0;
        for (int i = 0; i < ng; i++) {
            if (!(not_ignored(g[i].conf) && (bench == CW_MOT_MOT15 || g[i].cls == CLS_PEDESTRIAN)))
                continue;
            int tj = 0;
            for (int j = 0; j < nr; j++)
                if (!removed[j])
                    fr->sim[gi * kt + tj++] = iou[i * nr + j];
            fr->gid[gi++] = g[i].id;
        }
        int tj = 0;
        for (int j = 0; j < nr; j++)
            if (!removed[j])
                fr->tid[tj++] = r[j].id;
        all_g += (size_t)kg;
        all_t += (size_t)kt;
    }

    /* Relabel ids to be contiguous, in sorted order of the original ids. */
    gall = malloc(sizeof(int) * (all_g + 1));
    tall = malloc(sizeof(int) * (all_t + 1));
    gkeys = malloc(sizeof(int) * (all_g + 1));
    tkeys = malloc(sizeof(int) * (all_t + 1));
    if (!gall || !tall || !gkeys || !tkeys)
        goto out;
    size_t gp = 0, tp = 0;
    for (int t = 0; t < frames; t++) {
        memcpy(gall + gp, s->f[t].gid, sizeof(int) * (size_t)s->f[t].ng);
        memcpy(tall + tp, s->f[t].tid, sizeof(int) * (size_t)s->f[t].nt);
        gp += (size_t)s->f[t].ng;
        tp += (size_t)s->f[t].nt;
    }
    s->num_gt_ids = relabel(gall, all_g, gkeys);
    s->num_tr_ids = relabel(tall, all_t, tkeys);
    gp = tp = 0;
    for (int t = 0; t < frames; t++) {
        memcpy(s->f[t].gid, gall + gp, sizeof(int) * (size_t)s->f[t].ng);
        memcpy(s->f[t].tid, tall + tp, sizeof(int) * (size_t)s->f[t].nt);
        gp += (size_t)s->f[t].ng;
        tp += (size_t)s->f[t].nt;
    }
    s->gt_dets = (int64_t)all_g;
    s->tr_dets = (int64_t)all_t;
    err = 0;
out:
    if (err == CW_ENOMEM)
        cw_log_error(MOD, "%s: out of memory", name);
    free(iou);
    free(cost);
    free(match);
    free(scratch);
    free(removed);
    free(gall);
    free(tall);
    free(gkeys);
    free(tkeys);
    return err;
}

/* clear.py */
static int clear_metrics(const struct seq *s, struct cw_assign *as, struct cw_mot_metrics *m)
{
    int G = s->num_gt_ids;
    int64_t *id_count = calloc((size_t)G + 1, sizeof(int64_t));
    int64_t *matched = calloc((size_t)G + 1, sizeof(int64_t));
    int64_t *frag = calloc((size_t)G + 1, sizeof(int64_t));
    int *prev = malloc(sizeof(int) * ((size_t)G + 1));    /* last tracker id, -1: none */
    int *prev_ts = malloc(sizeof(int) * ((size_t)G + 1)); /* previous timestep's, -1: none */
    double *cost = NULL;
    int *match = NULL;
    size_t cap = 0;
    int err = CW_ENOMEM;

    m->frames = s->frames;
    if (s->tr_dets == 0) {
        m->clr_fn = s->gt_dets;
        m->ml = G;
        err = 0;
        goto out;
    }
    if (s->gt_dets == 0) {
        m->clr_fp = s->tr_dets;
        err = 0;
        goto out;
    }
    if (!id_count || !matched || !frag || !prev || !prev_ts)
        goto out;
    for (int i = 0; i < G; i++)
        prev[i] = prev_ts[i] = -1;
    for (int t = 0; t < s->frames; t++) {
        const struct frame *f = &s->f[t];
        if (f->ng == 0) {
            m->clr_fp += f->nt;
            continue;
        }
        if (f->nt == 0) {
            m->clr_fn += f->ng;
            for (int i = 0; i < f->ng; i++)
                id_count[f->gid[i]]++;
            continue;
        }
        size_t need = (size_t)f->ng * (size_t)f->nt;
        if (need > cap) {
            free(cost);
            free(match);
            cap = need;
            cost = malloc(sizeof(double) * cap);
            match = malloc(sizeof(int) * cap);
            if (!cost || !match)
                goto out;
        }
        /* First keep the previous frame's pairs (+1000), then maximise the overlap. */
        for (int i = 0; i < f->ng; i++)
            for (int j = 0; j < f->nt; j++) {
                double sim = f->sim[i * f->nt + j];
                double sc = (prev_ts[f->gid[i]] == f->tid[j] ? 1000.0 : 0.0) + sim;
                if (sim < 0.5 - EPS)
                    sc = 0;
                cost[i * f->nt + j] = -sc;
            }
        if (cw_assign_solve(as, cost, f->ng, f->nt, match) < 0)
            goto out;
        int nm = 0;
        for (int i = 0; i < f->ng; i++)
            id_count[f->gid[i]]++;
        /* was each gt id tracked in the previous timestep? (for Frag) */
        for (int i = 0; i < f->ng; i++) {
            int j = match[i];
            if (j < 0 || !(-cost[i * f->nt + j] > EPS))
                match[i] = -1;
        }
        /* not_previously_tracked is over all ids, before this frame's update. */
        for (int i = 0; i < f->ng; i++) {
            int j = match[i], g = f->gid[i];
            if (j < 0)
                continue;
            if (prev[g] >= 0 && prev[g] != f->tid[j])
                m->idsw++;
            matched[g]++;
            nm++;
            m->motp_sum += f->sim[i * f->nt + j];
        }
        /* prev_timestep for all ids resets; Frag counts ids newly tracked. */
        for (int i = 0; i < f->ng; i++) {
            int j = match[i], g = f->gid[i];
            if (j >= 0 && prev_ts[g] < 0)
                frag[g]++;
        }
        for (int g = 0; g < G; g++)
            prev_ts[g] = -1;
        for (int i = 0; i < f->ng; i++) {
            int j = match[i];
            if (j < 0)
                continue;
            prev[f->gid[i]] = f->tid[j];
            prev_ts[f->gid[i]] = f->tid[j];
        }
        m->clr_tp += nm;
        m->clr_fn += f->ng - nm;
        m->clr_fp += f->nt - nm;
    }
    for (int g = 0; g < G; g++) {
        if (id_count[g] > 0) {
            double ratio = (double)matched[g] / (double)id_count[g];
            if (ratio > 0.8)
                m->mt++;
            else if (ratio >= 0.2)
                m->pt++;
        }
        if (frag[g] > 0)
            m->frag += frag[g] - 1;
    }
    m->ml = G - m->mt - m->pt;
    err = 0;
out:
    free(id_count);
    free(matched);
    free(frag);
    free(prev);
    free(prev_ts);
    free(cost);
    free(match);
    return err;
}

static void clear_final(struct cw_mot_metrics *m)
{
    double ids = (double)(m->mt + m->ml + m->pt), gt = (double)(m->clr_tp + m->clr_fn);
    m->mtr = (double)m->mt / fmax(1.0, ids);
    m->mlr = (double)m->ml / fmax(1.0, ids);
    m->ptr = (double)m->pt / fmax(1.0, ids);
    m->clr_re = (double)m->clr_tp / fmax(1.0, gt);
    m->clr_pr = (double)m->clr_tp / fmax(1.0, (double)(m->clr_tp + m->clr_fp));
    m->moda = (double)(m->clr_tp - m->clr_fp) / fmax(1.0, gt);
    m->mota = (double)(m->clr_tp - m->clr_fp - m->idsw) / fmax(1.0, gt);
    m->motp = m->motp_sum / fmax(1.0, (double)m->clr_tp);
    m->smota = (m->motp_sum - (double)m->clr_fp - (double)m->idsw) / fmax(1.0, gt);
}

/* identity.py: the optimal id-to-id assignment maximises the frames two ids overlap
 * (IoU >= 0.5), which is what TrackEval's (G+T)-square cost matrix computes. */
static int identity_metrics(const struct seq *s, struct cw_assign *as, struct cw_mot_metrics *m)
{
    int G = s->num_gt_ids, T = s->num_tr_ids, err = CW_ENOMEM;
    double *count = NULL;
    int *match = NULL;

    if (s->tr_dets == 0) {
        m->idfn = s->gt_dets;
        return 0;
    }
    if (s->gt_dets == 0) {
        m->idfp = s->tr_dets;
        return 0;
    }
    count = calloc((size_t)G * (size_t)T, sizeof(double));
    match = malloc(sizeof(int) * ((size_t)G + 1));
    if (!count || !match)
        goto out;
    for (int t = 0; t < s->frames; t++) {
        const struct frame *f = &s->f[t];
        for (int i = 0; i < f->ng; i++)
            for (int j = 0; j < f->nt; j++)
                if (f->sim[i * f->nt + j] >= 0.5)
                    count[(size_t)f->gid[i] * T + f->tid[j]] += 1;
    }
    for (size_t k = 0; k < (size_t)G * (size_t)T; k++)
        count[k] = -count[k];
    if (cw_assign_solve(as, count, G, T, match) < 0)
        goto out;
    double best = 0;
    for (int g = 0; g < G; g++)
        if (match[g] >= 0)
            best -= count[(size_t)g * T + match[g]];
    m->idtp = (int64_t)llround(best);
    m->idfn = s->gt_dets - m->idtp;
    m->idfp = s->tr_dets - m->idtp;
    err = 0;
out:
    if (err)
        cw_log_error(MOD, "out of memory for %d x %d ids", G, T);
    free(count);
    free(match);
    return err;
}

static void identity_final(struct cw_mot_metrics *m)
{
    m->idr = (double)m->idtp / fmax(1.0, (double)(m->idtp + m->idfn));
    m->idp = (double)m->idtp / fmax(1.0, (double)(m->idtp + m->idfp));
    m->idf1 = (double)m->idtp / fmax(1.0, m->idtp + 0.5 * m->idfp + 0.5 * m->idfn);
}

/* hota.py */
static int hota_metrics(const struct seq *s, struct cw_assign *as, struct cw_mot_metrics *m)
{
    int G = s->num_gt_ids, T = s->num_tr_ids, err = CW_ENOMEM;
    size_t GT = (size_t)G * (size_t)T;
    double *pot = NULL, *gas = NULL, *mc = NULL, *gcount = NULL, *tcount = NULL, *cost = NULL,
           *rowsum = NULL, *colsum = NULL;
    int *match = NULL;
    size_t cap = 0;

    if (s->tr_dets == 0 || s->gt_dets == 0) {
        for (int a = 0; a < CW_HOTA_ALPHAS; a++) {
            m->hota_fn[a] = s->tr_dets == 0 ? (double)s->gt_dets : 0;
            m->hota_fp[a] = s->tr_dets == 0 ? 0 : (double)s->tr_dets;
            m->loc_a[a] = 1.0;
        }
        return 0;
    }
    pot = calloc(GT, sizeof(double));
    gas = malloc(GT * sizeof(double));
    mc = calloc(GT * CW_HOTA_ALPHAS, sizeof(double));
    gcount = calloc((size_t)G, sizeof(double));
    tcount = calloc((size_t)T, sizeof(double));
    if (!pot || !gas || !mc || !gcount || !tcount)
        goto out;
    for (int t = 0; t < s->frames; t++) {
        const struct frame *f = &s->f[t];
        size_t need = (size_t)f->ng * (size_t)f->nt + (size_t)f->ng + (size_t)f->nt;
        if (need > cap) {
            free(cost);
            free(match);
            free(rowsum);
            free(colsum);
            cap = need;
            cost = malloc(sizeof(double) * cap);
            match = malloc(sizeof(int) * cap);
            rowsum = malloc(sizeof(double) * cap);
            colsum = malloc(sizeof(double) * cap);
            if (!cost || !match || !rowsum || !colsum)
                goto out;
        }
        for (int i = 0; i < f->ng; i++)
            rowsum[i] = 0;
        for (int j = 0; j < f->nt; j++)
            colsum[j] = 0;
        for (int i = 0; i < f->ng; i++)
            for (int j = 0; j < f->nt; j++) {
                rowsum[i] += f->sim[i * f->nt + j];
                colsum[j] += f->sim[i * f->nt + j];
            }
        for (int i = 0; i < f->ng; i++)
            for (int j = 0; j < f->nt; j++) {
                double sim = f->sim[i * f->nt + j];
                double denom = colsum[j] + rowsum[i] - sim;
                if (denom > EPS)
                    pot[(size_t)f->gid[i] * T + f->tid[j]] += sim / denom;
            }
        for (int i = 0; i < f->ng; i++)
            gcount[f->gid[i]] += 1;
        for (int j = 0; j < f->nt; j++)
            tcount[f->tid[j]] += 1;
    }
    for (int g = 0; g < G; g++)
        for (int t = 0; t < T; t++) {
            size_t k = (size_t)g * T + t;
            gas[k] = pot[k] / (gcount[g] + tcount[t] - pot[k]);
        }
    for (int t = 0; t < s->frames; t++) {
        const struct frame *f = &s->f[t];
        if (f->ng == 0) {
            for (int a = 0; a < CW_HOTA_ALPHAS; a++)
                m->hota_fp[a] += f->nt;
            continue;
        }
        if (f->nt == 0) {
            for (int a = 0; a < CW_HOTA_ALPHAS; a++)
                m->hota_fn[a] += f->ng;
            continue;
        }
        for (int i = 0; i < f->ng; i++)
            for (int j = 0; j < f->nt; j++)
                cost[i * f->nt + j] =
                    -gas[(size_t)f->gid[i] * T + f->tid[j]] * f->sim[i * f->nt + j];
        if (cw_assign_solve(as, cost, f->ng, f->nt, match) < 0)
            goto out;
        for (int a = 0; a < CW_HOTA_ALPHAS; a++) {
            double alpha = alpha_at(a);
            int nm = 0;
            for (int i = 0; i < f->ng; i++) {
                int j = match[i];
                if (j < 0)
                    continue;
                double sim = f->sim[i * f->nt + j];
                if (sim >= alpha - EPS) {
                    nm++;
                    m->loc_a[a] += sim;
                    mc[GT * a + (size_t)f->gid[i] * T + f->tid[j]] += 1;
                }
            }
            m->hota_tp[a] += nm;
            m->hota_fn[a] += f->ng - nm;
            m->hota_fp[a] += f->nt - nm;
        }
    }
    for (int a = 0; a < CW_HOTA_ALPHAS; a++) {
        double sa = 0, sre = 0, spr = 0;
        const double *c = mc + GT * a;
        for (int g = 0; g < G; g++)
            for (int t = 0; t < T; t++) {
                double x = c[(size_t)g * T + t];
                if (x == 0)
                    continue;
                sa += x * (x / fmax(1.0, gcount[g] + tcount[t] - x));
                sre += x * (x / fmax(1.0, gcount[g]));
                spr += x * (x / fmax(1.0, tcount[t]));
            }
        m->ass_a[a] = sa / fmax(1.0, m->hota_tp[a]);
        m->ass_re[a] = sre / fmax(1.0, m->hota_tp[a]);
        m->ass_pr[a] = spr / fmax(1.0, m->hota_tp[a]);
        m->loc_a[a] = fmax(1e-10, m->loc_a[a]) / fmax(1e-10, m->hota_tp[a]);
    }
    err = 0;
out:
    if (err)
        cw_log_error(MOD, "out of memory for %d x %d ids", G, T);
    free(pot);
    free(gas);
    free(mc);
    free(gcount);
    free(tcount);
    free(cost);
    free(match);
    free(rowsum);
    free(colsum);
    return err;
}

static void hota_final(struct cw_mot_metrics *m)
{
    double mean[9] = {0};
    for (int a = 0; a < CW_HOTA_ALPHAS; a++) {
        double tp = m->hota_tp[a], fn = m->hota_fn[a], fp = m->hota_fp[a];
        m->det_re[a] = tp / fmax(1.0, tp + fn);
        m->det_pr[a] = tp / fmax(1.0, tp + fp);
        m->det_a[a] = tp / fmax(1.0, tp + fn + fp);
        m->hota_a[a] = sqrt(m->det_a[a] * m->ass_a[a]);
        m->rhota_a[a] = sqrt(m->det_re[a] * m->ass_a[a]);
        mean[0] += m->hota_a[a];
        mean[1] += m->det_a[a];
        mean[2] += m->ass_a[a];
        mean[3] += m->det_re[a];
        mean[4] += m->det_pr[a];
        mean[5] += m->ass_re[a];
        mean[6] += m->ass_pr[a];
        mean[7] += m->loc_a[a];
        mean[8] += m->rhota_a[a];
    }
    m->hota = mean[0] / CW_HOTA_ALPHAS;
    m->deta = mean[1] / CW_HOTA_ALPHAS;
    m->assa = mean[2] / CW_HOTA_ALPHAS;
    m->detre = mean[3] / CW_HOTA_ALPHAS;
    m->detpr = mean[4] / CW_HOTA_ALPHAS;
    m->assre = mean[5] / CW_HOTA_ALPHAS;
    m->asspr = mean[6] / CW_HOTA_ALPHAS;
    m->loca = mean[7] / CW_HOTA_ALPHAS;
    m->rhota = mean[8] / CW_HOTA_ALPHAS;
    m->hota0 = m->hota_a[0];
    m->loca0 = m->loc_a[0];
    m->hotaloca0 = m->hota0 * m->loca0;
}

static enum cw_mot_benchmark detect_benchmark(const struct cw_mot_file *gt)
{
    /* MOT15 ground truth has ten columns (x, y, z world coordinates after conf); MOT16/17/20
     * have nine (conf, class, visibility) */
    if (gt->columns >= 10)
        return CW_MOT_MOT15;
    for (size_t i = 0; i < gt->n; i++)
        if (gt->box[i].cls >= 1)
            return CW_MOT_MOT17;
    return CW_MOT_MOT15;
}

int cw_mot_evaluate(const struct cw_mot_file *gt, const struct cw_mot_file *res,
                    enum cw_mot_benchmark bench, const char *name, struct cw_mot_metrics *out)
{
    struct cw_assign *as = cw_assign_new();
    struct seq s;
    int err;

    memset(out, 0, sizeof(*out));
    if (!as)
        return CW_ENOMEM;
    if (bench == CW_MOT_AUTO)
        bench = detect_benchmark(gt);
    err = preprocess(gt, res, bench, name, as, &s);
    if (!err) {
        out->dets = s.tr_dets;
        out->gt_dets = s.gt_dets;
        out->ids = s.num_tr_ids;
        out->gt_ids = s.num_gt_ids;
        err = clear_metrics(&s, as, out);
    }
    if (!err)
        err = identity_metrics(&s, as, out);
    if (!err)
        err = hota_metrics(&s, as, out);
    seq_free(&s);
    cw_assign_free(as);
    if (err)
        return err;
    clear_final(out);
    identity_final(out);
    hota_final(out);
    return 0;
}

void cw_mot_combine(const struct cw_mot_metrics *seqs, int n, struct cw_mot_metrics *out)
{
    memset(out, 0, sizeof(*out));
    for (int k = 0; k < n; k++) {
        const struct cw_mot_metrics *m = &seqs[k];
        out->clr_tp += m->clr_tp;
        out->clr_fn += m->clr_fn;
        out->clr_fp += m->clr_fp;
        out->idsw += m->idsw;
        out->mt += m->mt;
        out->pt += m->pt;
        out->ml += m->ml;
        out->frag += m->frag;
        out->frames += m->frames;
        out->motp_sum += m->motp_sum;
        out->idtp += m->idtp;
        out->idfn += m->idfn;
        out->idfp += m->idfp;
        out->dets += m->dets;
        out->gt_dets += m->gt_dets;
        out->ids += m->ids;
        out->gt_ids += m->gt_ids;
        for (int a = 0; a < CW_HOTA_ALPHAS; a++) {
            out->hota_tp[a] += m->hota_tp[a];
            out->hota_fn[a] += m->hota_fn[a];
            out->hota_fp[a] += m->hota_fp[a];
            /* weighted by HOTA_TP, divided below */
            out->ass_a[a] += m->ass_a[a] * m->hota_tp[a];
            out->ass_re[a] += m->ass_re[a] * m->hota_tp[a];
            out->ass_pr[a] += m->ass_pr[a] * m->hota_tp[a];
            out->loc_a[a] += m->loc_a[a] * m->hota_tp[a];
        }
    }
    for (int a = 0; a < CW_HOTA_ALPHAS; a++) {
        double tp = out->hota_tp[a];
        out->ass_a[a] /= fmax(1e-10, tp);
        out->ass_re[a] /= fmax(1e-10, tp);
        out->ass_pr[a] /= fmax(1e-10, tp);
        out->loc_a[a] = fmax(1e-10, out->loc_a[a]) / fmax(1e-10, tp);
    }
    clear_final(out);
    identity_final(out);
    hota_final(out);
}

void cw_mot_print_header(FILE *out)
{
    fprintf(out, "%-24s %6s %6s %6s %6s %6s %6s %6s %5s %6s %6s %6s %6s %7s %7s %6s\n", "sequence",
            "HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDF1", "IDSW", "IDR", "IDP", "MT",
            "ML", "FP", "FN", "Frag");
}

void cw_mot_print_row(FILE *out, const char *name, const struct cw_mot_metrics *m)
{
    fprintf(out,
            "%-24s %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f %5lld %6.2f %6.2f %6lld %6lld %7lld "
            "%7lld %6lld\n",
            name, 100 * m->hota, 100 * m->deta, 100 * m->assa, 100 * m->loca, 100 * m->mota,
            100 * m->motp, 100 * m->idf1, (long long)m->idsw, 100 * m->idr, 100 * m->idp,
            (long long)m->mt, (long long)m->ml, (long long)m->clr_fp, (long long)m->clr_fn,
            (long long)m->frag);
}

void cw_mot_print_json(FILE *out, const char *name, const struct cw_mot_metrics *m)
{
    fprintf(out,
            "{\"sequence\":\"%s\",\"HOTA\":%.6f,\"DetA\":%.6f,\"AssA\":%.6f,\"DetRe\":%.6f,"
            "\"DetPr\":%.6f,\"AssRe\":%.6f,\"AssPr\":%.6f,\"LocA\":%.6f,\"RHOTA\":%.6f,"
            "\"MOTA\":%.6f,\"MOTP\":%.6f,\"MODA\":%.6f,\"sMOTA\":%.6f,\"CLR_Re\":%.6f,"
            "\"CLR_Pr\":%.6f,\"IDF1\":%.6f,\"IDR\":%.6f,\"IDP\":%.6f,\"CLR_TP\":%lld,"
            "\"CLR_FN\":%lld,\"CLR_FP\":%lld,\"IDSW\":%lld,\"MT\":%lld,\"PT\":%lld,\"ML\":%lld,"
            "\"Frag\":%lld,\"IDTP\":%lld,\"IDFN\":%lld,\"IDFP\":%lld,\"Dets\":%lld,"
            "\"GT_Dets\":%lld,\"IDs\":%lld,\"GT_IDs\":%lld}\n",
            name, m->hota, m->deta, m->assa, m->detre, m->detpr, m->assre, m->asspr, m->loca,
            m->rhota, m->mota, m->motp, m->moda, m->smota, m->clr_re, m->clr_pr, m->idf1, m->idr,
            m->idp, (long long)m->clr_tp, (long long)m->clr_fn, (long long)m->clr_fp,
            (long long)m->idsw, (long long)m->mt, (long long)m->pt, (long long)m->ml,
            (long long)m->frag, (long long)m->idtp, (long long)m->idfn, (long long)m->idfp,
            (long long)m->dets, (long long)m->gt_dets, (long long)m->ids, (long long)m->gt_ids);
}
