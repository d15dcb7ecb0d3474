/* crosswatch — clocks.
 *
 * Two time bases, both in nanoseconds as int64_t:
 *  - monotonic: for measuring durations, timeouts and latency; never jumps;
 *  - wall: nanoseconds since the Unix epoch (UTC), for the times written on evidence and events.
 * Every frame carries its stream time (from the stream's own timestamps) and the wall-clock time
 * it represents (see frame.h); struct cw_wall_anchor turns the one into the other.
 */
#ifndef CROSSWATCH_CLOCK_H
#define CROSSWATCH_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CW_NS_PER_MS INT64_C(1000000)
#define CW_NS_PER_S  INT64_C(1000000000)

int64_t cw_clock_mono_ns(void);
int64_t cw_clock_wall_ns(void);

/* Formats @wall_ns as "2026-11-29T15:31:36.123Z" into @buf (at least 25 bytes). */
void cw_clock_format_wall(int64_t wall_ns, char *buf, unsigned size);

/* Maps stream time to wall-clock time: wall = wall0 + (stream - stream0).
 * A stream whose clock jumps (backwards, or forwards by more than @max_gap_ns) is re-anchored on
 * the frame after the jump, so wall time keeps moving forward at the real pace. */
struct cw_wall_anchor {
    bool set;
    int64_t stream0_ns; /* stream time of the anchoring frame */
    int64_t wall0_ns;   /* wall-clock time of the anchoring frame */
    int64_t last_stream_ns;
    int64_t last_wall_ns;
    int64_t max_gap_ns; /* a forward jump larger than this re-anchors; 0 means 10 s */
    unsigned jumps;     /* how many times the stream clock jumped */
};

/* Returns the wall time for a frame at @stream_ns. @wall_now_ns is the wall time to anchor to
 * when the anchor is not set or the stream clock jumped (for a live source: when the frame
 * arrived; for a file: its recorded start plus the stream time). Sets *@jumped when it
 * re-anchored because of a jump. */
int64_t cw_wall_anchor_map(struct cw_wall_anchor *a, int64_t stream_ns, int64_t wall_now_ns,
                           bool *jumped);

#endif
