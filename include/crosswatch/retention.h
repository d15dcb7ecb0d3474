/* crosswatch — evidence retention: old evidence is deleted, oldest first, by age or by a disk
 * budget, never the evidence of an event still awaiting review unless the disk would otherwise
 * fill. Each deletion is recorded on the event ("deleted: …") and sealed in the store's chain, so
 * `crosswatch verify` tells a deletion by retention from a file that went missing. */
#ifndef CROSSWATCH_RETENTION_H
#define CROSSWATCH_RETENTION_H

#include <stdint.h>

#include "crosswatch/options.h"

struct cw_store;

struct cw_retention_config {
    double days;        /* delete evidence older than this (0: keep by age) */
    double budget_mb;   /* keep the evidence under this size (0: no budget) */
    double min_free_mb; /* below this much free disk, evidence awaiting review may go too */
};

extern const struct cw_option cw_retention_options[];

struct cw_retention_result {
    int deleted;         /* events whose evidence was deleted */
    int deleted_pending; /* … of them still awaiting review (the disk was filling) */
    int64_t freed_bytes; /* bytes deleted */
    int64_t kept_bytes;  /* evidence left */
    double free_mb;      /* free space on the evidence disk after */
};

/* One pass over the evidence under @root recorded in @store, at wall time @now_ms. Returns 0 or
 * a CW_E* code (logged); deletions are logged, one line per pass. */
int cw_retention_run(const struct cw_retention_config *cfg, const char *root,
                     struct cw_store *store, int64_t now_ms, struct cw_retention_result *res);

#endif
