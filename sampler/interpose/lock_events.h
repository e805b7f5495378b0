/*
 * The lock interposer's events: what lock.c tells the mutex and block
 * profiles and the assertion recorder, and who listens.
 *
 * As with the allocator's events (heap_events.h), the interposer declares
 * the functions it calls and the producers named beside each define them;
 * the linker binds the calls. All are called on a contended path only (a
 * lock that was busy, a blocking wait, an unlock while waiters are
 * registered), as cbench's own work (base/own.h): pthread locks taken
 * below go straight to glibc, and allocations are cbench's. `marker` is
 * the return address into the public pthread function the program
 * called, from which the recorded stack starts.
 */
#ifndef CB_INTERPOSE_LOCK_EVENTS_H
#define CB_INTERPOSE_LOCK_EVENTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- lockprof.c ---------------------------------------------------------- */

/* Whether each profile is on: the interposer skips work for a profile
 * that is off (with the mutex profile off, no waiter registers). */
int cb_lockprof_mutex_fraction(void);
long cb_lockprof_block_rate(void);

/* An unlock ended (part of) waits totalling `delay` ns. Sampled 1 in the
 * mutex profile fraction. */
void cb_lockprof_mutex_event(int64_t delay, uintptr_t marker);

/* A thread was blocked for `delay` ns. Sampled by duration against the
 * block profile rate. */
void cb_lockprof_block_event(int64_t delay, uintptr_t marker);

/* ---- scoperec.c ---------------------------------------------------------- */

/* How many assertion scopes want contended acquisitions recorded. */
extern _Atomic int cb_scoperec_lock_on;

static inline bool cb_scoperec_lock_wanted(void)
{
    return atomic_load_explicit(&cb_scoperec_lock_on, memory_order_relaxed) != 0;
}

/* A contended acquisition that waited `delay` ns: the recorded stack
 * starts at the public lock function's caller. */
void cb_scoperec_wait(int64_t delay, uintptr_t marker);

#endif
