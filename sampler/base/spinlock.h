/*
 * The spinlock: the one lock cbench takes for itself.
 *
 * cbench cannot take a pthread mutex for its own state: the lock profiler
 * interposes pthread_mutex_lock, and much of this state is touched inside
 * the malloc interposer, where a mutex could recurse into it. Its critical
 * sections are short and rare next to the work around them (a new stack,
 * a thread's start or end, writing a profile), so a test-and-set that
 * yields the CPU while the lock is busy is enough; on the 2-core machines
 * measured, yielding matters: a holder descheduled mid-section would
 * otherwise be spun against for a whole time slice.
 *
 * Two ways to hold one, never mixed on one lock:
 *
 *  - deferring (cb_spin_lock_deferring): CPU samples of the holder are
 *    deferred until it releases the lock (defer.h). For every lock that
 *    the allocator, the lock interposer or pthread_create's may hold,
 *    where a dlopen in another thread could be waiting for it.
 *  - plain (cb_spin_lock): samples of the holder are taken on the spot.
 *    For locks held across long user-context work whose CPU time the
 *    profile should show where it is spent (starting or writing a
 *    profile, symbolizing), and for the allocator's pool (heap_pool.c),
 *    whose holder waits for nothing a signal handler holds.
 *
 * Neither may be taken in a signal handler: the interrupted code may hold
 * it. Invariant: only a held lock is released. (The fork guard below
 * takes every lock it guards deferring, whichever way it is held
 * otherwise: nothing is sampled meanwhile but fork's own thread.)
 *
 * fork: a lock another thread holds at fork() would stay held in the
 * child, whose only thread is the forking one. cb_spin_guard_fork has the
 * forking thread take a lock before fork and release it after, in the
 * parent and in the child, where the owner's `in_child` function first
 * runs with the lock held (to forget the other threads' state).
 */
#ifndef CB_BASE_SPINLOCK_H
#define CB_BASE_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/check.h"
#include "base/defer.h"

typedef struct cb_spinlock {
    atomic_bool held;
} cb_spinlock;

#define CB_SPINLOCK_INIT {false}

static inline void cb_spin_lock(cb_spinlock *l)
{
    while (atomic_exchange_explicit(&l->held, true, memory_order_acquire))
        sched_yield();
}

/* Whether some thread holds the lock: for checks that a function whose
 * comment says "lock held" is called so (CB_CHECK). */
static inline bool cb_spin_held(cb_spinlock *l)
{
    return atomic_load_explicit(&l->held, memory_order_relaxed);
}

static inline void cb_spin_unlock(cb_spinlock *l)
{
    CB_CHECK(cb_spin_held(l));
    atomic_store_explicit(&l->held, false, memory_order_release);
}

static inline void cb_spin_lock_deferring(cb_spinlock *l)
{
    cb_defer_enter();
    cb_spin_lock(l);
}

/* `caller`: where the deferred sample's stack continues (defer.h); the
 * return address of the function releasing the lock will do. */
static inline void cb_spin_unlock_deferring(cb_spinlock *l, uintptr_t caller)
{
    cb_spin_unlock(l);
    cb_defer_leave(caller);
}

/* Frees a lock in a fork's child whose holder may have been a thread
 * that the child does not have. */
static inline void cb_spin_reset(cb_spinlock *l)
{
    atomic_store_explicit(&l->held, false, memory_order_relaxed);
}

/*
 * Keeps fork from leaving these locks held: `n` locks, `stride` bytes
 * apart from `first` (a lock in each element of an array; 1 and 0 for a
 * single one). The forking thread takes them (deferring) before fork, in
 * the reverse of the order in which they were guarded, as pthread_atfork
 * runs its prepare handlers, and releases them in the order guarded: a
 * lock that others are taken under (the allocator's pool) is guarded
 * first. In the child, each guard's `in_child(arg)` (may be NULL) runs with
 * its own locks, and those guarded after it, still held; then its locks
 * are released. Called from constructors; at most 16 guards.
 */
void cb_spin_guard_fork(cb_spinlock *first, size_t n, size_t stride, void (*in_child)(void *arg),
                        void *arg);

#endif
