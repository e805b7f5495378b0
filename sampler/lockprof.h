/*
 * The "mutex" and "block" profiles: which lock events are sampled, the
 * stacks they are charged to, and writing. The model is at the top of
 * lockprof.c; lock.c calls in here from its contended paths only.
 */
#ifndef CB_LOCKPROF_H
#define CB_LOCKPROF_H

#include <stdint.h>
#include <stdio.h>

/* An unlock ended (part of) waits totalling `delay` ns. `marker` is the
 * return address into the public unlock function the program called: the
 * recorded stack starts there. Sampled 1 in the mutex profile fraction. */
void cb_lockprof_mutex_event(int64_t delay, uintptr_t marker);

/* A thread was blocked for `delay` ns; `marker` as above, in the blocking
 * function. Sampled by duration against the block profile rate. */
void cb_lockprof_block_event(int64_t delay, uintptr_t marker);

/* Whether each profile is on: lock.c skips work for a profile that is off. */
int cb_lockprof_mutex_fraction(void);
long cb_lockprof_block_rate(void);

/* "mutex" or "block" (cbench_write_profile has checked the name). */
int cb_lockprof_write(const char *name, FILE *out, int debug);

/*
 * The profiles of one test. After cb_lockprof_window_begin(),
 * cb_lockprof_write_window() writes what was recorded since: waits of
 * earlier windows do not appear, though cb_lockprof_write still counts
 * them. Only stacks with events in the window are written. -1 with errno
 * EINVAL when name is not "mutex" or "block" or out is NULL.
 */
void cb_lockprof_window_begin(void);
/* Closes the window: later events count for the whole-run profiles only,
 * so the window can be written after other profilers stop. */
void cb_lockprof_window_end(void);
int cb_lockprof_write_window(const char *name, FILE *out, int debug);

#endif
