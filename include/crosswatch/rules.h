/* crosswatch — the violation rules of a scene, run on its tracks frame by frame.
 *
 * Each rule is a stage in its own file (src/rules/<rule>.c), configured by the scene's "rules"
 * section. Every rule judges the ground-plane foot point of confirmed tracks only, and uses
 * hysteresis so a box flickering on a line never counts twice; each also counts the compliant
 * passages it judged, for compliance rates. Rules know nothing of pixels.
 */
#ifndef CROSSWATCH_RULES_H
#define CROSSWATCH_RULES_H

#include <stdint.h>

#include "crosswatch/event.h"
#include "crosswatch/signals.h"
#include "crosswatch/tracker.h"

struct cw_scene;

/* What the rules see of one frame. */
struct cw_rule_input {
    const struct cw_track_out *tracks; /* the tracker's confirmed tracks of this frame */
    int ntracks;
    struct cw_signals *signals; /* the scene's signal state; NULL: no signal (red rules idle) */
    int64_t t_ns;               /* stream time of the frame (the signals' clock) */
    int64_t wall_ms;            /* wall-clock time of the frame, ms since 1970 */
    int64_t frame;              /* 0-based frame number */
};

struct cw_rules;

/* The enabled rules of @scene (borrowed; it must outlive them). @site and @camera are copied into
 * every event. Returns NULL (logged) on failure. */
struct cw_rules *cw_rules_new(const struct cw_scene *scene, const char *site, const char *camera);
void cw_rules_free(struct cw_rules *r);

/* Runs every rule on one frame. Violations go to @events (at most @cap; the count is returned),
 * compliant passages to @passages (at most @pcap; *@npassages). No allocation. */
int cw_rules_process(struct cw_rules *r, const struct cw_rule_input *in, struct cw_event *events,
                     int cap, struct cw_passage *passages, int pcap, int *npassages);

/* Violations and compliant passages each rule has judged so far (@rule: enum cw_rule_id). */
/* What the last cw_rules_process wants kept of the picture, for evidence (evidence.h). Evidence
 * pictures are taken from frames kept only while a rule may need them. */
enum {
    CW_RULES_WATCH = 1, /* a road user may soon make a decisive move (nears a stop line on red, a
                           pedestrian is on a crosswalk, a two-wheeler rides, a vehicle speeds):
                           keep a picture now and then, for the "before" picture */
    CW_RULES_KEEP = 2,  /* a decisive moment in this very frame (a crossing on red, an entry, a
                           violation reported now): keep this picture */
};
struct cw_rules_interest {
    unsigned flags; /* CW_RULES_* */
    double keep_s;  /* with CW_RULES_KEEP: how long the picture may be waited for — the longest
                       its rules may take to be sure of the violation, plus storing the event */
};
struct cw_rules_interest cw_rules_interest(const struct cw_rules *r);

void cw_rules_counts(const struct cw_rules *r, int rule, int64_t *violations, int64_t *compliant);

/* Name of the rule behind enum cw_rule_id @rule ("red_light", …), or NULL when it is not built. */
const char *cw_rules_name(int rule);

#endif
