/*
 * End-to-end: a cmocka binary (cbench_run_group_tests) whose second test
 * hangs, with a helper thread blocked beside it, past the command's
 * --timeout; the third never runs. The command must show where every
 * thread was (threads.txt, and the test's output), keep the hung test's
 * profiles, and report the third test as not run.
 */
#include <pthread.h>
#include <unistd.h>

#include <cbench.h>

#include "cpu_burn.h"

static pthread_mutex_t never = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static void *helper_blocks_on_the_lock(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&never); /* held by the test: never returns */
    return NULL;
}

__attribute__((noinline)) static void hang_waiting_forever(void)
{
    for (;;)
        pause();
}

static void first_passes(void **state)
{
    (void)state;
}

static void second_hangs(void **state)
{
    (void)state;
    pthread_mutex_lock(&never);
    pthread_t t;
    pthread_create(&t, NULL, helper_blocks_on_the_lock, NULL);
    burn_cpu(50 * 1000 * 1000); /* something for the CPU profile */
    hang_waiting_forever();
}

static void third_never_runs(void **state)
{
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_passes),
        cmocka_unit_test(second_hangs),
        cmocka_unit_test(third_never_runs),
    };
    return cbench_run_group_tests(tests, NULL, NULL);
}
