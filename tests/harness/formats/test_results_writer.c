/*
 * A helper of the result-file scripts (test_results_files.sh and
 * test_results_go.sh): it makes records with awkward names and every kind
 * of outcome, and writes them the way cbench does, for Python and Go to
 * check independently.
 *
 *   test_results_writer files DIR   results.json, bench.txt, junit.xml in DIR
 *   test_results_writer lines N     N random benchmark records, each as an
 *                                   "R" line (its fields, tab-separated) and
 *                                   an "L" line (cb_benchline_format's)
 *
 * With CBENCH_TEST_LOCALE set, the program first switches to that locale,
 * which must write numbers with a decimal comma: the output must not
 * change, since the files are read by tools that expect '.'.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rng.h"
#include "formats/benchline.h"
#include "formats/benchtxt.h"
#include "formats/junit.h"
#include "formats/results.h"
#include "formats/results_json.h"
#include "cbench/profile.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Du;

static uint64_t rng(void)
{
    return xorshift64(&rng_state);
}

static double uniform(void)
{
    return (double)(rng() >> 11) / 9007199254740992.0;
}

static void metric(cb_record *r, double v, const char *unit)
{
    r->metrics[r->nmetrics].value = v;
    snprintf(r->metrics[r->nmetrics].unit, sizeof r->metrics[0].unit, "%s", unit);
    r->nmetrics++;
}

static int add(cb_results *res, cb_kind kind, const char *binary, const char *name, cb_status st,
               const char *message, const char *output)
{
    cb_record r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.binary = (char *)binary;
    r.name = (char *)name;
    r.status = st;
    r.message = (char *)message;
    r.output = (char *)output;
    r.elapsed_s = 0.001 * (double)(res->n + 1);
    if (kind == CB_KIND_BENCH) {
        r.procs = 1 + (int)(res->n % 3);
        r.n = 1000 * (int64_t)(res->n + 1);
        if (st == CB_PASS) {
            metric(&r, 1043.5 / (double)(res->n + 1), "ns/op");
            if (res->n % 2)
                metric(&r, 12.25 * (double)res->n, "MB/s");
            if (res->n % 3)
                metric(&r, 0.125, "hits/op");
            metric(&r, 64, "B/op");
            metric(&r, 2, "allocs/op");
            snprintf(r.artifacts[0].kind, sizeof r.artifacts[0].kind, "cpu");
            r.artifacts[0].path = "some/cpu.pb.gz";
            r.nartifacts = 1;
        }
    }
    return cb_results_add(res, &r);
}

static int write_files(const char *dir)
{
    static const char hostile[] = "line one\npkg: evil\nBenchmarkFake 1 2 ns/op\n"
                                  "goos: plan9\n\x01\x02 <tag> & \"quotes\" ]]> \xff\xfe end";
    cb_results r;
    if (cb_results_init(&r) != 0)
        return -1;
    r.pkg = strdup("tests");
    r.started_ns = 1714566896789000000; /* the output is compared byte for byte */
    int rc = 0;
    rc |= add(&r, CB_KIND_TEST, "alpha", "test_ok", CB_PASS, NULL, NULL);
    rc |= add(&r, CB_KIND_TEST, "alpha", "test_quote\"back\\slash", CB_FAIL, hostile, hostile);
    rc |= add(&r, CB_KIND_TEST, "alpha", "test_<xml>&'amp'", CB_SKIP, "not here", NULL);
    rc |= add(&r, CB_KIND_BENCH, "alpha", "BenchmarkInsert/small", CB_PASS, NULL, NULL);
    rc |= add(&r, CB_KIND_BENCH, "alpha", "BenchmarkInsert/with space", CB_PASS, NULL, NULL);
    rc |= add(&r, CB_KIND_BENCH, "alpha", "BenchmarkCtl/\x01tab\there", CB_PASS, NULL, NULL);
    rc |= add(&r, CB_KIND_TEST, "beta", "test_caf\xc3\xa9_\xe4\xb8\xad", CB_PASS, NULL, NULL);
    rc |= add(&r, CB_KIND_TEST, "beta", "test_bad_utf8_\xc3", CB_FAIL, "bad \xff byte", NULL);
    rc |= add(&r, CB_KIND_BENCH, "beta", "BenchmarkCrash", CB_FAIL, "killed by signal 11", NULL);
    rc |= add(&r, CB_KIND_BENCH, "beta", "BenchmarkSkipped", CB_SKIP, NULL, NULL);
    rc |= add(&r, CB_KIND_BENCH, "beta", "BenchmarkOverLimit", CB_PASS, NULL, NULL);
    if (rc == 0) {
        /* Ran to the end, then broke a limit: failed, with its metrics. */
        cb_record *over = &r.v[r.n - 1];
        over->status = CB_FAIL;
        over->message = strdup("limit breached: 2 allocs/op, want < 1");
        over->limits[0] = (cb_limit){.unit = "allocs/op", .limit = 1, .breached = true};
        over->limits[1] = (cb_limit){.unit = "MB/s", .above = true, .limit = 0.5};
        over->nlimits = 2;
        rc |= over->message ? 0 : -1;
    }
    rc |= add(&r, CB_KIND_BENCH, "beta", "BenchmarkUnicode/\xce\xbb=\xf0\x9f\x98\x80", CB_PASS,
              NULL, NULL);
    rc |= add(&r, CB_KIND_BENCH, "beta", "sort_ints", CB_PASS, NULL, NULL);
    rc |= add(&r, CB_KIND_TEST, "gamma \"q\"", "test_nonchar_\xef\xbf\xbe", CB_PASS, NULL,
              "printed\x0b\x0c");
    rc |= add(&r, CB_KIND_BENCH, "gamma \"q\"", "BenchmarkLast", CB_PASS, NULL, NULL);
    if (rc != 0) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    const char *names[] = {"results.json", "bench.txt", "junit.xml"};
    int (*writers[])(const cb_results *, const char *) = {
        cb_results_json_write, cb_benchtxt_write, cb_junit_write};
    for (int i = 0; i < 3; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (writers[i](&r, path) != 0) {
            fprintf(stderr, "%s\n", cbench_last_error());
            return 1;
        }
    }
    cb_results_free(&r);
    return 0;
}

/* A value from a wide range, often next to one of prettyPrint's bounds. */
static double random_value(void)
{
    static const double bounds[] = {999.95, 99.995, 9.9995, 0.99995, 0.099995,
                                    0.0099995, 0.00099995, 100, 1000, 1};
    switch (rng() % 4) {
    case 0: {
        double b = bounds[rng() % (sizeof bounds / sizeof bounds[0])];
        int steps = (int)(rng() % 5) - 2;
        for (; steps > 0; steps--)
            b = nextafter(b, INFINITY);
        for (; steps < 0; steps++)
            b = nextafter(b, 0);
        return b;
    }
    case 1:
        return (double)(rng() % 100000) / 1000.0;
    case 2:
        return -uniform() * pow(10, (double)(rng() % 8));
    default:
        return uniform() * pow(10, (double)(rng() % 24) - 12);
    }
}

static const char *const custom_units[] = {"hits/op", "cache-miss/op", "Zz/op", "aa", "p99-ns",
                                           "x"};

static int print_lines(long count)
{
    for (long i = 0; i < count; i++) {
        cb_record r;
        memset(&r, 0, sizeof r);
        r.kind = CB_KIND_BENCH;
        char name[64];
        snprintf(name, sizeof name, "BenchmarkR%ld/case_%lu", i, (unsigned long)(rng() % 100));
        r.name = name;
        r.procs = 1 + (int)(rng() % 16);
        r.n = (int64_t)(rng() % 2000000000);
        if (rng() % 8)
            metric(&r, random_value(), "ns/op");
        if (rng() % 3 == 0)
            metric(&r, rng() % 5 ? random_value() : 0, "MB/s");
        int ncustom = (int)(rng() % 4);
        for (int k = 0; k < ncustom; k++)
            metric(&r, random_value(), custom_units[(i + k) % 6]);
        if (rng() % 2) {
            metric(&r, floor(uniform() * 1e7 * 10) / 10, "B/op");
            metric(&r, (double)(rng() % 1000) + 0.5, "allocs/op");
        }
        /* Go leaves out a zero ns/op even when the line is then empty;
         * cbench does not (see harness/formats/benchline.c), so avoid that case. */
        bool go_prints = false;
        int ns = -1;
        for (int k = 0; k < r.nmetrics; k++) {
            bool zero_omitted = !strcmp(r.metrics[k].unit, "ns/op") || !strcmp(r.metrics[k].unit, "MB/s");
            go_prints |= !zero_omitted || r.metrics[k].value != 0;
            if (!strcmp(r.metrics[k].unit, "ns/op"))
                ns = k;
        }
        if (!go_prints && ns >= 0)
            r.metrics[ns].value = 1.5;
        else if (!go_prints)
            metric(&r, 1.5, "ns/op");
        printf("R\t%s\t%d\t%lld", r.name, r.procs, (long long)r.n);
        for (int k = 0; k < r.nmetrics; k++)
            printf("\t%s\t%.17g", r.metrics[k].unit, r.metrics[k].value);
        char line[1024];
        if (cb_benchline_format(&r, line, sizeof line) < 0)
            return 1;
        printf("\nL\t%s\n", line);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

/* Switches to the locale the environment asks for, and checks that it
 * really writes numbers differently, so that a test using it can fail. */
static int use_test_locale(void)
{
    const char *name = getenv("CBENCH_TEST_LOCALE");
    if (!name)
        return 0;
    if (!setlocale(LC_ALL, name)) {
        fprintf(stderr, "cannot use locale %s\n", name);
        return -1;
    }
    char text[16];
    snprintf(text, sizeof text, "%.1f", 1.5);
    if (strcmp(text, "1,5") != 0) {
        fprintf(stderr, "locale %s writes 1.5 as %s, not 1,5\n", name, text);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (use_test_locale() != 0)
        return 1;
    if (argc == 3 && strcmp(argv[1], "files") == 0)
        return write_files(argv[2]);
    if (argc == 3 && strcmp(argv[1], "lines") == 0)
        return print_lines(strtol(argv[2], NULL, 10));
    fprintf(stderr, "usage: %s files DIR | lines N\n", argv[0]);
    return 2;
}
