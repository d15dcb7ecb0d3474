/* Evidence per event: pictures with overlays, a close-up, the clip cut from the packet ring, the
 * files hashed into a manifest the store seals. See evidence.h. */
#include "crosswatch/evidence.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/file.h"
#include "core/json_escape.h"
#include "crosswatch/clip.h"
#include "crosswatch/clock.h"
#include "crosswatch/detection.h"
#include "crosswatch/draw.h"
#include "crosswatch/error.h"
#include "crosswatch/hash.h"
#include "crosswatch/jpeg.h"
#include "crosswatch/light.h"
#include "crosswatch/log.h"
#include "crosswatch/scene.h"
#include "crosswatch/source.h"
#include "crosswatch/store.h"
#include "crosswatch/text.h"

#define MOD         "evidence"
#define HIST        1024 /* frames whose boxes are kept: 40 s at 25 frames/s */
#define HIST_TRACKS 64   /* boxes kept per frame */
#define MAX_JOBS    64   /* events waiting for their clip to end */
#define MAX_FILES   10
#define KEPT        8 /* live pictures kept at most (3 MB each at 1080p, allocated when needed) */
#define KEPT_SOFT   5 /* beyond this many, a new decisive picture replaces the oldest one waiting */

#define OFS(f) offsetof(struct cw_evidence_config, f)
const struct cw_option cw_evidence_options[] = {
    {"before_s",
     CW_OPT_DOUBLE,
     OFS(before_s),
     {.d = 5},
     0,
     60,
     NULL,
     "s",
     "evidence clip: from this long before the violation"},
    {"after_s",
     CW_OPT_DOUBLE,
     OFS(after_s),
     {.d = 3},
     0,
     60,
     NULL,
     "s",
     "evidence clip: to this long after it"},
    {"gap_s",
     CW_OPT_DOUBLE,
     OFS(gap_s),
     {.d = 1},
     0.1,
     10,
     NULL,
     "s",
     "evidence pictures: the first and last this far from the decisive moment"},
    {"quality",
     CW_OPT_INT,
     OFS(quality),
     {.i = 90},
     10,
     100,
     NULL,
     NULL,
     "evidence pictures: JPEG quality"},
    {"font_px",
     CW_OPT_INT,
     OFS(font_px),
     {.i = 0},
     0,
     200,
     NULL,
     "px",
     "evidence overlay text size (0: a 40th of the picture's height)"},
    {"font",
     CW_OPT_STRING,
     OFS(font),
     {.s = CW_FONT_DEFAULT},
     0,
     0,
     NULL,
     NULL,
     "TrueType font for the evidence overlay"},
    {"font_fallback",
     CW_OPT_STRING,
     OFS(font_fallback),
     {.s = CW_FONT_FALLBACK},
     0,
     0,
     NULL,
     NULL,
     "font for characters the first lacks (Chinese site names)"},
    {"privacy",
     CW_OPT_BOOL,
     OFS(privacy),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "also write public/ copies of the pictures with people's heads and bystanders pixelated"},
    {"live_pictures",
     CW_OPT_BOOL,
     OFS(live_pictures),
     {.b = true},
     0,
     0,
     NULL,
     NULL,
     "take the pictures from frames kept live while the rules say a road user may become a "
     "violation (off: decode them all again from the packet ring, as for a picture not kept)"},
    {"timezone",
     CW_OPT_STRING,
     OFS(timezone),
     {.s = ""},
     0,
     0,
     NULL,
     NULL,
     "time zone of the overlay clock (IANA name; empty: the scene's site, else UTC)"},
    {NULL},
};
#undef OFS

struct hist_box {
    int id, cls;
    struct cw_box box;
};

struct hist {
    int64_t index, time_ns, pts_ns, wall_ns;
    int n;
    struct hist_box b[HIST_TRACKS];
};

/* A full-resolution picture kept from the live stream for evidence (YUV 4:2:0, owned). Pictures
 * are kept only while the rules say a road user may become a violation (cw_rules_interest): now
 * and then while one may soon make a decisive move (the "before" pictures), the frame of a
 * decisive moment, and the "after" frame of a waiting event. The pool is small and its buffers
 * are reused, so at 1080p it holds a few pictures, not a history. */
struct kept {
    uint8_t *data;
    size_t cap;
    struct cw_canvas pic;
    int64_t index, time_ns, pts_ns; /* index -1: holds nothing usable */
    int64_t hold_ns;                /* not reused before this stream time */
    int refs;                       /* waiting events that will draw on it */
};

struct evidence_file {
    char name[64];
    char sha[CW_SHA256_HEX];
    int64_t bytes;
};

#define PIC_DECODE (-1) /* job.pic: not kept; decoded again from the clip's packets */
#define PIC_DONE   (-2) /* job.pic: kept, and written (or given up) */

struct job {
    struct cw_event e;
    int64_t t_before, t_on, t_after, t_end; /* steady stream times (cw_frame.time_ns) */
    int pic[3];    /* the kept pictures (ev->kept) for before, during, after, or PIC_* */
    bool drawn;    /* the kept pictures are written: as soon as the "after" one is kept, so that
                      their buffers go back to the pool while the clip runs on */
    int err, live; /* how writing them went; how many were written */
    struct evidence_file files[MAX_FILES];
    int nfiles;
};

struct making;

struct cw_evidence {
    struct cw_evidence_config cfg;
    char *root, *tz;
    struct cw_source *src;
    char site_name[128];  /* the scene's, copied: scenes may be reloaded while evidence is made */
    int scene_w, scene_h; /* the pixels boxes are in (camera.width × height; 0: the picture's) */
    pthread_mutex_t lock; /* the history and the jobs: observed by the analysis, made by another
                             thread (crosswatch run) */
    struct cw_store *store;
    struct cw_font *font;
    int font_px;
    struct hist *hist;
    int64_t last_index, last_time_ns, last_pts_ns;
    bool seen;
    struct job jobs[MAX_JOBS];
    int njobs;
    struct cw_evidence_stats stats;
    struct making *making; /* the event being made (one at a time per camera) */
    struct hist still;     /* the frame a still is drawn from, copied out of the history */
    struct kept kept[KEPT];
    int64_t last_watch_ns;        /* when the last "before" picture was kept */
    struct kept scratch;          /* a shared kept picture is drawn on here */
    struct cw_jpeg_encoder *jpeg; /* its buffers kept from picture to picture */
};

/* What a still callback needs while one event's evidence is made. */
struct making {
    struct cw_evidence *ev;
    struct job *job;
    char dir[4096];
    const char *names[3];
    int map[3]; /* decoded still k is picture map[k] */
    int err;
};

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

struct cw_evidence *cw_evidence_new(const struct cw_evidence_config *cfg, const char *root,
                                    struct cw_source *src, const struct cw_scene *scene,
                                    struct cw_store *store)
{
    struct cw_evidence *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return NULL;
    ev->cfg = *cfg;
    ev->cfg.font = ev->cfg.font_fallback = ev->cfg.timezone = NULL;
    ev->src = src, ev->store = store;
    pthread_mutex_init(&ev->lock, NULL);
    if (scene && scene->site.name)
        snprintf(ev->site_name, sizeof(ev->site_name), "%s", scene->site.name);
    if (scene)
        ev->scene_w = scene->camera.width, ev->scene_h = scene->camera.height;
    const char *tz = cfg->timezone && *cfg->timezone                          ? cfg->timezone
                     : scene && scene->site.timezone && *scene->site.timezone ? scene->site.timezone
                                                                              : "UTC";
    ev->root = strdup(root);
    ev->tz = strdup(tz);
    ev->cfg.font = strdup(cfg->font ? cfg->font : CW_FONT_DEFAULT);
    ev->cfg.font_fallback = cfg->font_fallback ? strdup(cfg->font_fallback) : NULL;
    ev->hist = calloc(HIST, sizeof(*ev->hist));
    ev->making = calloc(1, sizeof(*ev->making));
    if (!ev->root || !ev->tz || !ev->cfg.font || !ev->hist || !ev->making) {
        cw_log_error(MOD, "out of memory");
        goto fail;
    }
    if (!(ev->jpeg = cw_jpeg_encoder_new()))
        goto fail;
    for (int i = 0; i < HIST; i++)
        ev->hist[i].index = -1;
    for (int i = 0; i < KEPT; i++)
        ev->kept[i].index = -1;
    ev->last_watch_ns = INT64_MIN / 2; /* long ago, without overflowing a difference */
    /* the font is checked now, not at the first violation */
    ev->font_px = cfg->font_px > 0 ? cfg->font_px : 24;
    if (!(ev->font = cw_font_open(ev->cfg.font, ev->cfg.font_fallback, ev->font_px)))
        goto fail;
    if (cw__mkdir_p(root)) {
        cw_log_error(MOD, "%s: cannot create the evidence folder: %s", root, strerror(errno));
        goto fail;
    }
    return ev;
fail:
    cw_evidence_free(ev);
    return NULL;
}

void cw_evidence_free(struct cw_evidence *ev)
{
    if (!ev)
        return;
    cw_font_free(ev->font);
    cw_jpeg_encoder_free(ev->jpeg);
    for (int i = 0; i < KEPT; i++)
        free(ev->kept[i].data);
    free(ev->scratch.data);
    pthread_mutex_destroy(&ev->lock);
    free(ev->hist);
    free(ev->making);
    free(ev->root);
    free(ev->tz);
    free(ev->cfg.font);
    free(ev->cfg.font_fallback);
    free(ev);
}

void cw_evidence_get_stats(struct cw_evidence *ev, struct cw_evidence_stats *out)
{
    pthread_mutex_lock(&ev->lock);
    *out = ev->stats;
    out->waiting = ev->njobs;
    pthread_mutex_unlock(&ev->lock);
}

/* Copies picture @f (or @src's) into @k, growing its buffer as needed. False when memory is
 * short (then the picture is decoded again instead). */
static bool copy_into(struct kept *k, const uint8_t *plane[3], const int stride[3], int w, int h)
{
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    size_t ys = (size_t)w * h, cs = (size_t)cw * ch;
    if (k->cap < ys + 2 * cs) {
        uint8_t *d = realloc(k->data, ys + 2 * cs);
        if (!d)
            return false;
        k->data = d, k->cap = ys + 2 * cs;
    }
    uint8_t *dst[3] = {k->data, k->data + ys, k->data + ys + cs};
    for (int p = 0; p < 3; p++) {
        int pw = p ? cw : w, ph = p ? ch : h;
        for (int y = 0; y < ph; y++)
            memcpy(dst[p] + (size_t)y * pw, plane[p] + (size_t)y * stride[p], (size_t)pw);
    }
    k->pic = (struct cw_canvas){{dst[0], dst[1], dst[2]}, {w, cw, cw}, w, h};
    return true;
}

/* Keeps frame @f (once: a picture kept already is held longer), not reused before @hold_ns.
 * Takes the oldest picture nothing holds, else a new buffer while fewer than KEPT_SOFT are in
 * use, else — when @steal — the oldest held one no waiting event needs (a newer decisive moment
 * is likelier to be reported than an older one), else a new buffer up to KEPT. Returns its
 * slot, or -1 (the picture will be decoded again if it is needed). */
static int keep(struct cw_evidence *ev, const struct cw_frame *f, int64_t hold_ns, bool steal)
{
    int best = -1, rank = 5, used = 0;
    for (int i = 0; i < KEPT; i++)
        used += ev->kept[i].data != NULL;
    for (int i = 0; i < KEPT; i++) {
        struct kept *k = &ev->kept[i];
        if (k->index == f->index) {
            if (k->hold_ns < hold_ns)
                k->hold_ns = hold_ns;
            return i;
        }
        if (k->refs)
            continue;
        /* 0: free; 1: a new buffer within KEPT_SOFT; 2: held (taken only when stealing);
         * 3: a new buffer beyond KEPT_SOFT (only when stealing) */
        int r;
        if (!k->data)
            r = used < KEPT_SOFT ? 1 : 3;
        else
            r = k->index < 0 || k->hold_ns <= f->time_ns ? 0 : 2;
        if (r >= 2 && !steal)
            continue;
        if (best < 0 || r < rank ||
            (r == rank && (r == 0 || r == 2) && k->time_ns < ev->kept[best].time_ns))
            best = i, rank = r;
    }
    if (best < 0 || !f->plane[0])
        return -1;
    struct kept *k = &ev->kept[best];
    const uint8_t *planes[3] = {f->plane[0], f->plane[1], f->plane[2]};
    if (!copy_into(k, planes, f->stride, f->width, f->height)) {
        k->index = -1;
        return -1;
    }
    k->index = f->index, k->time_ns = f->time_ns, k->pts_ns = f->pts_ns, k->hold_ns = hold_ns;
    return best;
}

void cw_evidence_observe(struct cw_evidence *ev, const struct cw_frame *f,
                         const struct cw_track_out *tracks, int n, struct cw_rules_interest want)
{
    pthread_mutex_lock(&ev->lock);
    struct hist *h = &ev->hist[f->index % HIST];
    h->index = f->index, h->time_ns = f->time_ns, h->pts_ns = f->pts_ns, h->wall_ns = f->wall_ns;
    h->n = 0;
    for (int i = 0; i < n && h->n < HIST_TRACKS; i++)
        h->b[h->n++] = (struct hist_box){tracks[i].id, tracks[i].cls, tracks[i].box};
    ev->last_index = f->index, ev->last_time_ns = f->time_ns, ev->last_pts_ns = f->pts_ns;
    ev->seen = true;
    int64_t gap = (int64_t)(ev->cfg.gap_s * 1e9), hold = (int64_t)(want.keep_s * 1e9);
    if (!ev->cfg.live_pictures) { /* nothing kept: every picture is decoded again */
        pthread_mutex_unlock(&ev->lock);
        return;
    }
    /* a waiting event's "after" moment is now: keep this picture for it */
    for (int i = 0; i < ev->njobs; i++) {
        struct job *j = &ev->jobs[i];
        if (j->drawn || j->pic[2] != PIC_DECODE || f->time_ns < j->t_after)
            continue;
        j->pic[2] = keep(ev, f, f->time_ns, true);
        if (j->pic[2] >= 0)
            ev->kept[j->pic[2]].refs++;
    }
    if (want.flags & CW_RULES_KEEP) {
        /* a decisive moment: this picture, and the "before" picture it would have */
        keep(ev, f, f->time_ns + hold, true);
        int b = -1;
        for (int i = 0; i < KEPT; i++) {
            const struct kept *k = &ev->kept[i];
            int64_t d = llabs(k->time_ns - (f->time_ns - gap));
            if (k->index >= 0 && k->index != f->index && d <= gap / 2 + gap / 8 &&
                (b < 0 || d < llabs(ev->kept[b].time_ns - (f->time_ns - gap))))
                b = i;
        }
        if (b >= 0 && ev->kept[b].hold_ns < f->time_ns + hold)
            ev->kept[b].hold_ns = f->time_ns + hold;
    }
    /* a road user may soon make a decisive move: a picture every gap_s, each held for the
     * moment a second later */
    if ((want.flags & CW_RULES_WATCH) && f->time_ns - ev->last_watch_ns >= gap &&
        keep(ev, f, f->time_ns + gap + gap / 2, false) >= 0)
        ev->last_watch_ns = f->time_ns;
    pthread_mutex_unlock(&ev->lock);
}

static const struct hist *by_index(const struct cw_evidence *ev, int64_t index)
{
    const struct hist *h = &ev->hist[index % HIST];
    return index >= 0 && h->index == index ? h : NULL;
}

/* The kept frame nearest stream time @t on the steady clock (@steady) or the source's pts. */
static const struct hist *nearest(const struct cw_evidence *ev, int64_t t, bool steady)
{
    const struct hist *best = NULL;
    int64_t bd = INT64_MAX;
    for (int i = 0; i < HIST; i++) {
        const struct hist *h = &ev->hist[i];
        if (h->index < 0)
            continue;
        int64_t d = llabs((steady ? h->time_ns : h->pts_ns) - t);
        if (d < bd)
            bd = d, best = h;
    }
    return best;
}

/* The offender's box in @h, else in the nearest kept frame that has it. */
static bool offender_box(const struct cw_evidence *ev, const struct hist *h, int64_t track,
                         struct cw_box *out)
{
    for (int64_t d = 0; d < HIST / 2; d++)
        for (int s = -1; s <= 1; s += 2) {
            const struct hist *k = by_index(ev, h->index + s * d);
            for (int i = 0; k && i < k->n; i++)
                if (k->b[i].id == track) {
                    *out = k->b[i].box;
                    return true;
                }
        }
    return false;
}

void cw_evidence_name(const struct cw_evidence *ev, struct cw_event *e)
{
    char day[16] = "unknown";
    time_t secs = (time_t)(e->first_ms / 1000);
    struct tm tm;
    (void)ev;
    if (gmtime_r(&secs, &tm))
        strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    snprintf(e->evidence, sizeof(e->evidence), "%s/%s/%" PRId64 "-%" PRId64 "-%s", day,
             e->camera[0] ? e->camera : "camera", e->first_ms, e->track, e->rule);
}

int cw_evidence_request(struct cw_evidence *ev, const struct cw_event *e)
{
    if (cw_store_set_evidence(ev->store, e->id, e->evidence, "pending", NULL))
        return CW_EIO;
    pthread_mutex_lock(&ev->lock);
    ev->stats.requested++;
    if (ev->njobs == MAX_JOBS) {
        ev->stats.failed++;
        pthread_mutex_unlock(&ev->lock);
        cw_log_error(MOD,
                     "event %" PRId64 ": %d events already wait for their evidence; this one "
                     "stays pending (is the evidence disk slow?)",
                     e->id, MAX_JOBS);
        return CW_EBUSY;
    }
    struct job *j = &ev->jobs[ev->njobs++];
    j->e = *e;
    const struct hist *d = by_index(ev, e->frame);
    int64_t gap = (int64_t)(ev->cfg.gap_s * 1e9);
    j->t_on = d ? d->time_ns : (int64_t)(e->time_s * 1e9);
    j->t_before = j->t_on - gap;
    /* a second after the decisive moment, or — when the rule took longer to be sure — the next
     * frame, taken live by cw_evidence_observe */
    j->t_after = j->t_on + gap > ev->last_time_ns ? j->t_on + gap : ev->last_time_ns + 1;
    /* the kept pictures nearest the decisive frame (within a frame) and a second before it
     * (within half a second) */
    j->pic[0] = j->pic[1] = j->pic[2] = PIC_DECODE;
    j->drawn = false, j->err = j->live = j->nfiles = 0;
    int64_t bd = INT64_MAX;
    for (int i = 0; i < KEPT; i++) {
        const struct kept *k = &ev->kept[i];
        if (k->index < 0)
            continue;
        if (llabs(k->index - e->frame) <= 1 &&
            (j->pic[1] < 0 ||
             llabs(k->index - e->frame) < llabs(ev->kept[j->pic[1]].index - e->frame)))
            j->pic[1] = i;
        int64_t db = llabs(k->time_ns - j->t_before);
        if (k->time_ns < j->t_on && db <= gap / 2 + gap / 8 && db < bd)
            bd = db, j->pic[0] = i;
    }
    for (int p = 0; p < 2; p++)
        if (j->pic[p] >= 0)
            ev->kept[j->pic[p]].refs++;
    j->t_end = ev->last_time_ns + (int64_t)(ev->cfg.after_s * 1e9);
    if (j->t_end < j->t_after)
        j->t_end = j->t_after;
    pthread_mutex_unlock(&ev->lock);
    return 0;
}

/* ---- one event's evidence ---- */

static const char *rule_title(const char *rule)
{
    static const char *const names[][2] = {
        {"red_light", "闯红灯 red light"},
        {"pedestrian_red", "行人闯红灯 pedestrian on red"},
        {"fail_to_yield", "机动车不礼让行人 failure to yield"},
        {"wrong_way", "逆行 wrong way"},
        {"motor_lane", "非机动车驶入机动车道 two-wheeler in motor lane"},
        {"stop_past_line", "越线停车 stopped past the line"},
        {"speeding", "超速 speeding"},
        {"no_helmet", "未戴安全头盔 no helmet"},
        {"passenger", "违规载人 passenger"},
        {"canopy", "加装遮阳棚 canopy"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        if (!strcmp(rule, names[i][0]))
            return names[i][1];
    return rule;
}

/* "2026-11-29 20:35:02.123 CST" in the evidence's time zone. */
static void format_time(const struct cw_evidence *ev, int64_t wall_ns, char *out, size_t cap)
{
    time_t secs = (time_t)(wall_ns / CW_NS_PER_S);
    int ms = (int)((wall_ns / 1000000) % 1000);
    struct tm tm;
    char base[64] = "?", zone[16] = "";
    pthread_mutex_lock(&tz_lock);
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", ev->tz, 1);
    tzset();
    if (localtime_r(&secs, &tm)) {
        strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
        strftime(zone, sizeof(zone), "%Z", &tm);
    }
    if (old)
        setenv("TZ", old, 1);
    else
        unsetenv("TZ");
    tzset();
    pthread_mutex_unlock(&tz_lock);
    free(old);
    snprintf(out, cap, "%s.%03d %s", base, ms < 0 ? 0 : ms, zone);
}

static int note_file(struct making *m, const char *name)
{
    char path[4200], hex[CW_SHA256_HEX];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", m->dir, name);
    struct job *j = m->job;
    if (j->nfiles == MAX_FILES || cw_sha256_file(path, hex) || stat(path, &st))
        return CW_EIO;
    snprintf(j->files[j->nfiles].name, sizeof(j->files[0].name), "%s", name);
    memcpy(j->files[j->nfiles].sha, hex, sizeof(hex));
    j->files[j->nfiles++].bytes = (int64_t)st.st_size;
    pthread_mutex_lock(&m->ev->lock);
    m->ev->stats.files_bytes += (int64_t)st.st_size;
    pthread_mutex_unlock(&m->ev->lock);
    return 0;
}

static int write_jpeg(struct making *m, const char *name, const struct cw_canvas *c,
                      const struct cw_box *crop)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", m->dir, name);
    const uint8_t *planes[3];
    int w = c->width, h = c->height, x = 0, y = 0;
    if (crop) {
        x = (int)crop->x & ~1, y = (int)crop->y & ~1;
        w = ((int)(crop->x + crop->w) - x) & ~1, h = ((int)(crop->y + crop->h) - y) & ~1;
    }
    planes[0] = c->plane[0] + (size_t)y * c->stride[0] + x;
    planes[1] = c->plane[1] + (size_t)(y / 2) * c->stride[1] + x / 2;
    planes[2] = c->plane[2] + (size_t)(y / 2) * c->stride[2] + x / 2;
    int err = cw_jpeg_write_yuv420(m->ev->jpeg, path, planes, c->stride, w, h, m->ev->cfg.quality,
                                   !cw_source_get_info(m->ev->src)->full_range);
    return err ? err : note_file(m, name);
}

/* The overlay: a dark banner with when, where and what, and the offender's box. */
static void overlay(struct making *m, struct cw_canvas *c, const struct hist *h,
                    const struct cw_box *box, bool have_box)
{
    struct cw_evidence *ev = m->ev;
    const struct cw_event *e = &m->job->e;
    int line = cw_font_line_height(ev->font), pad = line / 3;
    struct cw_box banner = {0, 0, c->width, 2 * line + 2 * pad};
    for (int y = 0; y < (int)banner.h && y < c->height; y++) {
        uint8_t *p = c->plane[0] + (size_t)y * c->stride[0];
        for (int x = 0; x < c->width; x++)
            p[x] = (uint8_t)(16 + (p[x] - 16) / 4);
    }
    for (int y = 0; y < ((int)banner.h + 1) / 2 && y < (c->height + 1) / 2; y++)
        for (int p = 1; p < 3; p++)
            memset(c->plane[p] + (size_t)y * c->stride[p], 128, (size_t)(c->width + 1) / 2);
    char when[80], l1[512], l2[512], speed[32] = "";
    format_time(ev, h->wall_ns, when, sizeof(when));
    const char *site = ev->site_name[0] ? ev->site_name : e->site;
    snprintf(l1, sizeof(l1), "%s   %s   %s %s", when, site, "camera", e->camera);
    if (e->speed_mps > 0.5f)
        snprintf(speed, sizeof(speed), "   %.0f km/h", e->speed_mps * 3.6);
    char sig[64] = "";
    if (e->signal_state)
        snprintf(sig, sizeof(sig), "   signal %s for %.1f s", cw_light_name(e->signal_state),
                 e->signal_age_s);
    snprintf(l2, sizeof(l2), "%s   %s #%" PRId64 "%s%s   event %" PRId64, rule_title(e->rule),
             cw_class_name(e->cls), e->track, speed, sig, e->id);
    cw_font_draw(ev->font, c, pad, pad, l1, CW_WHITE);
    cw_font_draw(ev->font, c, pad, pad + line, l2, CW_YELLOW);
    if (have_box)
        cw_draw_box(c, box, CW_RED, c->height >= 720 ? 3 : 2);
}

/* Pixelates people in a public copy: bystanders whole, the offender's head (top third). */
static void pixelate_people(struct cw_canvas *c, const struct hist *h, int64_t track)
{
    for (int i = 0; i < h->n; i++) {
        const struct hist_box *b = &h->b[i];
        if (b->cls != CW_CLASS_PEDESTRIAN && b->cls != CW_CLASS_TWO_WHEELER)
            continue;
        struct cw_box r = b->box;
        if (b->id == track || b->cls == CW_CLASS_TWO_WHEELER)
            r.h *= b->cls == CW_CLASS_PEDESTRIAN ? 0.3 : 0.45; /* the head; a rider's upper body */
        int blk = (int)fmax(6, r.w / 5);
        cw_draw_pixelate(c, &r, blk);
    }
}

static int on_still(void *opaque, int k, int64_t pts_ns, struct cw_canvas *pic)
{
    struct making *m = opaque;
    struct cw_evidence *ev = m->ev;
    struct hist *copy = &ev->still;
    struct cw_box box = {0};
    pthread_mutex_lock(&ev->lock);
    const struct hist *found = nearest(ev, pts_ns, false);
    bool have = found && offender_box(ev, found, m->job->e.track, &box);
    if (found)
        *copy = *found;
    pthread_mutex_unlock(&ev->lock);
    if (!found)
        return 0;
    const struct hist *h = copy;
    if (!have) {
        box = m->job->e.box;
        have = box.w > 0;
    }
    if (ev->scene_w > 0 && ev->scene_h > 0 &&
        (pic->width != ev->scene_w || pic->height != ev->scene_h)) {
        double sx = (double)pic->width / ev->scene_w, sy = (double)pic->height / ev->scene_h;
        box = (struct cw_box){box.x * sx, box.y * sy, box.w * sx, box.h * sy};
    }
    int err;
    /* the font follows the picture's size (the stream may have changed resolution) */
    int px =
        ev->cfg.font_px > 0 ? ev->cfg.font_px : (pic->height / 40 < 14 ? 14 : pic->height / 40);
    if (px != ev->font_px) {
        struct cw_font *f = cw_font_open(ev->cfg.font, ev->cfg.font_fallback, px);
        if (f) {
            cw_font_free(ev->font);
            ev->font = f, ev->font_px = px;
        }
    }
    if (k == 1 && have) {
        /* the close-up: the offender with a quarter of its size around it, clean */
        double mx = fmax(box.w * 0.25, 16), my = fmax(box.h * 0.25, 16);
        struct cw_box crop = {fmax(0, box.x - mx), fmax(0, box.y - my), 0, 0};
        crop.w = fmin(pic->width, box.x + box.w + mx) - crop.x;
        crop.h = fmin(pic->height, box.y + box.h + my) - crop.y;
        if (crop.w >= 8 && crop.h >= 8 && (err = write_jpeg(m, "offender.jpg", pic, &crop)))
            return m->err = err;
    }
    overlay(m, pic, h, &box, have);
    char name[64];
    snprintf(name, sizeof(name), "%s", m->names[k]);
    if ((err = write_jpeg(m, name, pic, NULL)))
        return m->err = err;
    if (ev->cfg.privacy) {
        pixelate_people(pic, h, m->job->e.track);
        overlay(m, pic, h, &box, have);
        snprintf(name, sizeof(name), "public/%s", m->names[k]);
        if ((err = write_jpeg(m, name, pic, NULL)))
            return m->err = err;
    }
    return 0;
}

static int on_decoded(void *opaque, int k, int64_t pts_ns, struct cw_canvas *pic)
{
    struct making *m = opaque;
    return on_still(m, m->map[k], pts_ns, pic);
}

/* Draws picture @k of the event being made from kept picture @slot, and lets the slot go. A
 * picture another waiting event also needs is drawn on a copy. */
static int draw_kept(struct cw_evidence *ev, struct making *m, int k, int slot)
{
    pthread_mutex_lock(&ev->lock);
    struct kept *kp = &ev->kept[slot];
    struct cw_canvas pic = kp->pic;
    int64_t pts = kp->pts_ns;
    bool shared = kp->refs > 1, ok = true;
    if (shared) {
        const uint8_t *planes[3] = {pic.plane[0], pic.plane[1], pic.plane[2]};
        ok = copy_into(&ev->scratch, planes, pic.stride, pic.width, pic.height);
        pic = ev->scratch.pic;
        kp->refs--;
    } else {
        kp->index = -1; /* drawn on: of no use to another event */
    }
    pthread_mutex_unlock(&ev->lock);
    int err = ok ? on_still(m, k, pts, &pic) : CW_ENOMEM;
    if (!ok)
        cw_log_error(MOD, "event %" PRId64 ": out of memory copying a picture", m->job->e.id);
    if (!shared) {
        pthread_mutex_lock(&ev->lock);
        kp->refs--;
        pthread_mutex_unlock(&ev->lock);
    }
    return err;
}

static int manifest(const struct making *m, const struct cw_clip_result *clip, char *out,
                    size_t cap)
{
    char dir[600];
    cw__json_escape(dir, sizeof(dir), m->job->e.evidence);
    size_t n = (size_t)snprintf(out, cap,
                                "{\"event\":%" PRId64 ",\"dir\":\"%s\",\"clip\":{\"packets\":%d,"
                                "\"from_s\":%.3f,\"to_s\":%.3f},\"files\":[",
                                m->job->e.id, dir, clip->packets, clip->first_pts_ns / 1e9,
                                clip->last_pts_ns / 1e9);
    const struct job *j = m->job;
    for (int i = 0; i < j->nfiles && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n,
                              "%s{\"name\":\"%s\",\"sha256\":\"%s\",\"bytes\":%" PRId64 "}",
                              i ? "," : "", j->files[i].name, j->files[i].sha, j->files[i].bytes);
    if (n < cap)
        n += (size_t)snprintf(out + n, cap - n, "]}");
    return n < cap ? 0 : CW_EINVAL;
}

/* Sets @m up for @j: names, and its folder made (with public/ under privacy). */
static int begin(struct cw_evidence *ev, struct making *m, struct job *j)
{
    char path[4200];
    memset(m, 0, sizeof(*m));
    m->ev = ev, m->job = j;
    m->names[0] = "1-before.jpg", m->names[1] = "2-during.jpg", m->names[2] = "3-after.jpg";
    snprintf(m->dir, sizeof(m->dir), "%s/%s", ev->root, j->e.evidence);
    snprintf(path, sizeof(path), "%s/public", m->dir);
    if (!cw__mkdir_p(ev->cfg.privacy ? path : m->dir))
        return 0;
    int err = errno == ENOSPC ? CW_ENOSPC : CW_EIO;
    cw_log_error(MOD, "%s: cannot create the folder: %s", m->dir, strerror(errno));
    return err;
}

/* Writes the pictures kept for @j (or, after an error, lets their buffers go). */
static void draw_pictures(struct cw_evidence *ev, struct job *j)
{
    struct making *m = ev->making;
    int err = begin(ev, m, j);
    for (int k = 0; k < 3; k++) {
        if (j->pic[k] < 0)
            continue;
        if (!err) {
            err = draw_kept(ev, m, k, j->pic[k]);
            j->live += !err;
        } else {
            pthread_mutex_lock(&ev->lock);
            ev->kept[j->pic[k]].refs--;
            pthread_mutex_unlock(&ev->lock);
        }
        j->pic[k] = PIC_DONE;
    }
    j->drawn = true;
    j->err = err;
}

static int make(struct cw_evidence *ev, struct job *j)
{
    struct making *mp = ev->making;
    struct cw_clip_result clip;
    char path[4300], text[6000];
    int64_t t0 = cw_clock_mono_ns();
    if (!j->drawn)
        draw_pictures(ev, j);
#define m (*mp)
    int err = j->err ? j->err : begin(ev, mp, j);
    /* stream times → the source's packet times */
    pthread_mutex_lock(&ev->lock);
    const struct hist *hb = nearest(ev, j->t_before, true), *ho = nearest(ev, j->t_on, true),
                      *ha = nearest(ev, j->t_after, true), *he = nearest(ev, j->t_end, true);
    bool found = hb && ho && ha && he;
    int64_t pts_b = found ? hb->pts_ns : 0, pts_o = found ? ho->pts_ns : 0,
            pts_a = found ? ha->pts_ns : 0, pts_e = found ? he->pts_ns : 0;
    pthread_mutex_unlock(&ev->lock);
    if (!err && !found)
        err = CW_ENOENT;
    if (!err) {
        int64_t when[3] = {pts_b, pts_o, pts_a}, stills[3];
        for (int k = 1; k < 3; k++)
            if (when[k] < when[k - 1])
                when[k] = when[k - 1];
        /* pictures not kept from the live stream are decoded again from the clip's packets */
        int ndec = 0;
        for (int k = 0; k < 3; k++)
            if (j->pic[k] == PIC_DECODE) {
                m.map[ndec] = k;
                stills[ndec++] = when[k];
            }
        snprintf(path, sizeof(path), "%s/clip.mp4", m.dir);
        err = cw_clip_write(ev->src, pts_o - (int64_t)(ev->cfg.before_s * 1e9), pts_e, path, &clip,
                            stills, ndec, on_decoded, &m);
        if (!err && m.err)
            err = m.err;
        if (!err)
            err = note_file(&m, "clip.mp4");
        int got = err ? 0 : clip.stills + j->live;
        if (!err && got < 3) {
            cw_log_error(MOD, "event %" PRId64 ": only %d of the 3 pictures could be decoded",
                         j->e.id, got);
            err = CW_EFORMAT;
        }
        pthread_mutex_lock(&ev->lock);
        ev->stats.pictures_live += j->live;
        ev->stats.pictures_decoded += err ? 0 : clip.stills;
        pthread_mutex_unlock(&ev->lock);
        clip.stills = got;
    }
    if (!err && !(err = manifest(&m, &clip, text, sizeof(text))))
        err = cw_store_set_evidence(ev->store, j->e.id, j->e.evidence, "complete", text);
    pthread_mutex_lock(&ev->lock);
    ev->stats.last_ms = (cw_clock_mono_ns() - t0) / 1e6;
    double delay = (ev->last_time_ns - j->t_end) / 1e9;
    if (!err && delay > ev->stats.delay_max_s)
        ev->stats.delay_max_s = delay;
    if (!err)
        ev->stats.complete++;
    else
        ev->stats.failed++;
    pthread_mutex_unlock(&ev->lock);
    if (!err)
        return 0;
    snprintf(text, sizeof(text), "failed: %s",
             err == CW_ENOSPC   ? "disk full"
             : err == CW_ENOENT ? "the clip is no longer held"
                                : cw_strerror(err));
    /* the cause was logged where it happened; this ties it to the event */
    cw_log_warn(MOD, "event %" PRId64 ": evidence %s; detection goes on", j->e.id, text);
    cw_store_set_evidence(ev->store, j->e.id, j->e.evidence, text, NULL);
    return err;
#undef m
}

int cw_evidence_run(struct cw_evidence *ev, bool flush)
{
    int done = 0;
    for (;;) {
        struct job j;
        int due = -1, early = -1;
        pthread_mutex_lock(&ev->lock);
        for (int i = 0; i < ev->njobs && due < 0; i++) {
            struct job *q = &ev->jobs[i];
            if (flush || ev->last_time_ns >= q->t_end)
                due = i;
            else if (early < 0 && !q->drawn && q->pic[2] >= 0)
                early = i;
        }
        if (due >= 0) {
            j = ev->jobs[due];
            ev->jobs[due] = ev->jobs[--ev->njobs];
        } else if (early >= 0) {
            ev->jobs[early].drawn = true; /* observe leaves it alone from now */
        }
        pthread_mutex_unlock(&ev->lock);
        if (due >= 0) {
            if (!make(ev, &j))
                done++;
        } else if (early >= 0) {
            /* only this thread removes jobs, so the slot stays this job's; observe and
             * request do not touch a job once it is marked drawn */
            draw_pictures(ev, &ev->jobs[early]);
        } else {
            return done;
        }
    }
}
