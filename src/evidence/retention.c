/* Evidence retention: see retention.h. */
#include "crosswatch/retention.h"

#include <dirent.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/store.h"

#define MOD "retention"

#define OFS(f) offsetof(struct cw_retention_config, f)
const struct cw_option cw_retention_options[] = {
    {"days",
     CW_OPT_DOUBLE,
     OFS(days),
     {.d = 0},
     0,
     36500,
     NULL,
     "days",
     "delete evidence older than this (0: keep by age)"},
    {"budget_mb",
     CW_OPT_DOUBLE,
     OFS(budget_mb),
     {.d = 0},
     0,
     1e9,
     NULL,
     "MB",
     "keep all evidence under this size (0: no budget)"},
    {"min_free_mb",
     CW_OPT_DOUBLE,
     OFS(min_free_mb),
     {.d = 500},
     0,
     1e9,
     NULL,
     "MB",
     "below this much free disk, evidence still awaiting review may be deleted too"},
    {NULL},
};
#undef OFS

struct item {
    int64_t id, first_ms, bytes;
    char dir[256];
    char status[64];
    int pending; /* awaiting review */
};

struct list {
    struct item *v;
    int n, cap, err;
};

static void collect(void *opaque, const struct cw_evidence_row *r)
{
    struct list *l = opaque;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 256;
        struct item *v = realloc(l->v, sizeof(*v) * (size_t)cap);
        if (!v) {
            l->err = CW_ENOMEM;
            return;
        }
        l->v = v, l->cap = cap;
    }
    struct item *it = &l->v[l->n++];
    memset(it, 0, sizeof(*it));
    it->id = r->id, it->first_ms = r->first_ms;
    snprintf(it->dir, sizeof(it->dir), "%s", r->dir);
    snprintf(it->status, sizeof(it->status), "%s", r->status);
    it->pending = !strcmp(r->review, "pending");
}

/* Size of the files in @path and below; removes them too when @remove. */
static int64_t walk(const char *path, int remove)
{
    DIR *d = opendir(path);
    int64_t total = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[4096];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        if (lstat(p, &st))
            continue;
        if (S_ISDIR(st.st_mode)) {
            total += walk(p, remove);
            if (remove)
                rmdir(p);
        } else {
            total += (int64_t)st.st_size;
            if (remove)
                unlink(p);
        }
    }
    closedir(d);
    return total;
}

static double free_mb(const char *root)
{
    struct statvfs v;
    return statvfs(root, &v) ? -1 : (double)v.f_bavail * (double)v.f_frsize / (1 << 20);
}

static int drop(struct cw_store *store, const char *root, struct item *it, const char *why,
                struct cw_retention_result *res)
{
    char path[4096], manifest[600];
    snprintf(path, sizeof(path), "%s/%s", root, it->dir);
    int64_t bytes = walk(path, 1);
    rmdir(path);
    snprintf(manifest, sizeof(manifest),
             "{\"event\":%" PRId64 ",\"dir\":\"%s\",\"deleted\":\"%s\","
             "\"files\":[]}",
             it->id, it->dir, why);
    char status[96];
    snprintf(status, sizeof(status), "deleted: %s", why);
    int err = cw_store_set_evidence(store, it->id, it->dir, status, manifest);
    if (err)
        return err;
    res->deleted++;
    res->deleted_pending += it->pending;
    res->freed_bytes += bytes;
    res->kept_bytes -= it->bytes;
    it->bytes = 0;
    it->id = 0;
    return 0;
}

int cw_retention_run(const struct cw_retention_config *cfg, const char *root,
                     struct cw_store *store, int64_t now_ms, struct cw_retention_result *res)
{
    struct list l = {0};
    char path[4096];
    memset(res, 0, sizeof(*res));
    int n = cw_store_evidence_rows(store, collect, &l);
    int err = n < 0 ? n : l.err;
    if (err)
        goto out;
    for (int i = 0; i < l.n; i++) {
        snprintf(path, sizeof(path), "%s/%s", root, l.v[i].dir);
        l.v[i].bytes = walk(path, 0);
        res->kept_bytes += l.v[i].bytes;
    }
    int64_t budget = (int64_t)(cfg->budget_mb * (1 << 20));
    /* 1: by age and by budget, oldest first, never what awaits review */
    for (int i = 0; i < l.n && !err; i++) {
        struct item *it = &l.v[i];
        bool old = cfg->days > 0 && now_ms - it->first_ms > (int64_t)(cfg->days * 86400e3);
        bool over = budget > 0 && res->kept_bytes > budget;
        if (it->pending || !(old || over))
            continue;
        err = drop(store, root, it, old ? "retention: older than the limit" : "disk budget", res);
    }
    /* 2: the disk is filling: evidence awaiting review goes too, oldest first */
    double fm = free_mb(root);
    for (int i = 0; i < l.n && !err && cfg->min_free_mb > 0 && fm >= 0 && fm < cfg->min_free_mb;
         i++) {
        if (!l.v[i].id)
            continue;
        err = drop(store, root, &l.v[i], "disk nearly full", res);
        fm = free_mb(root);
    }
    res->free_mb = free_mb(root);
    if (res->deleted)
        cw_log_info(MOD,
                    "deleted the evidence of %d events (%d awaiting review), %.1f MB freed; %.1f "
                    "MB kept, %.0f MB free",
                    res->deleted, res->deleted_pending, res->freed_bytes / 1048576.0,
                    res->kept_bytes / 1048576.0, res->free_mb);
    if (res->free_mb >= 0 && cfg->min_free_mb > 0 && res->free_mb < cfg->min_free_mb)
        cw_log_warn(MOD, "%s: %.0f MB free, below min_free_mb %.0f, and nothing more to delete",
                    root, res->free_mb, cfg->min_free_mb);
out:
    if (err)
        cw_log_error(MOD, "%s: retention pass stopped: %s", root, cw_strerror(err));
    free(l.v);
    return err;
}
