/*
 * The ground floor (sampler/base): invariant checks, the spinlock and its
 * fork guard, the deferral's flush, cbench's own work, and the lists of
 * per-thread counters. Each ground truth is made by the test itself:
 * counts it added, a child whose exit status and message it reads.
 *
 * The checks are compiled into this file (CBENCH_CHECKS is defined for
 * it): the inline functions of base/ check their invariants in their
 * callers, whatever the library's build.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/check.h"
#include "base/defer.h"
#include "base/own.h"
#include "base/spinlock.h"
#include "base/thread_list.h"
#include "child.h"

#ifndef CBENCH_CHECKS
#error "this test is built with CBENCH_CHECKS"
#endif

/* ---- checks -------------------------------------------------------------- */

/* Fails its check when `fail`; returns the check's line. */
static int check_two(bool fail)
{
    int two = fail ? 2 : 3;
    CB_CHECK(two == 3);
    return __LINE__ - 1;
}

static void failing_check(void)
{
    check_two(true);
}

static void test_a_failed_check_aborts_naming_the_file_line_and_condition(void **state)
{
    (void)state;
    char where[64];
    snprintf(where, sizeof where, "test_base.c:%d: two == 3\n", check_two(false));
    child_outcome o = run_in_child(failing_check);
    assert_child_aborted_with(&o, "cbench: check failed: ");
    assert_child_aborted_with(&o, where);
}

static void check_in_handler(int sig)
{
    (void)sig;
    failing_check();
}

static void failing_check_in_a_signal_handler(void)
{
    signal(SIGUSR1, check_in_handler);
    raise(SIGUSR1);
}

static void test_a_check_fails_the_same_way_in_a_signal_handler(void **state)
{
    (void)state;
    child_outcome o = run_in_child(failing_check_in_a_signal_handler);
    assert_child_aborted_with(&o, "two == 3");
}

static int evaluated;

static void test_a_check_that_holds_does_nothing(void **state)
{
    (void)state;
    evaluated = 0;
    CB_CHECK(++evaluated == 1);
    assert_int_equal(evaluated, 1);
}

static void own_end_without_begin(void)
{
    cb_own_end();
}

static void unlock_of_a_free_lock(void)
{
    cb_spinlock l = CB_SPINLOCK_INIT;
    cb_spin_unlock(&l);
}

static void defer_leave_without_enter(void)
{
    cb_defer_leave(0);
}

static void test_unbalanced_brackets_and_locks_fail_their_checks(void **state)
{
    (void)state;
    child_outcome o = run_in_child(own_end_without_begin);
    assert_child_aborted_with(&o, "base/own.h:");
    o = run_in_child(unlock_of_a_free_lock);
    assert_child_aborted_with(&o, "cb_spin_held(l)");
    o = run_in_child(defer_leave_without_enter);
    assert_child_aborted_with(&o, "cb_defer_depth > 0");
}

/* ---- own work ------------------------------------------------------------ */

static void test_own_work_nests(void **state)
{
    (void)state;
    assert_false(cb_own_now());
    cb_own_begin();
    cb_own_begin();
    cb_own_end();
    assert_true(cb_own_now());
    cb_own_end();
    assert_false(cb_own_now());
}

/* ---- the deferral -------------------------------------------------------- */

static int flushes;
static uintptr_t flushed_caller;

static void count_flush(uintptr_t caller)
{
    flushes++;
    flushed_caller = caller;
}

static void test_a_pending_sample_is_flushed_once_at_the_outermost_leave(void **state)
{
    (void)state;
    cb_defer_set_flush(count_flush);
    flushes = 0;
    cb_defer_enter();
    cb_defer_enter();
    cb_defer_pending = 1; /* what the profiler's handler does */
    cb_defer_leave(11);
    assert_int_equal(flushes, 0);
    cb_defer_leave(22);
    assert_int_equal(flushes, 1);
    assert_int_equal(flushed_caller, 22);
    assert_int_equal(cb_defer_pending, 0);
    cb_defer_enter();
    cb_defer_leave(33); /* nothing pending: no flush */
    assert_int_equal(flushes, 1);
    cb_defer_set_flush(NULL);
}

static void test_a_deferring_lock_defers_while_held(void **state)
{
    (void)state;
    cb_spinlock l = CB_SPINLOCK_INIT;
    cb_spin_lock_deferring(&l);
    assert_int_equal(cb_defer_depth, 1);
    cb_spin_unlock_deferring(&l, 0);
    assert_int_equal(cb_defer_depth, 0);
    cb_spin_lock(&l);
    assert_int_equal(cb_defer_depth, 0); /* a plain lock does not */
    cb_spin_unlock(&l);
}

/* ---- the spinlock and fork ----------------------------------------------- */

enum { THREADS = 4, ROUNDS = 200000 };

static cb_spinlock counter_lock = CB_SPINLOCK_INIT;
static long counter; /* plain: only the lock orders it */

static void *add_rounds(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        cb_spin_lock(&counter_lock);
        counter++;
        cb_spin_unlock(&counter_lock);
    }
    return NULL;
}

static void test_the_spinlock_excludes(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    counter = 0;
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, add_rounds, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(counter, (long)THREADS * ROUNDS);
}

static cb_spinlock guarded = CB_SPINLOCK_INIT;
static int guarded_value; /* changed only with the lock held */
static _Atomic int child_saw_held = -1;

static void note_in_child(void *arg)
{
    *(int *)arg = 1;
    child_saw_held = atomic_load(&guarded.held);
}

static int child_ran;

__attribute__((constructor)) static void guard_the_test_lock(void)
{
    cb_spin_guard_fork(&guarded, 1, 0, note_in_child, &child_ran);
}

static _Atomic int holder_has_it;

static void *hold_for_a_while(void *arg)
{
    (void)arg;
    cb_spin_lock(&guarded);
    guarded_value = 1;
    atomic_store(&holder_has_it, 1);
    struct timespec nap = {0, 50 * 1000 * 1000};
    nanosleep(&nap, NULL);
    guarded_value = 2; /* the state a fork must see whole */
    cb_spin_unlock(&guarded);
    return NULL;
}

static void test_fork_waits_for_a_guarded_lock_and_the_child_finds_it_free(void **state)
{
    (void)state;
    pthread_t t;
    atomic_store(&holder_has_it, 0);
    assert_int_equal(pthread_create(&t, NULL, hold_for_a_while, NULL), 0);
    while (!atomic_load(&holder_has_it))
        sched_yield();
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The holder's thread is gone; the lock was taken by fork before
         * it, released after the child's function saw it held. */
        int ok = guarded_value == 2 && child_ran == 1 && child_saw_held == 1;
        cb_spin_lock(&guarded);
        cb_spin_unlock(&guarded);
        _exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(child_ran, 0); /* the parent's copy: not run here */
    pthread_join(t, NULL);
    cb_spin_lock(&guarded); /* and released in the parent */
    cb_spin_unlock(&guarded);
}

/* ---- per-thread counters in a list --------------------------------------- */

typedef struct tcount {
    _Atomic uint64_t n;
    cb_thread_node node;
} tcount;

static _Atomic uint64_t folded_total;
static void fold_count(cb_thread_node *node);
static cb_thread_list counts = CB_THREAD_LIST_INIT(fold_count, NULL);
static __thread tcount mine = {.node = CB_THREAD_NODE_INIT};

static void fold_count(cb_thread_node *node)
{
    atomic_fetch_add(&folded_total, CB_THREAD_NODE_OWNER(node, tcount, node)->n);
}

__attribute__((constructor)) static void guard_the_counts(void)
{
    cb_thread_list_guard_fork(&counts);
}

static void count_one(void)
{
    if (cb_thread_life(&mine.node) == CB_THREAD_FOLDED) {
        atomic_fetch_add(&folded_total, 1);
        return;
    }
    if (cb_thread_life(&mine.node) == CB_THREAD_NEW)
        cb_thread_list_join(&counts, &mine.node);
    atomic_store_explicit(&mine.n, atomic_load_explicit(&mine.n, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* The totals and every listed thread's counts. */
static uint64_t read_counts(int *listed)
{
    cb_thread_list_lock(&counts);
    uint64_t sum = atomic_load(&folded_total);
    *listed = 0;
    for (cb_thread_node *n = counts.head; n; n = n->next, ++*listed)
        sum += atomic_load(&CB_THREAD_NODE_OWNER(n, tcount, node)->n);
    cb_thread_list_unlock(&counts);
    return sum;
}

static void *count_some(void *arg)
{
    for (uintptr_t i = 0; i < (uintptr_t)arg; i++)
        count_one();
    return NULL;
}

static void test_exited_threads_counts_are_folded_exactly(void **state)
{
    (void)state;
    int listed;
    uint64_t before = read_counts(&listed);
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, count_some, (void *)(1000 + i)), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    count_some((void *)7);
    int after_listed;
    assert_int_equal(read_counts(&after_listed) - before, 4000 + 0 + 1 + 2 + 3 + 7);
    /* The exited threads left the list; this one joined it, once. */
    assert_int_equal(after_listed, 1);
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int parked;

static void *count_then_park(void *arg)
{
    count_some(arg);
    atomic_fetch_add(&parked, 1);
    pthread_mutex_lock(&gate);
    pthread_mutex_unlock(&gate);
    return NULL;
}

static void test_a_fork_child_folds_the_other_threads_and_keeps_its_own(void **state)
{
    (void)state;
    count_one(); /* this thread is listed */
    pthread_mutex_lock(&gate);
    pthread_t t[2];
    atomic_store(&parked, 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, count_then_park, (void *)100), 0);
    while (atomic_load(&parked) < 2)
        sched_yield();
    int listed;
    uint64_t total = read_counts(&listed);
    assert_int_equal(listed, 3);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int child_listed;
        uint64_t child_total = read_counts(&child_listed);
        int ok = child_total == total && child_listed == 1 && counts.head == &mine.node &&
                 cb_thread_life(&mine.node) == 0;
        count_one(); /* still this thread's own counter */
        ok = ok && read_counts(&child_listed) == total + 1 &&
             atomic_load(&folded_total) + mine.n == total + 1;
        _exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    pthread_mutex_unlock(&gate);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(read_counts(&listed), total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_failed_check_aborts_naming_the_file_line_and_condition),
        cmocka_unit_test(test_a_check_fails_the_same_way_in_a_signal_handler),
        cmocka_unit_test(test_a_check_that_holds_does_nothing),
        cmocka_unit_test(test_unbalanced_brackets_and_locks_fail_their_checks),
        cmocka_unit_test(test_own_work_nests),
        cmocka_unit_test(test_a_pending_sample_is_flushed_once_at_the_outermost_leave),
        cmocka_unit_test(test_a_deferring_lock_defers_while_held),
        cmocka_unit_test(test_the_spinlock_excludes),
        cmocka_unit_test(test_fork_waits_for_a_guarded_lock_and_the_child_finds_it_free),
        cmocka_unit_test(test_exited_threads_counts_are_folded_exactly),
        cmocka_unit_test(test_a_fork_child_folds_the_other_threads_and_keeps_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
