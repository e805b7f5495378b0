/*
 * Failures whose reason only cmocka's output holds, for
 * test_failure_reasons.sh: a test that prints 3 MiB (past the output
 * cap) before its assertion fails, and one that fails at once.
 */
#include <stdio.h>
#include <string.h>

#include <cbench.h>

static void prints_a_lot_then_fails(void **state)
{
    (void)state;
    char line[129];
    memset(line, 'x', 128);
    line[128] = '\0';
    for (int i = 0; i < 3 * 8192; i++)
        printf("%05d %s\n", i, line);
    int answer = 41;
    assert_int_equal(answer, 42);
}

static void fails_at_once(void **state)
{
    (void)state;
    assert_string_equal("apple", "pear");
}

static void passes(void **state)
{
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prints_a_lot_then_fails),
        cmocka_unit_test(fails_at_once),
        cmocka_unit_test(passes),
    };
    return cbench_run_group_tests(tests, NULL, NULL);
}
