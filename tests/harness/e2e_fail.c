/*
 * End-to-end: a cmocka binary (its own main, cbench_run_group_tests) with
 * one passing and one failing test.
 */
#include <cbench.h>

#include "cpu_burn.h"

static volatile int after;

__attribute__((noinline)) static void fail_gamma_work(void)
{
    burn_cpu(100 * 1000 * 1000);
    after++;
}

static void gamma_passes(void **state)
{
    (void)state;
    fail_gamma_work();
    after++;
}

static void delta_fails(void **state)
{
    (void)state;
    printf("delta_fails says hello\n");
    assert_int_equal(2 + 2, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gamma_passes),
        cmocka_unit_test(delta_fails),
    };
    return cbench_run_group_tests(tests, NULL, NULL);
}
