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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
