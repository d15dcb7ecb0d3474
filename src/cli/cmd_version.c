#include <stdio.h>

#include "cli/cli.h"
#include "crosswatch/version.h"

const struct cw_command cw__cmd_version_desc = {
    "version", "", "print crosswatch's version and the libraries it uses", cw__cmd_version};

int cw__cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("crosswatch %s (%s)\n", cw_version(), cw_version_libraries());
    return CW_EXIT_OK;
}
