/* crosswatch — the event store: where violations and compliance counts are kept for the
 * dashboard and for officers.
 *
 * One interface, one file per backend: SQLite (src/store/sqlite.c, the default, embedded) now,
 * PostgreSQL later. Open with a URL: a plain path or "sqlite:PATH" selects SQLite.
 *
 * Guarantees: cw_store_write returns 0 only once the events are committed (they survive the
 * process being killed); on any error nothing of the batch is written and the caller still holds
 * the events to retry. Any thread may call a store; calls are serialised.
 */
#ifndef CROSSWATCH_STORE_H
#define CROSSWATCH_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "crosswatch/event.h"
#include "crosswatch/options.h"

struct cw_store_config {
    int busy_timeout_ms; /* how long to wait for a lock held by another writer */
    bool durable;        /* sync every commit to the disk (survives power loss, slower) */
    bool read_only;      /* open for reading only (verify): nothing is migrated or written */
};

extern const struct cw_option cw_store_options[];

struct cw_store;

/* Opens (creating and migrating to the current schema if needed) the store at @url. Returns
 * NULL after logging one line that names the store and what to fix. */
struct cw_store *cw_store_open(const char *url, const struct cw_store_config *cfg);
void cw_store_close(struct cw_store *s);

/* The schema version the store is at. */
int cw_store_schema_version(const struct cw_store *s);

/* Writes @n events in one transaction, assigning each its id, and adds them to the hourly
 * counts. Returns 0 once committed, or a negative CW_E* code (logged; nothing written). */
int cw_store_write(struct cw_store *s, struct cw_event *events, int n);

/* Adds @n compliant passages to the hourly counts (violations are counted by cw_store_write). */
int cw_store_add_passages(struct cw_store *s, const struct cw_passage *p, int n);

/* One row of the hourly counts. */
struct cw_hour_count {
    const char *site, *camera; /* NULL in the counts over all sites */
    const char *rule;
    int64_t hour_ms; /* start of the hour, ms since 1970 (UTC) */
    int64_t violations, compliant;
};

typedef void (*cw_hour_fn)(void *opaque, const struct cw_hour_count *row);

/* The dashboard's counts per hour in [@from_ms, @to_ms), in order of hour then rule: with @site,
 * one row per camera and rule of that site; with @site NULL, one row per rule over all sites.
 * Read from summaries kept as events are written: never a scan of the events. Returns the number
 * of rows, or a negative CW_E* code. */
int cw_store_hourly(struct cw_store *s, int64_t from_ms, int64_t to_ms, const char *site,
                    cw_hour_fn fn, void *opaque);

typedef void (*cw_event_fn)(void *opaque, const struct cw_event *e);

/* Calls @fn for the events that began in [@from_ms, @to_ms), newest first, optionally only of
 * @rule and @site (NULL: any), at most @limit. Returns the count, or a negative CW_E* code. */
int cw_store_events(struct cw_store *s, int64_t from_ms, int64_t to_ms, const char *rule,
                    const char *site, int limit, cw_event_fn fn, void *opaque);

/* Records where event @event_id's evidence stands: @dir (relative to the evidence root), @status
 * ("pending" when asked for, "complete", or why it failed: "failed: disk full" …) and, when the
 * files are written, @manifest — a JSON object {"dir": …, "files": [{"name", "sha256", "bytes"}]}
 * that is sealed into the chain. Returns 0 once committed, or a CW_E* code (logged). */
int cw_store_set_evidence(struct cw_store *s, int64_t event_id, const char *dir, const char *status,
                          const char *manifest);

/* One event's evidence, for retention. */
struct cw_evidence_row {
    int64_t id, first_ms;
    const char *dir;    /* relative to the evidence root */
    const char *status; /* "complete", "failed: …", "deleted: …" */
    const char *review; /* "pending" until an officer has decided */
};
typedef void (*cw_evidence_row_fn)(void *opaque, const struct cw_evidence_row *row);

/* Calls @fn for every event with evidence on disk ("complete" or "failed", not yet deleted),
 * oldest first. Returns the count or a CW_E* code. */
int cw_store_evidence_rows(struct cw_store *s, cw_evidence_row_fn fn, void *opaque);

/* Records an officer's decision on event @id ("accepted", "rejected"; "pending" until then).
 * Returns 0, CW_ENOENT for no such event, or a CW_E* code. */
int cw_store_set_review(struct cw_store *s, int64_t id, const char *review);

/* Integrity. Every event written is sealed in a chain: each link holds the event as stored, or
 * its evidence manifest, and the SHA-256 of the link before it, so that removing, reordering or
 * altering an event, or changing an evidence file, is found by cw_store_verify. */
struct cw_verify_counts {
    int64_t links, events, evidence; /* links checked, of them events and evidence manifests */
    int64_t incomplete;              /* events whose evidence is pending or failed */
};
typedef void (*cw_verify_fn)(void *opaque, int64_t event_id, const char *problem);

/* Walks the chain and the events, and hashes the evidence files under @evidence_root: @fn gets
 * one line for each problem found (a removed or altered event, a broken link, a missing or
 * changed file, evidence left incomplete). Returns the number of problems, or a negative CW_E*
 * code when the store cannot be read. */
int cw_store_verify(struct cw_store *s, const char *evidence_root, cw_verify_fn fn, void *opaque,
                    struct cw_verify_counts *counts);

#endif
