#include "crosswatch/clock.h"

#include <stdio.h>
#include <time.h>

static int64_t read_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * CW_NS_PER_S + ts.tv_nsec;
}

int64_t cw_clock_mono_ns(void)
{
    return read_clock(CLOCK_MONOTONIC);
}

int64_t cw_clock_wall_ns(void)
{
    return read_clock(CLOCK_REALTIME);
}

void cw_clock_format_wall(int64_t wall_ns, char *buf, unsigned size)
{
    int64_t sec = wall_ns / CW_NS_PER_S;
    int64_t ms = (wall_ns % CW_NS_PER_S) / CW_NS_PER_MS;
    if (ms < 0) {
        ms += 1000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
}

int64_t cw_wall_anchor_map(struct cw_wall_anchor *a, int64_t stream_ns, int64_t wall_now_ns,
                           bool *jumped)
{
    int64_t max_gap = a->max_gap_ns > 0 ? a->max_gap_ns : 10 * CW_NS_PER_S;
    bool jump = false;

    if (a->set) {
        int64_t step = stream_ns - a->last_stream_ns;
        if (step < 0 || step > max_gap)
            jump = true;
    }
    if (!a->set || jump) {
        /* Never let wall time run backwards across a re-anchor. */
        if (a->set && wall_now_ns <= a->last_wall_ns)
            wall_now_ns = a->last_wall_ns + 1;
        a->stream0_ns = stream_ns;
        a->wall0_ns = wall_now_ns;
        a->set = true;
        if (jump)
            a->jumps++;
    }
    a->last_stream_ns = stream_ns;
    a->last_wall_ns = a->wall0_ns + (stream_ns - a->stream0_ns);
    if (jumped)
        *jumped = jump;
    return a->last_wall_ns;
}
