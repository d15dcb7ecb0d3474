/* Fuzz target: detected-event files (JSON lines or an array) and their scoring against a small
 * fixed truth must never crash, whatever the input. */
#include <stddef.h>
#include <stdint.h>

#include "crosswatch/event_eval.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cw_event_rec truth_ev[2] = {
        {"red_light", 1, 10, 0.4, false, 0, 0, 0, 0},
        {"speeding", 2, 30, 1.2, false, 0, 0, 0, 0},
    };
    static struct cw_event_rec box_ev[2] = {
        {"", 1, 10, 0, true, 10, 10, 20, 40},
        {"", 2, 30, 0, true, 50, 10, 20, 40},
    };
    struct cw_event_set truth = {truth_ev, 2}, boxes = {box_ev, 2}, det;
    struct cw_event_eval_config cfg = {2.0, 0.3};
    struct cw_event_report rep;
    fuzz_quiet_logs();
    if (size > 1 << 16)
        return 0;
    if (cw_event_detections_parse((const char *)data, size, "fuzz.jsonl", 25, &det) == 0) {
        cw_event_evaluate(&truth, &boxes, &det, &cfg, &rep);
        cw_event_set_release(&det);
    }
    return 0;
}
