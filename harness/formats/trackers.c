/*
 * The benchmark trackers' own formats, written beside benchmarks.json by
 * every run with benchmarks:
 *
 *  - bencher.json, Bencher's metric format (BMF): an object keyed by
 *    benchmark, each an object keyed by measure, each {"value",
 *    "lower_value", "upper_value"}: the median of the --count
 *    repetitions, and their least and greatest. ns/op is Bencher's
 *    "latency" (in nanoseconds); every other unit is a measure named by
 *    its unit in Bencher's slug form ("B/op" -> "b-per-op", "MB/s" ->
 *    "mb-per-s").
 *  - github-action-benchmark.json, its `customSmallerIsBetter` input: an
 *    array of {"name", "unit", "value", "range", "extra"}, one per
 *    benchmark and unit, named "<benchmark> - <unit>" as that tool names
 *    the units of a Go benchmark line; value the median, range "± x%"
 *    (the largest distance of a repetition from it), extra the count.
 *    Only units where smaller is better (any "*\/op") can go there; a
 *    "*\/s" unit (MB/s) is left out of it (in bencher.json and
 *    benchmarks.json it is kept).
 *
 * A benchmark is "<binary>/<name>" with bench.txt's "-N" when its --cpu
 * value N > 1, so benchmarks of two binaries stay apart. The values are
 * those of the records with a result line, as bench.txt's.
 */
#include "formats/trackers.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fault.h"
#include "formats/benchline.h"
#include "formats/file.h"
#include "formats/gbench_json.h"
#include "formats/json.h"

/* One benchmark and unit: where its values are. */
typedef struct series {
    size_t first; /* its first record */
    int metric;   /* the metric's index in that record */
} series;

static bool shown(const cb_record *rec)
{
    return rec->kind == CB_KIND_BENCH && cb_record_has_result(rec);
}

static bool same_bench(const cb_record *a, const cb_record *b)
{
    return strcmp(a->binary ? a->binary : "", b->binary ? b->binary : "") == 0 &&
           strcmp(a->name ? a->name : "", b->name ? b->name : "") == 0 && a->procs == b->procs;
}

static const cb_metric *metric(const cb_record *rec, const char *unit)
{
    for (int i = 0; i < rec->nmetrics; i++)
        if (strcmp(rec->metrics[i].unit, unit) == 0)
            return &rec->metrics[i];
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct summary {
    double median, min, max;
    size_t n;
} summary;

/* The values of a series over the records of its benchmark. -1 on ENOMEM. */
static int summarize(const cb_results *r, const series *s, summary *out)
{
    const cb_record *first = &r->v[s->first];
    const char *unit = first->metrics[s->metric].unit;
    double *v = cb_fault_malloc(r->n * sizeof v[0]);
    if (!v)
        return -1;
    size_t n = 0;
    for (size_t i = s->first; i < r->n; i++) {
        const cb_metric *m = shown(&r->v[i]) && same_bench(&r->v[i], first)
                                 ? metric(&r->v[i], unit)
                                 : NULL;
        if (m)
            v[n++] = m->value;
    }
    qsort(v, n, sizeof v[0], by_value);
    out->n = n;
    out->min = v[0];
    out->max = v[n - 1];
    out->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    free(v);
    return 0;
}

/* Every (benchmark, unit) once, in order of first appearance. */
static series *collect(const cb_results *r, size_t *count)
{
    size_t cap = 0;
    for (size_t i = 0; i < r->n; i++)
        cap += shown(&r->v[i]) ? (size_t)r->v[i].nmetrics : 0;
    series *s = cb_fault_calloc(cap + 1, sizeof s[0]);
    size_t n = 0;
    for (size_t i = 0; s && i < r->n; i++) {
        const cb_record *rec = &r->v[i];
        if (!shown(rec))
            continue;
        for (int k = 0; k < rec->nmetrics; k++) {
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = same_bench(&r->v[s[j].first], rec) &&
                       strcmp(r->v[s[j].first].metrics[s[j].metric].unit,
                              rec->metrics[k].unit) == 0;
            if (!seen)
                s[n++] = (series){i, k};
        }
    }
    *count = n;
    return s;
}

static void put_bench_name(cb_buf *b, const cb_record *rec, const char *unit)
{
    cb_buf name = {0};
    cb_buf_printf(&name, "%s/", rec->binary ? rec->binary : "");
    cb_benchline_put_name(&name, rec);
    if (unit)
        cb_buf_printf(&name, " - %s", unit);
    if (name.failed)
        b->failed = true;
    cb_json_put_string(b, name.p ? name.p : "");
    cb_buf_free(&name);
}

/* "B/op" -> "b-per-op": lower case, '/' as "-per-", others as '-'. */
static void put_slug(cb_buf *b, const char *unit)
{
    cb_buf slug = {0};
    bool latency = strcmp(unit, "ns/op") == 0;
    if (latency)
        cb_buf_puts(&slug, "latency");
    for (const char *p = unit; !latency && *p; p++) {
        if (*p == '/')
            cb_buf_puts(&slug, "-per-");
        else if (isalnum((unsigned char)*p))
            cb_buf_putc(&slug, (char)tolower((unsigned char)*p));
        else if (slug.n && slug.p[slug.n - 1] != '-')
            cb_buf_putc(&slug, '-');
    }
    if (slug.failed)
        b->failed = true;
    cb_json_put_string(b, slug.p ? slug.p : "");
    cb_buf_free(&slug);
}

static bool smaller_is_better(const char *unit)
{
    size_t n = strlen(unit);
    return n > 3 && strcmp(unit + n - 3, "/op") == 0;
}

int cb_trackers_write_bencher(const cb_results *r, const char *path)
{
    cb_buf b = {0};
    size_t n;
    series *s = collect(r, &n);
    if (!s)
        b.failed = true;
    cb_buf_putc(&b, '{');
    for (size_t i = 0; s && i < n; i++) {
        const cb_record *rec = &r->v[s[i].first];
        bool first_of_bench = i == 0 || !same_bench(&r->v[s[i - 1].first], rec);
        summary sm;
        if (summarize(r, &s[i], &sm) != 0) {
            b.failed = true;
            break;
        }
        if (first_of_bench) {
            cb_buf_puts(&b, i ? "},\n " : "\n ");
            put_bench_name(&b, rec, NULL);
            cb_buf_puts(&b, ": {");
        } else {
            cb_buf_putc(&b, ',');
        }
        cb_buf_puts(&b, "\n  ");
        put_slug(&b, rec->metrics[s[i].metric].unit);
        cb_buf_puts(&b, ": {\"value\": ");
        cb_json_put_number(&b, sm.median);
        cb_buf_puts(&b, ", \"lower_value\": ");
        cb_json_put_number(&b, sm.min);
        cb_buf_puts(&b, ", \"upper_value\": ");
        cb_json_put_number(&b, sm.max);
        cb_buf_putc(&b, '}');
    }
    cb_buf_puts(&b, n ? "}\n}\n" : "}\n");
    free(s);
    int rc = cb_file_write(&b, path, "bencher.json");
    cb_buf_free(&b);
    return rc;
}

int cb_trackers_write_gab(const cb_results *r, const char *path)
{
    cb_buf b = {0};
    size_t n;
    series *s = collect(r, &n);
    if (!s)
        b.failed = true;
    cb_buf_putc(&b, '[');
    bool any = false;
    for (size_t i = 0; s && i < n; i++) {
        const cb_record *rec = &r->v[s[i].first];
        const char *unit = rec->metrics[s[i].metric].unit;
        summary sm;
        if (!smaller_is_better(unit))
            continue;
        if (summarize(r, &s[i], &sm) != 0) {
            b.failed = true;
            break;
        }
        double spread = 0;
        if (sm.median != 0)
            spread = fmax(fabs(sm.max - sm.median), fabs(sm.median - sm.min)) / fabs(sm.median);
        cb_buf_puts(&b, any ? ",\n {\"name\": " : "\n {\"name\": ");
        any = true;
        put_bench_name(&b, rec, unit);
        cb_buf_puts(&b, ", \"unit\": ");
        cb_json_put_string(&b, unit);
        cb_buf_puts(&b, ", \"value\": ");
        cb_json_put_number(&b, sm.median);
        cb_buf_printf(&b, ", \"range\": \"\xc2\xb1 %.0f%%\", \"extra\": \"median of %zu run%s\"}",
                      100 * spread, sm.n, sm.n == 1 ? "" : "s");
    }
    cb_buf_puts(&b, any ? "\n]\n" : "]\n");
    free(s);
    int rc = cb_file_write(&b, path, "github-action-benchmark.json");
    cb_buf_free(&b);
    return rc;
}

int cb_benchmark_files_write(const cb_results *r, const char *outdir)
{
    static const struct {
        const char *name;
        int (*write)(const cb_results *, const char *);
    } files[] = {{"benchmarks.json", cb_gbench_write},
                 {"bencher.json", cb_trackers_write_bencher},
                 {"github-action-benchmark.json", cb_trackers_write_gab}};
    if (!cb_gbench_has_benchmarks(r))
        return 0;
    int rc = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path;
        if (cb_fault_asprintf(&path, "%s/%s", outdir, files[i].name) < 0) {
            rc = cb_error(ENOMEM, "out of memory writing %s", files[i].name);
            continue;
        }
        if (files[i].write(r, path) != 0)
            rc = -1; /* the message stays: the first failure's is kept below */
        free(path);
    }
    return rc;
}
