/*
 * Tests of result records, Go's benchmark line, safe names and the three
 * result files (harness/formats/).
 *
 * Expected benchmark lines were printed by Go 1.19's own testing package
 * (BenchmarkResult.String and MemString) for the same values; the script
 * test_results_go.sh checks many more values against Go at run time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/benchline.h"
#include "formats/benchtxt.h"
#include "formats/buf.h"
#include "formats/junit.h"
#include "formats/record.h"
#include "formats/results.h"
#include "formats/results_json.h"
#include "formats/safename.h"
#include "cbench/profile.h"

/* ---- records and the list ---- */

static cb_record make_record(cb_kind kind, const char *binary, const char *name, cb_status st)
{
    cb_record r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.binary = (char *)binary;
    r.name = (char *)name;
    r.status = st;
    r.procs = kind == CB_KIND_BENCH ? 1 : 0;
    return r;
}

static void add_metric(cb_record *r, double v, const char *unit)
{
    r->metrics[r->nmetrics].value = v;
    snprintf(r->metrics[r->nmetrics].unit, sizeof r->metrics[0].unit, "%s", unit);
    r->nmetrics++;
}

static void add_artifact(cb_record *r, const char *kind, const char *path)
{
    snprintf(r->artifacts[r->nartifacts].kind, sizeof r->artifacts[0].kind, "%s", kind);
    r->artifacts[r->nartifacts].path = (char *)path;
    r->nartifacts++;
}

static void record_copy_owns_every_string(void **state)
{
    (void)state;
    char name[] = "test_copy", binary[] = "bin", msg[] = "boom", out[] = "printed", path[] = "p/cpu";
    cb_record src = make_record(CB_KIND_TEST, binary, name, CB_FAIL);
    src.message = msg;
    src.output = out;
    add_artifact(&src, "cpu", path);
    cb_record dst;
    assert_int_equal(cb_record_copy(&dst, &src), 0);
    /* Overwrite the source strings: the copy must not share them. */
    memset(name, 'x', sizeof name - 1);
    memset(msg, 'x', sizeof msg - 1);
    memset(path, 'x', sizeof path - 1);
    assert_string_equal(dst.name, "test_copy");
    assert_string_equal(dst.binary, "bin");
    assert_string_equal(dst.message, "boom");
    assert_string_equal(dst.output, "printed");
    assert_string_equal(dst.artifacts[0].path, "p/cpu");
    assert_string_equal(dst.artifacts[0].kind, "cpu");
    assert_int_equal(dst.status, CB_FAIL);
    cb_record_free(&dst);
    assert_null(dst.name);
    assert_null(dst.message);
    assert_int_equal(dst.nartifacts, 0);
}

static void record_copy_keeps_null_strings_null(void **state)
{
    (void)state;
    cb_record src = make_record(CB_KIND_BENCH, NULL, NULL, CB_PASS);
    cb_record dst;
    assert_int_equal(cb_record_copy(&dst, &src), 0);
    assert_null(dst.name);
    assert_null(dst.binary);
    assert_null(dst.message);
    assert_null(dst.output);
    cb_record_free(&dst);
}

static void results_add_grows_and_counts(void **state)
{
    (void)state;
    cb_results r;
    assert_int_equal(cb_results_init(&r), 0);
    assert_string_equal(r.goos, "linux");
    assert_non_null(r.goarch);
    assert_non_null(r.cpu);
    assert_true(r.started_ns > 0);
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "t%d", i);
        cb_record rec = make_record(i % 5 == 0 ? CB_KIND_BENCH : CB_KIND_TEST, "b", name,
                                    i % 7 == 0 ? CB_FAIL : i % 11 == 0 ? CB_SKIP : CB_PASS);
        assert_int_equal(cb_results_add(&r, &rec), 0);
    }
    assert_int_equal(r.n, 1000);
    assert_string_equal(r.v[999].name, "t999");
    cb_summary s;
    cb_results_summary(&r, &s);
    size_t failed = 0, skipped = 0, bench = 0;
    for (int i = 0; i < 1000; i++) {
        bench += i % 5 == 0;
        failed += i % 7 == 0;
        skipped += i % 7 != 0 && i % 11 == 0;
    }
    assert_int_equal(s.benchmarks, bench);
    assert_int_equal(s.tests, 1000 - bench);
    assert_int_equal(s.failed, failed);
    assert_int_equal(s.skipped, skipped);
    assert_int_equal(s.passed, 1000 - failed - skipped);
    cb_results_free(&r);
    assert_null(r.v);
    assert_int_equal(r.n, 0);
}

/* ---- Go's benchmark line ---- */

static const struct {
    double v;
    const char *go; /* Go's r.String() for N = 7, ns/op = v and x = v */
} go_vectors[] = {
    {0, "       7\t         0 x"},
    {1043, "       7\t      1043 ns/op\t      1043 x"},
    {999.95000000000005, "       7\t      1000 ns/op\t      1000 x"},
    {999.94999989999997, "       7\t       999.9 ns/op\t       999.9 x"},
    {100, "       7\t       100.0 ns/op\t       100.0 x"},
    {99.995000000000005, "       7\t       100.0 ns/op\t       100.0 x"},
    {99.994990000000001, "       7\t        99.99 ns/op\t        99.99 x"},
    {12.345599999999999, "       7\t        12.35 ns/op\t        12.35 x"},
    {9.9994999999999994, "       7\t        10.00 ns/op\t        10.00 x"},
    {9.9994899999999998, "       7\t         9.999 ns/op\t         9.999 x"},
    {1.5, "       7\t         1.500 ns/op\t         1.500 x"},
    {0.99995000000000001, "       7\t         1.000 ns/op\t         1.000 x"},
    {0.5, "       7\t         0.5000 ns/op\t         0.5000 x"},
    {0.099995000000000001, "       7\t         0.1000 ns/op\t         0.1000 x"},
    {0.050000000000000003, "       7\t         0.05000 ns/op\t         0.05000 x"},
    {0.0099994999999999997, "       7\t         0.01000 ns/op\t         0.01000 x"},
    {0.0050000000000000001, "       7\t         0.005000 ns/op\t         0.005000 x"},
    {0.0009999500000000001, "       7\t         0.001000 ns/op\t         0.001000 x"},
    {0.00050000000000000001, "       7\t         0.0005000 ns/op\t         0.0005000 x"},
    {1.2300000000000001e-09, "       7\t         0.0000000 ns/op\t         0.0000000 x"},
    {-1234.5, "       7\t     -1234 ns/op\t     -1234 x"},
    {-0.5, "       7\t        -0.5000 ns/op\t        -0.5000 x"},
    {123456789.59999999, "       7\t 123456790 ns/op\t 123456790 x"},
};

static void bench_line_matches_go_number_formats(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof go_vectors / sizeof go_vectors[0]; i++) {
        cb_record rec = make_record(CB_KIND_BENCH, "b", "BenchmarkV", CB_PASS);
        rec.n = 7;
        add_metric(&rec, go_vectors[i].v, "ns/op");
        add_metric(&rec, go_vectors[i].v, "x");
        char want[256], got[256];
        snprintf(want, sizeof want, "BenchmarkV\t%s", go_vectors[i].go);
        int n = cb_benchline_format(&rec, got, sizeof got);
        assert_int_equal(n, (int)strlen(want));
        assert_string_equal(got, want);
    }
}

static void bench_line_orders_metrics_as_go(void **state)
{
    (void)state;
    /* Given in a scrambled order; Go's from the same values:
     * "BenchmarkX/sub-4\t123456789\t         3.500 ns/op\t 123.46 MB/s\t..." */
    cb_record rec = make_record(CB_KIND_BENCH, "b", "BenchmarkX/sub", CB_PASS);
    rec.procs = 4;
    rec.n = 123456789;
    add_metric(&rec, 2, "allocs/op");
    add_metric(&rec, 2, "zeta/op");
    add_metric(&rec, 64.9, "B/op");
    add_metric(&rec, 0.75, "alpha/op");
    add_metric(&rec, 123.456, "MB/s");
    add_metric(&rec, 3.5, "ns/op");
    char got[512];
    cb_benchline_format(&rec, got, sizeof got);
    assert_string_equal(got, "BenchmarkX/sub-4\t123456789\t         3.500 ns/op\t 123.46 MB/s\t"
                             "         0.7500 alpha/op\t         2.000 zeta/op\t"
                             "      64 B/op\t       2 allocs/op");
}

static void bench_line_leaves_out_zero_throughput(void **state)
{
    (void)state;
    cb_record rec = make_record(CB_KIND_BENCH, "b", "BenchmarkY", CB_PASS);
    rec.n = 1;
    add_metric(&rec, 2e9, "ns/op");
    add_metric(&rec, 0, "MB/s");
    char got[256];
    cb_benchline_format(&rec, got, sizeof got);
    assert_string_equal(got, "BenchmarkY\t       1\t2000000000 ns/op");
    /* Go prints 0.001 MB/s as 0.00: the value is not 0. */
    rec.metrics[1].value = 0.001;
    cb_benchline_format(&rec, got, sizeof got);
    assert_string_equal(got, "BenchmarkY\t       1\t2000000000 ns/op\t   0.00 MB/s");
}

static void bench_line_keeps_zero_ns_when_alone(void **state)
{
    (void)state;
    cb_record rec = make_record(CB_KIND_BENCH, "b", "BenchmarkZ", CB_PASS);
    rec.n = 5;
    add_metric(&rec, 0, "ns/op");
    char got[256];
    cb_benchline_format(&rec, got, sizeof got);
    assert_string_equal(got, "BenchmarkZ\t       5\t         0 ns/op");
    add_metric(&rec, 3, "B/op");
    cb_benchline_format(&rec, got, sizeof got);
    assert_string_equal(got, "BenchmarkZ\t       5\t       3 B/op");
}

static void bench_line_repeated_unit_keeps_last(void **state)
{
    (void)state;
    cb_record rec = make_record(CB_KIND_BENCH, "b", "BenchmarkR", CB_PASS);
    rec.n = 10;
    add_metric(&rec, 5, "ns/op");
    add_metric(&rec, 1, "hits");
    add_metric(&rec, 7, "");
    add_metric(&rec, 2, "hits");
    char got[256];
    cb_benchline_format(&rec, got, sizeof got);
    assert_string_equal(got, "BenchmarkR\t      10\t         5.000 ns/op\t         2.000 hits");
}

static void bench_line_prints_go_infinities(void **state)
{
    (void)state;
    cb_record rec = make_record(CB_KIND_BENCH, "b", "BenchmarkI", CB_PASS);
    rec.n = 1;
    add_metric(&rec, INFINITY, "ns/op");
    add_metric(&rec, NAN, "q");
    add_metric(&rec, -INFINITY, "MB/s");
    char got[256];
    cb_benchline_format(&rec, got, sizeof got);
    /* Go: %10.0f of +Inf, %7.2f of -Inf, NaN falls to %18.7f. */
    assert_string_equal(got, "BenchmarkI\t       1\t      +Inf ns/op\t   -Inf MB/s\t"
                             "               NaN q");
}

static void bench_line_name_is_one_go_field(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int procs;
        const char *want;
    } cases[] = {
        {"BenchmarkA", 1, "BenchmarkA"},
        {"BenchmarkA", 0, "BenchmarkA"},
        {"BenchmarkA/b c", 8, "BenchmarkA/b_c-8"},
        {"bench_insert", 2, "Benchmarkbench_insert-2"},
        {"BenchmarkT/a\tb\nc\rd", 1, "BenchmarkT/a_b_c_d"},
        {"BenchmarkC/\x01\x07\x08\x7f", 1, "BenchmarkC/\\x01\\a\\b\\x7f"},
        {"BenchmarkU/\xc2\x85\xc2\xa0\xe3\x80\x80\xc2\x80", 1, "BenchmarkU/___\\u0080"},
        {"BenchmarkE/caf\xc3\xa9", 1, "BenchmarkE/caf\xc3\xa9"},
        {"BenchmarkBad/\xff\xc3", 1, "BenchmarkBad/\xef\xbf\xbd\xef\xbf\xbd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cb_record rec = make_record(CB_KIND_BENCH, "b", cases[i].name, CB_PASS);
        rec.procs = cases[i].procs;
        rec.n = 3;
        add_metric(&rec, 1043, "ns/op");
        char got[256], want[256];
        cb_benchline_format(&rec, got, sizeof got);
        snprintf(want, sizeof want, "%s\t       3\t      1043 ns/op", cases[i].want);
        assert_string_equal(got, want);
    }
}

static void bench_line_reports_full_length_when_cut(void **state)
{
    (void)state;
    cb_record rec = make_record(CB_KIND_BENCH, "b", "BenchmarkLong", CB_PASS);
    rec.n = 1;
    add_metric(&rec, 1043, "ns/op");
    char full[128], small[10];
    int n = cb_benchline_format(&rec, full, sizeof full);
    assert_int_equal(cb_benchline_format(&rec, small, sizeof small), n);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, full, sizeof small - 1);
}

static void bench_line_pads_name_to_width(void **state)
{
    (void)state;
    cb_record rec = make_record(CB_KIND_BENCH, "b", "BenchmarkP", CB_PASS);
    rec.procs = 2;
    rec.n = 1;
    add_metric(&rec, 1043, "ns/op");
    cb_buf b = {0};
    cb_benchline_put(&b, &rec, 20);
    assert_false(b.failed);
    assert_string_equal(b.p, "BenchmarkP-2        \t       1\t      1043 ns/op");
    cb_buf_free(&b);
}

/* ---- safe names ---- */

/* Undoes the percent-encoding; -1 on anything the encoder cannot make. */
static int unescape(const char *s, char *out, size_t len)
{
    size_t n = 0;
    for (; *s; s++) {
        if (n + 1 >= len)
            return -1;
        if (*s != '%') {
            out[n++] = *s;
            continue;
        }
        unsigned v;
        if (sscanf(s + 1, "%2X", &v) != 1 || !s[1] || !s[2])
            return -1;
        out[n++] = (char)v;
        s += 2;
    }
    out[n] = '\0';
    return 0;
}

static void safe_name_encodes_reversibly(void **state)
{
    (void)state;
    static const struct {
        const char *name, *want;
    } cases[] = {
        {"test_insert", "test_insert"},
        {"BenchmarkX/sub-2", "BenchmarkX%2Fsub-2"},
        {"a b", "a%20b"},
        {".", "%2E"},
        {"..", "%2E."},
        {"../etc", "%2E.%2Fetc"},
        {"v1.2", "v1.2"},
        {"a=b,c+d", "a=b,c+d"},
        {"100%", "100%25"},
        {"~x", "%7Ex"},
        {"caf\xc3\xa9", "caf%C3%A9"},
        {"\n\x01", "%0A%01"},
        {"", "%00"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[256], back[256];
        assert_ptr_equal(cb_safename_encode(cases[i].name, buf, sizeof buf), buf);
        assert_string_equal(buf, cases[i].want);
        if (cases[i].name[0]) {
            assert_int_equal(unescape(buf, back, sizeof back), 0);
            assert_string_equal(back, cases[i].name);
        }
    }
}

static void safe_name_of_every_byte_is_one_component(void **state)
{
    (void)state;
    for (int c = 1; c < 256; c++) {
        char name[3] = {(char)c, (char)c, 0}, buf[256];
        cb_safename_encode(name, buf, sizeof buf);
        assert_null(strchr(buf, '/'));
        assert_string_not_equal(buf, ".");
        assert_string_not_equal(buf, "..");
        for (const char *p = buf; *p; p++)
            assert_true(*p > 0x20 && *p < 0x7f);
    }
}

static void safe_name_cuts_long_names_with_hash(void **state)
{
    (void)state;
    char a[1000], b[1000], ea[256], eb[256];
    memset(a, '/', sizeof a - 1); /* every byte becomes 3 */
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof a);
    b[sizeof b - 2] = 'x'; /* differs only past the cut */
    cb_safename_encode(a, ea, sizeof ea);
    cb_safename_encode(b, eb, sizeof eb);
    assert_true(strlen(ea) <= 200);
    assert_string_not_equal(ea, eb);
    char *tilde = strchr(ea, '~');
    assert_non_null(tilde);
    assert_int_equal(strlen(tilde), 9);
    /* The cut is whole escapes: everything before '~' decodes. */
    *tilde = '\0';
    char back[256];
    assert_int_equal(unescape(ea, back, sizeof back), 0);
    assert_int_equal(strlen(back) * 3, strlen(ea));
    /* An encoded name of exactly 200 bytes is kept whole. */
    char c200[201];
    memset(c200, 'q', 200);
    c200[200] = '\0';
    cb_safename_encode(c200, ea, sizeof ea);
    assert_string_equal(ea, c200);
    c200[199] = '/';
    cb_safename_encode(c200, ea, sizeof ea);
    assert_non_null(strchr(ea, '~'));
    assert_true(strlen(ea) <= 200);
}

static void safe_name_respects_a_small_buffer(void **state)
{
    (void)state;
    char buf[16];
    memset(buf, 'Z', sizeof buf);
    cb_safename_encode("a/very/long/name/indeed", buf, sizeof buf);
    assert_true(strlen(buf) < sizeof buf);
    assert_non_null(strchr(buf, '~'));
}

/* ---- the files ---- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cbench-results-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
    return 0;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    cb_buf b = {0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        cb_buf_add(&b, chunk, got);
    fclose(f);
    return cb_buf_take(&b);
}

static void sample_results(cb_results *r)
{
    assert_int_equal(cb_results_init(r), 0);
    free(r->cpu);
    r->cpu = strdup("Test CPU @ 1.00GHz");
    r->started_ns = 1714566896789000000; /* 2024-05-01T12:34:56.789Z */
    cb_record t1 = make_record(CB_KIND_TEST, "alpha", "test_ok", CB_PASS);
    t1.elapsed_s = 0.0012;
    cb_record t2 = make_record(CB_KIND_TEST, "alpha", "test_<bad> & \"q\"", CB_FAIL);
    t2.message = "assertion failed\nat x.c:3";
    t2.output = "line1\nBenchmarkFake 1 2 ns/op\npkg: evil\x01";
    cb_record t3 = make_record(CB_KIND_TEST, "beta", "test_skip", CB_SKIP);
    cb_record b1 = make_record(CB_KIND_BENCH, "alpha", "BenchmarkInsert/small", CB_PASS);
    b1.procs = 2;
    b1.n = 1000000;
    b1.elapsed_s = 1.31;
    add_metric(&b1, 1043, "ns/op");
    add_metric(&b1, 64, "B/op");
    add_metric(&b1, 2, "allocs/op");
    add_artifact(&b1, "cpu", "alpha/BenchmarkInsert%2Fsmall-2/cpu.pb.gz");
    cb_record b2 = make_record(CB_KIND_BENCH, "beta", "BenchmarkCrash", CB_FAIL);
    b2.message = "killed by signal 11 (SIGSEGV)";
    cb_record b3 = make_record(CB_KIND_BENCH, "beta", "BenchmarkFast", CB_PASS);
    b3.n = 1000000000;
    add_metric(&b3, 0.25, "ns/op");
    cb_record *all[] = {&t1, &t2, &b1, &t3, &b2, &b3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        assert_int_equal(cb_results_add(r, all[i]), 0);
}

static void path_in_tmp(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void bench_txt_has_one_block_per_binary(void **state)
{
    (void)state;
    cb_results r;
    sample_results(&r);
    char path[256];
    path_in_tmp(path, sizeof path, "bench.txt");
    assert_int_equal(cb_benchtxt_write(&r, path), 0);
    char *text = read_all(path);
    assert_non_null(text);
    const char *want = "goos: linux\n"
                       "goarch: amd64\n"
                       "pkg: alpha\n"
                       "cpu: Test CPU @ 1.00GHz\n"
                       "--- FAIL: test_<bad>_&_\"q\" (0.00s)\n"
                       "    assertion failed\n"
                       "    at x.c:3\n"
                       "BenchmarkInsert/small-2\t 1000000\t      1043 ns/op\t      64 B/op\t"
                       "       2 allocs/op\n"
                       "FAIL\n"
                       "goos: linux\n"
                       "goarch: amd64\n"
                       "pkg: beta\n"
                       "cpu: Test CPU @ 1.00GHz\n"
                       "--- SKIP: test_skip (0.00s)\n"
                       "--- FAIL: BenchmarkCrash\n"
                       "    killed by signal 11 (SIGSEGV)\n"
                       "BenchmarkFast\t1000000000\t         0.2500 ns/op\n"
                       "FAIL\n";
    if (strcmp(r.goarch, "amd64") == 0)
        assert_string_equal(text, want);
    free(text);
    /* With a pkg prefix and only passing records. */
    free(r.pkg);
    r.pkg = strdup("tests");
    r.v[1].status = CB_PASS;
    r.v[4].status = CB_SKIP;
    assert_int_equal(cb_benchtxt_write(&r, path), 0);
    text = read_all(path);
    assert_non_null(strstr(text, "pkg: tests/alpha\n"));
    assert_non_null(strstr(text, "pkg: tests/beta\n"));
    assert_non_null(strstr(text, "--- SKIP: BenchmarkCrash\n"));
    assert_null(strstr(text, "FAIL"));
    assert_int_equal(count_entries(tmpdir), 1);
    free(text);
    cb_results_free(&r);
}

/* Reading it back is the command's, tested in tests/harness/cli. */
static void results_json_has_its_header_and_summary(void **state)
{
    (void)state;
    cb_results r;
    sample_results(&r);
    char path[256];
    path_in_tmp(path, sizeof path, "results.json");
    assert_int_equal(cb_results_json_write(&r, path), 0);
    char *text = read_all(path);
    assert_non_null(strstr(text, "{\n  \"version\": 1,\n  \"goos\": \"linux\",\n"));
    assert_non_null(strstr(text, "\"started\": \"2024-05-01T12:34:56.789Z\""));
    assert_non_null(strstr(text, "\n    {\"kind\":\"test\",\"binary\":\"alpha\",\"name\":\"test_ok\","));
    assert_non_null(strstr(text, "\"summary\": {\"tests\": 3, \"passed\": 3, \"failed\": 2, "
                                 "\"skipped\": 1, \"benchmarks\": 3}"));
    free(text);
    cb_results_free(&r);
}

static void junit_counts_and_escapes(void **state)
{
    (void)state;
    cb_results r;
    sample_results(&r);
    char path[256];
    path_in_tmp(path, sizeof path, "junit.xml");
    assert_int_equal(cb_junit_write(&r, path), 0);
    char *text = read_all(path);
    assert_non_null(text);
    assert_non_null(strstr(text, "<testsuites tests=\"6\" failures=\"2\" errors=\"0\" skipped=\"1\""));
    assert_non_null(strstr(text, "<testsuite name=\"alpha\" tests=\"3\" failures=\"1\""));
    assert_non_null(strstr(text, "<testsuite name=\"beta\" tests=\"3\" failures=\"1\""));
    assert_non_null(strstr(text, "name=\"test_&lt;bad&gt; &amp; &quot;q&quot;\""));
    assert_non_null(strstr(text, "<failure message=\"assertion failed&#10;at x.c:3\""));
    assert_non_null(strstr(text, "name=\"BenchmarkInsert/small-2\""));
    assert_non_null(strstr(text, "<system-out>BenchmarkInsert/small-2\t 1000000\t"));
    assert_null(strchr(text, '\x01'));
    free(text);
    cb_results_free(&r);
}

static void writers_fail_cleanly_without_folder(void **state)
{
    (void)state;
    cb_results r;
    sample_results(&r);
    char path[256];
    int (*writers[])(const cb_results *, const char *) = {
        cb_results_json_write, cb_benchtxt_write, cb_junit_write};
    for (size_t i = 0; i < 3; i++) {
        path_in_tmp(path, sizeof path, "missing/out.file");
        errno = 0;
        assert_int_equal(writers[i](&r, path), -1);
        assert_int_equal(errno, ENOENT);
        assert_non_null(strstr(cbench_last_error(), "missing/out.file"));
        /* A regular file where a folder should be. */
        path_in_tmp(path, sizeof path, "plain");
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
        path_in_tmp(path, sizeof path, "plain/out.file");
        assert_int_equal(writers[i](&r, path), -1);
        assert_int_equal(errno, ENOTDIR);
        assert_int_equal(writers[i](&r, ""), -1);
        assert_int_equal(errno, EINVAL);
        path_in_tmp(path, sizeof path, "plain");
        unlink(path);
    }
    assert_int_equal(count_entries(tmpdir), 0);
    cb_results_free(&r);
}

/* A file size limit makes the write itself fail after the temporary file
 * exists: the old file must survive and no temporary may be left. */
static void writers_leave_no_partial_file_when_write_fails(void **state)
{
    (void)state;
    cb_results r;
    sample_results(&r);
    char big[70000];
    memset(big, 'o', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    free(r.v[1].output);
    r.v[1].output = strdup(big);
    char path[256];
    path_in_tmp(path, sizeof path, "keep.out");
    int (*writers[])(const cb_results *, const char *) = {
        cb_results_json_write, cb_junit_write};
    for (size_t i = 0; i < 2; i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("old contents\n", f);
        fclose(f);
        struct rlimit old, lim;
        getrlimit(RLIMIT_FSIZE, &old);
        lim = old;
        lim.rlim_cur = 4096;
        void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        int rc = writers[i](&r, path);
        int err = errno;
        setrlimit(RLIMIT_FSIZE, &old);
        signal(SIGXFSZ, prev);
        assert_int_equal(rc, -1);
        assert_int_equal(err, EFBIG);
        char *text = read_all(path);
        assert_string_equal(text, "old contents\n");
        free(text);
        assert_int_equal(count_entries(tmpdir), 1);
    }
    unlink(path);
    cb_results_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_copy_owns_every_string),
        cmocka_unit_test(record_copy_keeps_null_strings_null),
        cmocka_unit_test(results_add_grows_and_counts),
        cmocka_unit_test(bench_line_matches_go_number_formats),
        cmocka_unit_test(bench_line_orders_metrics_as_go),
        cmocka_unit_test(bench_line_leaves_out_zero_throughput),
        cmocka_unit_test(bench_line_keeps_zero_ns_when_alone),
        cmocka_unit_test(bench_line_repeated_unit_keeps_last),
        cmocka_unit_test(bench_line_prints_go_infinities),
        cmocka_unit_test(bench_line_name_is_one_go_field),
        cmocka_unit_test(bench_line_reports_full_length_when_cut),
        cmocka_unit_test(bench_line_pads_name_to_width),
        cmocka_unit_test(safe_name_encodes_reversibly),
        cmocka_unit_test(safe_name_of_every_byte_is_one_component),
        cmocka_unit_test(safe_name_cuts_long_names_with_hash),
        cmocka_unit_test(safe_name_respects_a_small_buffer),
        cmocka_unit_test_setup_teardown(bench_txt_has_one_block_per_binary, make_tmpdir,
                                        remove_tmpdir),
        cmocka_unit_test_setup_teardown(results_json_has_its_header_and_summary, make_tmpdir,
                                        remove_tmpdir),
        cmocka_unit_test_setup_teardown(junit_counts_and_escapes, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(writers_fail_cleanly_without_folder, make_tmpdir,
                                        remove_tmpdir),
        cmocka_unit_test_setup_teardown(writers_leave_no_partial_file_when_write_fails,
                                        make_tmpdir, remove_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
