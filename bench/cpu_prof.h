/*
 * cpu_prof.h: the one interface cpu_overhead.c drives a CPU profiler
 * through. Each profiler under test implements it in its own file and is
 * linked into its own binary (cpu_overhead_none, _cbench, _gperf), so one
 * profiler's library is never loaded in a process measuring another.
 */
#ifndef CBENCH_BENCH_CPU_PROF_H
#define CBENCH_BENCH_CPU_PROF_H

/* "none", "cbench" or "gperf". */
const char *prof_name(void);

/* Called first thing in main. May re-exec the program to fix settings a
 * profiler reads once at load time (gperftools' CPUPROFILE_FREQUENCY).
 * Returns 0, or -1 with a message on stderr. */
int prof_prepare(char **argv, int hz);

/* Starts profiling the process at `hz` to `path`. 0 or -1. */
int prof_start(const char *path, int hz);

/* The number of SIGPROF handler runs so far in this profile, or -1 when it
 * cannot be known. Called while the profile still runs. */
long prof_signals(void);

/* Stops profiling and writes the profile. 0 or -1. */
int prof_stop(void);

#endif
