/*
 * Calibration and timing of the benchmark runner.
 *
 * Most tests run on a fake clock that the benchmark itself advances, so a
 * benchmark costs exactly what the test says, and the iteration counts
 * the runner chooses can be compared with Go's formula, re-stated here
 * from testing/benchmark.go (launch, predictN), number for number. One
 * test uses the real clock, for the bound the algorithm guarantees: the
 * reported run lasted at least the benchtime.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bench/run.h"
#include "bench/timer.h"
#include "bench_spy.h"
#include "cbench/bench.h"

enum { MAX_RUNS = 64 };

static int64_t cost_ns, setup_ns; /* the fake benchmark's price */
static int64_t runs[MAX_RUNS];    /* b->n of each call */
static int nruns;

static void reset(void)
{
    spy_reset();
    nruns = 0;
    spy_fake_ns = 1000;
    cb_bench_timer_set_clock(spy_fake_clock);
}

static int teardown(void **state)
{
    (void)state;
    cb_bench_timer_set_clock(NULL);
    return 0;
}

static void note_run(cbench_b *b)
{
    if (nruns < MAX_RUNS)
        runs[nruns] = b->n;
    nruns++;
}

/* Costs setup_ns per call plus cost_ns per iteration, in fake time. */
static void bench_fake(cbench_b *b)
{
    note_run(b);
    spy_fake_ns += (uint64_t)(setup_ns + cost_ns * b->n);
}

/* Go's launch and predictN for a run costing setup + cost * n ns. */
static int go_sequence(int64_t goal, int64_t setup, int64_t cost, int64_t *seq)
{
    int k = 0;
    int64_t n = 1, d = setup + cost;
    seq[k++] = 1;
    while (d < goal && n < 1000000000) {
        int64_t last = n, prevns = d > 0 ? d : 1;
        __int128 next = (__int128)goal * n / prevns;
        next += next / 5;
        if (next > (__int128)100 * last)
            next = (__int128)100 * last;
        if (next < last + 1)
            next = last + 1;
        if (next > 1000000000)
            next = 1000000000;
        n = (int64_t)next;
        d = setup + cost * n;
        seq[k++] = n;
    }
    return k;
}

static void check_calibration(double benchtime_s, int64_t setup, int64_t cost)
{
    int64_t want[MAX_RUNS];
    int64_t goal = (int64_t)llround(benchtime_s * 1e9);
    int nwant = go_sequence(goal, setup, cost, want);
    reset();
    setup_ns = setup;
    cost_ns = cost;
    cb_options o;
    spy_options(&o, "Fake");
    o.benchtime_s = benchtime_s;
    const struct cbench_benchmark bm[] = {{"bench_fake", bench_fake}};
    assert_int_equal(cb_bench_run_all(bm, 1, &o), 0);

    assert_int_equal(nruns, nwant);
    for (int i = 0; i < nwant; i++)
        assert_int_equal(runs[i], want[i]);

    /* The last run is the one reported. */
    assert_int_equal(spy_records(), 1);
    const cb_record *r = spy_record(0);
    assert_string_equal(r->name, "BenchmarkFake");
    assert_int_equal(r->status, CB_PASS);
    assert_int_equal(r->n, want[nwant - 1]);
    int64_t last_ns = setup + cost * r->n;
    assert_true(fabs(spy_metric(r, "ns/op") - (double)last_ns / (double)r->n) < 1e-9);
    assert_string_equal(r->metrics[0].unit, "ns/op");

    /* Go's tolerance: the last run reaches the goal (unless n hit 1e9)
     * and overshoots by at most the 20 % margin plus one iteration. */
    if (r->n < 1000000000)
        assert_true(last_ns >= goal);
    assert_true((double)last_ns <= 1.2 * (double)goal + (double)(setup + cost));
}

static void test_fake_cost_gives_go_iteration_sequence(void **state)
{
    (void)state;
    check_calibration(1.0, 0, 777);  /* ends at 1.2x the goal */
    check_calibration(1.0, 0, 1000); /* ends on the 100x cap */
    check_calibration(1.0, 0, 1);    /* grows 100x a run up to 1e9 */
    check_calibration(1.0, 0, 0);    /* free: prev_ns counts as 1 */
    check_calibration(0.25, 0, 3333333);
    check_calibration(2.0, 5000000, 1234); /* a fixed cost per call */
    check_calibration(1.0, 0, 2000000000); /* one iteration is enough */
}

static int64_t body_runs;

static void bench_counted_loop(cbench_b *b)
{
    note_run(b);
    while (cbench_loop(b))
        body_runs++;
}

static void bench_counted_for(cbench_b *b)
{
    note_run(b);
    for (int64_t i = 0; i < b->n; i++)
        body_runs++;
}

static void check_exact_n(void (*fn)(cbench_b *), int64_t n)
{
    reset();
    body_runs = 0;
    cb_options o;
    spy_options(&o, ".");
    o.benchtime_n = n;
    const struct cbench_benchmark bm[] = {{"bench_x", fn}};
    assert_int_equal(cb_bench_run_all(bm, 1, &o), 0);
    /* As Go: one run of 1, then one of exactly N (none more when N is 1). */
    if (n == 1) {
        assert_int_equal(nruns, 1);
        assert_int_equal(body_runs, 1);
    } else {
        assert_int_equal(nruns, 2);
        assert_int_equal(runs[0], 1);
        assert_int_equal(runs[1], n);
        assert_int_equal(body_runs, 1 + n);
    }
    assert_int_equal(spy_records(), 1);
    assert_int_equal(spy_record(0)->n, n);
}

static void test_benchtime_nx_runs_exactly_n(void **state)
{
    (void)state;
    check_exact_n(bench_counted_loop, 500);
    check_exact_n(bench_counted_for, 500);
    check_exact_n(bench_counted_loop, 1);
    check_exact_n(bench_counted_loop, 2);
    check_exact_n(bench_counted_loop, 1234567);
}

static volatile uint64_t sink;

static void bench_spin(cbench_b *b)
{
    while (cbench_loop(b)) {
        for (int i = 0; i < 50; i++)
            sink += (uint64_t)i;
    }
}

static void test_real_clock_last_run_lasts_the_benchtime(void **state)
{
    (void)state;
    spy_reset();
    cb_bench_timer_set_clock(NULL);
    cb_options o;
    spy_options(&o, "Spin");
    o.benchtime_s = 0.03;
    const struct cbench_benchmark bm[] = {{"bench_spin", bench_spin}};
    assert_int_equal(cb_bench_run_all(bm, 1, &o), 0);
    const cb_record *r = spy_record(0);
    assert_non_null(r);
    assert_true(r->n < 1000000000);
    double run_ns = spy_metric(r, "ns/op") * (double)r->n;
    assert_true(run_ns >= 0.03e9 * (1 - 1e-12));
    /* All runs together take at least the reported one. */
    assert_true(r->elapsed_s * 1e9 >= run_ns * (1 - 1e-9));
}

static void bench_timer_regions(cbench_b *b)
{
    spy_fake_ns += 1000000; /* set-up: before the loop */
    while (cbench_loop(b))
        spy_fake_ns += 10;
    spy_fake_ns += 1000000; /* clean-up: after the loop */
}

static void bench_stop_start(cbench_b *b)
{
    for (int64_t i = 0; i < b->n; i++) {
        cbench_stop_timer(b);
        spy_fake_ns += 1000; /* paused */
        cbench_start_timer(b);
        spy_fake_ns += 7;
    }
}

static void bench_reset(cbench_b *b)
{
    spy_fake_ns += 5000;
    cbench_reset_timer(b);
    for (int64_t i = 0; i < b->n; i++)
        spy_fake_ns += 3;
}

static void bench_stopped_early(cbench_b *b)
{
    /* Stopping twice or starting while on changes nothing. */
    cbench_start_timer(b);
    spy_fake_ns += 4 * (uint64_t)b->n;
    cbench_stop_timer(b);
    cbench_stop_timer(b);
    spy_fake_ns += 99999;
}

static double ns_per_op(const char *name, void (*fn)(cbench_b *))
{
    reset();
    cb_options o;
    spy_options(&o, ".");
    o.benchtime_n = 1000;
    const struct cbench_benchmark bm[] = {{name, fn}};
    assert_int_equal(cb_bench_run_all(bm, 1, &o), 0);
    assert_int_equal(spy_records(), 1);
    return spy_metric(spy_record(0), "ns/op");
}

static void test_excluded_regions_are_not_timed(void **state)
{
    (void)state;
    assert_true(ns_per_op("bench_timer_regions", bench_timer_regions) == 10.0);
    assert_true(ns_per_op("bench_stop_start", bench_stop_start) == 7.0);
    assert_true(ns_per_op("bench_reset", bench_reset) == 3.0);
    assert_true(ns_per_op("bench_stopped_early", bench_stopped_early) == 4.0);
}

static void bench_metrics(cbench_b *b)
{
    cbench_report_metric(b, 99, "gone/op"); /* forgotten by the loop's reset */
    cbench_set_bytes(b, 64);
    while (cbench_loop(b))
        spy_fake_ns += 10;
    cbench_report_metric(b, 2, "b-units");
    cbench_report_metric(b, 1, "a-units");
    cbench_report_metric(b, 3, "b-units");
}

static void test_bytes_and_custom_metrics_are_reported(void **state)
{
    (void)state;
    reset();
    cb_options o;
    spy_options(&o, ".");
    o.benchtime_n = 1000;
    const struct cbench_benchmark bm[] = {{"bench_metrics", bench_metrics}};
    assert_int_equal(cb_bench_run_all(bm, 1, &o), 0);
    const cb_record *r = spy_record(0);
    assert_int_equal(r->nmetrics, 4);
    assert_string_equal(r->metrics[0].unit, "ns/op");
    assert_true(r->metrics[0].value == 10.0);
    /* 64 bytes every 10 ns: 6400 MB/s. */
    assert_string_equal(r->metrics[1].unit, "MB/s");
    assert_true(fabs(r->metrics[1].value - 6400.0) < 1e-9);
    assert_string_equal(r->metrics[2].unit, "b-units");
    assert_true(r->metrics[2].value == 3.0);
    assert_string_equal(r->metrics[3].unit, "a-units");
    assert_true(r->metrics[3].value == 1.0);
}

static void bench_replace_ns(cbench_b *b)
{
    while (cbench_loop(b))
        spy_fake_ns += 10;
    cbench_report_metric(b, 42, "ns/op");
}

static void test_reporting_a_standard_unit_replaces_it(void **state)
{
    (void)state;
    assert_true(ns_per_op("bench_replace_ns", bench_replace_ns) == 42.0);
    assert_int_equal(spy_record(0)->nmetrics, 1);
}

static void bench_bad_unit(cbench_b *b)
{
    note_run(b);
    spy_fake_ns += (uint64_t)b->n;
    cbench_report_metric(b, 1, "two words");
}

static void bench_fine(cbench_b *b)
{
    spy_fake_ns += (uint64_t)b->n;
}

static void test_bad_unit_fails_and_stops_the_benchmark(void **state)
{
    (void)state;
    reset();
    cb_options o;
    spy_options(&o, ".");
    o.count = 3;
    const struct cbench_benchmark bm[] = {{"bench_bad_unit", bench_bad_unit},
                                          {"bench_fine", bench_fine}};
    assert_int_equal(cb_bench_run_all(bm, 2, &o), 1);
    /* The first run failed: no calibration, no repetition. */
    assert_int_equal(nruns, 1);
    assert_int_equal(spy_records(), 4);
    const cb_record *r = spy_record(0);
    assert_string_equal(r->name, "BenchmarkBad_unit");
    assert_int_equal(r->status, CB_FAIL);
    assert_non_null(strstr(r->message, "two words"));
    for (int i = 1; i < 4; i++) {
        assert_string_equal(spy_record(i)->name, "BenchmarkFine");
        assert_int_equal(spy_record(i)->status, CB_PASS);
    }
}

static void test_cpu_values_and_count_repeat_in_go_order(void **state)
{
    (void)state;
    reset();
    cost_ns = 100;
    setup_ns = 0;
    cb_options o;
    spy_options(&o, "Fake");
    o.benchtime_n = 10;
    o.count = 2;
    o.cpus[0] = 1;
    o.cpus[1] = 3;
    o.ncpus = 2;
    const struct cbench_benchmark bm[] = {{"bench_fake", bench_fake}};
    assert_int_equal(cb_bench_run_all(bm, 1, &o), 0);
    /* Each record: begin, run of 1, run of 10, end. */
    assert_int_equal(spy_count, 8);
    const int procs[] = {1, 1, 3, 3};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(spy_events[2 * i].kind, SPY_BEGIN);
        assert_string_equal(spy_events[2 * i].name, "BenchmarkFake");
        assert_int_equal(spy_events[2 * i + 1].kind, SPY_END);
        const cb_record *r = &spy_events[2 * i + 1].rec;
        assert_string_equal(r->name, "BenchmarkFake");
        assert_int_equal(r->procs, procs[i]);
        assert_int_equal(r->n, 10);
        assert_int_equal(r->kind, CB_KIND_BENCH);
    }
    assert_int_equal(nruns, 8);
}

static void test_only_matching_benchmarks_run(void **state)
{
    (void)state;
    reset();
    cb_options o;
    spy_options(&o, "^BenchmarkFi");
    o.benchtime_n = 1;
    const struct cbench_benchmark bm[] = {
        {"bench_fake", bench_fake}, {"BenchmarkFine", bench_fine}, {"bench_final", bench_fine}};
    assert_int_equal(cb_bench_run_all(bm, 3, &o), 0);
    assert_int_equal(nruns, 0);
    assert_int_equal(spy_records(), 2);
    assert_string_equal(spy_record(0)->name, "BenchmarkFine");
    assert_string_equal(spy_record(1)->name, "BenchmarkFinal");

    /* No pattern, or an empty one, runs nothing; a bad one is an error. */
    reset();
    o.bench = NULL;
    assert_int_equal(cb_bench_run_all(bm, 3, &o), 0);
    o.bench = "";
    assert_int_equal(cb_bench_run_all(bm, 3, &o), 0);
    assert_int_equal(spy_count, 0);
    o.bench = "(";
    assert_int_equal(cb_bench_run_all(bm, 3, &o), 1);
    assert_int_equal(spy_count, 0);
}

static void test_api_outside_the_runner_does_nothing(void **state)
{
    (void)state;
    cbench_b b;
    memset(&b, 0, sizeof b);
    b.n = 5;
    assert_false(cbench_loop(&b));
    cbench_start_timer(&b);
    cbench_stop_timer(&b);
    cbench_reset_timer(&b);
    cbench_report_metric(&b, 1, "x");
    cbench_report_allocs(&b);
    cbench_set_bytes(&b, 1);
    assert_false(cbench_run(&b, "sub", bench_fine));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fake_cost_gives_go_iteration_sequence, teardown),
        cmocka_unit_test_teardown(test_benchtime_nx_runs_exactly_n, teardown),
        cmocka_unit_test_teardown(test_real_clock_last_run_lasts_the_benchtime, teardown),
        cmocka_unit_test_teardown(test_excluded_regions_are_not_timed, teardown),
        cmocka_unit_test_teardown(test_bytes_and_custom_metrics_are_reported, teardown),
        cmocka_unit_test_teardown(test_reporting_a_standard_unit_replaces_it, teardown),
        cmocka_unit_test_teardown(test_bad_unit_fails_and_stops_the_benchmark, teardown),
        cmocka_unit_test_teardown(test_cpu_values_and_count_repeat_in_go_order, teardown),
        cmocka_unit_test_teardown(test_only_matching_benchmarks_run, teardown),
        cmocka_unit_test(test_api_outside_the_runner_does_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
