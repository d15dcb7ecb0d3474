#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "crosswatch/log.h"
#include "crosswatch/scene.h"

const struct cw_command cw__cmd_scene_desc = {
    "scene", "check <scene.json> | reference",
    "validate a scene file and summarise it, or print the settings reference (Markdown)",
    cw__cmd_scene};

static const struct cw_option no_options[] = {{NULL}};

int cw__cmd_scene(int argc, char **argv)
{
    struct cw_scene *scene;
    char *pos[2];
    int n, ret;
    bool help;

    ret = cw__cli_parse(no_options, NULL, argc, argv, "scene", pos, 2, &n, &help);
    if (ret)
        return ret;
    if (help) {
        cw__cli_usage(&cw__cmd_scene_desc, no_options);
        return CW_EXIT_OK;
    }
    if (n == 1 && !strcmp(pos[0], "reference")) {
        cw_scene_print_reference(stdout);
        return CW_EXIT_OK;
    }
    if (n != 2 || strcmp(pos[0], "check")) {
        fprintf(stderr, "usage: crosswatch scene check <scene.json> | scene reference\n");
        return CW_EXIT_USAGE;
    }
    if (cw_scene_load(pos[1], &scene))
        return CW_EXIT_FAIL;
    cw_scene_print_summary(scene, stdout);
    cw_scene_free(scene);
    return CW_EXIT_OK;
}
