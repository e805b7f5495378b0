/*
 * A cmocka program run through cbench_run_group_tests, for
 * test_cmocka_plugin.sh: fixtures and states must behave as cmocka's own,
 * statuses must be reported per test, and each test's profiles must hold
 * that test's work only. Each test that checks a state fails on a mismatch,
 * so the script sees it as a "fail" status where it expects "pass".
 */
#include <stdlib.h>
#include <string.h>

#include <cbench.h>

#include "cpu_burn.h"

/* The twin built with -DPLAIN_CMOCKA runs the same groups through cmocka
 * alone, so the script can compare cmocka's output with and without cbench. */
#ifdef PLAIN_CMOCKA
#undef cbench_run_group_tests
#define cbench_run_group_tests cmocka_run_group_tests
#endif

static int group_value = 7, prestate_value = 11, setup_value = 13;
static int teardowns;

static int group_setup(void **state)
{
    *state = &group_value;
    return 0;
}

static int group_teardown(void **state)
{
    /* Every test's teardown ran, and the group's state came back. */
    return *state == &group_value && teardowns == 1 ? 0 : -1;
}

static void sees_group_state(void **state)
{
    assert_ptr_equal(*state, &group_value);
}

static int counting_teardown(void **state)
{
    (void)state;
    teardowns++;
    return 0;
}

static void group_state_wins_over_prestate(void **state)
{
    assert_ptr_equal(*state, &group_value); /* cmocka's rule */
}

static void sees_prestate(void **state)
{
    assert_ptr_equal(*state, &prestate_value);
}

static int replacing_setup(void **state)
{
    assert_ptr_equal(*state, &prestate_value);
    *state = &setup_value;
    return 0;
}

static void sees_setup_state(void **state)
{
    assert_ptr_equal(*state, &setup_value);
}

static void fails(void **state)
{
    (void)state;
    assert_int_equal(1, 2);
}

static void skips(void **state)
{
    (void)state;
    skip();
}

static int failing_setup(void **state)
{
    (void)state;
    return -1;
}

static void never_runs(void **state)
{
    (void)state;
    abort();
}

/* Profiles: one test burns CPU, another allocates; each profile must
 * show its own test's function only. */
static void *volatile kept[100];
static volatile int after; /* a write after each call: no tail calls to hide frames */

__attribute__((noinline)) static void burn_in_first_test(void)
{
    burn_cpu(300 * 1000 * 1000);
    after++;
}

__attribute__((noinline)) static void alloc_in_second_test(void)
{
    for (int i = 0; i < 100; i++)
        kept[i] = malloc(10000);
}

static void burns_cpu(void **state)
{
    (void)state;
    burn_in_first_test();
    after++;
}

static void allocates(void **state)
{
    (void)state;
    alloc_in_second_test();
    burn_cpu(50 * 1000 * 1000);
    after++;
}

int main(void)
{
    const struct CMUnitTest with_group_state[] = {
        cmocka_unit_test(sees_group_state),
        cmocka_unit_test_prestate(group_state_wins_over_prestate, &prestate_value),
        cmocka_unit_test_teardown(fails, counting_teardown),
        cmocka_unit_test(skips),
    };
    const struct CMUnitTest without_group_state[] = {
        cmocka_unit_test_prestate(sees_prestate, &prestate_value),
        cmocka_unit_test_prestate_setup_teardown(sees_setup_state, replacing_setup, NULL,
                                                 &prestate_value),
        cmocka_unit_test_setup(never_runs, failing_setup),
        cmocka_unit_test(burns_cpu),
        cmocka_unit_test(allocates),
    };
    int failed = cbench_run_group_tests(with_group_state, group_setup, group_teardown);
    failed += cbench_run_group_tests(without_group_state, NULL, NULL);
    return failed;
}
