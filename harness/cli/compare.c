/*
 * `cbench compare` (see compare.h): reading both result sets, then one
 * table per unit, columns sized to their widest cell.
 */
#include "compare.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cbench/profile.h"
#include "base/fault.h"
#include "formats/buf.h"
#include "formats/results.h"
#include "readfile.h"
#include "results_read.h"
#include "stats.h"

#define SIGNIFICANCE 0.05

/* ---- sample sets ---- */

static cb_sample_set *find_set(cb_samples *s, const char *name, const char *unit, bool create)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0 && strcmp(s->v[i].unit, unit) == 0)
            return &s->v[i];
    if (!create)
        return NULL;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        cb_sample_set *v = cb_fault_realloc(s->v, cap * sizeof v[0]);
        if (!v)
            return NULL;
        s->v = v;
        s->cap = cap;
    }
    cb_sample_set *set = &s->v[s->n];
    memset(set, 0, sizeof set[0]);
    set->name = cb_fault_strdup(name);
    set->unit = cb_fault_strdup(unit);
    if (!set->name || !set->unit) {
        free(set->name);
        free(set->unit);
        return NULL;
    }
    s->n++;
    return set;
}

static int add_value(cb_samples *s, const char *name, const char *unit, double value)
{
    cb_sample_set *set = find_set(s, name, unit, true);
    if (!set)
        return -1;
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 8;
        double *v = cb_fault_realloc(set->v, cap * sizeof v[0]);
        if (!v)
            return -1;
        set->v = v;
        set->cap = cap;
    }
    set->v[set->n++] = value;
    return 0;
}

void cb_compare_free(cb_samples *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].name);
        free(s->v[i].unit);
        free(s->v[i].v);
    }
    free(s->v);
    memset(s, 0, sizeof s[0]);
}

/* ---- bench.txt ---- */

/* Go's rule: "Benchmark" followed by the end of the name or a non-lowercase letter. */
static bool is_bench_name(const char *f)
{
    return strncmp(f, "Benchmark", 9) == 0 && !islower((unsigned char)f[9]);
}

static int read_line(const char *line, size_t len, cb_samples *out)
{
    char *copy = cb_fault_strndup(line, len), *save = NULL;
    if (!copy)
        return -1;
    char *name = strtok_r(copy, " \t\r", &save);
    char *iters = name ? strtok_r(NULL, " \t\r", &save) : NULL;
    char *end;
    int rc = 0;
    if (!name || !iters || !is_bench_name(name) || (strtoll(iters, &end, 10), *end)) {
        free(copy);
        return 0;
    }
    for (;;) {
        char *value = strtok_r(NULL, " \t\r", &save);
        char *unit = value ? strtok_r(NULL, " \t\r", &save) : NULL;
        if (!unit)
            break;
        double v = strtod(value, &end);
        if (*end)
            break;
        if ((rc = add_value(out, name, unit, v)) != 0)
            break;
    }
    free(copy);
    return rc;
}

int cb_compare_read_bench_txt(const char *text, cb_samples *out)
{
    while (*text) {
        size_t len = strcspn(text, "\n");
        if (read_line(text, len, out) != 0)
            return -1;
        text += len + (text[len] == '\n');
    }
    return 0;
}

/* ---- results.json ---- */

/* The benchmarks of a results.json with a result line (passed, or broke
 * a limit), named as in bench.txt: the values bench.txt holds too. */
static int read_results_json(const char *path, const char *text, size_t len, cb_samples *out,
                             char *err, size_t errlen)
{
    cb_results r;
    memset(&r, 0, sizeof r);
    if (cb_results_read(&r, text, len, path) != 0) {
        snprintf(err, errlen, "%s", cbench_last_error());
        cb_results_free(&r);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < r.n && rc == 0; i++) {
        const cb_record *rec = &r.v[i];
        if (!cb_record_has_result(rec))
            continue;
        char name[1024];
        if (rec->procs > 1)
            snprintf(name, sizeof name, "%s-%d", rec->name, rec->procs);
        else
            snprintf(name, sizeof name, "%s", rec->name);
        for (int k = 0; k < rec->nmetrics && rc == 0; k++)
            rc = add_value(out, name, rec->metrics[k].unit, rec->metrics[k].value);
    }
    cb_results_free(&r);
    if (rc != 0)
        snprintf(err, errlen, "%s: out of memory", path);
    return rc;
}

int cb_compare_read(const char *path, cb_samples *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof out[0]);
    size_t len = 0;
    char *text = cb_read_file(path, &len);
    if (!text) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* results.json is one JSON object; bench.txt never starts with '{'. */
    const char *p = text + strspn(text, " \t\r\n");
    int rc;
    if (*p == '{') {
        rc = read_results_json(path, text, len, out, err, errlen);
    } else {
        rc = cb_compare_read_bench_txt(text, out);
        if (rc != 0)
            snprintf(err, errlen, "%s: out of memory", path);
    }
    free(text);
    if (rc != 0) {
        cb_compare_free(out);
        return -1;
    }
    if (out->n == 0) {
        snprintf(err, errlen, "%s: no benchmark results", path);
        return -1;
    }
    return 0;
}

/* ---- the tables ---- */

/* Three significant digits with an SI prefix: 1.04k, 52.1, 0.5, 12.3M. */
static void si(double v, char *buf, size_t len)
{
    static const char *prefix[] = {"", "k", "M", "G", "T", "P"};
    double a = fabs(v);
    size_t i = 0;
    if (a < 1) {
        snprintf(buf, len, "%.3g", v);
        return;
    }
    while (i + 1 < sizeof prefix / sizeof prefix[0] && a >= 999.5) {
        a /= 1000;
        v /= 1000;
        i++;
    }
    snprintf(buf, len, "%.3g%s", v, prefix[i]);
}

typedef struct row {
    char name[256], old[48], new_[48], delta[64];
} row;

/* 0, or -1 when out of memory. */
static int cell(const cb_sample_set *set, double *median, char *buf, size_t len)
{
    if (!set) {
        snprintf(buf, len, "-");
        return 0;
    }
    double *copy = cb_fault_malloc(set->n * sizeof copy[0]);
    if (!copy)
        return -1;
    memcpy(copy, set->v, set->n * sizeof copy[0]);
    *median = cb_stats_median(copy, set->n);
    free(copy);
    char v[32];
    si(*median, v, sizeof v);
    snprintf(buf, len, "%s \xc2\xb1 %.0f%%", v, 100 * cb_stats_spread(set->v, set->n, *median));
    return 0;
}

/* 0, or -1 when out of memory (the test's p-value is then NaN). */
static int fill_delta(const cb_sample_set *o, const cb_sample_set *n, double mo, double mn,
                      char *buf, size_t len)
{
    if (!o || !n) {
        buf[0] = '\0';
        return 0;
    }
    double p = cb_stats_mann_whitney(o->v, o->n, n->v, n->n);
    if (isnan(p))
        return -1;
    char change[24];
    if (!(p <= SIGNIFICANCE))
        snprintf(change, sizeof change, "~");
    else if (mo == 0)
        snprintf(change, sizeof change, "?");
    else
        snprintf(change, sizeof change, "%+.2f%%", 100 * (mn - mo) / fabs(mo));
    snprintf(buf, len, "%s (p=%.3f n=%zu+%zu)", change, p, o->n, n->n);
    return 0;
}

static const char *short_name(const char *name)
{
    return strncmp(name, "Benchmark", 9) == 0 && name[9] ? name + 9 : name;
}

/* One unit's table, appended to out. 0, or -1 when out of memory. */
static int print_unit(cb_buf *out, const char *unit, const cb_samples *old, const cb_samples *new_)
{
    size_t cap = old->n + new_->n, nrows = 0, ngeo = 0;
    int rc = -1;
    row *rows = cb_fault_calloc(cap + 2, sizeof rows[0]);
    double *go = cb_fault_calloc(cap + 1, sizeof go[0]), *gn = cb_fault_calloc(cap + 1, sizeof gn[0]);
    if (!rows || !go || !gn)
        goto out;
    snprintf(rows[0].name, sizeof rows[0].name, "name");
    snprintf(rows[0].old, sizeof rows[0].old, "old %s", unit);
    snprintf(rows[0].new_, sizeof rows[0].new_, "new %s", unit);
    snprintf(rows[0].delta, sizeof rows[0].delta, "delta");
    nrows = 1;
    for (int side = 0; side < 2; side++) {
        const cb_samples *s = side ? new_ : old;
        for (size_t i = 0; i < s->n; i++) {
            const cb_sample_set *set = &s->v[i];
            if (strcmp(set->unit, unit) != 0 ||
                (side && find_set((cb_samples *)old, set->name, unit, false)))
                continue;
            const cb_sample_set *o = side ? NULL : set;
            const cb_sample_set *n = find_set((cb_samples *)new_, set->name, unit, false);
            double mo = 0, mn = 0;
            row *r = &rows[nrows++];
            snprintf(r->name, sizeof r->name, "%s", short_name(set->name));
            if (cell(o, &mo, r->old, sizeof r->old) != 0 ||
                cell(n, &mn, r->new_, sizeof r->new_) != 0 ||
                fill_delta(o, n, mo, mn, r->delta, sizeof r->delta) != 0)
                goto out;
            if (o && n && mo > 0 && mn > 0) {
                go[ngeo] = mo;
                gn[ngeo++] = mn;
            }
        }
    }
    if (ngeo >= 2) {
        row *r = &rows[nrows++];
        double a = cb_stats_geomean(go, ngeo), b = cb_stats_geomean(gn, ngeo);
        snprintf(r->name, sizeof r->name, "[Geo mean]");
        si(a, r->old, sizeof r->old);
        si(b, r->new_, sizeof r->new_);
        snprintf(r->delta, sizeof r->delta, "%+.2f%%", 100 * (b - a) / a);
    }
    int w[3] = {0, 0, 0};
    for (size_t i = 0; i < nrows; i++) {
        int a = (int)strlen(rows[i].name), b = (int)strlen(rows[i].old),
            c = (int)strlen(rows[i].new_);
        w[0] = a > w[0] ? a : w[0];
        w[1] = b > w[1] ? b : w[1];
        w[2] = c > w[2] ? c : w[2];
    }
    for (size_t i = 0; i < nrows; i++) {
        /* "±" is two bytes wide in UTF-8 but one column on screen. */
        int po = strstr(rows[i].old, "\xc2\xb1") ? 1 : 0,
            pn = strstr(rows[i].new_, "\xc2\xb1") ? 1 : 0;
        cb_buf_printf(out, "%-*s  %-*s  %-*s  %s\n", w[0], rows[i].name, w[1] + po, rows[i].old,
                      w[2] + pn, rows[i].new_, rows[i].delta);
    }
    rc = 0;
out:
    free(rows);
    free(go);
    free(gn);
    return rc;
}

int cb_compare_print(FILE *out, const cb_samples *old, const cb_samples *new_)
{
    /* Units in order of first appearance, old file first. */
    const char **units = cb_fault_calloc(old->n + new_->n + 1, sizeof units[0]);
    size_t nunits = 0;
    if (!units) {
        errno = ENOMEM;
        return -1;
    }
    for (int side = 0; side < 2; side++) {
        const cb_samples *s = side ? new_ : old;
        for (size_t i = 0; i < s->n; i++) {
            size_t k;
            for (k = 0; k < nunits && strcmp(units[k], s->v[i].unit) != 0; k++)
                ;
            if (k == nunits)
                units[nunits++] = s->v[i].unit;
        }
    }
    /* All tables are built before any is printed: a failure prints nothing. */
    cb_buf text = {0};
    int rc = 0;
    for (size_t k = 0; k < nunits && rc == 0; k++) {
        if (k)
            cb_buf_putc(&text, '\n');
        rc = print_unit(&text, units[k], old, new_);
    }
    free(units);
    if (rc != 0 || text.failed) {
        cb_buf_free(&text);
        errno = ENOMEM;
        return -1;
    }
    if (text.n && fwrite(text.p, 1, text.n, out) != text.n)
        rc = -1;
    cb_buf_free(&text);
    return rc;
}

int cb_compare_main(int argc, char **argv)
{
    if (argc != 2 || argv[0][0] == '-') {
        fprintf(stderr, "usage: cbench compare OLD NEW\n"
                        "  OLD, NEW: bench.txt (Go benchmark format) or results.json files\n");
        return argc == 1 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) ? 0 : 2;
    }
    cb_samples old, new_;
    char err[512];
    if (cb_compare_read(argv[0], &old, err, sizeof err) != 0) {
        fprintf(stderr, "cbench compare: %s\n", err);
        return 2;
    }
    if (cb_compare_read(argv[1], &new_, err, sizeof err) != 0) {
        fprintf(stderr, "cbench compare: %s\n", err);
        cb_compare_free(&old);
        return 2;
    }
    int rc = cb_compare_print(stdout, &old, &new_);
    if (rc != 0)
        fprintf(stderr, "cbench compare: %s\n", strerror(errno));
    cb_compare_free(&old);
    cb_compare_free(&new_);
    return rc == 0 ? 0 : 2;
}
