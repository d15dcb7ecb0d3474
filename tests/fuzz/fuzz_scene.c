/* Fuzz target: the scene file parser must reject anything malformed without crashing, leaking or
 * reading out of bounds. Built as a libFuzzer target with clang (-DCW_FUZZ=ON), and as a
 * deterministic mutation replayer (replay.c) that CTest runs in every build, ASan included. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "crosswatch/scene.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cw_scene *scene;
    fuzz_quiet_logs();
    if (cw_scene_parse((const char *)data, size, "fuzz.json", &scene) == 0)
        cw_scene_free(scene);
    return 0;
}
