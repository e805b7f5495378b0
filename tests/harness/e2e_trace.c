/*
 * End-to-end for --trace and --trace-on-failure: a binary whose tests
 * wait on a lock and burn CPU (passing), fail an assertion, abort, fault
 * (cmocka makes that a failure), or hang; and a benchmark. Built twice:
 * with cbench_main, and as a cmocka group (E2E_PLUGIN) that takes its
 * flags from CBENCH_FLAGS.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cbench.h>

#include "cpu_burn.h"

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static atomic_int started;

static void *waiter(void *arg)
{
    (void)arg;
    atomic_store(&started, 1);
    pthread_mutex_lock(&mutex); /* the test holds it for 50 ms */
    pthread_mutex_unlock(&mutex);
    return NULL;
}

__attribute__((noinline)) static void holds_the_lock(void)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    pthread_mutex_unlock(&mutex);
}

static void waits_on_a_held_mutex(void **state)
{
    (void)state;
    cbench_region_begin("burn");
    burn_cpu(100 * 1000 * 1000);
    cbench_region_end();
    pthread_mutex_lock(&mutex);
    pthread_t t;
    atomic_store(&started, 0);
    assert_int_equal(pthread_create(&t, NULL, waiter, NULL), 0);
    while (!atomic_load(&started))
        sched_yield();
    while (__atomic_load_n(&mutex.__data.__lock, __ATOMIC_RELAXED) != 2)
        sched_yield(); /* the waiter blocks */
    holds_the_lock();
    pthread_join(t, NULL);
}

static void fails(void **state)
{
    (void)state;
    cbench_region_begin("before the failure");
    cbench_region_end();
    assert_int_equal(1, 2);
}

static void aborts(void **state)
{
    (void)state;
    cbench_region_begin("before the crash");
    cbench_region_end();
    abort();
}

/* A real SIGSEGV in every build: UBSan would report the null store and
 * exit instead. */
__attribute__((no_sanitize("undefined"))) static void faults(void **state)
{
    (void)state;
    cbench_region_begin("before the fault");
    cbench_region_end();
    volatile int *volatile nowhere = NULL;
    *nowhere = 1;
}

static void hangs(void **state)
{
    (void)state;
    cbench_region_begin("before the hang");
    cbench_region_end();
    for (;;)
        pause();
}

#ifndef E2E_PLUGIN
static void BenchmarkSpin(cbench_b *b)
{
    while (cbench_loop(b))
        burn_cpu(1000);
}
#endif

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(waits_on_a_held_mutex), cmocka_unit_test(fails),
        cmocka_unit_test(aborts),                cmocka_unit_test(faults),
        cmocka_unit_test(hangs),
    };
#ifdef E2E_PLUGIN
    (void)argc;
    (void)argv;
    return cbench_run_group_tests(tests, NULL, NULL);
#else
    const struct cbench_benchmark benchmarks[] = {cbench_benchmark(BenchmarkSpin)};
    return cbench_main(argc, argv, tests, sizeof tests / sizeof tests[0], benchmarks, 1);
#endif
}
