/*
 * Names: Go's -bench/-run matching by levels, the displayed names of
 * benchmark functions, and the unique, printable names of sub-benchmarks.
 * Expected results are Go's, worked out by hand from testing/match.go.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bench/names.h"
#include "bench/run.h"
#include "bench/match.h"

/* 1 full match, 2 partial match, 0 no match. */
static int match(const char *pattern, const char *name)
{
    char err[128];
    cb_match *m = cb_match_new(pattern, err, sizeof err);
    assert_non_null(m);
    bool partial = true;
    bool ok = cb_match_name(m, name, &partial);
    cb_match_free(m);
    if (!ok)
        assert_false(partial);
    return ok ? (partial ? 2 : 1) : 0;
}

static void test_one_level_matches_unanchored(void **state)
{
    (void)state;
    assert_int_equal(match("Hash", "BenchmarkHash"), 1);
    assert_int_equal(match("Hash", "BenchmarkHashInsert"), 1);
    assert_int_equal(match("Hash", "BenchmarkSort"), 0);
    assert_int_equal(match("^BenchmarkHash$", "BenchmarkHashInsert"), 0);
    assert_int_equal(match(".", "BenchmarkSort"), 1);
    /* Levels beyond the pattern's are accepted. */
    assert_int_equal(match("Hash", "BenchmarkHash/small/x"), 1);
    assert_int_equal(match("", "BenchmarkAnything/at/all"), 1);
}

static void test_each_level_matches_its_element(void **state)
{
    (void)state;
    assert_int_equal(match("Hash/small", "BenchmarkHash/small"), 1);
    assert_int_equal(match("Hash/small", "BenchmarkHash/smaller/deep"), 1);
    assert_int_equal(match("Hash/small", "BenchmarkHash/big"), 0);
    /* The parent's children are not known yet: a partial match. */
    assert_int_equal(match("Hash/small", "BenchmarkHash"), 2);
    assert_int_equal(match("Hash/small", "BenchmarkSort"), 0);
    /* An element is matched against its level only, not the whole name. */
    assert_int_equal(match("Hash/Hash", "BenchmarkHash/small"), 0);
    /* Empty elements match any level. */
    assert_int_equal(match("Hash//x", "BenchmarkHash/any"), 2);
    assert_int_equal(match("Hash//x", "BenchmarkHash/any/x1"), 1);
    assert_int_equal(match("/small", "BenchmarkOther/small"), 1);
}

static void test_slashes_inside_brackets_and_parens_do_not_split(void **state)
{
    (void)state;
    /* One element: a level never holds '/', so these cannot match a
     * two-level name, as in Go. */
    assert_int_equal(match("a[/]b", "a/b"), 0);
    assert_int_equal(match("(a/b)", "a/b"), 0);
    /* ...but a '/' after the bracket or paren closes does split. */
    assert_int_equal(match("[a]/b", "a/b"), 1);
    assert_int_equal(match("(a)/b", "a/b"), 1);
    assert_int_equal(match("(a)/b", "a/c"), 0);
    /* An unmatched ']' is literal and does not hide the next '/'. */
    assert_int_equal(match("a]/b", "a]/b"), 1);
}

static void test_top_level_alternation_splits_alternatives(void **state)
{
    (void)state;
    /* "A|B/c" is A, or B then c (Go's alternationMatch). */
    assert_int_equal(match("Alpha|Beta/c", "BenchmarkAlpha/zzz"), 1);
    assert_int_equal(match("Alpha|Beta/c", "BenchmarkBeta/c"), 1);
    assert_int_equal(match("Alpha|Beta/c", "BenchmarkBeta/d"), 0);
    assert_int_equal(match("Alpha|Beta/c", "BenchmarkBeta"), 2);
    /* Inside parentheses '|' is the regex's own alternation. */
    assert_int_equal(match("(Alpha|Beta)/c", "BenchmarkAlpha/c"), 1);
    assert_int_equal(match("(Alpha|Beta)/c", "BenchmarkAlpha/d"), 0);
}

static void test_bad_pattern_is_reported(void **state)
{
    (void)state;
    char err[128] = "";
    assert_null(cb_match_new("Hash/(", err, sizeof err));
    assert_non_null(strstr(err, "("));
    err[0] = '\0';
    assert_null(cb_match_new("x[", err, sizeof err));
    assert_true(err[0] != '\0');
}

static void check_display(const char *function, const char *want)
{
    char buf[64];
    assert_ptr_equal(cb_bench_names_display(function, buf, sizeof buf), buf);
    assert_string_equal(buf, want);
}

static void test_display_names_follow_go(void **state)
{
    (void)state;
    check_display("bench_hash_insert", "BenchmarkHash_insert");
    check_display("benchmark_sort", "BenchmarkSort");
    check_display("BENCH_sort", "BenchmarkSort");
    check_display("Benchmark_Sort", "Benchmark_Sort");
    check_display("BenchmarkSort", "BenchmarkSort");
    check_display("Benchmark", "Benchmark");
    check_display("Benchmarksort", "BenchmarkBenchmarksort");
    check_display("sort_ints", "BenchmarkSort_ints");
    check_display("bench_", "Benchmark");
    /* Cut to the buffer. */
    char small[8];
    cb_bench_names_display("bench_hash", small, sizeof small);
    assert_string_equal(small, "Benchma");
}

static void check_sub(cb_bench_names *n, const char *parent, const char *sub, const char *want)
{
    char *got = cb_bench_names_sub(n, parent, sub);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_sub_names_are_rewritten_as_go_does(void **state)
{
    (void)state;
    cb_bench_names n;
    cb_bench_names_init(&n);
    check_sub(&n, "BenchmarkX", "a b\tc", "BenchmarkX/a_b_c");
    check_sub(&n, "BenchmarkX", "bell\a", "BenchmarkX/bell\\a");
    check_sub(&n, "BenchmarkX", "ctl\x01", "BenchmarkX/ctl\\x01");
    check_sub(&n, "BenchmarkX", "del\x7f", "BenchmarkX/del\\x7f");
    check_sub(&n, "BenchmarkX", "caf\xc3\xa9", "BenchmarkX/caf\xc3\xa9");
    check_sub(&n, "BenchmarkX", "nel\xc2\x85x", "BenchmarkX/nel_x");      /* U+0085 */
    check_sub(&n, "BenchmarkX", "c1\xc2\x80", "BenchmarkX/c1\\u0080");    /* U+0080 */
    check_sub(&n, "BenchmarkX", "ideo\xe3\x80\x80", "BenchmarkX/ideo_");  /* U+3000 */
    check_sub(&n, "BenchmarkX", "bad\xff", "BenchmarkX/bad\xef\xbf\xbd"); /* U+FFFD */
    check_sub(&n, "BenchmarkX", "over\xc0\xaf", "BenchmarkX/over\xef\xbf\xbd\xef\xbf\xbd");
    cb_bench_names_free(&n);
}

static void test_repeated_sub_names_get_counts(void **state)
{
    (void)state;
    cb_bench_names n;
    cb_bench_names_init(&n);
    check_sub(&n, "BenchmarkX", "x", "BenchmarkX/x");
    check_sub(&n, "BenchmarkX", "x", "BenchmarkX/x#01");
    check_sub(&n, "BenchmarkX", "x", "BenchmarkX/x#02");
    /* The name Go gave the second one, asked for explicitly. */
    check_sub(&n, "BenchmarkX", "x#01", "BenchmarkX/x#01#01");
    /* An empty name always carries a count. */
    check_sub(&n, "BenchmarkX", "", "BenchmarkX/#00");
    check_sub(&n, "BenchmarkX", "", "BenchmarkX/#01");
    /* Another parent has its own names. */
    check_sub(&n, "BenchmarkY", "x", "BenchmarkY/x");
    /* Rewriting comes first: "a b" and "a_b" are the same name. */
    check_sub(&n, "BenchmarkY", "a b", "BenchmarkY/a_b");
    check_sub(&n, "BenchmarkY", "a_b", "BenchmarkY/a_b#01");
    cb_bench_names_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_level_matches_unanchored),
        cmocka_unit_test(test_each_level_matches_its_element),
        cmocka_unit_test(test_slashes_inside_brackets_and_parens_do_not_split),
        cmocka_unit_test(test_top_level_alternation_splits_alternatives),
        cmocka_unit_test(test_bad_pattern_is_reported),
        cmocka_unit_test(test_display_names_follow_go),
        cmocka_unit_test(test_sub_names_are_rewritten_as_go_does),
        cmocka_unit_test(test_repeated_sub_names_get_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
