/*
 * The shared flag parser: defaults, every flag's conversion and its
 * checks (regexes element by element, as Go cuts --run and --bench
 * patterns), operands, CBENCH_FLAGS splitting, and durations both ways.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duration.h"
#include "options.h"

/* Parses a NULL-terminated list of arguments as the command would. */
static int parse(cb_options *o, int *nops, char *err, size_t errlen, char **args)
{
    int argc = 0;
    while (args[argc])
        argc++;
    cb_options_init(o);
    return cb_options_parse(o, argc, args, 0, nops, err, errlen);
}

#define PARSE(o, nops, err, ...)                                                                   \
    parse((o), (nops), (err), sizeof(err), (char *[]){__VA_ARGS__, NULL})

static void test_defaults_match_the_documented_values(void **state)
{
    (void)state;
    cb_options o;
    cb_options_init(&o);
    assert_null(o.run);
    assert_null(o.bench);
    assert_true(o.benchtime_s == 1.0);
    assert_int_equal(o.benchtime_n, 0);
    assert_int_equal(o.count, 1);
    assert_int_equal(o.ncpus, 1);
    assert_int_equal(o.cpus[0], (int)sysconf(_SC_NPROCESSORS_ONLN));
    assert_int_equal(o.memprofilerate, -1);
    assert_string_equal(o.outdir, "cbench-out");
    assert_null(o.junit);
    assert_true(o.timeout_s == 600.0);
    assert_false(o.benchmem || o.cpuprofile || o.memprofile || o.json || o.list || o.verbose || o.help);
    /* go test's defaults: -mutexprofilefraction 1, -blockprofilerate 1. */
    assert_false(o.mutexprofile || o.blockprofile);
    assert_int_equal(o.mutexprofilefraction, 1);
    assert_int_equal(o.blockprofilerate, 1);
}

static void test_every_flag_is_stored(void **state)
{
    (void)state;
    cb_options o;
    char err[256] = "";
    int nops = -1;
    int rc =
        PARSE(&o, &nops, err, "--run", "Insert", "--bench=.", "--benchtime", "1.5s", "--count", "3",
              "--cpu=1,2,4", "--benchmem", "--cpuprofile", "--memprofile", "--memprofilerate",
              "4096", "--mutexprofile", "--mutexprofilefraction", "5", "--blockprofile",
              "--blockprofilerate=1000", "--outdir", "out", "--json",
              "--junit=j.xml", "--timeout", "90s", "--list", "-v");
    assert_int_equal(rc, 0);
    assert_int_equal(nops, 0);
    assert_string_equal(o.run, "Insert");
    assert_string_equal(o.bench, ".");
    assert_true(o.benchtime_s == 1.5);
    assert_int_equal(o.count, 3);
    assert_int_equal(o.ncpus, 3);
    assert_int_equal(o.cpus[0], 1);
    assert_int_equal(o.cpus[1], 2);
    assert_int_equal(o.cpus[2], 4);
    assert_true(o.benchmem && o.cpuprofile && o.memprofile && o.json && o.list && o.verbose);
    assert_int_equal(o.memprofilerate, 4096);
    assert_true(o.mutexprofile && o.blockprofile);
    assert_int_equal(o.mutexprofilefraction, 5);
    assert_int_equal(o.blockprofilerate, 1000);
    assert_string_equal(o.outdir, "out");
    assert_string_equal(o.junit, "j.xml");
    assert_true(o.timeout_s == 90.0);
    assert_false(o.help);
}

static void test_single_dash_long_flags_and_bool_values(void **state)
{
    (void)state;
    cb_options o;
    char err[256];
    assert_int_equal(PARSE(&o, NULL, err, "-bench", "X", "-benchmem=false", "--list=1", "-h"), 0);
    assert_string_equal(o.bench, "X");
    assert_false(o.benchmem);
    assert_true(o.list);
    assert_true(o.help);
    assert_int_equal(PARSE(&o, NULL, err, "--benchmem=maybe"), -1);
    assert_non_null(strstr(err, "--benchmem"));
}

static void test_operands_move_to_the_front_in_order(void **state)
{
    (void)state;
    cb_options o;
    char err[256];
    int nops = 0;
    char *args[] = {"a", "--count", "2", "b", "-v", "--", "-c", NULL};
    cb_options_init(&o);
    assert_int_equal(cb_options_parse(&o, 7, args, 0, &nops, err, sizeof err), 0);
    assert_int_equal(nops, 3);
    assert_string_equal(args[0], "a");
    assert_string_equal(args[1], "b");
    assert_string_equal(args[2], "-c");
    assert_int_equal(o.count, 2);
    assert_true(o.verbose);
}

static void test_operands_are_an_error_without_a_place_for_them(void **state)
{
    (void)state;
    cb_options o;
    char err[256];
    assert_int_equal(PARSE(&o, NULL, err, "--count", "2", "stray"), -1);
    assert_non_null(strstr(err, "stray"));
}

static void test_first_skips_the_program_name(void **state)
{
    (void)state;
    cb_options o;
    char err[256];
    int nops;
    char *args[] = {"prog", "--count=4", NULL};
    cb_options_init(&o);
    assert_int_equal(cb_options_parse(&o, 2, args, 1, &nops, err, sizeof err), 0);
    assert_int_equal(nops, 0);
    assert_int_equal(o.count, 4);
}

static void test_unknown_flag_and_missing_value_are_errors(void **state)
{
    (void)state;
    cb_options o;
    char err[256];
    assert_int_equal(PARSE(&o, NULL, err, "--bogus"), -1);
    assert_non_null(strstr(err, "unknown flag: --bogus"));
    assert_int_equal(PARSE(&o, NULL, err, "--nope=3"), -1);
    assert_non_null(strstr(err, "--nope"));
    assert_int_equal(PARSE(&o, NULL, err, "--count"), -1);
    assert_non_null(strstr(err, "--count: missing value"));
    assert_int_equal(PARSE(&o, NULL, err, "--outdir="), -1);
    assert_non_null(strstr(err, "--outdir"));
}

static void test_benchtime_takes_durations_and_counts(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double s;
        long n;
    } ok[] = {{"1s", 1, 0},     {"1.5s", 1.5, 0}, {"500ms", 0.5, 0}, {"2m", 120, 0},
              {"500x", 1, 500}, {"1x", 1, 1},     {"1m30s", 90, 0},  {"250us", 250e-6, 0}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cb_options o;
        char err[256];
        assert_int_equal(PARSE(&o, NULL, err, "--benchtime", (char *)ok[i].text), 0);
        assert_true(o.benchtime_n == ok[i].n);
        assert_true(ok[i].n ||
                    (o.benchtime_s > ok[i].s * 0.999999 && o.benchtime_s < ok[i].s * 1.000001));
    }
    /* Past Go's longest duration (int64 ns, 2562047h47m16.854775807s) too. */
    static const char *bad[] = {"",     "x",    "0x", "-1s", "1",   "0",   "0s",          "1.5x",
                                "1e3s", "s",    "10q", "abc", "5xx", "-5x", "99999999999h", "2562048h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cb_options o;
        char err[256] = "";
        assert_int_equal(PARSE(&o, NULL, err, "--benchtime", (char *)bad[i]), -1);
        assert_non_null(strstr(err, "--benchtime"));
    }
}

static void test_count_must_be_at_least_one(void **state)
{
    (void)state;
    static const char *bad[] = {"0", "-1", "1.5", "two", "", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cb_options o;
        char err[256] = "";
        assert_int_equal(PARSE(&o, NULL, err, "--count", (char *)bad[i]), -1);
        assert_non_null(strstr(err, "--count"));
    }
}

static void test_cpu_list_is_positive_and_bounded(void **state)
{
    (void)state;
    cb_options o;
    char err[256];
    assert_int_equal(PARSE(&o, NULL, err, "--cpu", "8"), 0);
    assert_int_equal(o.ncpus, 1);
    assert_int_equal(o.cpus[0], 8);
    assert_int_equal(PARSE(&o, NULL, err, "--cpu", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"), 0);
    assert_int_equal(o.ncpus, CB_MAX_CPUS);
    assert_int_equal(o.cpus[15], 16);
    static const char *bad[] = {"",   "0",  "1,,2", "1,",
                                ",1", "-2", "a",    "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(PARSE(&o, NULL, err, "--cpu", (char *)bad[i]), -1);
        assert_non_null(strstr(err, "--cpu"));
    }
}

static void test_memprofilerate_accepts_zero_not_negative(void **state)
{
    (void)state;
    cb_options o;
    char err[256];
    assert_int_equal(PARSE(&o, NULL, err, "--memprofilerate", "0"), 0);
    assert_int_equal(o.memprofilerate, 0);
    assert_int_equal(PARSE(&o, NULL, err, "--memprofilerate", "1"), 0);
    assert_int_equal(o.memprofilerate, 1);
    assert_int_equal(PARSE(&o, NULL, err, "--memprofilerate", "-1"), -1);
    assert_non_null(strstr(err, "--memprofilerate"));
    assert_int_equal(PARSE(&o, NULL, err, "--memprofilerate", "1k"), -1);
}

static void test_lock_profile_rates_accept_zero_not_negative_or_huge(void **state)
{
    (void)state;
    cb_options o;
    char err[256];
    assert_int_equal(PARSE(&o, NULL, err, "--mutexprofilefraction", "0"), 0);
    assert_int_equal(o.mutexprofilefraction, 0);
    assert_int_equal(PARSE(&o, NULL, err, "--blockprofilerate", "0"), 0);
    assert_int_equal(o.blockprofilerate, 0);
    assert_int_equal(PARSE(&o, NULL, err, "--mutexprofilefraction", "-1"), -1);
    assert_non_null(strstr(err, "--mutexprofilefraction"));
    /* The fraction is an int, as Go's SetMutexProfileFraction takes. */
    assert_int_equal(PARSE(&o, NULL, err, "--mutexprofilefraction", "2147483648"), -1);
    assert_non_null(strstr(err, "--mutexprofilefraction"));
    assert_int_equal(PARSE(&o, NULL, err, "--mutexprofilefraction", "2147483647"), 0);
    assert_int_equal(PARSE(&o, NULL, err, "--blockprofilerate", "-5"), -1);
    assert_non_null(strstr(err, "--blockprofilerate"));
    assert_int_equal(PARSE(&o, NULL, err, "--blockprofilerate", "1ms"), -1);
    /* Booleans, as --cpuprofile: a value only after '='. */
    assert_int_equal(PARSE(&o, NULL, err, "-mutexprofile=false", "-blockprofile=true"), 0);
    assert_false(o.mutexprofile);
    assert_true(o.blockprofile);
}

static void test_timeout_is_a_duration_and_zero_means_none(void **state)
{
    (void)state;
    cb_options o;
    char err[256];
    assert_int_equal(PARSE(&o, NULL, err, "--timeout", "0"), 0);
    assert_true(o.timeout_s == 0);
    assert_int_equal(PARSE(&o, NULL, err, "--timeout=1h2m"), 0);
    assert_true(o.timeout_s == 3720);
    assert_int_equal(PARSE(&o, NULL, err, "--timeout", "10"), -1);
    assert_non_null(strstr(err, "--timeout"));
    assert_int_equal(PARSE(&o, NULL, err, "--timeout", "-5s"), -1);
}

static void test_bad_regex_is_an_error_naming_the_flag(void **state)
{
    (void)state;
    cb_options o;
    char err[256];
    assert_int_equal(PARSE(&o, NULL, err, "--run", "a("), -1);
    assert_non_null(strstr(err, "--run"));
    assert_non_null(strstr(err, "a("));
    assert_int_equal(PARSE(&o, NULL, err, "--bench", "ok/[z-a]"), -1);
    assert_non_null(strstr(err, "--bench"));
    assert_non_null(strstr(err, "ok/[z-a]"));
    /* Each element is checked: "a(" alone is bad, but a '/' or '|' inside
     * brackets or parentheses does not cut the pattern. */
    assert_int_equal(PARSE(&o, NULL, err, "--bench", "[/]"), 0);
    assert_int_equal(PARSE(&o, NULL, err, "--bench", "a(/|x)b"), 0);
    assert_int_equal(PARSE(&o, NULL, err, "--run", "x/a(|b"), -1);
    assert_int_equal(PARSE(&o, NULL, err, "--run", "a\\(/b"), 0);
    assert_int_equal(PARSE(&o, NULL, err, "--run", "A/x|B/y"), 0);
}

static void test_empty_patterns_are_the_defaults(void **state)
{
    (void)state;
    cb_options o;
    char err[256];
    assert_int_equal(PARSE(&o, NULL, err, "--run=", "--bench="), 0);
    assert_null(o.run);
    assert_null(o.bench);
}

static void test_durations_parse_as_go_writes_them(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double s;
    } ok[] = {{"0", 0},        {"1s", 1},       {"1.5s", 1.5},         {"500ms", 0.5},
              {"2m", 120},     {"10us", 1e-5},  {"10\xc2\xb5s", 1e-5}, {"1h", 3600},
              {"100ns", 1e-7}, {"1h30m", 5400}, {".5s", 0.5},          {"2m0.25s", 120.25}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double s = -1;
        assert_int_equal(cb_duration_parse(ok[i].text, &s), 0);
        assert_true(s >= ok[i].s * (1 - 1e-12) && s <= ok[i].s * (1 + 1e-12));
    }
    static const char *bad[] = {"",    "1",   "s",    "1x",    "-1s",   "+1s",
                                "1 s", "1sm", "infs", "0x10s", "1.2.3s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double s;
        assert_int_equal(cb_duration_parse(bad[i], &s), -1);
    }
}

static void test_durations_format_as_go_prints_them(void **state)
{
    (void)state;
    static const struct {
        double s;
        const char *text;
    } cases[] = {{600, "10m0s"},   {1.5, "1.5s"}, {0.5, "500ms"},        {90, "1m30s"},
                 {3600, "1h0m0s"}, {0, "0s"},     {2e-6, "2\xc2\xb5s"},  {1.5e-3, "1.5ms"},
                 {3e-8, "30ns"},   {5, "5s"},     {3723.25, "1h2m3.25s"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        assert_string_equal(cb_duration_format(cases[i].s, buf, sizeof buf), cases[i].text);
    }
}

static void test_split_takes_lines_or_words(void **state)
{
    (void)state;
    char **argv;
    int argc;
    assert_int_equal(cb_options_split("--run=a b\n--count=2\r\n\n  --benchmem\n", &argv, &argc), 0);
    assert_int_equal(argc, 4);
    assert_string_equal(argv[0], "cbench");
    assert_string_equal(argv[1], "--run=a b");
    assert_string_equal(argv[2], "--count=2");
    assert_string_equal(argv[3], "--benchmem");
    assert_null(argv[4]);
    free(argv);

    assert_int_equal(cb_options_split("  --bench .  --cpu 1,2 ", &argv, &argc), 0);
    assert_int_equal(argc, 5);
    assert_string_equal(argv[1], "--bench");
    assert_string_equal(argv[2], ".");
    assert_string_equal(argv[3], "--cpu");
    assert_string_equal(argv[4], "1,2");
    assert_null(argv[5]);
    free(argv);

    assert_int_equal(cb_options_split("", &argv, &argc), 0);
    assert_int_equal(argc, 1);
    assert_null(argv[1]);
    free(argv);

    /* The worst case for the size estimate: one-byte words. */
    assert_int_equal(cb_options_split("a b c d e f g", &argv, &argc), 0);
    assert_int_equal(argc, 8);
    assert_string_equal(argv[7], "g");
    free(argv);
}

/* Text that is not the command's "--flag=value" lines is split as a
 * shell would: "--outdir x" on a line of its own is a flag and a value. */
static void test_split_reads_other_text_as_a_shell_would(void **state)
{
    (void)state;
    char **argv;
    int argc;
    assert_int_equal(cb_options_split("--cpuprofile\n--outdir x\n--run=a b\n", &argv, &argc), 0);
    assert_int_equal(argc, 5);
    assert_string_equal(argv[1], "--cpuprofile");
    assert_string_equal(argv[2], "--outdir");
    assert_string_equal(argv[3], "x");
    assert_string_equal(argv[4], "--run=a b");
    free(argv);
    assert_int_equal(
        cb_options_split("--outdir 'my out' --run \"a\\\"b c\" --bench x\\ y", &argv, &argc), 0);
    assert_int_equal(argc, 7);
    assert_string_equal(argv[2], "my out");
    assert_string_equal(argv[4], "a\"b c");
    assert_string_equal(argv[6], "x y");
    free(argv);
    errno = 0;
    assert_int_equal(cb_options_split("--outdir 'open", &argv, &argc), -1);
    assert_int_equal(errno, EINVAL);
}

static void test_cpuprofilerate_is_a_rate_in_hz(void **state)
{
    (void)state;
    cb_options o;
    char err[256] = "";
    cb_options_init(&o);
    assert_int_equal(o.cpuprofilerate, 0);
    assert_int_equal(PARSE(&o, NULL, err, "--cpuprofilerate", "1000"), 0);
    assert_int_equal(o.cpuprofilerate, 1000);
    static const char *bad[] = {"0", "-1", "10001", "1k", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(PARSE(&o, NULL, err, "--cpuprofilerate", (char *)bad[i]), -1);
        assert_non_null(strstr(err, "--cpuprofilerate"));
    }
    assert_true(cb_options_is_flag("--cpuprofilerate=5"));
    assert_true(cb_options_is_flag("-outdir"));
    assert_false(cb_options_is_flag("--gtest_filter=x"));
    assert_false(cb_options_is_flag("-"));
}

static void test_split_output_parses(void **state)
{
    (void)state;
    char **argv;
    int argc;
    assert_int_equal(cb_options_split("--outdir=/tmp/x y\n--benchtime=100x\n--cpu=2", &argv, &argc),
                     0);
    cb_options o;
    char err[256];
    cb_options_init(&o);
    assert_int_equal(cb_options_parse(&o, argc, argv, 1, NULL, err, sizeof err), 0);
    assert_string_equal(o.outdir, "/tmp/x y");
    assert_int_equal(o.benchtime_n, 100);
    assert_int_equal(o.cpus[0], 2);
    free(argv);
}

static void test_usage_lists_command_flags_only_for_the_command(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cb_options_usage(f, "cbench", true);
    fclose(f);
    assert_non_null(strstr(text, "--timeout"));
    assert_non_null(strstr(text, "compare"));
    assert_non_null(strstr(text, "--benchtime"));
    free(text);
    f = open_memstream(&text, &len);
    cb_options_usage(f, "prog", false);
    fclose(f);
    assert_null(strstr(text, "--timeout"));
    assert_null(strstr(text, "--json"));
    assert_non_null(strstr(text, "--bench "));
    free(text);
}

static void test_report_and_baseline_are_the_commands(void **state)
{
    (void)state;
    cb_options o;
    cb_options_init(&o);
    assert_false(o.report);
    assert_null(o.baseline);
    char a0[] = "cbench", a1[] = "--report", a2[] = "--baseline", a3[] = "old/results.json";
    char *argv[] = {a0, a1, a2, a3, NULL};
    char err[256];
    int nops = -1;
    assert_int_equal(cb_options_parse(&o, 4, argv, 1, &nops, err, sizeof err), 0);
    assert_true(o.report);
    assert_string_equal(o.baseline, "old/results.json");
    assert_int_equal(nops, 0);
    char b1[] = "--baseline";
    char *missing[] = {a0, b1, NULL};
    assert_int_equal(cb_options_parse(&o, 2, missing, 1, &nops, err, sizeof err), -1);
    assert_non_null(strstr(err, "--baseline: missing value"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cb_options_usage(f, "prog", false);
    fclose(f);
    assert_null(strstr(text, "--report"));
    assert_null(strstr(text, "--baseline"));
    free(text);
    f = open_memstream(&text, &len);
    cb_options_usage(f, "cbench", true);
    fclose(f);
    assert_non_null(strstr(text, "--baseline OLD"));
    assert_non_null(strstr(text, "flamegraph PROFILE"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_and_baseline_are_the_commands),
        cmocka_unit_test(test_defaults_match_the_documented_values),
        cmocka_unit_test(test_every_flag_is_stored),
        cmocka_unit_test(test_single_dash_long_flags_and_bool_values),
        cmocka_unit_test(test_operands_move_to_the_front_in_order),
        cmocka_unit_test(test_operands_are_an_error_without_a_place_for_them),
        cmocka_unit_test(test_first_skips_the_program_name),
        cmocka_unit_test(test_unknown_flag_and_missing_value_are_errors),
        cmocka_unit_test(test_benchtime_takes_durations_and_counts),
        cmocka_unit_test(test_count_must_be_at_least_one),
        cmocka_unit_test(test_cpu_list_is_positive_and_bounded),
        cmocka_unit_test(test_memprofilerate_accepts_zero_not_negative),
        cmocka_unit_test(test_lock_profile_rates_accept_zero_not_negative_or_huge),
        cmocka_unit_test(test_timeout_is_a_duration_and_zero_means_none),
        cmocka_unit_test(test_bad_regex_is_an_error_naming_the_flag),
        cmocka_unit_test(test_empty_patterns_are_the_defaults),
        cmocka_unit_test(test_durations_parse_as_go_writes_them),
        cmocka_unit_test(test_durations_format_as_go_prints_them),
        cmocka_unit_test(test_split_takes_lines_or_words),
        cmocka_unit_test(test_split_output_parses),
        cmocka_unit_test(test_split_reads_other_text_as_a_shell_would),
        cmocka_unit_test(test_cpuprofilerate_is_a_rate_in_hz),
        cmocka_unit_test(test_usage_lists_command_flags_only_for_the_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
