/* crosswatch run: many cameras in one process until SIGTERM (or until every file has ended). */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "cli/cli.h"
#include "crosswatch/clock.h"
#include "crosswatch/log.h"
#include "crosswatch/run.h"

struct run_opts {
    char *config;
};

static const struct cw_option run_options[] = {
    {"config",
     CW_OPT_STRING,
     offsetof(struct run_opts, config),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "the site file: store, evidence folder, metrics address, cameras (docs/run.md)",
     CW_OPT_REQUIRED},
    {NULL},
};

const struct cw_command cw__cmd_run_desc = {
    "run", "--config site.json",
    "watch the site's cameras live: events to the store with evidence, health at /metrics; "
    "SIGHUP reloads the scenes, SIGTERM stops",
    cw__cmd_run};

int cw__cmd_run(int argc, char **argv)
{
    struct run_opts o = {0};
    struct cw_run_config cfg;
    bool help;
    int n_pos;
    cw_options_defaults(run_options, &o);
    int ret = cw__cli_parse(run_options, &o, argc, argv, "run", NULL, 0, &n_pos, &help);
    if (ret || help || !o.config) {
        if (help)
            cw__cli_usage(&cw__cmd_run_desc, run_options);
        cw_options_release(run_options, &o);
        return help ? CW_EXIT_OK : CW_EXIT_USAGE;
    }
    /* Pictures (3 MB at 1080p) come and go with every evidence clip's stills: served straight
     * from mmap they go back to the system when freed, rather than staying in a thread's heap;
     * and a few heaps shared by all threads fragment less than one per thread. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_ARENA_MAX, 4);
    if (cw_run_config_load(o.config, &cfg)) {
        cw_options_release(run_options, &o);
        return CW_EXIT_FAIL;
    }
    /* signals are taken by this thread alone, with sigtimedwait */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct cw_run *r = cw_run_start(&cfg);
    ret = CW_EXIT_FAIL;
    if (r) {
        int64_t next_health = cw_clock_mono_ns() + (int64_t)(cfg.health_s * 1e9);
        int64_t next_retention = cw_clock_mono_ns(); /* at once, then every retention_s */
        for (;;) {
            struct timespec t = {0, 200 * 1000 * 1000};
            int sig = sigtimedwait(&set, NULL, &t);
            if (sig == SIGTERM || sig == SIGINT) {
                cw_log_info("run", "%s: stopping (writing what is queued)",
                            sig == SIGTERM ? "SIGTERM" : "SIGINT");
                break;
            }
            if (sig == SIGHUP) {
                cw_log_info("run", "SIGHUP: reloading the scene files");
                cw_run_reload(r);
            }
            if (cw_run_done(r)) {
                cw_log_info("run", "every camera has ended");
                break;
            }
            if (cfg.retention_s > 0 && cw_clock_mono_ns() >= next_retention) {
                cw_run_retention(r);
                next_retention = cw_clock_mono_ns() + (int64_t)(cfg.retention_s * 1e9);
            }
            if (cw_clock_mono_ns() >= next_health) {
                cw_run_log_health(r);
                next_health += (int64_t)(cfg.health_s * 1e9);
            }
        }
        ret = cw_run_stop(r) ? CW_EXIT_FAIL : CW_EXIT_OK;
    }
    cw_run_config_free(&cfg);
    cw_options_release(run_options, &o);
    return ret;
}
