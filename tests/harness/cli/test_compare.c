/*
 * `cbench compare`: the Mann-Whitney U test against values worked out by
 * hand, medians and spread, reading Go benchmark lines and results.json,
 * and the printed table.
 *
 * Hand computations. For m = n = 3 the 20 orderings give U = 0..9 with
 * counts 1 1 2 3 3 3 3 2 1 1 (coefficients of [6 choose 3]_q).
 *  - x = {1,2,3}, y = {4,5,6}: U = 0, P(U <= 0) = 1/20, p = 2/20 = 0.1.
 *  - x = {1,3,5}, y = {2,4,6}: U = 0+1+2 = 3, P(U <= 3) = 7/20,
 *    P(U >= 3) = 16/20, p = 2 * 7/20 = 0.7.
 *  - m = n = 5, fully separated: P(U = 0) = 1/C(10,5) = 1/252, p = 2/252.
 *  - x = {1,2,2}, y = {2,3,4} (ties: normal approximation). U of x:
 *    1 beats nothing (0); each 2 ties one 2 (0.5 each) -> U = 1. N = 6,
 *    one group of 3 tied values: sum(t^3 - t) = 24. var = 9/12 * (7 -
 *    24/30) = 0.75 * 6.2 = 4.65. z = (|1 - 4.5| - 0.5) / sqrt(4.65) =
 *    3 / 2.156386 = 1.391217; p = erfc(z / sqrt 2) = 0.164160.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "compare.h"
#include "formats/results.h"
#include "formats/results_json.h"
#include "stats.h"

static void assert_close(double got, double want, double tol)
{
    if (fabs(got - want) > tol)
        fail_msg("got %.9g, want %.9g", got, want);
}

static void test_u_distribution_for_three_and_three(void **state)
{
    (void)state;
    double c[10];
    static const double want[10] = {1, 1, 2, 3, 3, 3, 3, 2, 1, 1};
    cb_stats_u_counts(3, 3, c);
    for (int i = 0; i < 10; i++)
        assert_close(c[i], want[i], 0);
    /* Uneven sizes: m = 1, n = 3 puts the one x at any of 4 places. */
    double d[4];
    cb_stats_u_counts(1, 3, d);
    for (int i = 0; i < 4; i++)
        assert_close(d[i], 1, 0);
    /* The counts always add up to C(m+n, m): C(30, 12) = 86493225. */
    double big[12 * 18 + 1], total = 0;
    cb_stats_u_counts(12, 18, big);
    for (int i = 0; i <= 12 * 18; i++)
        total += big[i];
    assert_close(total, 86493225, 0);
}

static void test_exact_p_values_match_hand_computation(void **state)
{
    (void)state;
    double a[] = {1, 2, 3}, b[] = {4, 5, 6};
    assert_close(cb_stats_u(a, 3, b, 3), 0, 0);
    assert_close(cb_stats_mann_whitney(a, 3, b, 3), 0.1, 1e-12);
    assert_close(cb_stats_mann_whitney(b, 3, a, 3), 0.1, 1e-12);
    double x[] = {1, 3, 5}, y[] = {2, 4, 6};
    assert_close(cb_stats_u(x, 3, y, 3), 3, 0);
    assert_close(cb_stats_mann_whitney(x, 3, y, 3), 0.7, 1e-12);
    double lo[] = {10, 11, 12, 13, 14}, hi[] = {20, 21, 22, 23, 24};
    assert_close(cb_stats_mann_whitney(lo, 5, hi, 5), 2.0 / 252, 1e-12);
    /* Identical-looking interleaving: U = m*n/2 gives p = 1. */
    double p[] = {1, 4}, q[] = {2, 3};
    assert_close(cb_stats_mann_whitney(p, 2, q, 2), 1, 1e-12);
}

static void test_ties_use_the_corrected_normal_approximation(void **state)
{
    (void)state;
    double x[] = {1, 2, 2}, y[] = {2, 3, 4};
    assert_close(cb_stats_u(x, 3, y, 3), 1, 0);
    assert_close(cb_stats_mann_whitney(x, 3, y, 3), 0.164160, 1e-6);
    /* All equal: no evidence of any difference. */
    double e[] = {5, 5, 5}, f[] = {5, 5};
    assert_close(cb_stats_mann_whitney(e, 3, f, 2), 1, 0);
    /* Empty side. */
    assert_close(cb_stats_mann_whitney(e, 3, f, 0), 1, 0);
}

static void test_median_spread_and_geomean(void **state)
{
    (void)state;
    double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2};
    assert_close(cb_stats_median(odd, 3), 3, 0);
    assert_close(cb_stats_median(even, 4), 2.5, 0);
    double v[] = {90, 100, 104};
    assert_close(cb_stats_spread(v, 3, 100), 0.10, 1e-12);
    double g[] = {2, 8};
    assert_close(cb_stats_geomean(g, 2), 4, 1e-12);
    double bad[] = {2, 0};
    assert_close(cb_stats_geomean(bad, 2), 0, 0);
}

static const char old_txt[] = "goos: linux\n"
                              "pkg: x\n"
                              "BenchmarkInsert-2   \t 1000\t 100 ns/op\t 64 B/op\n"
                              "BenchmarkInsert-2   \t 1000\t 101 ns/op\t 64 B/op\n"
                              "BenchmarkInsert-2   \t 1000\t 102 ns/op\t 64 B/op\n"
                              "BenchmarkInsert-2   \t 1000\t 103 ns/op\t 64 B/op\n"
                              "BenchmarkInsert-2   \t 1000\t 104 ns/op\t 64 B/op\n"
                              "BenchmarkLookup     \t 5000\t 50 ns/op\n"
                              "BenchmarkLookup     \t 5000\t 52 ns/op\n"
                              "BenchmarkLookup     \t 5000\t 51 ns/op\n"
                              "Benchmarklowercase  \t 1\t 1 ns/op\n"
                              "BenchmarkBroken     \t x\t 1 ns/op\n"
                              "PASS\n";

static void test_bench_txt_lines_are_read_as_go_defines_them(void **state)
{
    (void)state;
    cb_samples s = {0};
    assert_int_equal(cb_compare_read_bench_txt(old_txt, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.v[0].name, "BenchmarkInsert-2");
    assert_string_equal(s.v[0].unit, "ns/op");
    assert_int_equal(s.v[0].n, 5);
    assert_string_equal(s.v[1].unit, "B/op");
    assert_string_equal(s.v[2].name, "BenchmarkLookup");
    assert_int_equal(s.v[2].n, 3);
    cb_compare_free(&s);
}

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/cbench-compare-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_results_json_records_are_read(void **state)
{
    (void)state;
    /* A results.json as the writer makes it: tests and failed benchmarks
     * are left out; procs > 1 names the benchmark as bench.txt does. */
    cb_results r;
    assert_int_equal(cb_results_init(&r), 0);
    cb_record t = {.kind = CB_KIND_TEST, .binary = "b", .name = "test_x", .status = CB_PASS};
    cb_record ok = {.kind = CB_KIND_BENCH,
                    .binary = "b",
                    .name = "BenchmarkInsert",
                    .procs = 2,
                    .status = CB_PASS,
                    .n = 1000,
                    .nmetrics = 2,
                    .metrics = {{90, "ns/op"}, {64, "B/op"}}};
    cb_record bad = {.kind = CB_KIND_BENCH,
                     .binary = "b",
                     .name = "BenchmarkInsert",
                     .procs = 2,
                     .status = CB_FAIL,
                     .nmetrics = 1,
                     .metrics = {{1, "ns/op"}}};
    cb_record one = {.kind = CB_KIND_BENCH,
                     .binary = "b",
                     .name = "BenchmarkLookup",
                     .procs = 1,
                     .status = CB_PASS,
                     .n = 5,
                     .nmetrics = 1,
                     .metrics = {{7.5, "ns/op"}}};
    assert_int_equal(cb_results_add(&r, &t), 0);
    assert_int_equal(cb_results_add(&r, &ok), 0);
    assert_int_equal(cb_results_add(&r, &bad), 0);
    assert_int_equal(cb_results_add(&r, &one), 0);
    char path[] = "/tmp/cbench-compare-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cb_results_json_write(&r, path), 0);
    cb_results_free(&r);

    cb_samples s;
    char err[256];
    assert_int_equal(cb_compare_read(path, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.v[0].name, "BenchmarkInsert-2");
    assert_string_equal(s.v[0].unit, "ns/op");
    assert_int_equal(s.v[0].n, 1);
    assert_close(s.v[0].v[0], 90, 0);
    assert_string_equal(s.v[1].unit, "B/op");
    assert_string_equal(s.v[2].name, "BenchmarkLookup");
    assert_close(s.v[2].v[0], 7.5, 0);
    cb_compare_free(&s);
    unlink(path);
}

static void test_unreadable_or_empty_inputs_are_errors(void **state)
{
    (void)state;
    cb_samples s;
    char err[256];
    assert_int_equal(cb_compare_read("/nonexistent/bench.txt", &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/bench.txt"));
    char *path = write_temp("goos: linux\nPASS\n");
    assert_int_equal(cb_compare_read(path, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "no benchmark results"));
    unlink(path);
    free(path);
    path = write_temp("{\"records\": [");
    assert_int_equal(cb_compare_read(path, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "malformed JSON"));
    unlink(path);
    free(path);
}

static void test_table_shows_change_only_when_significant(void **state)
{
    (void)state;
    const char new_txt[] = "BenchmarkInsert-2 1000 90 ns/op 64 B/op\n"
                           "BenchmarkInsert-2 1000 91 ns/op 64 B/op\n"
                           "BenchmarkInsert-2 1000 92 ns/op 64 B/op\n"
                           "BenchmarkInsert-2 1000 93 ns/op 64 B/op\n"
                           "BenchmarkInsert-2 1000 94 ns/op 64 B/op\n"
                           "BenchmarkLookup 5000 51 ns/op\n"
                           "BenchmarkLookup 5000 50 ns/op\n"
                           "BenchmarkLookup 5000 53 ns/op\n"
                           "BenchmarkNew 5000 7 ns/op\n";
    cb_samples o = {0}, n = {0};
    assert_int_equal(cb_compare_read_bench_txt(old_txt, &o), 0);
    assert_int_equal(cb_compare_read_bench_txt(new_txt, &n), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cb_compare_print(f, &o, &n);
    fclose(f);
    /* Insert: medians 102 -> 92, separated samples of 5: p = 2/252. */
    assert_non_null(strstr(text, "Insert-2"));
    assert_non_null(strstr(text, "102 \xc2\xb1 2%"));
    assert_non_null(strstr(text, "92 \xc2\xb1 2%"));
    assert_non_null(strstr(text, "-9.80% (p=0.008 n=5+5)"));
    /* Lookup: interleaved samples, no significant change. */
    assert_non_null(strstr(text, "~ (p="));
    /* Geomean over the two benchmarks present on both sides. */
    assert_non_null(strstr(text, "[Geo mean]"));
    /* A benchmark only in the new file is shown without a delta. */
    assert_non_null(strstr(text, "New"));
    /* B/op gets its own table. */
    assert_non_null(strstr(text, "old B/op"));
    free(text);
    cb_compare_free(&o);
    cb_compare_free(&n);
}

/* Builds a comparison of two bench.txt texts with a gate at pct. */
static void compare_texts(const char *a, const char *b, double pct, cb_cmp_options *o,
                          cb_samples *so, cb_samples *sn, cb_comparison *c)
{
    memset(so, 0, sizeof *so);
    memset(sn, 0, sizeof *sn);
    assert_int_equal(cb_compare_read_bench_txt(a, so), 0);
    assert_int_equal(cb_compare_read_bench_txt(b, sn), 0);
    o->fail_above = pct;
    assert_int_equal(cb_compare_build(c, so, sn, o), 0);
}

static const cb_cmp_row *row(const cb_comparison *c, const char *name, const char *unit)
{
    for (size_t i = 0; i < c->nrows; i++)
        if (strcmp(c->rows[i].name, name) == 0 && strcmp(c->rows[i].unit, unit) == 0)
            return &c->rows[i];
    fail_msg("no row %s %s", name, unit);
    return NULL;
}

static void test_exact_units_count_any_change_when_all_runs_agree(void **state)
{
    (void)state;
    cb_cmp_options o;
    cb_compare_options_init(&o);
    cb_samples so, sn;
    cb_comparison c;
    /* One run a side: no statistics could say anything, counting can. */
    compare_texts("BenchmarkA 10 5 ns/op 64 B/op 1 allocs/op\n"
                  "BenchmarkZ 10 5 ns/op 0 allocs/op\n",
                  "BenchmarkA 10 5 ns/op 64 B/op 2 allocs/op\n"
                  "BenchmarkZ 10 5 ns/op 1 allocs/op\n",
                  50, &o, &so, &sn, &c);
    const cb_cmp_row *r = row(&c, "BenchmarkA", "allocs/op");
    assert_true(r->exact);
    assert_true(isnan(r->p));
    assert_int_equal(r->change, CB_CMP_WORSE);
    assert_true(r->regression);
    assert_close(r->delta, 1.0, 0);
    r = row(&c, "BenchmarkA", "B/op");
    assert_true(r->exact);
    assert_int_equal(r->change, CB_CMP_SAME);
    assert_false(r->regression);
    /* From nothing to one allocation is an infinite growth: past any gate. */
    r = row(&c, "BenchmarkZ", "allocs/op");
    assert_true(isinf(r->delta) && r->delta > 0);
    assert_true(r->regression);
    /* ns/op with one run a side is measured, not counted: never real. */
    r = row(&c, "BenchmarkA", "ns/op");
    assert_false(r->exact);
    assert_int_equal(r->change, CB_CMP_SAME);
    assert_int_equal(c.nregressions, 2);
    assert_true(cb_compare_failed(&c, &o));
    char cell[96];
    cb_compare_delta_cell(row(&c, "BenchmarkA", "allocs/op"), cell, sizeof cell);
    assert_string_equal(cell, "+100.00% (exact n=1+1)");
    cb_comparison_free(&c);
    cb_compare_free(&so);
    cb_compare_free(&sn);

    /* Runs that disagree (B/op rounded differently) go to the U test. */
    compare_texts("BenchmarkB 1 64 B/op\nBenchmarkB 1 65 B/op\nBenchmarkB 1 64 B/op\n",
                  "BenchmarkB 1 96 B/op\nBenchmarkB 1 96 B/op\nBenchmarkB 1 96 B/op\n", 10, &o,
                  &so, &sn, &c);
    r = row(&c, "BenchmarkB", "B/op");
    assert_false(r->exact);
    assert_false(isnan(r->p));
    assert_int_equal(r->change, CB_CMP_SAME); /* 3+3 runs cannot reach p <= 0.05 */
    assert_int_equal(c.nwarnings, 1);
    assert_non_null(strstr(c.warnings[0], "with 3 and 3 runs"));
    cb_comparison_free(&c);
    cb_compare_free(&so);
    cb_compare_free(&sn);
}

static const char slow_old[] = "BenchmarkS 1 100 ns/op 50 MB/s 7 score\n"
                               "BenchmarkS 1 101 ns/op 51 MB/s 8 score\n"
                               "BenchmarkS 1 102 ns/op 52 MB/s 9 score\n"
                               "BenchmarkS 1 103 ns/op 53 MB/s 10 score\n"
                               "BenchmarkS 1 104 ns/op 54 MB/s 11 score\n";
static const char slow_new[] = "BenchmarkS 1 130 ns/op 40 MB/s 20 score\n"
                               "BenchmarkS 1 131 ns/op 41 MB/s 21 score\n"
                               "BenchmarkS 1 132 ns/op 42 MB/s 22 score\n"
                               "BenchmarkS 1 133 ns/op 43 MB/s 23 score\n"
                               "BenchmarkS 1 134 ns/op 44 MB/s 24 score\n";

static void test_direction_comes_from_the_unit_and_can_be_given(void **state)
{
    (void)state;
    cb_cmp_options o;
    cb_compare_options_init(&o);
    cb_samples so, sn;
    cb_comparison c;
    compare_texts(slow_old, slow_new, 25, &o, &so, &sn, &c);
    /* ns/op +29.4%: worse beyond 25%. MB/s -19.2%: worse, within 25%.
     * score: no direction, changed, never a regression. */
    assert_true(row(&c, "BenchmarkS", "ns/op")->regression);
    assert_int_equal(row(&c, "BenchmarkS", "MB/s")->change, CB_CMP_WORSE);
    assert_false(row(&c, "BenchmarkS", "MB/s")->regression);
    assert_int_equal(row(&c, "BenchmarkS", "score")->change, CB_CMP_CHANGED);
    assert_int_equal(c.nregressions, 1);
    cb_comparison_free(&c);
    /* Told that a lower score is better, the doubled score is a regression;
     * told that a higher is, it is a gain. */
    const char *lower[] = {"score"};
    o.lower = lower;
    o.nlower = 1;
    assert_int_equal(cb_compare_build(&c, &so, &sn, &o), 0);
    assert_true(row(&c, "BenchmarkS", "score")->regression);
    cb_comparison_free(&c);
    o.nlower = 0;
    o.higher = lower;
    o.nhigher = 1;
    assert_int_equal(cb_compare_build(&c, &so, &sn, &o), 0);
    assert_int_equal(row(&c, "BenchmarkS", "score")->change, CB_CMP_BETTER);
    cb_comparison_free(&c);
    /* Without a gate nothing fails. */
    o.fail_above = -1;
    assert_int_equal(cb_compare_build(&c, &so, &sn, &o), 0);
    assert_int_equal(c.nregressions, 0);
    assert_false(cb_compare_failed(&c, &o));
    cb_comparison_free(&c);
    cb_compare_free(&so);
    cb_compare_free(&sn);
}

static void test_benchmarks_on_one_side_fail_only_when_asked(void **state)
{
    (void)state;
    cb_cmp_options o;
    cb_compare_options_init(&o);
    cb_samples so, sn;
    cb_comparison c;
    compare_texts("BenchmarkKept 1 5 ns/op\nBenchmarkGone 1 5 ns/op\n",
                  "BenchmarkKept 1 5 ns/op\nBenchmarkNew 1 5 ns/op 1 allocs/op\n", 5, &o, &so,
                  &sn, &c);
    assert_int_equal(c.nonly_old, 1);
    assert_string_equal(c.only_old[0], "BenchmarkGone");
    assert_int_equal(c.nonly_new, 1);
    assert_string_equal(c.only_new[0], "BenchmarkNew");
    assert_false(cb_compare_failed(&c, &o));
    o.fail_missing = true;
    assert_true(cb_compare_failed(&c, &o));
    cb_comparison_free(&c);
    cb_compare_free(&so);
    cb_compare_free(&sn);
}

static char *formatted(const char *a, const char *b, double pct, cb_cmp_format f)
{
    cb_cmp_options o;
    cb_compare_options_init(&o);
    cb_samples so, sn;
    cb_comparison c;
    compare_texts(a, b, pct, &o, &so, &sn, &c);
    cb_buf out = {0};
    cb_compare_format(&out, &c, &o, f);
    assert_false(out.failed);
    cb_comparison_free(&c);
    cb_compare_free(&so);
    cb_compare_free(&sn);
    return cb_buf_take(&out);
}

static void test_markdown_csv_and_json_carry_the_verdicts(void **state)
{
    (void)state;
    char both_old[2048], both_new[2048];
    snprintf(both_old, sizeof both_old, "%sBenchmarkFine 1 10 ns/op\nBenchmarkFine 1 10 ns/op\n",
             slow_old);
    snprintf(both_new, sizeof both_new, "%sBenchmarkFine 1 10 ns/op\nBenchmarkFine 1 10 ns/op\n",
             slow_new);
    char *md = formatted(both_old, both_new, 25, CB_CMP_MARKDOWN);
    assert_non_null(strstr(md, "**cbench compare: FAIL** \xe2\x80\x94 1 regression beyond 25%"));
    assert_non_null(strstr(md, "| benchmark | unit | old | new | delta | |"));
    /* The regression is the table's first row, then the other losses. */
    char *first = strstr(md, "|:--|:--|--:|--:|--:|:--|\n") + 26;
    assert_true(strncmp(first, "| S | ns/op |", 13) == 0);
    assert_non_null(strstr(first, "**regression**"));
    assert_true(strstr(md, "| S | MB/s |") < strstr(md, "| Fine | ns/op |"));
    free(md);

    char *csv = formatted(slow_old, slow_new, 25, CB_CMP_CSV);
    assert_true(strncmp(csv, "benchmark,unit,old_median,", 26) == 0);
    assert_non_null(strstr(csv, "\nBenchmarkS,ns/op,102,"));
    assert_non_null(strstr(csv, ",false,worse,true\n"));
    free(csv);

    char *js = formatted(slow_old, slow_new, 25, CB_CMP_JSON);
    json_error_t e;
    json_t *root = json_loads(js, 0, &e);
    assert_non_null(root);
    assert_true(json_is_true(json_object_get(root, "failed")));
    assert_int_equal(json_integer_value(json_object_get(root, "regressions")), 1);
    json_t *r0 = json_array_get(json_object_get(root, "rows"), 0);
    assert_string_equal(json_string_value(json_object_get(r0, "unit")), "ns/op");
    assert_string_equal(json_string_value(json_object_get(r0, "better")), "lower");
    assert_true(json_is_true(json_object_get(r0, "regression")));
    assert_int_equal(json_array_size(json_object_get(json_object_get(r0, "old"), "values")), 5);
    json_decref(root);
    free(js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u_distribution_for_three_and_three),
        cmocka_unit_test(test_exact_p_values_match_hand_computation),
        cmocka_unit_test(test_ties_use_the_corrected_normal_approximation),
        cmocka_unit_test(test_median_spread_and_geomean),
        cmocka_unit_test(test_bench_txt_lines_are_read_as_go_defines_them),
        cmocka_unit_test(test_results_json_records_are_read),
        cmocka_unit_test(test_unreadable_or_empty_inputs_are_errors),
        cmocka_unit_test(test_table_shows_change_only_when_significant),
        cmocka_unit_test(test_exact_units_count_any_change_when_all_runs_agree),
        cmocka_unit_test(test_direction_comes_from_the_unit_and_can_be_given),
        cmocka_unit_test(test_benchmarks_on_one_side_fail_only_when_asked),
        cmocka_unit_test(test_markdown_csv_and_json_carry_the_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
