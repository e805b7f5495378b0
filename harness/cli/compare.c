/*
 * `cbench compare` (see compare.h): the rows of a comparison, their
 * verdicts and the gate, and the command itself. The tables are
 * compare_format.c's; reading the files, compare_read.c's.
 */
#include "compare.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "cbench/profile.h"
#include "stats.h"
#include "subargs.h"

#define SIGNIFICANCE 0.05

static const char *const default_exact[] = {"allocs/op", "B/op", "instructions/op"};

void cb_compare_options_init(cb_cmp_options *o)
{
    memset(o, 0, sizeof o[0]);
    o->fail_above = -1;
}

static bool listed(const char *unit, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(unit, list[i]) == 0)
            return true;
    return false;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n > t && strcmp(s + n - t, tail) == 0;
}

static int direction(const char *unit, const cb_cmp_options *o)
{
    if (listed(unit, o->lower, o->nlower))
        return -1;
    if (listed(unit, o->higher, o->nhigher))
        return 1;
    if (ends_with(unit, "/op"))
        return -1;
    if (ends_with(unit, "/s"))
        return 1;
    return 0;
}

static bool is_exact_unit(const char *unit, const cb_cmp_options *o)
{
    return listed(unit, default_exact, sizeof default_exact / sizeof default_exact[0]) ||
           listed(unit, o->exact, o->nexact);
}

static bool all_equal(const cb_sample_set *s)
{
    for (size_t i = 1; i < s->n; i++)
        if (s->v[i] != s->v[0])
            return false;
    return true;
}

/* Median and spread of a side. -1 when out of memory. */
static int summarize(const cb_sample_set *s, double *median, double *spread)
{
    *median = *spread = NAN;
    if (!s)
        return 0;
    double *copy = cb_fault_malloc(s->n * sizeof copy[0]);
    if (!copy)
        return -1;
    memcpy(copy, s->v, s->n * sizeof copy[0]);
    *median = cb_stats_median(copy, s->n);
    free(copy);
    *spread = cb_stats_spread(s->v, s->n, *median);
    return 0;
}

/* One row's figures and verdict. -1 when out of memory. */
static int judge(cb_cmp_row *r, const cb_cmp_options *o)
{
    r->p = r->delta = NAN;
    r->better = direction(r->unit, o);
    if (summarize(r->old, &r->old_median, &r->old_spread) != 0 ||
        summarize(r->new_, &r->new_median, &r->new_spread) != 0)
        return -1;
    if (!r->old || !r->new_) {
        r->change = r->old ? CB_CMP_ONLY_OLD : CB_CMP_ONLY_NEW;
        return 0;
    }
    double mo = r->old_median, mn = r->new_median;
    r->delta = mo != 0 ? (mn - mo) / fabs(mo) : mn == mo ? 0 : copysign(INFINITY, mn - mo);
    bool real;
    r->exact = is_exact_unit(r->unit, o) && all_equal(r->old) && all_equal(r->new_);
    if (r->exact) {
        real = mo != mn;
    } else {
        r->p = cb_stats_mann_whitney(r->old->v, r->old->n, r->new_->v, r->new_->n);
        if (isnan(r->p))
            return -1;
        real = r->p <= SIGNIFICANCE && mo != mn;
    }
    if (!real)
        r->change = CB_CMP_SAME;
    else if (r->better == 0)
        r->change = CB_CMP_CHANGED;
    else
        r->change = (mn - mo) * r->better > 0 ? CB_CMP_BETTER : CB_CMP_WORSE;
    r->regression = r->change == CB_CMP_WORSE && o->fail_above >= 0 &&
                    fabs(r->delta) * 100 > o->fail_above;
    return 0;
}

static int push_string(char ***v, size_t *n, char *s)
{
    if (!s)
        return -1;
    char **t = cb_fault_realloc(*v, (*n + 1) * sizeof t[0]);
    if (!t) {
        free(s);
        return -1;
    }
    t[(*n)++] = s;
    *v = t;
    return 0;
}

/* The smallest p-value the U test can give for m and n runs. */
static double smallest_p(size_t m, size_t n)
{
    double *x = cb_fault_malloc((m + n) * sizeof x[0]);
    if (!x)
        return NAN;
    for (size_t i = 0; i < m + n; i++)
        x[i] = (double)i;
    double p = cb_stats_mann_whitney(x, m, x + m, n);
    free(x);
    return p;
}

/* A warning per unit and run counts for which no change can be real. */
static int warn_few_runs(cb_comparison *c, const char *unit)
{
    for (size_t i = 0; i < c->nrows; i++) {
        const cb_cmp_row *r = &c->rows[i];
        if (strcmp(r->unit, unit) != 0 || !r->old || !r->new_ || r->exact)
            continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(c->rows[k].unit, unit) == 0 && c->rows[k].old && c->rows[k].new_ &&
                   !c->rows[k].exact && c->rows[k].old->n == r->old->n &&
                   c->rows[k].new_->n == r->new_->n;
        if (seen)
            continue;
        double p = smallest_p(r->old->n, r->new_->n);
        if (isnan(p))
            return -1;
        if (p <= SIGNIFICANCE)
            continue;
        char *w;
        if (cb_fault_asprintf(&w,
                              "%s: with %zu and %zu runs no change can be significant (the "
                              "smallest p-value is %.3f > %.2f); take --count 5 or more on "
                              "each side",
                              unit, r->old->n, r->new_->n, p, SIGNIFICANCE) < 0 ||
            push_string(&c->warnings, &c->nwarnings, w) != 0)
            return -1;
    }
    return 0;
}

static bool has_name(const cb_samples *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return true;
    return false;
}

/* Benchmarks with no value at all on the other side, each once. */
static int find_missing(const cb_samples *from, const cb_samples *other, char ***out, size_t *n)
{
    for (size_t i = 0; i < from->n; i++) {
        const char *name = from->v[i].name;
        bool dup = false;
        for (size_t k = 0; k < *n && !dup; k++)
            dup = strcmp((*out)[k], name) == 0;
        if (!dup && !has_name(other, name) &&
            push_string(out, n, cb_fault_strdup(name)) != 0)
            return -1;
    }
    return 0;
}

static int add_geomean(cb_comparison *c, const char *unit)
{
    double *go = cb_fault_malloc((c->nrows + 1) * sizeof go[0]);
    double *gn = cb_fault_malloc((c->nrows + 1) * sizeof gn[0]);
    int rc = go && gn ? 0 : -1;
    size_t n = 0;
    for (size_t i = 0; rc == 0 && i < c->nrows; i++) {
        const cb_cmp_row *r = &c->rows[i];
        if (strcmp(r->unit, unit) == 0 && r->old && r->new_ && r->old_median > 0 &&
            r->new_median > 0) {
            go[n] = r->old_median;
            gn[n++] = r->new_median;
        }
    }
    if (rc == 0 && n >= 2) {
        cb_cmp_geomean *g = cb_fault_realloc(c->geomeans, (c->ngeomeans + 1) * sizeof g[0]);
        if (!g)
            rc = -1;
        else {
            c->geomeans = g;
            g[c->ngeomeans++] =
                (cb_cmp_geomean){unit, cb_stats_geomean(go, n), cb_stats_geomean(gn, n), n};
        }
    }
    free(go);
    free(gn);
    return rc;
}

static int build(cb_comparison *c, const cb_samples *old, const cb_samples *new_,
                 const cb_cmp_options *o)
{
    size_t cap = old->n + new_->n;
    if (!(c->rows = cb_fault_calloc(cap + 1, sizeof c->rows[0])))
        return -1;
    /* Units in order of first appearance, old file first. */
    for (int uside = 0; uside < 2; uside++) {
        const cb_samples *us = uside ? new_ : old;
        for (size_t u = 0; u < us->n; u++) {
            const char *unit = us->v[u].unit;
            bool seen = false;
            for (size_t k = 0; k < c->nrows && !seen; k++)
                seen = strcmp(c->rows[k].unit, unit) == 0;
            if (seen)
                continue;
            for (int side = 0; side < 2; side++) {
                const cb_samples *s = side ? new_ : old;
                for (size_t i = 0; i < s->n; i++) {
                    cb_sample_set *set = &s->v[i];
                    if (listed(unit, o->ignore, o->nignore))
                        continue;
                    if (strcmp(set->unit, unit) != 0 ||
                        (side && cb_compare_find((cb_samples *)old, set->name, unit, false)))
                        continue;
                    cb_cmp_row *r = &c->rows[c->nrows++];
                    r->name = set->name;
                    r->unit = set->unit;
                    r->old = side ? NULL : set;
                    r->new_ = cb_compare_find((cb_samples *)new_, set->name, unit, false);
                    if (judge(r, o) != 0)
                        return -1;
                    c->nregressions += r->regression;
                }
            }
            if (add_geomean(c, unit) != 0 || warn_few_runs(c, unit) != 0)
                return -1;
        }
    }
    if (find_missing(old, new_, &c->only_old, &c->nonly_old) != 0 ||
        find_missing(new_, old, &c->only_new, &c->nonly_new) != 0)
        return -1;
    return 0;
}

int cb_compare_build(cb_comparison *c, const cb_samples *old, const cb_samples *new_,
                     const cb_cmp_options *o)
{
    memset(c, 0, sizeof c[0]);
    if (build(c, old, new_, o) != 0) {
        cb_comparison_free(c);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void cb_comparison_free(cb_comparison *c)
{
    for (size_t i = 0; i < c->nwarnings; i++)
        free(c->warnings[i]);
    for (size_t i = 0; i < c->nonly_old; i++)
        free(c->only_old[i]);
    for (size_t i = 0; i < c->nonly_new; i++)
        free(c->only_new[i]);
    free(c->warnings);
    free(c->only_old);
    free(c->only_new);
    free(c->rows);
    free(c->geomeans);
    memset(c, 0, sizeof c[0]);
}

bool cb_compare_failed(const cb_comparison *c, const cb_cmp_options *o)
{
    return c->nregressions > 0 || (o->fail_missing && (c->nonly_old || c->nonly_new));
}

int cb_compare_print(FILE *out, const cb_samples *old, const cb_samples *new_)
{
    cb_cmp_options o;
    cb_compare_options_init(&o);
    cb_comparison c;
    if (cb_compare_build(&c, old, new_, &o) != 0)
        return -1;
    cb_buf text = {0};
    cb_compare_format(&text, &c, &o, CB_CMP_TEXT);
    cb_comparison_free(&c);
    int rc = 0;
    if (text.failed) {
        errno = ENOMEM;
        rc = -1;
    } else if (text.n && fwrite(text.p, 1, text.n, out) != text.n) {
        rc = -1;
    }
    cb_buf_free(&text);
    return rc;
}

/* ---- the command ---- */

typedef struct unit_list {
    const char **v;
    size_t n;
    bool failed;
} unit_list;

static void add_unit(void *ctx, const char *value)
{
    unit_list *l = ctx;
    const char **v = cb_fault_realloc(l->v, (l->n + 1) * sizeof v[0]);
    if (!v) {
        l->failed = true;
        return;
    }
    v[l->n++] = value;
    l->v = v;
}

static int usage(const char *why)
{
    if (why)
        fprintf(stderr, "cbench compare: %s\n", why);
    fprintf(why ? stderr : stdout,
            "usage: cbench compare [flags] OLD NEW\n"
            "  OLD, NEW: bench.txt (Go benchmark format) or results.json files\n"
            "  --fail-above PCT        exit 1 when a benchmark got significantly worse by more\n"
            "                          than PCT percent in any unit\n"
            "  --fail-missing          exit 1 when a benchmark is on one side only\n"
            "  --format F              text (default), markdown, csv or json\n"
            "  --lower-is-better UNIT  a unit where less is better (like any */op); repeatable\n"
            "  --higher-is-better UNIT a unit where more is better (like any */s); repeatable\n"
            "  --exact UNIT            a counted unit: when every run on each side agrees, any\n"
            "                          change counts, without statistics (like allocs/op, B/op,\n"
            "                          instructions/op); repeatable\n"
            "  --ignore UNIT           leave UNIT out (ns/op on a shared machine, where cpu-ns/op,\n"
            "                          from results.json, is steadier); repeatable\n");
    return why ? 2 : 0;
}

static int parse_format(const char *s, cb_cmp_format *f)
{
    static const struct {
        const char *name;
        cb_cmp_format f;
    } names[] = {{"text", CB_CMP_TEXT}, {"markdown", CB_CMP_MARKDOWN}, {"md", CB_CMP_MARKDOWN},
                 {"csv", CB_CMP_CSV},   {"json", CB_CMP_JSON}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return *f = names[i].f, 0;
    return -1;
}

/* The gate's verdict and the warnings, on stderr. */
static void report_gate(const cb_comparison *c, const cb_cmp_options *o)
{
    for (size_t i = 0; i < c->nwarnings; i++)
        fprintf(stderr, "cbench compare: warning: %s\n", c->warnings[i]);
    if (o->fail_above >= 0 && c->nregressions) {
        fprintf(stderr, "cbench compare: %zu regression%s beyond %g%%:\n", c->nregressions,
                c->nregressions > 1 ? "s" : "", o->fail_above);
        for (size_t i = 0; i < c->nrows; i++) {
            if (!c->rows[i].regression)
                continue;
            char delta[96];
            cb_compare_delta_cell(&c->rows[i], delta, sizeof delta);
            fprintf(stderr, "  %s %s: %s\n", c->rows[i].name, c->rows[i].unit, delta);
        }
    } else if (o->fail_above >= 0) {
        fprintf(stderr, "cbench compare: no regression beyond %g%%\n", o->fail_above);
    }
    for (size_t i = 0; i < c->nonly_old; i++)
        fprintf(stderr, "cbench compare: %s%s is in OLD only\n",
                o->fail_missing ? "FAIL: " : "", c->only_old[i]);
    for (size_t i = 0; i < c->nonly_new; i++)
        fprintf(stderr, "cbench compare: %s%s is in NEW only\n",
                o->fail_missing ? "FAIL: " : "", c->only_new[i]);
}

int cb_compare_main(int argc, char **argv)
{
    cb_cmp_options o;
    cb_compare_options_init(&o);
    const char *fail_above = NULL, *format = "text";
    bool help = false;
    unit_list lower = {0}, higher = {0}, exact = {0}, ignore = {0};
    cb_subarg specs[] = {
        {"fail-above", &fail_above, NULL, NULL, NULL},
        {"fail-missing", NULL, &o.fail_missing, NULL, NULL},
        {"format", &format, NULL, NULL, NULL},
        {"lower-is-better", NULL, NULL, add_unit, &lower},
        {"higher-is-better", NULL, NULL, add_unit, &higher},
        {"exact", NULL, NULL, add_unit, &exact},
        {"ignore", NULL, NULL, add_unit, &ignore},
        {"h", NULL, &help, NULL, NULL},
        {"help", NULL, &help, NULL, NULL},
    };
    char err[512];
    int nops = 0, status = 2;
    cb_cmp_format f = CB_CMP_TEXT;
    cb_samples old = {0}, new_ = {0};
    cb_comparison c = {0};
    if (cb_subargs_parse(argc, argv, specs, sizeof specs / sizeof specs[0], &nops, err,
                         sizeof err) != 0) {
        status = usage(err);
        goto out;
    }
    if (help) {
        status = usage(NULL);
        goto out;
    }
    if (lower.failed || higher.failed || exact.failed || ignore.failed) {
        fprintf(stderr, "cbench compare: out of memory\n");
        goto out;
    }
    if (nops != 2) {
        status = usage("two files to compare: OLD NEW");
        goto out;
    }
    if (fail_above) {
        char *end;
        o.fail_above = strtod(fail_above, &end);
        if (*end == '%')
            end++;
        if (*end || end == fail_above || !(o.fail_above >= 0) || isinf(o.fail_above)) {
            status = usage("--fail-above: not a percentage >= 0");
            goto out;
        }
    }
    if (parse_format(format, &f) != 0) {
        status = usage("--format: text, markdown, csv or json");
        goto out;
    }
    o.lower = lower.v, o.nlower = lower.n;
    o.higher = higher.v, o.nhigher = higher.n;
    o.exact = exact.v, o.nexact = exact.n;
    o.ignore = ignore.v, o.nignore = ignore.n;
    if (cb_compare_read(argv[0], &old, err, sizeof err) != 0 ||
        cb_compare_read(argv[1], &new_, err, sizeof err) != 0) {
        fprintf(stderr, "cbench compare: %s\n", err);
        goto out;
    }
    cb_buf text = {0};
    if (cb_compare_build(&c, &old, &new_, &o) == 0)
        cb_compare_format(&text, &c, &o, f);
    if (!c.rows || text.failed) {
        fprintf(stderr, "cbench compare: out of memory\n");
        cb_buf_free(&text);
        goto out;
    }
    if (text.n && (fwrite(text.p, 1, text.n, stdout) != text.n || fflush(stdout) != 0)) {
        fprintf(stderr, "cbench compare: writing the table: %s\n", strerror(errno));
        cb_buf_free(&text);
        goto out;
    }
    cb_buf_free(&text);
    report_gate(&c, &o);
    status = cb_compare_failed(&c, &o) ? 1 : 0;
out:
    cb_comparison_free(&c);
    cb_compare_free(&old);
    cb_compare_free(&new_);
    free(lower.v);
    free(higher.v);
    free(exact.v);
    free(ignore.v);
    return status;
}
