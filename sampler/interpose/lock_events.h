/*
 * The lock interposer's events: what lock.c tells the mutex and block
 * profiles, the assertion recorder and the tracer, and who listens.
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

/* An unlock while its lock has waiters (any of them it may let in):
 * sampled 1 in the mutex profile fraction. Returns a handle on the record
 * of its stack, 0 when this one was not sampled. */
uint64_t cb_lockprof_mutex_unlock(uintptr_t marker);

/* A wait on a mutex or rwlock acquired the lock, and the unlock that let
 * it in had `handle` (not 0): that unlock's record counts one more
 * contention and `delay` more ns (scaled by the fraction it was sampled
 * at). Called by the thread that waited, once per wait, so that the
 * profile's contentions are the waits its delay comes from. */
void cb_lockprof_mutex_event(uint64_t handle, int64_t delay);

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

/* ---- trace/events.c ------------------------------------------------------ */

/* What a blocking wait waited for: the name of its span in a trace. */
typedef enum cb_trace_wait_reason {
    CB_TRACE_WAIT_MUTEX = 1,
    CB_TRACE_WAIT_RWLOCK_READ,
    CB_TRACE_WAIT_RWLOCK_WRITE,
    CB_TRACE_WAIT_COND,
    CB_TRACE_WAIT_SEM,
    CB_TRACE_WAIT_JOIN,
    CB_TRACE_WAIT_RWLOCK, /* an rwlock's unlock: readers or writers may wait */
} cb_trace_wait_reason;

/* Whether a trace (or a flight recording) records: waiters then register
 * in the waiter table, so that the unlock that ends a wait is known. */
extern int cbench_trace_active_;

static inline bool cb_trace_recording(void)
{
    return __atomic_load_n(&cbench_trace_active_, __ATOMIC_RELAXED) != 0;
}

/* The waiting thread, before it blocks: opens a "wait: <reason>" span
 * with the object's address. Returns a token for cb_trace_wait_end (0:
 * nothing was recorded, so nothing to end). */
uint64_t cb_trace_wait_begin(cb_trace_wait_reason reason, const void *object);

/* The same thread, once the wait is over: closes the span. `flow` is the
 * id cb_trace_wake returned to the thread whose unlock ended the wait (0
 * when unknown); the viewer then draws an arrow from that wake to here. */
void cb_trace_wait_end(uint64_t token, cb_trace_wait_reason reason, const void *object,
                       uint64_t flow);

/* An unlock while waiters wait for `object`: records a "wake: <reason>"
 * mark, the start of flow `flow` (not 0, unique in the process), which
 * the waiter it lets in ends (cb_trace_wait_end). */
void cb_trace_wake(cb_trace_wait_reason reason, const void *object, uint64_t flow);

#endif
