/* Internal: what a store backend provides. Each backend embeds struct cw_store first in its own
 * state and fills the table; store.c picks the backend from the URL. */
#ifndef CW_STORE_BACKEND_H
#define CW_STORE_BACKEND_H

#include <pthread.h>

#include "crosswatch/store.h"

struct cw_store_backend {
    const char *name;
    struct cw_store *(*open)(const char *location, const struct cw_store_config *cfg);
    void (*close)(struct cw_store *s);
    int (*schema_version)(const struct cw_store *s);
    int (*write)(struct cw_store *s, struct cw_event *events, int n);
    int (*add_passages)(struct cw_store *s, const struct cw_passage *p, int n);
    int (*hourly)(struct cw_store *s, int64_t from_ms, int64_t to_ms, const char *site,
                  cw_hour_fn fn, void *opaque);
    int (*events)(struct cw_store *s, int64_t from_ms, int64_t to_ms, const char *rule,
                  const char *site, int limit, cw_event_fn fn, void *opaque);
    int (*set_evidence)(struct cw_store *s, int64_t event_id, const char *dir, const char *status,
                        const char *manifest);
    int (*verify)(struct cw_store *s, const char *evidence_root, cw_verify_fn fn, void *opaque,
                  struct cw_verify_counts *counts);
    int (*evidence_rows)(struct cw_store *s, cw_evidence_row_fn fn, void *opaque);
    int (*set_review)(struct cw_store *s, int64_t id, const char *review);
};

struct cw_store {
    const struct cw_store_backend *be;
    pthread_mutex_t lock; /* store.c holds it around every call: any thread may use a store */
};

extern const struct cw_store_backend cw__store_sqlite;

#endif
