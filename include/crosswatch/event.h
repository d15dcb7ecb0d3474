/* crosswatch — a violation event, as rules produce it and stores keep it. */
#ifndef CROSSWATCH_EVENT_H
#define CROSSWATCH_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "crosswatch/geom.h"

#define CW_EVENT_ID_MAX 64

struct cw_event {
    int64_t id;                 /* assigned by the store when written (0 before) */
    char site[CW_EVENT_ID_MAX]; /* the scene's site id */
    char camera[CW_EVENT_ID_MAX];
    char rule[32];             /* "red_light", "pedestrian_red", "fail_to_yield", … */
    int cls;                   /* enum cw_class of the offender */
    int64_t track;             /* the offender's track id */
    int64_t first_ms, last_ms; /* wall clock, milliseconds since 1970: the violation's span */
    struct cw_point ground_first, ground_last; /* offender's foot point then, metres */
    struct cw_box box;  /* offender's box at the decisive moment, image pixels */
    float speed_mps;    /* ground speed at the decisive moment */
    int signal_state;   /* enum cw_light of the governing head, or 0 */
    float signal_age_s; /* how long that state had held */
    float confidence;   /* 0..1 */
    char evidence[256]; /* where its evidence is (relative to the evidence root), or "" */
    int64_t frame;      /* the decisive frame in its source (0-based; not stored) */
    double time_s;      /* and its stream time, seconds from the source's start */
};

/* A passage a rule judged compliant (a rider who stopped at red): with the violations, what
 * compliance rates are made of. Violations are counted when their events are written. */
struct cw_passage {
    char site[CW_EVENT_ID_MAX];
    char camera[CW_EVENT_ID_MAX];
    char rule[32];
    int64_t t_ms;
};

/* Writes @e as one JSON object (no newline) into @buf of @cap bytes. Returns the length, or -1
 * when it does not fit. */
int cw_event_to_json(const struct cw_event *e, char *buf, size_t cap);

#endif
