#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "crosswatch/log.h"

int cw__cli_parse(const struct cw_option *table, void *obj, int argc, char **argv, const char *cmd,
                  char **pos, int max_pos, int *n_pos, bool *help)
{
    *n_pos = 0;
    *help = false;
    for (int i = 0; i < argc; i++) {
        char name[128], *eq;
        const char *value = NULL, *arg = argv[i];
        const struct cw_option *o;

        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            *help = true;
            return 0;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == 0) {
            if (*n_pos >= max_pos) {
                cw_log_error("cli", "%s: unexpected argument '%s' (see --help)", cmd, arg);
                return CW_EXIT_USAGE;
            }
            pos[(*n_pos)++] = argv[i];
            continue;
        }
        snprintf(name, sizeof(name), "%s", arg + 2);
        eq = strchr(name, '=');
        if (eq) {
            *eq = 0;
            value = arg + 2 + (eq - name) + 1;
        }
        for (char *p = name; *p; p++)
            if (*p == '-')
                *p = '_';
        o = cw_options_find(table, name);
        if (!o && !value && !strncmp(name, "no_", 3)) {
            o = cw_options_find(table, name + 3);
            if (o && o->type == CW_OPT_BOOL) {
                if (cw_options_set(table, obj, name + 3, "false", cmd))
                    return CW_EXIT_USAGE;
                continue;
            }
        }
        if (o && o->type == CW_OPT_BOOL && !value)
            value = "true";
        if (o && !value && i + 1 < argc)
            value = argv[++i];
        if (cw_options_set(table, obj, name, value, cmd))
            return CW_EXIT_USAGE;
    }
    return 0;
}

void cw__cli_usage(const struct cw_command *cmd, const struct cw_option *table)
{
    printf("usage: crosswatch %s%s%s%s\n\n%s\n", cmd->name, *cmd->args ? " " : "", cmd->args,
           table && table->name ? " [options]" : "", cmd->summary);
    if (table && table->name) {
        printf("\noptions:\n");
        cw_options_print_help(table, stdout);
    }
}
