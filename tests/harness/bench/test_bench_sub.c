/*
 * Sub-benchmarks: one record per leaf with its full name, none for the
 * parent (whose capture is abandoned when its first child starts), each
 * leaf calibrated and repeated on its own, names made unique as Go does,
 * patterns with levels, and failures that reach the parent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bench/run.h"
#include "bench/timer.h"
#include "bench_spy.h"
#include "cbench/bench.h"

static int parent_calls, small_calls, big_calls;

static void reset(void)
{
    spy_reset();
    parent_calls = small_calls = big_calls = 0;
    spy_fake_ns = 1000;
    cb_bench_timer_set_clock(spy_fake_clock);
}

static int teardown(void **state)
{
    (void)state;
    cb_bench_timer_set_clock(NULL);
    return 0;
}

static void small(cbench_b *b)
{
    small_calls++;
    while (cbench_loop(b))
        spy_fake_ns += 10;
}

static void big(cbench_b *b)
{
    big_calls++;
    while (cbench_loop(b))
        spy_fake_ns += 1000;
}

static void bench_parent(cbench_b *b)
{
    parent_calls++;
    assert_true(cbench_run(b, "small", small));
    assert_true(cbench_run(b, "big", big));
}

static void run(const char *pattern, void (*fn)(cbench_b *), int count, int ncpus,
                int expect_failed)
{
    cb_options o;
    spy_options(&o, pattern);
    o.benchtime_n = 100;
    o.count = count;
    for (int i = 0; i < ncpus; i++)
        o.cpus[i] = i + 1;
    o.ncpus = ncpus;
    const struct cbench_benchmark bm[] = {{"bench_parent", fn}};
    assert_int_equal(cb_bench_run_all(bm, 1, &o), expect_failed);
}

static void expect(int i, spy_kind kind, const char *name)
{
    assert_true(i < spy_count);
    assert_int_equal(spy_events[i].kind, kind);
    if (name)
        assert_string_equal(spy_events[i].name, name);
}

static void test_each_leaf_reports_and_the_parent_does_not(void **state)
{
    (void)state;
    reset();
    run(".", bench_parent, 1, 1, 0);
    expect(0, SPY_BEGIN, "BenchmarkParent");
    expect(1, SPY_ABORT, NULL);
    expect(2, SPY_BEGIN, "BenchmarkParent/small");
    expect(3, SPY_END, "BenchmarkParent/small");
    expect(4, SPY_BEGIN, "BenchmarkParent/big");
    expect(5, SPY_END, "BenchmarkParent/big");
    assert_int_equal(spy_count, 6);
    assert_true(spy_metric(spy_record(0), "ns/op") == 10.0);
    assert_true(spy_metric(spy_record(1), "ns/op") == 1000.0);
    assert_int_equal(spy_record(0)->n, 100);
    /* The parent ran once, with n = 1; each leaf once per run. */
    assert_int_equal(parent_calls, 1);
    assert_int_equal(small_calls, 2);
    assert_int_equal(big_calls, 2);
}

static void test_leaves_repeat_for_every_cpu_and_count(void **state)
{
    (void)state;
    reset();
    run(".", bench_parent, 2, 2, 0);
    assert_int_equal(parent_calls, 1);
    assert_int_equal(spy_records(), 8);
    const char *names[] = {"small", "small", "small", "small", "big", "big", "big", "big"};
    const int procs[] = {1, 1, 2, 2, 1, 1, 2, 2};
    for (int i = 0; i < 8; i++) {
        char want[64];
        snprintf(want, sizeof want, "BenchmarkParent/%s", names[i]);
        assert_string_equal(spy_record(i)->name, want);
        assert_int_equal(spy_record(i)->procs, procs[i]);
    }
}

static void test_deeper_pattern_runs_the_parent_to_find_children(void **state)
{
    (void)state;
    reset();
    run("Parent/big", bench_parent, 1, 1, 0);
    assert_int_equal(parent_calls, 1);
    assert_int_equal(small_calls, 0);
    assert_int_equal(spy_records(), 1);
    assert_string_equal(spy_record(0)->name, "BenchmarkParent/big");

    reset();
    run("Parent/nothing", bench_parent, 1, 1, 0);
    assert_int_equal(parent_calls, 1);
    assert_int_equal(spy_records(), 0);
    expect(0, SPY_BEGIN, "BenchmarkParent");
    expect(1, SPY_ABORT, NULL);
    assert_int_equal(spy_count, 2);

    reset();
    run("Other/big", bench_parent, 1, 1, 0);
    assert_int_equal(parent_calls, 0);
    assert_int_equal(spy_count, 0);
}

static void test_partial_match_of_a_leaf_reports_nothing(void **state)
{
    (void)state;
    reset();
    run("Parent/x", small, 3, 2, 0);
    /* Run once to look for children; it has none. */
    assert_int_equal(small_calls, 1);
    assert_int_equal(spy_records(), 0);
    expect(0, SPY_BEGIN, "BenchmarkParent");
    expect(1, SPY_ABORT, NULL);
}

static void bench_repeated_names(cbench_b *b)
{
    cbench_run(b, "x", small);
    cbench_run(b, "x", small);
    cbench_run(b, "two words", small);
    cbench_run(b, "", small);
}

static void level2(cbench_b *b)
{
    cbench_run(b, "leaf", small);
}

static void bench_nested(cbench_b *b)
{
    cbench_run(b, "a", level2);
    cbench_run(b, "b", level2);
}

static void test_names_are_unique_and_nest(void **state)
{
    (void)state;
    reset();
    run(".", bench_repeated_names, 1, 1, 0);
    const char *want[] = {"BenchmarkParent/x", "BenchmarkParent/x#01", "BenchmarkParent/two_words",
                          "BenchmarkParent/#00"};
    assert_int_equal(spy_records(), 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(spy_record(i)->name, want[i]);

    reset();
    run("Parent/b/leaf", bench_nested, 1, 1, 0);
    assert_int_equal(spy_records(), 1);
    assert_string_equal(spy_record(0)->name, "BenchmarkParent/b/leaf");
    /* a does not match; b was run to look for children, as was the top
     * benchmark: two abandoned captures. */
    int aborts = 0;
    for (int i = 0; i < spy_count; i++)
        aborts += spy_events[i].kind == SPY_ABORT;
    assert_int_equal(aborts, 2);
}

static bool child_result;

static void failing(cbench_b *b)
{
    cbench_report_metric(b, 1, "");
}

static void bench_with_failing_child(cbench_b *b)
{
    child_result = cbench_run(b, "bad", failing);
    cbench_run(b, "good", small);
}

static void test_failed_child_fails_its_parent(void **state)
{
    (void)state;
    reset();
    child_result = true;
    run(".", bench_with_failing_child, 1, 1, 1);
    assert_false(child_result);
    assert_int_equal(spy_records(), 2);
    assert_string_equal(spy_record(0)->name, "BenchmarkParent/bad");
    assert_int_equal(spy_record(0)->status, CB_FAIL);
    assert_string_equal(spy_record(1)->name, "BenchmarkParent/good");
    assert_int_equal(spy_record(1)->status, CB_PASS);
}

static void bench_unselected_child(cbench_b *b)
{
    child_result = cbench_run(b, "skipped", small);
}

static void test_unselected_child_succeeds_and_parent_stays_silent(void **state)
{
    (void)state;
    reset();
    child_result = false;
    run("Parent/chosen", bench_unselected_child, 1, 1, 0);
    assert_true(child_result);
    assert_int_equal(small_calls, 0);
    assert_int_equal(spy_records(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_each_leaf_reports_and_the_parent_does_not, teardown),
        cmocka_unit_test_teardown(test_leaves_repeat_for_every_cpu_and_count, teardown),
        cmocka_unit_test_teardown(test_deeper_pattern_runs_the_parent_to_find_children, teardown),
        cmocka_unit_test_teardown(test_partial_match_of_a_leaf_reports_nothing, teardown),
        cmocka_unit_test_teardown(test_names_are_unique_and_nest, teardown),
        cmocka_unit_test_teardown(test_failed_child_fails_its_parent, teardown),
        cmocka_unit_test_teardown(test_unselected_child_succeeds_and_parent_stays_silent, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
