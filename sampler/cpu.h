/*
 * The CPU profiler's hooks for thread start and exit (see threads.c), and
 * its test-only switches. The model is described at the top of cpu.c.
 */
#ifndef CB_CPU_H
#define CB_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called on a new thread before its start routine, and as it exits. */
void cb_cpu_thread_start(void);
void cb_cpu_thread_exit(void);

/* Records a sample whose stack is already known (a deferred sample, see
 * unwind.h), if the profile that took it is still running. */
void cb_cpu_record(const uint64_t *pcs, int depth, uint64_t weight, uintptr_t labels,
                   int generation);

/* Tests: force the setitimer(ITIMER_PROF) fallback at the next start. */
void cb_cpu_force_itimer(bool on);

/* Tests: the sample table's size at the next start (0, 0 = defaults). */
void cb_cpu_set_table_size(size_t entries, size_t arena_words);

/* Which timer kind the running (or last) profile used. */
bool cb_cpu_using_itimer(void);

#endif
