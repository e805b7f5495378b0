/*
 * cpu_signals.c: the SIGPROF handler meter of cpu_signals.h.
 *
 * The wrapper stores each run's duration in a static array (no allocation
 * in a handler) and the statistics are computed after the run, in user
 * context. Durations are kept whole rather than summed so that the median
 * is available: a handler preempted by the host shows as one huge outlier
 * that would dominate a mean.
 */
#include "cpu_signals.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __x86_64__
#include <x86intrin.h>
#endif

enum { SIGWRAP_MAX_TIMED = 1 << 18 };

static struct sigaction inner;
static _Atomic long runs;
static uint32_t durations[SIGWRAP_MAX_TIMED];

uint64_t sigwrap_ticks(void)
{
#ifdef __x86_64__
    return __rdtsc();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* Stands in for the handler when none is installed (the baseline binary
 * with self-sent signals: the cost of delivering a signal and nothing else). */
static void null_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
}

static void wrapper(int sig, siginfo_t *si, void *uc)
{
    uint64_t t0 = sigwrap_ticks();
    if (inner.sa_flags & SA_SIGINFO)
        inner.sa_sigaction(sig, si, uc);
    else
        inner.sa_handler(sig);
    uint64_t dt = sigwrap_ticks() - t0;
    long i = atomic_fetch_add_explicit(&runs, 1, memory_order_relaxed);
    if (i < SIGWRAP_MAX_TIMED)
        durations[i] = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
}

int sigwrap_install(void)
{
    struct sigaction old, sa;
    if (sigaction(SIGPROF, NULL, &old) != 0)
        return -1;
    if (!(old.sa_flags & SA_SIGINFO) && (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN)) {
        memset(&old, 0, sizeof old);
        old.sa_sigaction = null_handler;
        old.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&old.sa_mask);
    }
    inner = old;
    /* Same flags and mask as the wrapped handler, so the profiler runs
     * exactly as it would unwrapped. */
    sa = old;
    sa.sa_sigaction = wrapper;
    sa.sa_flags |= SA_SIGINFO;
    return sigaction(SIGPROF, &sa, NULL);
}

long sigwrap_count(void)
{
    return atomic_load(&runs);
}

static int by_value(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static long ntimed(void)
{
    long n = sigwrap_count();
    return n < SIGWRAP_MAX_TIMED ? n : SIGWRAP_MAX_TIMED;
}

double sigwrap_median_ticks(void)
{
    long n = ntimed();
    if (n == 0)
        return 0;
    qsort(durations, (size_t)n, sizeof *durations, by_value);
    return n % 2 ? durations[n / 2] : (durations[n / 2 - 1] + (double)durations[n / 2]) / 2;
}

double sigwrap_mean_ticks(void)
{
    long n = ntimed();
    double sum = 0;
    for (long i = 0; i < n; i++)
        sum += durations[i];
    return n ? sum / (double)n : 0;
}
