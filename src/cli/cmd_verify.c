/* crosswatch verify: checks a store's chain, its events and their evidence files. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "crosswatch/store.h"

struct verify_opts {
    char *store;
    char *evidence;
    bool json;
};

static const struct cw_option verify_options[] = {
    {"store",
     CW_OPT_STRING,
     offsetof(struct verify_opts, store),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "the store (default DIR/events.db)"},
    {"evidence",
     CW_OPT_STRING,
     offsetof(struct verify_opts, evidence),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "the evidence root (default DIR/evidence)"},
    {"json",
     CW_OPT_BOOL,
     offsetof(struct verify_opts, json),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "print the counts as a JSON object after the problems"},
    {NULL},
};

const struct cw_command cw__cmd_verify_desc = {
    "verify", "DIR",
    "check that no event or evidence file under DIR was removed or changed, and which evidence "
    "is incomplete",
    cw__cmd_verify};

static void on_problem(void *opaque, int64_t id, const char *what)
{
    (void)opaque;
    (void)id;
    printf("%s\n", what);
}

int cw__cmd_verify(int argc, char **argv)
{
    struct verify_opts o = {0};
    char *pos[1], store_path[4096], evidence[4096];
    int n_pos;
    bool help;
    cw_options_defaults(verify_options, &o);
    int ret = cw__cli_parse(verify_options, &o, argc, argv, "verify", pos, 1, &n_pos, &help);
    if (ret || help || n_pos != 1) {
        if (help)
            cw__cli_usage(&cw__cmd_verify_desc, verify_options);
        else if (!ret)
            fprintf(stderr, "usage: crosswatch verify DIR; see --help\n");
        cw_options_release(verify_options, &o);
        return help ? CW_EXIT_OK : CW_EXIT_USAGE;
    }
    snprintf(store_path, sizeof(store_path), "%s", o.store ? o.store : "");
    if (!o.store)
        snprintf(store_path, sizeof(store_path), "%s/events.db", pos[0]);
    if (o.evidence)
        snprintf(evidence, sizeof(evidence), "%s", o.evidence);
    else
        snprintf(evidence, sizeof(evidence), "%s/evidence", pos[0]);
    struct cw_store_config sc = {0};
    cw_options_defaults(cw_store_options, &sc);
    sc.read_only = true;
    struct cw_store *s = cw_store_open(store_path, &sc);
    ret = CW_EXIT_FAIL;
    if (s) {
        struct cw_verify_counts c;
        int n = cw_store_verify(s, evidence, on_problem, NULL, &c);
        if (n >= 0) {
            if (o.json)
                printf("{\"links\":%" PRId64 ",\"events\":%" PRId64 ",\"evidence\":%" PRId64
                       ",\"incomplete\":%" PRId64 ",\"problems\":%d}\n",
                       c.links, c.events, c.evidence, c.incomplete, n);
            else if (n)
                printf("%s: %" PRId64 " events and %" PRId64
                       " evidence manifests checked: %d problem%s\n",
                       store_path, c.events, c.evidence, n, n == 1 ? "" : "s");
            else
                printf("%s: %" PRId64 " events and %" PRId64
                       " evidence manifests checked: no problems\n",
                       store_path, c.events, c.evidence);
            ret = n ? CW_EXIT_FAIL : CW_EXIT_OK;
        }
        cw_store_close(s);
    }
    cw_options_release(verify_options, &o);
    return ret;
}
