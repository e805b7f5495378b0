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
    uint64_t charged;      /* unlocks that ended waits, while the mutex profile was on */
    uint64_t charged_ns;   /* the waiting those unlocks were charged with */
    uint64_t unregistered; /* waits the waiter table had no room for (not charged) */
} cb_lock_counts;

void cb_lock_read(cb_lock_counts *c);

/* Exact deltas over a region of code, process-wide. */
typedef struct cb_lock_scope {
    cb_lock_counts start;
} cb_lock_scope;

void cb_lock_scope_begin(cb_lock_scope *s);
void cb_lock_scope_end(const cb_lock_scope *s, cb_lock_counts *delta);

#endif
