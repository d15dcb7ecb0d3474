#include <stdio.h>

#include "cli/cli.h"
#include "crosswatch/probe.h"

struct probe_opts {
    double scan_seconds;
    double timeout_s;
    int transport;
    bool json;
};

static const char *const transports[] = {"tcp", "udp", NULL};

static const struct cw_option probe_options[] = {
    {"scan_seconds",
     CW_OPT_DOUBLE,
     offsetof(struct probe_opts, scan_seconds),
     {.d = 60},
     0,
     86400,
     NULL,
     "s",
     "how much video to scan for the keyframe interval; 0 scans a whole file"},
    {"timeout_s",
     CW_OPT_DOUBLE,
     offsetof(struct probe_opts, timeout_s),
     {.d = 5},
     0.1,
     300,
     NULL,
     "s",
     "network timeout"},
    {"transport",
     CW_OPT_ENUM,
     offsetof(struct probe_opts, transport),
     {.i = 0},
     0,
     0,
     transports,
     NULL,
     "RTSP transport"},
    {"json",
     CW_OPT_BOOL,
     offsetof(struct probe_opts, json),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "print one JSON object instead of text"},
    {NULL},
};

const struct cw_command cw__cmd_probe_desc = {
    "probe", "<input>",
    "show an input's streams, codec, size, frame rate, duration and keyframe interval",
    cw__cmd_probe};

int cw__cmd_probe(int argc, char **argv)
{
    struct probe_opts o = {0};
    struct cw_probe_config pc;
    struct cw_probe_result r;
    char *pos[1];
    int n, ret;
    bool help;

    cw_options_defaults(probe_options, &o);
    ret = cw__cli_parse(probe_options, &o, argc, argv, "probe", pos, 1, &n, &help);
    if (ret)
        return ret;
    if (help) {
        cw__cli_usage(&cw__cmd_probe_desc, probe_options);
        return CW_EXIT_OK;
    }
    if (n != 1) {
        fprintf(stderr, "usage: crosswatch probe <input> [options]; see --help\n");
        return CW_EXIT_USAGE;
    }
    pc.scan_seconds = o.scan_seconds;
    pc.timeout_s = o.timeout_s;
    pc.transport = o.transport;
    if (cw_probe(pos[0], &pc, &r))
        return CW_EXIT_FAIL;
    if (o.json)
        cw_probe_print_json(pos[0], &r, stdout);
    else
        cw_probe_print(pos[0], &r, stdout);
    return CW_EXIT_OK;
}
