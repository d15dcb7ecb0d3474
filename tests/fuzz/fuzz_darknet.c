/* Fuzz target: the darknet cfg parser and loader must refuse anything malformed with a message,
 * never crash, leak or read out of bounds. Cfgs that parse get weights of exactly the right size
 * (values drawn from the input) and, when small, one forward pass and the box decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/dnn.h"
#include "dnn/net.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet_logs();
    char *cfg = malloc(size + 1);
    if (!cfg)
        return 0;
    memcpy(cfg, data, size);
    cfg[size] = 0;
    long need = cw__dnn_weights_bytes(cfg);
    if (need >= 20 && need <= (4 << 20)) {
        uint8_t *w = malloc((size_t)need);
        int32_t hdr[3] = {0, 2, 0};
        memcpy(w, hdr, sizeof(hdr));
        memset(w + 12, 0, 8);
        uint32_t s = 1;
        for (long i = 20; i + 4 <= need; i += 4) {
            s = s * 1664525u + 1013904223u + (size ? data[(size_t)i % size] : 0);
            float v = (float)((int32_t)(s >> 8) - (1 << 23)) / (float)(1 << 24);
            memcpy(w + i, &v, 4);
        }
        struct cw_dnn *net = cw_dnn_load_mem("fuzz.cfg", cfg, w, (size_t)need, 1);
        if (net) {
            if (cw_dnn_flops(net) < 2e7 && cw_dnn_memory(net) < (64u << 20)) {
                cw_dnn_forward(net);
                struct cw_dnn_box boxes[16];
                cw_dnn_boxes(net, 0.1f, 0.45f, boxes, 16);
            }
            cw_dnn_free(net);
        }
        free(w);
    }
    free(cfg);
    return 0;
}
