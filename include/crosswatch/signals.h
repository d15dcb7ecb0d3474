/* crosswatch — the state of a scene's signal heads over time.
 *
 * Three sources behind one interface, per head:
 *   - the picture: each head with a region is read from every frame (crosswatch/light.h);
 *   - the signal controller: JSON messages {"phase": "<id or external_id>", "state": "red",
 *     "time_ms": 1764400000123}, handed over by the caller or received on a UDP port;
 *   - a fixed-time plan: cycle, offset and each phase's green and yellow (the format
 *     crosswatch-synth's scenarios use), which then decides the head's state outright.
 * Readings are debounced (a new state must hold debounce_s; its start is dated back to the first
 * reading that showed it), a green that flashes (green and dark alternating, as pedestrian heads do
 * before red) counts as the yellow clearance, and each head keeps a timeline, so the state at any
 * recent moment can be asked for — with its age and whether it is inside the "just turned red"
 * grace period. Readings older than stale_s leave the head unknown.
 *
 * Thread rules: one thread feeds frames and asks; messages may arrive from any thread (the UDP
 * listener has its own). All calls take the object's lock.
 */
#ifndef CROSSWATCH_SIGNALS_H
#define CROSSWATCH_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crosswatch/frame.h"
#include "crosswatch/light.h"
#include "crosswatch/options.h"

struct cw_scene;

struct cw_signals_config {
    double debounce_s; /* a new state must hold this long to be believed */
    double grace_s;    /* red younger than this is "just turned red" */
    double flash_s;    /* green and dark alternating within this counts as flashing */
    double stale_s;    /* with no reading for this long a head is unknown */
};

extern const struct cw_option cw_signals_options[];

enum cw_signal_source {
    CW_SIGNAL_SOURCE_NONE,
    CW_SIGNAL_SOURCE_PICTURE,
    CW_SIGNAL_SOURCE_CONTROLLER,
    CW_SIGNAL_SOURCE_PLAN,
};

struct cw_signal_status {
    int state;        /* enum cw_light */
    int64_t since_ns; /* when this state began (same clock as the readings) */
    double age_s;     /* how long it has held at the time asked */
    bool in_grace;    /* red, and younger than grace_s */
    int source;       /* enum cw_signal_source that decided it */
};

/* The heads of @scene (borrowed; it must outlive the object). Returns NULL (logged) on failure. */
struct cw_signals *cw_signals_new(const struct cw_scene *scene,
                                  const struct cw_signals_config *cfg);
void cw_signals_free(struct cw_signals *s);

/* Reads every head that has a region from @f, at time @t_ns (the frame's stream or wall time).
 * Returns 0. */
int cw_signals_read_frame(struct cw_signals *s, const struct cw_frame *f, int64_t t_ns);

/* Feeds one reading of head @head (an index into the scene's signals) at @t_ns, from @source. */
void cw_signals_feed(struct cw_signals *s, int head, int state, int64_t t_ns, int source);

/* Applies one controller message (JSON text of @len bytes). Without "time_ms" the reading is
 * dated @now_ns. Returns 0, or CW_EINVAL after logging what is wrong with it. */
int cw_signals_message(struct cw_signals *s, const char *json, size_t len, int64_t now_ns);

/* Loads a fixed-time plan (JSON text, crosswatch-synth's "signals" format: cycle_s, offset_s,
 * phases[] of id, green_start_s, green_s, yellow_s; the id is a head's id or external_id). The
 * cycle's time is offset_s at @origin_ns. Returns 0, or CW_EINVAL after logging the field at
 * fault (@name names the text in messages). */
int cw_signals_load_plan(struct cw_signals *s, const char *json, const char *name,
                         int64_t origin_ns);

/* Receives controller messages on UDP @addr ("host:port", e.g. "127.0.0.1:5005"), one JSON
 * message a datagram, on a thread of its own until cw_signals_free; each is dated when it
 * arrives unless it carries time_ms (then the caller's clock must be wall time). Returns 0, or
 * CW_ECONNECT (logged) when the port cannot be bound. *@port_out (may be NULL) gets the bound
 * port (useful with port 0). */
int cw_signals_listen_udp(struct cw_signals *s, const char *addr, int *port_out);

/* Messages received and messages refused so far. */
void cw_signals_counts(const struct cw_signals *s, uint64_t *messages, uint64_t *refused);

/* The state of head @head at time @t_ns. Returns 0, or CW_EINVAL for a bad index. */
int cw_signals_get(struct cw_signals *s, int head, int64_t t_ns, struct cw_signal_status *out);

/* Index of the head whose id or external_id is @id, or -1. */
int cw_signals_find(const struct cw_signals *s, const char *id);

#endif
