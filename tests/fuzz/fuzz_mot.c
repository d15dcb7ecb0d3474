/* Fuzz target: MOTChallenge files — the parser, and the metrics on whatever it accepts (the
 * input scored against itself, and against itself shifted), must never crash or misbehave. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "crosswatch/mot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cw_mot_file gt, res;
    struct cw_mot_metrics m;
    fuzz_quiet_logs();
    if (size > 1 << 16)
        return 0;
    if (cw_mot_parse((const char *)data, size, "fuzz.txt", 50, true, &gt) == 0) {
        if (cw_mot_parse((const char *)data, size, "fuzz.txt", 50, false, &res) == 0) {
            cw_mot_evaluate(&gt, &res, CW_MOT_AUTO, "fuzz", &m);
            cw_mot_evaluate(&gt, &res, CW_MOT_MOT20, "fuzz", &m);
            cw_mot_file_release(&res);
        }
        cw_mot_file_release(&gt);
    }
    return 0;
}
