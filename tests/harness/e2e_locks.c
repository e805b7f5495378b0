/*
 * End-to-end for --mutexprofile and --blockprofile: two tests that each
 * make certain contentions in functions of their own, a test that locks
 * without contention, and a benchmark that contends once per iteration.
 * Each test's profiles must hold its own functions and not the others'.
 */
#include <pthread.h>

#include <cbench.h>

#include "lock_contend.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static volatile int after; /* a write after each call: no tail calls */

static void *first_waiter(void *arg)
{
    void *r = lock_contend_wait(arg);
    after++;
    return r;
}

static void *second_waiter(void *arg)
{
    void *r = lock_contend_wait(arg);
    after++;
    return r;
}

static void *bench_waiter(void *arg)
{
    void *r = lock_contend_wait(arg);
    after++;
    return r;
}

__attribute__((noinline)) static void first_holder(void)
{
    pthread_t t = lock_contend_hold(&m, first_waiter);
    lock_contend_release(&m, t, 3);
    after++;
}

__attribute__((noinline)) static void second_holder(void)
{
    pthread_t t = lock_contend_hold(&m, second_waiter);
    lock_contend_release(&m, t, 3);
    after++;
}

__attribute__((noinline)) static void quiet_locker(void)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&m);
        after++;
        pthread_mutex_unlock(&m);
    }
}

static void first_contends(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        first_holder();
    after++;
}

static void second_contends(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        second_holder();
    after++;
}

static void quiet_locks(void **state)
{
    (void)state;
    quiet_locker();
    after++;
}

__attribute__((noinline)) static void bench_holder(void)
{
    pthread_t t = lock_contend_hold(&m, bench_waiter);
    lock_contend_release(&m, t, 1);
    after++;
}

static void bench_contend(cbench_b *b)
{
    while (cbench_loop(b))
        bench_holder();
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_contends),
        cmocka_unit_test(second_contends),
        cmocka_unit_test(quiet_locks),
    };
    const struct cbench_benchmark benchmarks[] = {
        cbench_benchmark(bench_contend),
    };
    return cbench_main(argc, argv, tests, 3, benchmarks, 1);
}
