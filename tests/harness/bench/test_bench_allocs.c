/*
 * B/op and allocs/op: exact, from cbench's counters, for bodies that make
 * a known number of allocations; paused with the timer; counted on the
 * threads of a parallel benchmark too; never charged with the runner's
 * own allocations (names, threads). Built with -fno-builtin so that every
 * malloc and free below reaches the allocator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bench/run.h"
#include "bench_spy.h"
#include "cbench/bench.h"

static void *volatile keep;

/* Three allocations of 16 + 32 + 64 bytes per iteration. */
static void three_allocs(void)
{
    void *a = malloc(16), *b = calloc(1, 32), *c = malloc(64);
    keep = a;
    keep = b;
    keep = c;
    free(a);
    free(b);
    free(c);
}

static void bench_three(cbench_b *b)
{
    cbench_report_allocs(b);
    while (cbench_loop(b))
        three_allocs();
}

static void bench_three_unasked(cbench_b *b)
{
    while (cbench_loop(b))
        three_allocs();
}

static void bench_paused_allocs(cbench_b *b)
{
    cbench_report_allocs(b);
    void *setup = malloc(1000);
    cbench_reset_timer(b); /* the set-up is not counted */
    for (int64_t i = 0; i < b->n; i++) {
        cbench_stop_timer(b);
        for (int k = 0; k < 5; k++) {
            keep = malloc(100);
            free(keep);
        }
        cbench_start_timer(b);
        three_allocs();
    }
    free(setup);
}

static void par_body(cbench_pb *pb, void *arg)
{
    (void)arg;
    while (cbench_pb_next(pb))
        three_allocs();
}

static void bench_parallel_allocs(cbench_b *b)
{
    cbench_report_allocs(b);
    cbench_run_parallel(b, par_body, NULL);
}

static void leaf(cbench_b *b)
{
    cbench_report_allocs(b);
    for (int64_t i = 0; i < b->n; i++)
        three_allocs();
}

static void bench_subs(cbench_b *b)
{
    cbench_run(b, "first leaf", leaf);
    cbench_run(b, "first leaf", leaf);
}

/* Runs fn calibrated to 10 ms, or for exactly `iterations` when non-zero.
 * Per-op values are rounded down (as Go), so one stray allocation shows
 * only in a run of one iteration: tests run both ways. */
static void run(const char *name, void (*fn)(cbench_b *), int procs, bool benchmem,
                int64_t iterations)
{
    spy_reset();
    cb_options o;
    spy_options(&o, ".");
    o.benchtime_s = 0.01;
    o.benchtime_n = iterations;
    o.cpus[0] = procs;
    o.benchmem = benchmem;
    const struct cbench_benchmark bm[] = {{name, fn}};
    assert_int_equal(cb_bench_run_all(bm, 1, &o), 0);
    assert_true(spy_records() >= 1);
}

static void check_three(const cb_record *r)
{
    assert_int_equal(r->status, CB_PASS);
    assert_string_equal(r->metrics[0].unit, "ns/op");
    assert_string_equal(r->metrics[1].unit, "B/op");
    assert_string_equal(r->metrics[2].unit, "allocs/op");
    assert_true(r->metrics[1].value == 112.0);
    assert_true(r->metrics[2].value == 3.0);
}

static void test_allocs_per_op_are_exact(void **state)
{
    (void)state;
    run("bench_three", bench_three, 1, false, 0);
    assert_true(spy_record(0)->n > 1);
    check_three(spy_record(0));
    run("bench_three", bench_three, 1, false, 1);
    check_three(spy_record(0));
}

static void test_benchmem_reports_allocs_for_every_benchmark(void **state)
{
    (void)state;
    run("bench_three_unasked", bench_three_unasked, 1, false, 0);
    assert_int_equal(spy_record(0)->nmetrics, 1);
    assert_true(spy_metric(spy_record(0), "allocs/op") < 0);
    run("bench_three_unasked", bench_three_unasked, 1, true, 0);
    check_three(spy_record(0));
    run("bench_three_unasked", bench_three_unasked, 1, true, 1);
    check_three(spy_record(0));
}

static void test_stopped_timer_pauses_allocation_counting(void **state)
{
    (void)state;
    run("bench_paused_allocs", bench_paused_allocs, 1, false, 0);
    check_three(spy_record(0));
    run("bench_paused_allocs", bench_paused_allocs, 1, false, 1);
    check_three(spy_record(0));
}

static void test_parallel_threads_allocations_are_counted(void **state)
{
    (void)state;
    run("bench_parallel_allocs", bench_parallel_allocs, 3, false, 0);
    check_three(spy_record(0));
    run("bench_parallel_allocs", bench_parallel_allocs, 3, false, 1);
    check_three(spy_record(0));
}

static void test_runner_allocations_are_not_counted(void **state)
{
    (void)state;
    for (int64_t iterations = 0; iterations < 2; iterations++) {
        run("bench_subs", bench_subs, 1, false, iterations);
        assert_int_equal(spy_records(), 2);
        assert_string_equal(spy_record(1)->name, "BenchmarkSubs/first_leaf#01");
        check_three(spy_record(0));
        check_three(spy_record(1));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocs_per_op_are_exact),
        cmocka_unit_test(test_benchmem_reports_allocs_for_every_benchmark),
        cmocka_unit_test(test_stopped_timer_pauses_allocation_counting),
        cmocka_unit_test(test_parallel_threads_allocations_are_counted),
        cmocka_unit_test(test_runner_allocations_are_not_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
