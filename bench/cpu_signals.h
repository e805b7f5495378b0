/*
 * cpu_signals.h: a meter for SIGPROF handlers.
 *
 * A wrapper goes around whatever SIGPROF handler is installed (a
 * profiler's, or a do-nothing one when there is none), counts the
 * handler's runs and times each with the CPU's timestamp counter. It adds
 * an indirect call and two timestamp reads (~25 ns) per signal, the same
 * in every configuration that uses it. It is only put around handlers that
 * unwind from the signal's ucontext (cbench's), which never see the
 * wrapper's frame; gperftools unwinds from its own frame and would.
 */
#ifndef CBENCH_BENCH_CPU_SIGNALS_H
#define CBENCH_BENCH_CPU_SIGNALS_H

#include <stdint.h>

/* Wraps the SIGPROF handler in place now. 0, or -1 with errno set. */
int sigwrap_install(void);

/* Handler runs since sigwrap_install(). */
long sigwrap_count(void);

/* Median and mean time of one handler run, in timestamp ticks (the first
 * SIGWRAP_MAX_TIMED runs only). 0 when none was timed. */
double sigwrap_median_ticks(void);
double sigwrap_mean_ticks(void);

/* The timestamp counter (rdtsc on x86-64, else CLOCK_MONOTONIC ns). */
uint64_t sigwrap_ticks(void);

#endif
