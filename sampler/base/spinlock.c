/*
 * Guarding spinlocks across fork (spinlock.h): one set of pthread_atfork
 * handlers for every guarded lock, so that the order in which fork takes
 * them is the order in which they were guarded, whatever order the
 * constructors ran the registrations in beyond that.
 */
#include "base/spinlock.h"

#include <pthread.h>

enum { MAX_GUARDS = 16 };

typedef struct guard {
    cb_spinlock *first;
    size_t n, stride;
    void (*in_child)(void *arg);
    void *arg;
} guard;

static struct {
    cb_spinlock lock; /* the table; held across fork */
    guard g[MAX_GUARDS];
    int n;
} guards = {.lock = CB_SPINLOCK_INIT};

static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static cb_spinlock *lock_at(const guard *g, size_t i)
{
    return (cb_spinlock *)((char *)g->first + i * g->stride);
}

static void before_fork(void)
{
    cb_spin_lock(&guards.lock);
    for (int k = guards.n - 1; k >= 0; k--)
        for (size_t i = 0; i < guards.g[k].n; i++)
            cb_spin_lock_deferring(lock_at(&guards.g[k], i));
}

static void release_all(uintptr_t caller)
{
    for (int k = 0; k < guards.n; k++)
        for (size_t i = 0; i < guards.g[k].n; i++)
            cb_spin_unlock_deferring(lock_at(&guards.g[k], i), caller);
    cb_spin_unlock(&guards.lock);
}

static void after_fork_parent(void)
{
    release_all((uintptr_t)__builtin_return_address(0));
}

/* Guard by guard, in the order guarded: its child function, then its
 * locks released, so that a later guard's function may free memory,
 * which takes an earlier guard's lock (the pool's). */
static void after_fork_child(void)
{
    for (int k = 0; k < guards.n; k++) {
        const guard *g = &guards.g[k];
        if (g->in_child)
            g->in_child(g->arg);
        for (size_t i = 0; i < g->n; i++)
            cb_spin_unlock_deferring(lock_at(g, i), 0);
    }
    cb_spin_unlock(&guards.lock);
}

static void install_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

void cb_spin_guard_fork(cb_spinlock *first, size_t n, size_t stride, void (*in_child)(void *arg),
                        void *arg)
{
    pthread_once(&handlers_once, install_handlers);
    cb_spin_lock(&guards.lock);
    CB_CHECK(guards.n < MAX_GUARDS);
    if (guards.n < MAX_GUARDS)
        guards.g[guards.n++] = (guard){first, n, n > 1 ? stride : 0, in_child, arg};
    cb_spin_unlock(&guards.lock);
}
