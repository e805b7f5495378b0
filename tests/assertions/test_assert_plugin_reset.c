/*
 * Under the cbench plugin, an assertion scope left by a failing cmocka
 * assertion inside its statement stops recording when its test ends: the
 * next test starts with the recorder off. The first test fails on purpose
 * (cmocka's longjmp leaves the scope open); the program passes when
 * exactly that test failed and the second one saw the recorder off.
 */
#include <cbench.h>

#include <stdbool.h>
#include <stdlib.h>

#include "scoperec.h"

static bool second_ran_clean;

static void fails_inside_an_assertion_statement(void **state)
{
    (void)state;
    ASSERT_ALLOCS_BELOW(100, {
        void *p = malloc(8);
        free(p);
        assert_true(p == NULL); /* fails: leaves the statement by a jump */
    });
}

static void next_test_starts_with_the_recorder_off(void **state)
{
    (void)state;
    assert_false(cb_scoperec_heap_wanted());
    second_ran_clean = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fails_inside_an_assertion_statement),
        cmocka_unit_test(next_test_starts_with_the_recorder_off),
    };
    int failed = cbench_run_group_tests(tests, NULL, NULL);
    if (failed != 1 || !second_ran_clean) {
        fprintf(stderr, "expected the first test alone to fail: %d failed, second %s\n", failed,
                second_ran_clean ? "passed" : "failed");
        return 1;
    }
    return 0;
}
