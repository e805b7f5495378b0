/*
 * Lock interposition and exact contention counters. The model is at the
 * top of lock.c.
 *
 * Locks taken as cbench's own work (base/own.h: libunwind's, taken in a
 * signal handler or while a lock event's stack is recorded) go straight
 * to glibc, neither timed nor profiled, so that recording a lock event
 * cannot wait for itself.
 */
#ifndef CB_LOCK_H
#define CB_LOCK_H

#include <stdint.h>

/* Process-wide totals, exact, always on (updated on contended paths only). */
typedef struct cb_lock_counts {
    uint64_t contentions;  /* mutex and rwlock acquisitions that had to wait */
    uint64_t delay_ns;     /* their total waiting time */
    uint64_t blocks;       /* blocking waits of every kind, contentions included */
    uint64_t block_ns;     /* their total time */
    uint64_t charged;      /* contentions charged to the unlock that ended them, with the
                              mutex profile on: the profile's contentions at fraction 1 */
    uint64_t charged_ns;   /* the waiting charged with them (their profile's delay) */
    uint64_t unregistered; /* waits the waiter table had no room for (not charged) */
} cb_lock_counts;

void cb_lock_read(cb_lock_counts *c);

/* Exact deltas over a region of code, process-wide. */
typedef struct cb_lock_scope {
    cb_lock_counts start;
} cb_lock_scope;

void cb_lock_scope_begin(cb_lock_scope *s);
void cb_lock_scope_end(const cb_lock_scope *s, cb_lock_counts *delta);

/*
 * CPU samples of the try-first step. A lock function tries the lock with
 * glibc's try function first (pthread_rwlock_tryrdlock for rdlock, ...):
 * a sample taken inside that step would show, under the function the
 * program called, a function it never called. cb_lock_fold_try, given a
 * sample's PCs (leaf first), drops such a leaf when its caller is the
 * interposer's try-first step, so that the sample lands in the function
 * the program called; returns the new depth. Async-signal-safe, once
 * cb_lock_prepare_fold (user context) has found glibc's try functions.
 */
void cb_lock_prepare_fold(void);
int cb_lock_fold_try(uint64_t *pcs, int n);

#endif
