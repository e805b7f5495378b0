/*
 * Test helper: one certain contention on a mutex. The caller holds the
 * mutex, starts a thread that blocks on it, waits until glibc marks the
 * mutex as having a waiter (__lock == 2: the waiter is in the kernel's
 * queue, or about to be), keeps it `hold_ms` longer and unlocks. The
 * mutex profile charges the wait to the function that called
 * contend_release (through pthread_mutex_unlock); the block profile to
 * the thread function `waiter` (through pthread_mutex_lock).
 *
 *   static void *my_waiter(void *m) { return lock_contend_wait(m); }
 *   pthread_t t = lock_contend_hold(&m, my_waiter);
 *   ... lock_contend_release(&m, t, 5);   (from the function to be charged)
 */
#ifndef TESTS_LOCK_CONTEND_H
#define TESTS_LOCK_CONTEND_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* The waiter's body: blocks on m, then lets it go. Returns NULL. Inline,
 * so that the caller's frame, not this helper's, makes the call. */
static inline __attribute__((always_inline)) void *lock_contend_wait(void *m)
{
    pthread_mutex_lock((pthread_mutex_t *)m);
    pthread_mutex_unlock((pthread_mutex_t *)m);
    __asm__ volatile("" ::: "memory"); /* no tail call into unlock */
    return NULL;
}

/* Locks m and starts `waiter` on it; exits the process when no thread
 * can be started (a test cannot go on without it). */
static inline pthread_t lock_contend_hold(pthread_mutex_t *m, void *(*waiter)(void *))
{
    pthread_t t;
    pthread_mutex_lock(m);
    if (pthread_create(&t, NULL, waiter, m) != 0)
        exit(3);
    return t;
}

/* Waits for the waiter to block, sleeps hold_ms, unlocks, joins. Inline
 * for the same reason as lock_contend_wait. */
static inline __attribute__((always_inline)) void lock_contend_release(pthread_mutex_t *m,
                                                                       pthread_t t, int hold_ms)
{
    while (atomic_load((atomic_int *)&m->__data.__lock) != 2)
        sched_yield();
    struct timespec ts = {0, hold_ms * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    pthread_mutex_unlock(m);
    pthread_join(t, NULL);
}

#endif
