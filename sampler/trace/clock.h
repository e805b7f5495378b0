/*
 * The trace clock: what an event's timestamp is, and how it becomes
 * CLOCK_MONOTONIC nanoseconds in the file.
 *
 * An event stores raw ticks. Where the kernel itself keeps time with the
 * TSC (current clocksource "tsc", which it picks only for a constant,
 * nonstop TSC synchronized across CPUs), a tick is one rdtsc: 8 ns here
 * against 17 ns for clock_gettime (measured 2026-12, this project's VM;
 * DESIGN.md's figures are 9.6 and 23 ns), and the region pair's floor is
 * two of them. Elsewhere, or with CBENCH_TRACE_CLOCK=monotonic, a tick is
 * a CLOCK_MONOTONIC nanosecond and conversion is the identity.
 *
 * Conversion is one straight line per trace, ns = mono0 + (tsc - tsc0) *
 * rate: events of one trace keep their order and their differences
 * exactly. (tsc0, mono0) is read when the trace starts; the rate comes
 * from a second reading at least CB_TRACE_CALIBRATE_NS later (the
 * writer takes it before converting anything), or from an earlier trace
 * of this process whose window was longer. Each reading brackets
 * clock_gettime between two rdtsc and keeps the tightest of a few tries,
 * so a reading is good to about 10 ns and the rate to 10 ns over the
 * window: 0.2 ppm after 50 ms. All of this is async-signal-safe.
 */
#ifndef CB_TRACE_CLOCK_H
#define CB_TRACE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <x86intrin.h>

enum { CB_TRACE_CALIBRATE_NS = 50 * 1000 * 1000 };

/* Non-zero when ticks are TSC cycles (decided once, by cb_trace_clock_setup). */
extern int cb_trace_clock_tsc;

static inline uint64_t cb_trace_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The timestamp of an event now. Async-signal-safe. */
static inline uint64_t cb_trace_ticks(void)
{
    if (__builtin_expect(cb_trace_clock_tsc, 1))
        return __rdtsc();
    return cb_trace_mono_ns();
}

/* A reading of both clocks at one moment. */
typedef struct cb_trace_clock_pair {
    uint64_t ticks, ns;
} cb_trace_clock_pair;

/* A trace's conversion: ns = ns0 + ((ticks - ticks0) * mult) >> 32. */
typedef struct cb_trace_clock {
    cb_trace_clock_pair origin;
    uint64_t mult;     /* ns per tick, 32.32 fixed point */
    bool calibrated;   /* mult comes from a window long enough */
} cb_trace_clock;

/* Decides the tick source (TSC or clock_gettime); called at each start,
 * cheap after the first. User context. */
void cb_trace_clock_setup(void);

/* Reads both clocks at one moment. Async-signal-safe. */
cb_trace_clock_pair cb_trace_clock_read(void);

/* Starts a trace's conversion at `origin`: the rate from the best earlier
 * window, if any (calibrated stays false until a window of this trace
 * is long enough). */
void cb_trace_clock_begin(cb_trace_clock *c, cb_trace_clock_pair origin);

/* Takes the rate from origin to `now` when that window is at least
 * CB_TRACE_CALIBRATE_NS; with `force` (conversion must begin: the trace
 * ends, memory runs short, a dump is asked for) takes the best rate
 * known even from a shorter window. Either way the rate is then frozen
 * (calibrated), so that every event of the trace is converted by one
 * line. Remembers the longest window of the process for later traces.
 * Async-signal-safe. */
void cb_trace_clock_calibrate(cb_trace_clock *c, cb_trace_clock_pair now, bool force);

/* Ticks to CLOCK_MONOTONIC nanoseconds. Async-signal-safe. */
static inline uint64_t cb_trace_clock_ns(const cb_trace_clock *c, uint64_t ticks)
{
    if (ticks <= c->origin.ticks)
        return c->origin.ns - (uint64_t)(((unsigned __int128)(c->origin.ticks - ticks) * c->mult) >> 32);
    return c->origin.ns + (uint64_t)(((unsigned __int128)(ticks - c->origin.ticks) * c->mult) >> 32);
}

#endif
