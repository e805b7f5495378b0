/*
 * Parallel benchmarks: P distinct threads (the caller and P-1 others)
 * share exactly b->n iterations in every run; grains are Go's
 * 1e5 * prev_n / prev_ns clamped to [1, 1e4]; misuse fails the benchmark.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench/run.h"
#include "bench/timer.h"
#include "bench_spy.h"
#include "cbench/bench.h"

enum { MAX_THREADS = 16, MAX_RUNS = 64 };

typedef struct par_run {
    int64_t n;
    atomic_llong done; /* iterations the bodies ran */
    atomic_int nthreads;
    pid_t tids[MAX_THREADS];
} par_run;

static par_run runs[MAX_RUNS];
static int nruns;

static void reset(void)
{
    spy_reset();
    memset(runs, 0, sizeof runs);
    nruns = 0;
}

static int teardown(void **state)
{
    (void)state;
    cb_bench_timer_set_clock(NULL);
    return 0;
}

static volatile uint64_t sink;

static void body(cbench_pb *pb, void *arg)
{
    par_run *r = arg;
    int k = atomic_fetch_add(&r->nthreads, 1);
    if (k < MAX_THREADS)
        r->tids[k] = (pid_t)syscall(SYS_gettid);
    long long mine = 0;
    while (cbench_pb_next(pb)) {
        for (int i = 0; i < 20; i++)
            sink += (uint64_t)i;
        mine++;
    }
    atomic_fetch_add(&r->done, mine);
}

static void bench_par(cbench_b *b)
{
    par_run *r = &runs[nruns < MAX_RUNS ? nruns : MAX_RUNS - 1];
    nruns++;
    r->n = b->n;
    cbench_run_parallel(b, body, r);
}

static int distinct(const pid_t *tids, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= tids[j] == tids[i];
        d += !seen;
    }
    return d;
}

static void check_parallel(int procs, double benchtime_s, int64_t benchtime_n)
{
    reset();
    cb_options o;
    spy_options(&o, ".");
    o.cpus[0] = procs;
    o.benchtime_s = benchtime_s;
    o.benchtime_n = benchtime_n;
    const struct cbench_benchmark bm[] = {{"bench_par", bench_par}};
    assert_int_equal(cb_bench_run_all(bm, 1, &o), 0);
    assert_true(nruns >= 1 && nruns <= MAX_RUNS);
    for (int i = 0; i < nruns; i++) {
        assert_int_equal(atomic_load(&runs[i].done), runs[i].n);
        assert_int_equal(atomic_load(&runs[i].nthreads), procs);
        assert_int_equal(distinct(runs[i].tids, procs), procs);
    }
    const cb_record *r = spy_record(0);
    assert_int_equal(spy_records(), 1);
    assert_int_equal(r->procs, procs);
    assert_int_equal(r->n, runs[nruns - 1].n);
    if (benchtime_n)
        assert_int_equal(r->n, benchtime_n);
}

static void test_threads_share_exactly_n_iterations(void **state)
{
    (void)state;
    check_parallel(4, 0.02, 0);
    check_parallel(3, 0, 100003);
    check_parallel(2, 0, 7);
    check_parallel(1, 0.01, 0);
}

static void test_one_proc_runs_on_the_calling_thread(void **state)
{
    (void)state;
    check_parallel(1, 0, 1000);
    pid_t self = (pid_t)syscall(SYS_gettid);
    for (int i = 0; i < nruns; i++)
        assert_int_equal(runs[i].tids[0], self);
}

static int64_t fake_cost;
static int64_t first_grain[MAX_RUNS];

static void grain_body(cbench_pb *pb, void *arg)
{
    int64_t *grain = arg;
    int64_t n = 0;
    while (cbench_pb_next(pb)) {
        if (n++ == 0)
            *grain = pb->left_ + 1; /* the first grain this thread took */
        spy_fake_ns += (uint64_t)fake_cost;
    }
}

static void bench_grain(cbench_b *b)
{
    cbench_run_parallel(b, grain_body, &first_grain[nruns < MAX_RUNS ? nruns++ : 0]);
}

static int64_t grain_after(int64_t cost)
{
    reset();
    memset(first_grain, 0, sizeof first_grain);
    fake_cost = cost;
    spy_fake_ns = 1;
    cb_bench_timer_set_clock(spy_fake_clock);
    cb_options o;
    spy_options(&o, ".");
    o.benchtime_n = 100000;
    const struct cbench_benchmark bm[] = {{"bench_grain", bench_grain}};
    assert_int_equal(cb_bench_run_all(bm, 1, &o), 0);
    assert_int_equal(nruns, 2);
    /* The first run has no previous one: grains of 1. */
    assert_int_equal(first_grain[0], 1);
    /* ns/op is the (fake) wall time over n. */
    assert_true(spy_metric(spy_record(0), "ns/op") == (double)cost);
    return first_grain[1];
}

static void test_grain_follows_the_previous_run(void **state)
{
    (void)state;
    /* The n = 1 run took `cost` ns: a grain is 1e5 / cost iterations. */
    assert_int_equal(grain_after(50), 2000);
    assert_int_equal(grain_after(7), 10000); /* 14285: clamped to 1e4 */
    assert_int_equal(grain_after(10), 10000);
    assert_int_equal(grain_after(30000), 3);
    assert_int_equal(grain_after(1000000), 1); /* below 1: clamped */
}

static void nested_body(cbench_pb *pb, void *arg)
{
    cbench_b *b = arg;
    cbench_run_parallel(b, nested_body, b);
    assert_false(cbench_run(b, "sub", bench_par));
    while (cbench_pb_next(pb))
        ;
}

static void bench_nested(cbench_b *b)
{
    cbench_run_parallel(b, nested_body, b);
}

static void early_body(cbench_pb *pb, void *arg)
{
    (void)arg;
    cbench_pb_next(pb);
}

static void bench_early(cbench_b *b)
{
    cbench_run_parallel(b, early_body, NULL);
}

static void check_fails(const char *name, void (*fn)(cbench_b *), const char *why)
{
    reset();
    cb_options o;
    spy_options(&o, ".");
    o.benchtime_n = 100;
    const struct cbench_benchmark bm[] = {{name, fn}};
    assert_int_equal(cb_bench_run_all(bm, 1, &o), 1);
    assert_int_equal(spy_records(), 1);
    assert_int_equal(spy_record(0)->status, CB_FAIL);
    assert_non_null(strstr(spy_record(0)->message, why));
}

static void test_misuse_fails_the_benchmark(void **state)
{
    (void)state;
    check_fails("bench_nested", bench_nested, "from its own body");
    check_fails("bench_early", bench_early, "returned before");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share_exactly_n_iterations),
        cmocka_unit_test(test_one_proc_runs_on_the_calling_thread),
        cmocka_unit_test_teardown(test_grain_follows_the_previous_run, teardown),
        cmocka_unit_test(test_misuse_fails_the_benchmark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
