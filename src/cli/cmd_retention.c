/* crosswatch retention and crosswatch review: evidence housekeeping from the command line (cron,
 * or an officer's decision until the dashboard has it). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/retention.h"
#include "crosswatch/store.h"

struct retention_opts {
    struct cw_retention_config ret;
    char *evidence;
};

static struct cw_option retention_options[8];

static const struct cw_option own_options[] = {
    {"evidence",
     CW_OPT_STRING,
     offsetof(struct retention_opts, evidence),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "the evidence root (default DIR/evidence)"},
    {NULL},
};

const struct cw_command cw__cmd_retention_desc = {
    "retention", "DIR [--days N] [--budget-mb M] [--min-free-mb F]",
    "delete old evidence under DIR oldest first (never what awaits review, unless the disk is "
    "filling), sealing each deletion in the store",
    cw__cmd_retention};

static struct cw_store *open_dir(const char *dir)
{
    char path[4096];
    struct cw_store_config sc = {0};
    cw_options_defaults(cw_store_options, &sc);
    snprintf(path, sizeof(path), "%s/events.db", dir);
    return cw_store_open(path, &sc);
}

int cw__cmd_retention(int argc, char **argv)
{
    struct retention_opts o = {0};
    char *pos[1], root[4096];
    int n_pos, k = 0;
    bool help;
    for (const struct cw_option *p = own_options; p->name; p++)
        retention_options[k++] = *p;
    for (const struct cw_option *p = cw_retention_options; p->name; p++) {
        retention_options[k] = *p;
        retention_options[k++].offset += offsetof(struct retention_opts, ret);
    }
    retention_options[k].name = NULL;
    cw_options_defaults(retention_options, &o);
    int ret = cw__cli_parse(retention_options, &o, argc, argv, "retention", pos, 1, &n_pos, &help);
    if (ret || help || n_pos != 1) {
        if (help)
            cw__cli_usage(&cw__cmd_retention_desc, retention_options);
        else if (!ret)
            fprintf(stderr, "usage: crosswatch retention DIR [options]; see --help\n");
        cw_options_release(retention_options, &o);
        return help ? CW_EXIT_OK : CW_EXIT_USAGE;
    }
    snprintf(root, sizeof(root), "%s", o.evidence ? o.evidence : "");
    if (!o.evidence)
        snprintf(root, sizeof(root), "%s/evidence", pos[0]);
    struct cw_store *s = open_dir(pos[0]);
    ret = CW_EXIT_FAIL;
    if (s) {
        struct cw_retention_result r;
        if (!cw_retention_run(&o.ret, root, s, cw_clock_wall_ns() / 1000000, &r)) {
            printf("deleted the evidence of %d events (%d awaiting review), %.1f MB; %.1f MB "
                   "kept\n",
                   r.deleted, r.deleted_pending, r.freed_bytes / 1048576.0,
                   r.kept_bytes / 1048576.0);
            ret = CW_EXIT_OK;
        }
        cw_store_close(s);
    }
    cw_options_release(retention_options, &o);
    return ret;
}

struct review_opts {
    int event;
    char *decision;
};

static const struct cw_option review_options[] = {
    {"event",
     CW_OPT_INT,
     offsetof(struct review_opts, event),
     {.i = 0},
     1,
     2000000000,
     NULL,
     NULL,
     "the event's id",
     CW_OPT_REQUIRED},
    {"decision",
     CW_OPT_STRING,
     offsetof(struct review_opts, decision),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "accepted or rejected",
     CW_OPT_REQUIRED},
    {NULL},
};

const struct cw_command cw__cmd_review_desc = {
    "review", "DIR --event N --decision accepted|rejected",
    "record an officer's decision on an event (its evidence may then be deleted by retention)",
    cw__cmd_review};

int cw__cmd_review(int argc, char **argv)
{
    struct review_opts o = {0};
    char *pos[1];
    int n_pos;
    bool help;
    cw_options_defaults(review_options, &o);
    int ret = cw__cli_parse(review_options, &o, argc, argv, "review", pos, 1, &n_pos, &help);
    if (ret || help || n_pos != 1 || !o.decision) {
        if (help)
            cw__cli_usage(&cw__cmd_review_desc, review_options);
        else if (!ret)
            fprintf(stderr,
                    "usage: crosswatch review DIR --event N --decision accepted|rejected\n");
        cw_options_release(review_options, &o);
        return help ? CW_EXIT_OK : CW_EXIT_USAGE;
    }
    ret = CW_EXIT_FAIL;
    if (strcmp(o.decision, "accepted") && strcmp(o.decision, "rejected")) {
        fprintf(stderr, "crosswatch review: --decision is accepted or rejected, not '%s'\n",
                o.decision);
        ret = CW_EXIT_USAGE;
    } else {
        struct cw_store *s = open_dir(pos[0]);
        if (s) {
            int err = cw_store_set_review(s, o.event, o.decision);
            if (err == CW_ENOENT)
                fprintf(stderr, "crosswatch review: %s has no event %d\n", pos[0], o.event);
            else if (!err)
                ret = CW_EXIT_OK;
            cw_store_close(s);
        }
    }
    cw_options_release(review_options, &o);
    return ret;
}
