/*
 * The timer of a benchmark, and what its result will show.
 *
 * As in Go's testing.B: while the timer is on, wall time and allocations
 * accumulate; stopping it adds the time since it started, and the
 * allocation calls and bytes since then (process-wide, from cbench's exact
 * counters); resetting it zeroes both and forgets the metrics reported so
 * far. Counters are read outside the timed interval: before the clock
 * when starting, after it when stopping, so their cost is not timed.
 *
 * cbench_loop's inline fast path decrements b->loop_left_ and continues
 * while it stays non-negative; its slow path here runs twice per call: at
 * the first call (reset and start the timer, load the countdown) and
 * after the last iteration (stop the timer).
 *
 * Counters that count instructions or hardware events rather than time
 * (--instructions, --perfcounters: bench/counters.c) follow the timer:
 * on as the last thing the timer starts, off as the first it stops.
 */
#include "bench/timer.h"

#include "bench/counters.h"
#include "bench/run.h"
#include "bench/state.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cbench/profile.h"

static uint64_t (*test_clock)(void);

void cb_bench_timer_set_clock(uint64_t (*now_ns)(void))
{
    test_clock = now_ns;
}

uint64_t cb_bench_timer_now(void)
{
    if (test_clock)
        return test_clock();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct cb_bench *state(cbench_b *b)
{
    return b ? b->impl_ : NULL;
}

/* The CPU time of the whole process (every thread of a parallel
 * benchmark), as Google Benchmark's cpu_time counts a threaded one. A
 * system call, not the vDSO: read only where the counters are read,
 * outside the timed interval. */
static uint64_t process_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void read_allocs(uint64_t *allocs, uint64_t *bytes)
{
    cbench_memstats ms;
    cbench_read_memstats(&ms);
    *allocs = ms.mallocs;
    *bytes = ms.total_alloc;
}

CBENCH_API void cbench_start_timer(cbench_b *b)
{
    struct cb_bench *s = state(b);
    if (!s || s->timer_on)
        return;
    read_allocs(&s->start_allocs, &s->start_bytes);
    s->start_cpu_ns = process_cpu_ns();
    s->start_ns = cb_bench_timer_now();
    s->timer_on = true;
    cb_counters_on(); /* last: the clock read above is not counted */
}

CBENCH_API void cbench_stop_timer(cbench_b *b)
{
    struct cb_bench *s = state(b);
    if (!s || !s->timer_on)
        return;
    cb_counters_off(); /* first: the clock read below is not counted */
    s->duration_ns += (int64_t)(cb_bench_timer_now() - s->start_ns);
    s->cpu_ns += (int64_t)(process_cpu_ns() - s->start_cpu_ns);
    uint64_t allocs, bytes;
    read_allocs(&allocs, &bytes);
    s->net_allocs += allocs - s->start_allocs;
    s->net_bytes += bytes - s->start_bytes;
    s->timer_on = false;
}

CBENCH_API void cbench_reset_timer(cbench_b *b)
{
    struct cb_bench *s = state(b);
    if (!s)
        return;
    s->nextra = 0;
    /* The counters stop while the timer's own reads run, as in
     * cbench_start_timer and cbench_stop_timer. */
    cb_counters_off();
    cb_counters_zero();
    if (s->timer_on) {
        read_allocs(&s->start_allocs, &s->start_bytes);
        s->start_cpu_ns = process_cpu_ns();
        s->start_ns = cb_bench_timer_now();
    }
    s->duration_ns = 0;
    s->cpu_ns = 0;
    s->net_allocs = 0;
    s->net_bytes = 0;
    if (s->timer_on)
        cb_counters_on();
}

/* Reached when the fast path's decrement went below zero: at the first
 * call, and after the last iteration. The countdown is left at 0 when the
 * loop is over, so later calls come back here and return false. */
CBENCH_API bool cbench_loop_slow_(cbench_b *b)
{
    struct cb_bench *s = state(b);
    if (!b)
        return false;
    b->loop_left_ = 0;
    if (!s)
        return false;
    switch (s->loop) {
    case CB_LOOP_IDLE:
        if (b->n <= 0)
            return false;
        s->loop = CB_LOOP_RUNNING;
        cbench_reset_timer(b);
        cbench_start_timer(b);
        b->loop_left_ = b->n - 1;
        return true;
    case CB_LOOP_RUNNING:
        cbench_stop_timer(b);
        s->loop = CB_LOOP_DONE;
        return false;
    case CB_LOOP_DONE:
        break;
    }
    return false;
}

CBENCH_API void cbench_set_bytes(cbench_b *b, int64_t bytes_per_op)
{
    struct cb_bench *s = state(b);
    if (s)
        s->bytes = bytes_per_op;
}

CBENCH_API void cbench_report_allocs(cbench_b *b)
{
    struct cb_bench *s = state(b);
    if (s)
        s->report_allocs = true;
}

static bool reserved_unit(const char *unit)
{
    return !strcmp(unit, "ns/op") || !strcmp(unit, "MB/s") || !strcmp(unit, "B/op") ||
           !strcmp(unit, "allocs/op");
}

/* At most this many units of the user's own, so that the standard four
 * still fit in a record. */
enum { MAX_CUSTOM = CB_MAX_METRICS - 4 };

CBENCH_API void cbench_report_metric(cbench_b *b, double value, const char *unit)
{
    struct cb_bench *s = state(b);
    if (!s)
        return;
    if (!unit || !*unit || strpbrk(unit, " \t\n\v\f\r")) {
        cb_bench_run_fail(s, "cbench_report_metric: the unit \"%s\" is empty or holds white space",
                          unit ? unit : "(null)");
        return;
    }
    if (strlen(unit) >= sizeof s->extra[0].unit) {
        cb_bench_run_fail(s, "cbench_report_metric: the unit \"%s\" is longer than %zu bytes", unit,
                          sizeof s->extra[0].unit - 1);
        return;
    }
    int custom = 0;
    for (int i = 0; i < s->nextra; i++) {
        if (!strcmp(s->extra[i].unit, unit)) {
            s->extra[i].value = value;
            return;
        }
        custom += !reserved_unit(s->extra[i].unit);
    }
    if (!reserved_unit(unit) && custom >= MAX_CUSTOM) {
        cb_bench_run_fail(s, "cbench_report_metric: more than %d units (at \"%s\")", MAX_CUSTOM,
                          unit);
        return;
    }
    s->extra[s->nextra].value = value;
    strcpy(s->extra[s->nextra].unit, unit);
    s->nextra++;
}
