/* crosswatch — command-line entry point: global options, then one subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "crosswatch/log.h"
#include "crosswatch/version.h"

static const struct cw_command *const commands[] = {
    &cw__cmd_probe_desc,   &cw__cmd_decode_desc,  &cw__cmd_scene_desc,
    &cw__cmd_analyze_desc, &cw__cmd_track_desc,   &cw__cmd_detect_desc,
    &cw__cmd_signal_desc,  &cw__cmd_eval_desc,    &cw__cmd_mot_desc,
    &cw__cmd_verify_desc,  &cw__cmd_run_desc,     &cw__cmd_retention_desc,
    &cw__cmd_review_desc,  &cw__cmd_version_desc, NULL,
};

static void usage(FILE *out)
{
    fprintf(out, "crosswatch %s — traffic-safety video analytics for road intersections\n\n",
            CW_VERSION_STRING);
    fprintf(out, "usage: crosswatch [--log-level=LEVEL] [--log-format=text|json] <command> "
                 "[args]\n\ncommands:\n");
    for (const struct cw_command *const *c = commands; *c; c++)
        fprintf(out, "  %-10s %s\n", (*c)->name, (*c)->summary);
    fprintf(out, "\nlog levels: error, warn, info (default), debug, trace.\n"
                 "'crosswatch <command> --help' describes a command's options.\n");
}

/* Takes the global options out of argv wherever they stand; returns the new argc or -1. */
static int global_options(int argc, char **argv)
{
    int out = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        bool level = !strncmp(a, "--log-level", 11), format = !strncmp(a, "--log-format", 12);
        if (!level && !format) {
            argv[out++] = argv[i];
            continue;
        }
        v = strchr(a, '=');
        if (v)
            v++;
        else if (i + 1 < argc)
            v = argv[++i];
        if (level) {
            enum cw_log_level l;
            if (cw_log_level_parse(v, &l)) {
                cw_log_error("cli",
                             "--log-level: '%s' is not one of error, warn, info, debug, "
                             "trace",
                             v ? v : "");
                return -1;
            }
            cw_log_set_level(l);
        } else {
            enum cw_log_format f;
            if (cw_log_format_parse(v, &f)) {
                cw_log_error("cli", "--log-format: '%s' is not text or json", v ? v : "");
                return -1;
            }
            cw_log_set_format(f);
        }
    }
    argv[out] = NULL;
    return out;
}

int main(int argc, char **argv)
{
    argc = global_options(argc, argv);
    if (argc < 0)
        return CW_EXIT_USAGE;
    if (argc < 2) {
        usage(stderr);
        return CW_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CW_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version"))
        return cw__cmd_version(0, NULL);
    for (const struct cw_command *const *c = commands; *c; c++)
        if (!strcmp(argv[1], (*c)->name))
            return (*c)->run(argc - 2, argv + 2);
    cw_log_error("cli", "'%s' is not a crosswatch command; run 'crosswatch --help'", argv[1]);
    return CW_EXIT_USAGE;
}
