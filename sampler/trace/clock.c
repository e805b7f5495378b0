/*
 * The trace clock (model in clock.h): choosing the tick source and
 * calibrating ticks against CLOCK_MONOTONIC.
 */
#include "trace/clock.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cb_trace_clock_tsc;

/* The longest calibration window seen in this process (read and written
 * by starts, stops and dumps; a torn read costs only precision). */
static struct {
    _Atomic uint64_t mult;
    _Atomic uint64_t window_ns;
} best;

static bool kernel_uses_tsc(void)
{
    char buf[32] = {0};
    int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                  O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n >= 3 && strncmp(buf, "tsc", 3) == 0 && (n == 3 || buf[3] == '\n');
}

void cb_trace_clock_setup(void)
{
    static int decided;
    if (decided)
        return;
    const char *force = getenv("CBENCH_TRACE_CLOCK");
    bool monotonic = force && strcmp(force, "monotonic") == 0;
    cb_trace_clock_tsc = !monotonic && kernel_uses_tsc();
    decided = 1;
}

cb_trace_clock_pair cb_trace_clock_read(void)
{
    if (!cb_trace_clock_tsc) {
        uint64_t ns = cb_trace_mono_ns();
        return (cb_trace_clock_pair){ns, ns};
    }
    cb_trace_clock_pair best_pair = {0, 0};
    uint64_t best_gap = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t a = __rdtsc();
        uint64_t ns = cb_trace_mono_ns();
        uint64_t b = __rdtsc();
        if (b - a < best_gap) {
            best_gap = b - a;
            best_pair = (cb_trace_clock_pair){a + (b - a) / 2, ns};
        }
    }
    return best_pair;
}

void cb_trace_clock_begin(cb_trace_clock *c, cb_trace_clock_pair origin)
{
    c->origin = origin;
    c->calibrated = false;
    if (!cb_trace_clock_tsc) {
        c->mult = 1ull << 32;
        c->calibrated = true;
        return;
    }
    c->mult = atomic_load(&best.mult);
}

static uint64_t rate(cb_trace_clock_pair a, cb_trace_clock_pair b)
{
    uint64_t dt = b.ticks - a.ticks, dns = b.ns - a.ns;
    if (b.ticks <= a.ticks || b.ns <= a.ns)
        return 0;
    return (uint64_t)(((unsigned __int128)dns << 32) / dt);
}

void cb_trace_clock_calibrate(cb_trace_clock *c, cb_trace_clock_pair now, bool force)
{
    uint64_t window = now.ns > c->origin.ns ? now.ns - c->origin.ns : 0;
    uint64_t m = rate(c->origin, now);
    if (m && window > atomic_load(&best.window_ns)) {
        atomic_store(&best.mult, m);
        atomic_store(&best.window_ns, window);
    }
    if (c->calibrated)
        return;
    if (window >= CB_TRACE_CALIBRATE_NS && m) {
        c->mult = m;
        c->calibrated = true;
    } else if (force) {
        /* Conversion is about to begin, so the rate is frozen now: an
         * earlier, longer window's if there is one, else this short
         * window's, whose error (about 10 ns over the window) stays
         * within the events it converts. */
        if (!c->mult)
            c->mult = m ? m : 1ull << 32;
        c->calibrated = true;
    }
}
