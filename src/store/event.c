/* Events as JSON lines. */
#include "crosswatch/event.h"

#include <inttypes.h>
#include <stdio.h>

#include "core/json_escape.h"
#include "crosswatch/detection.h"
#include "crosswatch/light.h"

int cw_event_to_json(const struct cw_event *e, char *buf, size_t cap)
{
    char site[2 * CW_EVENT_ID_MAX], camera[2 * CW_EVENT_ID_MAX], rule[64], evidence[512];
    cw__json_escape(site, sizeof(site), e->site);
    cw__json_escape(camera, sizeof(camera), e->camera);
    cw__json_escape(rule, sizeof(rule), e->rule);
    cw__json_escape(evidence, sizeof(evidence), e->evidence);
    int n = snprintf(
        buf, cap,
        "{\"id\":%" PRId64 ",\"site\":\"%s\",\"camera\":\"%s\",\"rule\":\"%s\","
        "\"class\":\"%s\",\"track\":%" PRId64 ",\"first_ms\":%" PRId64 ",\"last_ms\":%" PRId64
        ",\"ground_first\":[%.2f,%.2f],"
        "\"ground_last\":[%.2f,%.2f],\"box\":[%.1f,%.1f,%.1f,%.1f],"
        "\"speed_mps\":%.2f,\"signal\":\"%s\",\"signal_age_s\":%.2f,"
        "\"confidence\":%.3f,\"evidence\":\"%s\",\"frame\":%" PRId64 ",\"time_s\":%.3f}",
        e->id, site, camera, rule, cw_class_name(e->cls), e->track, e->first_ms, e->last_ms,
        e->ground_first.x, e->ground_first.y, e->ground_last.x, e->ground_last.y, e->box.x,
        e->box.y, e->box.w, e->box.h, e->speed_mps, cw_light_name(e->signal_state), e->signal_age_s,
        e->confidence, evidence, e->frame, e->time_s);
    return n >= 0 && (size_t)n < cap ? n : -1;
}
