/*
 * The CPU profiler's test-only switches. The model is described at the
 * top of cpu.c; its thread start and exit hooks are the thread
 * interposer's events (interpose/thread_events.h).
 */
#ifndef CB_CPU_H
#define CB_CPU_H

#include <stdbool.h>
#include <stddef.h>

/* Tests: force the setitimer(ITIMER_PROF) fallback at the next start. */
void cb_cpu_force_itimer(bool on);

/* Tests: the sample table's size at the next start (0, 0 = defaults). */
void cb_cpu_set_table_size(size_t entries, size_t arena_words);

/* Which timer kind the running (or last) profile used. */
bool cb_cpu_using_itimer(void);

/* From now on, a profile to a path does not replace a file that another
 * process wrote there while it ran (CBENCH_CPUPROFILE: a wrapper process
 * ends after the program it ran, with the same path); it says so on
 * stderr. */
void cb_cpu_keep_others(bool on);

#endif
