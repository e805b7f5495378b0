/*
 * The two result sets `cbench compare` reads (see compare.h): a
 * bench.txt (any file in Go's benchmark format) or a results.json, into
 * samples grouped by benchmark and unit.
 */
#include "compare.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "cbench/profile.h"
#include "formats/results.h"
#include "readfile.h"
#include "results_read.h"

/* ---- sample sets ---- */

cb_sample_set *cb_compare_find(cb_samples *s, const char *name, const char *unit, bool create)
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
    cb_sample_set *set = cb_compare_find(s, name, unit, true);
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

int cb_compare_from_results(const cb_results *r, cb_samples *out)
{
    for (size_t i = 0; i < r->n; i++) {
        const cb_record *rec = &r->v[i];
        if (!cb_record_has_result(rec))
            continue;
        char name[1024];
        cb_compare_bench_name(rec, name, sizeof name);
        for (int k = 0; k < rec->nmetrics; k++)
            if (add_value(out, name, rec->metrics[k].unit, rec->metrics[k].value) != 0)
                return -1;
        /* CPU time per op, which other processes on the machine barely
         * move (wall time, ns/op, they can double). */
        if (rec->cpu_s > 0 && rec->n > 0 &&
            add_value(out, name, CB_COMPARE_CPU_UNIT, rec->cpu_s * 1e9 / (double)rec->n) != 0)
            return -1;
    }
    return 0;
}

void cb_compare_bench_name(const cb_record *rec, char *buf, size_t len)
{
    if (rec->procs > 1)
        snprintf(buf, len, "%s-%d", rec->name, rec->procs);
    else
        snprintf(buf, len, "%s", rec->name);
}

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
    int rc = cb_compare_from_results(&r, out);
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

