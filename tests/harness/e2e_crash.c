/*
 * End-to-end: a binary whose first test passes (leaving its profiles) and
 * whose second aborts; the third never runs. (A SIGSEGV inside a test is
 * caught by cmocka and reported as that test's failure; abort() is not.)
 */
#include <stdlib.h>

#include <cbench.h>

#include "cpu_burn.h"

static volatile int after;

__attribute__((noinline)) static void crash_epsilon_work(void)
{
    burn_cpu(100 * 1000 * 1000);
    after++;
}

static void epsilon_passes(void **state)
{
    (void)state;
    crash_epsilon_work();
    after++;
}

static void zeta_crashes(void **state)
{
    (void)state;
    burn_cpu(20 * 1000 * 1000);
    abort();
}

static void eta_never_runs(void **state)
{
    (void)state;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(epsilon_passes),
        cmocka_unit_test(zeta_crashes),
        cmocka_unit_test(eta_never_runs),
    };
    return cbench_main(argc, argv, tests, 3, NULL, 0);
}
