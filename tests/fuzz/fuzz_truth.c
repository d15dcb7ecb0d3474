/* Fuzz target: truth.json as crosswatch-synth writes it (and as people edit it) must be read or
 * refused cleanly; what is read is scored against itself. */
#include <stddef.h>
#include <stdint.h>

#include "crosswatch/event_eval.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cw_event_set truth, boxes;
    struct cw_event_report rep;
    struct cw_event_eval_config cfg = {1.0, 0.3};
    double fps;
    fuzz_quiet_logs();
    if (size > 1 << 16)
        return 0;
    if (cw_event_truth_parse((const char *)data, size, "fuzz.json", false, &truth, &fps, &boxes) ==
        0) {
        cw_event_evaluate(&truth, &boxes, &truth, &cfg, &rep);
        cw_event_set_release(&truth);
        cw_event_set_release(&boxes);
    }
    return 0;
}
