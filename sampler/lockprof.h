/*
 * The "mutex" and "block" profiles: which lock events are sampled, the
 * stacks they are charged to, and writing. The model is at the top of
 * lockprof.c; what lock.c tells it, from its contended paths only, are
 * the lock interposer's events (interpose/lock_events.h).
 */
#ifndef CB_LOCKPROF_H
#define CB_LOCKPROF_H

#include <stdio.h>

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
