/* Internal: the crosswatch command line — one file per subcommand, listed in main.c. */
#ifndef CW_CLI_CLI_H
#define CW_CLI_CLI_H

#include <stdbool.h>

#include "crosswatch/options.h"

/* Exit codes shared by every subcommand. */
enum {
    CW_EXIT_OK = 0,
    CW_EXIT_FAIL = 1,  /* the work could not be done (bad input, unreachable camera …) */
    CW_EXIT_USAGE = 2, /* the command line was wrong */
};

struct cw_command {
    const char *name;
    const char *args;    /* positional arguments, for the usage line */
    const char *summary; /* one line */
    int (*run)(int argc, char **argv);
};

/* Reads "--name=value", "--name value", "--flag" and "--no-flag" (dashes and underscores in names
 * are the same) into @obj through @table; other arguments are collected into @pos (at most
 * @max_pos). Sets *@help on -h/--help. Logs and returns CW_EXIT_USAGE on a bad argument. */
int cw__cli_parse(const struct cw_option *table, void *obj, int argc, char **argv, const char *cmd,
                  char **pos, int max_pos, int *n_pos, bool *help);

/* Prints "usage: crosswatch <cmd> <args> [options]", the summary and the option table. */
void cw__cli_usage(const struct cw_command *cmd, const struct cw_option *table);

int cw__cmd_probe(int argc, char **argv);
int cw__cmd_decode(int argc, char **argv);
int cw__cmd_scene(int argc, char **argv);
int cw__cmd_version(int argc, char **argv);
int cw__cmd_eval(int argc, char **argv);
int cw__cmd_mot(int argc, char **argv);
int cw__cmd_track(int argc, char **argv);
int cw__cmd_detect(int argc, char **argv);
int cw__cmd_signal(int argc, char **argv);
int cw__cmd_analyze(int argc, char **argv);
int cw__cmd_verify(int argc, char **argv);
int cw__cmd_run(int argc, char **argv);
int cw__cmd_retention(int argc, char **argv);
int cw__cmd_review(int argc, char **argv);

extern const struct cw_command cw__cmd_probe_desc, cw__cmd_decode_desc, cw__cmd_scene_desc,
    cw__cmd_version_desc, cw__cmd_eval_desc, cw__cmd_mot_desc, cw__cmd_track_desc,
    cw__cmd_detect_desc, cw__cmd_signal_desc, cw__cmd_analyze_desc, cw__cmd_verify_desc,
    cw__cmd_run_desc, cw__cmd_retention_desc, cw__cmd_review_desc;

#endif
