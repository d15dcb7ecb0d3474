/* The store interface: options, and the backend chosen by the URL. */
#include <stddef.h>
#include <string.h>

#include "crosswatch/log.h"
#include "store/backend.h"

#define OFS(f) offsetof(struct cw_store_config, f)
const struct cw_option cw_store_options[] = {
    {"busy_timeout_ms",
     CW_OPT_INT,
     OFS(busy_timeout_ms),
     {.i = 5000},
     0,
     600000,
     NULL,
     "ms",
     "how long to wait for a lock held by another writer"},
    {"durable",
     CW_OPT_BOOL,
     OFS(durable),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "sync every commit to the disk (survives power loss; slower)"},
    {NULL},
};

struct cw_store *cw_store_open(const char *url, const struct cw_store_config *cfg)
{
    struct cw_store *s;
    if (!strncmp(url, "sqlite:", 7)) {
        s = cw__store_sqlite.open(url + 7, cfg);
    } else if (strstr(url, "://")) {
        cw_log_error("store", "store '%s': unknown kind; use a file path or sqlite:PATH", url);
        return NULL;
    } else {
        s = cw__store_sqlite.open(url, cfg);
    }
    if (s)
        pthread_mutex_init(&s->lock, NULL);
    return s;
}

#define LOCKED(s, call)                                                                            \
    do {                                                                                           \
        pthread_mutex_lock(&(s)->lock);                                                            \
        int r_ = (call);                                                                           \
        pthread_mutex_unlock(&(s)->lock);                                                          \
        return r_;                                                                                 \
    } while (0)

void cw_store_close(struct cw_store *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    s->be->close(s);
}

int cw_store_schema_version(const struct cw_store *s)
{
    return s->be->schema_version(s);
}

int cw_store_write(struct cw_store *s, struct cw_event *events, int n)
{
    if (n <= 0)
        return 0;
    LOCKED(s, s->be->write(s, events, n));
}

int cw_store_add_passages(struct cw_store *s, const struct cw_passage *p, int n)
{
    if (n <= 0)
        return 0;
    LOCKED(s, s->be->add_passages(s, p, n));
}

int cw_store_hourly(struct cw_store *s, int64_t from_ms, int64_t to_ms, const char *site,
                    cw_hour_fn fn, void *opaque)
{
    LOCKED(s, s->be->hourly(s, from_ms, to_ms, site, fn, opaque));
}

int cw_store_events(struct cw_store *s, int64_t from_ms, int64_t to_ms, const char *rule,
                    const char *site, int limit, cw_event_fn fn, void *opaque)
{
    LOCKED(s, s->be->events(s, from_ms, to_ms, rule, site, limit, fn, opaque));
}

int cw_store_set_evidence(struct cw_store *s, int64_t event_id, const char *dir, const char *status,
                          const char *manifest)
{
    LOCKED(s, s->be->set_evidence(s, event_id, dir, status, manifest ? manifest : ""));
}

int cw_store_verify(struct cw_store *s, const char *evidence_root, cw_verify_fn fn, void *opaque,
                    struct cw_verify_counts *counts)
{
    LOCKED(s, s->be->verify(s, evidence_root, fn, opaque, counts));
}

int cw_store_evidence_rows(struct cw_store *s, cw_evidence_row_fn fn, void *opaque)
{
    LOCKED(s, s->be->evidence_rows(s, fn, opaque));
}

int cw_store_set_review(struct cw_store *s, int64_t id, const char *review)
{
    LOCKED(s, s->be->set_review(s, id, review));
}
