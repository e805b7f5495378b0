/*
 * Benchmark-level limits: the check of a result against its limits
 * (strict bounds, a missing unit, NaN, the message), and the public
 * functions through the runner: a breach fails the benchmark with its
 * metrics kept, declarations replace each other, mistakes fail the
 * benchmark and return -1 with errno, and a parent's limits do not reach
 * its sub-benchmarks. The runner's records are seen through bench_spy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "bench/limits.h"
#include "bench/run.h"
#include "bench_spy.h"
#include "cbench.h"

static void add_metric(cb_record *rec, const char *unit, double value)
{
    cb_metric *m = &rec->metrics[rec->nmetrics++];
    m->value = value;
    snprintf(m->unit, sizeof m->unit, "%s", unit);
}

static void add_limit(cb_record *rec, const char *unit, bool above, double limit)
{
    cb_limit *l = &rec->limits[rec->nlimits++];
    snprintf(l->unit, sizeof l->unit, "%s", unit);
    l->above = above;
    l->limit = limit;
    l->breached = true; /* the check must set it either way */
}

static void result(cb_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->kind = CB_KIND_BENCH;
    rec->status = CB_PASS;
    add_metric(rec, "ns/op", 1043.5);
    add_metric(rec, "MB/s", 250);
    add_metric(rec, "B/op", 64);
    add_metric(rec, "allocs/op", 1);
}

static void values_inside_their_limits_pass(void **state)
{
    (void)state;
    cb_record rec;
    result(&rec);
    add_limit(&rec, "allocs/op", false, 2);
    add_limit(&rec, "MB/s", true, 100);
    add_limit(&rec, "ns/op", false, 1043.6);
    char msg[256] = "junk";
    assert_int_equal(cb_bench_limits_check(&rec, msg, sizeof msg), 0);
    assert_int_equal(rec.status, CB_PASS);
    assert_string_equal(msg, "");
    for (int i = 0; i < rec.nlimits; i++)
        assert_false(rec.limits[i].breached);
}

static void limits_are_strict_and_every_breach_is_told(void **state)
{
    (void)state;
    cb_record rec;
    result(&rec);
    add_limit(&rec, "allocs/op", false, 1); /* 1 is not below 1 */
    add_limit(&rec, "B/op", false, 100);    /* holds */
    add_limit(&rec, "MB/s", true, 250);     /* 250 is not above 250 */
    add_limit(&rec, "ns/op", false, 1000);
    char msg[512];
    assert_int_equal(cb_bench_limits_check(&rec, msg, sizeof msg), 3);
    assert_int_equal(rec.status, CB_FAIL);
    assert_string_equal(msg, "limit breached: 1 allocs/op, want < 1\n"
                             "limit breached: 250 MB/s, want > 250\n"
                             "limit breached: 1043.5 ns/op, want < 1000");
    assert_true(rec.limits[0].breached);
    assert_false(rec.limits[1].breached);
    assert_true(rec.limits[2].breached);
    assert_true(rec.limits[3].breached);
}

static void a_missing_unit_or_nan_breaches(void **state)
{
    (void)state;
    cb_record rec;
    result(&rec);
    add_metric(&rec, "widgets/op", NAN);
    add_limit(&rec, "rows/s", true, 10);
    add_limit(&rec, "widgets/op", false, 5);
    char msg[512];
    assert_int_equal(cb_bench_limits_check(&rec, msg, sizeof msg), 2);
    assert_int_equal(rec.status, CB_FAIL);
    assert_non_null(strstr(msg, "limit breached: no rows/s in the result, want > 10\n"));
    assert_non_null(strstr(msg, "widgets/op, want < 5"));
}

static void the_message_is_cut_to_fit(void **state)
{
    (void)state;
    cb_record rec;
    result(&rec);
    add_limit(&rec, "allocs/op", false, 0);
    add_limit(&rec, "B/op", false, 0);
    char msg[20];
    memset(msg, 'x', sizeof msg);
    assert_int_equal(cb_bench_limits_check(&rec, msg, sizeof msg), 2);
    assert_int_equal(strlen(msg), sizeof msg - 1);
}

/* ---- through the runner ---------------------------------------------------- */

static int64_t widgets = 5;

static void bench_widgets_below_3(cbench_b *b)
{
    cbench_limit_below(b, "widgets/op", 3);
    while (cbench_loop(b))
        ;
    cbench_report_metric(b, (double)widgets, "widgets/op");
}

static void bench_widgets_below_10(cbench_b *b)
{
    cbench_limit_below(b, "widgets/op", 10);
    cbench_limit_above(b, "widgets/op", 1); /* a floor beside the ceiling */
    while (cbench_loop(b))
        ;
    cbench_report_metric(b, (double)widgets, "widgets/op");
}

static int run(void (*fn)(cbench_b *), const char *name)
{
    cb_options o;
    spy_options(&o, ".");
    o.benchtime_n = 3;
    spy_reset();
    struct cbench_benchmark bm = {name, fn};
    return cb_bench_run_all(&bm, 1, &o);
}

static void a_breach_fails_the_benchmark_and_keeps_its_metrics(void **state)
{
    (void)state;
    assert_int_equal(run(bench_widgets_below_3, "bench_widgets"), 1);
    assert_int_equal(spy_records(), 1);
    const cb_record *rec = spy_record(0);
    assert_int_equal(rec->status, CB_FAIL);
    assert_string_equal(rec->message, "limit breached: 5 widgets/op, want < 3");
    assert_true(spy_metric(rec, "widgets/op") == 5);
    assert_true(spy_metric(rec, "ns/op") >= 0);
    assert_int_equal(rec->n, 3);
    assert_int_equal(rec->nlimits, 1);
    assert_string_equal(rec->limits[0].unit, "widgets/op");
    assert_false(rec->limits[0].above);
    assert_true(rec->limits[0].limit == 3);
    assert_true(rec->limits[0].breached);
}

static void limits_that_hold_pass(void **state)
{
    (void)state;
    assert_int_equal(run(bench_widgets_below_10, "bench_widgets"), 0);
    const cb_record *rec = spy_record(0);
    assert_int_equal(rec->status, CB_PASS);
    assert_null(strstr(rec->message, "limit"));
    assert_int_equal(rec->nlimits, 2);
    assert_false(rec->limits[0].breached || rec->limits[1].breached);
}

static void bench_redeclares(cbench_b *b)
{
    cbench_limit_below(b, "widgets/op", 100);
    cbench_limit_below(b, "widgets/op", 4); /* replaces the 100 */
    while (cbench_loop(b))
        ;
    cbench_report_metric(b, (double)widgets, "widgets/op");
}

static void declaring_again_replaces_the_bound(void **state)
{
    (void)state;
    assert_int_equal(run(bench_redeclares, "bench_redeclares"), 1);
    const cb_record *rec = spy_record(0);
    assert_int_equal(rec->nlimits, 1);
    assert_true(rec->limits[0].limit == 4);
    assert_string_equal(rec->message, "limit breached: 5 widgets/op, want < 4");
}

static void bench_allocs_limit_only(cbench_b *b)
{
    cbench_limit_below(b, "allocs/op", 1000000);
    while (cbench_loop(b))
        ;
}

static void a_limit_on_allocs_reports_them(void **state)
{
    (void)state;
    assert_int_equal(run(bench_allocs_limit_only, "bench_allocs"), 0);
    const cb_record *rec = spy_record(0);
    assert_true(spy_metric(rec, "allocs/op") >= 0);
    assert_true(spy_metric(rec, "B/op") >= 0);
}

static int bad_rc[4], bad_errno[4];

static void bench_bad_limits(cbench_b *b)
{
    errno = 0;
    bad_rc[0] = cbench_limit_below(b, "two words", 1);
    bad_errno[0] = errno;
    bad_rc[1] = cbench_limit_above(b, "", 1);
    bad_errno[1] = errno;
    bad_rc[2] = cbench_limit_below(b, "x/op", NAN);
    bad_errno[2] = errno;
    for (int i = 0; i < CB_MAX_LIMITS; i++) {
        char unit[16];
        snprintf(unit, sizeof unit, "u%d/op", i);
        cbench_limit_below(b, unit, 1);
    }
    bad_rc[3] = cbench_limit_below(b, "one_too_many", 1);
    bad_errno[3] = errno;
    while (cbench_loop(b))
        ;
}

static void mistakes_fail_the_benchmark_and_return_errors(void **state)
{
    (void)state;
    assert_int_equal(cbench_limit_below(NULL, "allocs/op", 1), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(cbench_last_error(), "not a running benchmark"));

    assert_int_equal(run(bench_bad_limits, "bench_bad"), 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(bad_rc[i], -1);
        assert_int_equal(bad_errno[i], EINVAL);
    }
    assert_int_equal(bad_rc[3], -1);
    assert_int_equal(bad_errno[3], ENOSPC);
    const cb_record *rec = spy_record(0);
    assert_int_equal(rec->status, CB_FAIL);
    /* The first mistake is the message. */
    assert_string_equal(rec->message,
                        "cbench_limit_below: the unit \"two words\" is empty or holds white space");
}

static void bench_child_reports_5(cbench_b *b)
{
    while (cbench_loop(b))
        ;
    cbench_report_metric(b, (double)widgets, "widgets/op");
}

static void bench_parent_with_limit(cbench_b *b)
{
    cbench_limit_below(b, "widgets/op", 1);
    cbench_run(b, "child", bench_child_reports_5);
}

static void a_parents_limits_do_not_reach_its_children(void **state)
{
    (void)state;
    assert_int_equal(run(bench_parent_with_limit, "bench_parent"), 0);
    assert_int_equal(spy_records(), 1);
    const cb_record *rec = spy_record(0);
    assert_string_equal(rec->name, "BenchmarkParent/child");
    assert_int_equal(rec->status, CB_PASS);
    assert_int_equal(rec->nlimits, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_inside_their_limits_pass),
        cmocka_unit_test(limits_are_strict_and_every_breach_is_told),
        cmocka_unit_test(a_missing_unit_or_nan_breaches),
        cmocka_unit_test(the_message_is_cut_to_fit),
        cmocka_unit_test(a_breach_fails_the_benchmark_and_keeps_its_metrics),
        cmocka_unit_test(limits_that_hold_pass),
        cmocka_unit_test(declaring_again_replaces_the_bound),
        cmocka_unit_test(a_limit_on_allocs_reports_them),
        cmocka_unit_test(mistakes_fail_the_benchmark_and_return_errors),
        cmocka_unit_test(a_parents_limits_do_not_reach_its_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
