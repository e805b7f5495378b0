/*
 * A comparison written out (see compare.h): benchstat's text tables, one
 * per unit, columns sized to their widest cell; one markdown table with
 * the regressions first, for a pull request or a job summary; CSV and
 * JSON for other tools, with every figure.
 */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "formats/json.h"

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

void cb_compare_value_cell(const cb_sample_set *s, double median, double spread, char *buf,
                           size_t len)
{
    if (!s) {
        snprintf(buf, len, "-");
        return;
    }
    char v[32];
    si(median, v, sizeof v);
    snprintf(buf, len, "%s \xc2\xb1 %.0f%%", v, 100 * spread);
}

static void change_text(const cb_cmp_row *r, char *buf, size_t len)
{
    if (r->change == CB_CMP_SAME)
        snprintf(buf, len, "~");
    else if (isinf(r->delta))
        snprintf(buf, len, "%cinf%%", r->delta > 0 ? '+' : '-');
    else
        snprintf(buf, len, "%+.2f%%", 100 * r->delta);
}

void cb_compare_delta_cell(const cb_cmp_row *r, char *buf, size_t len)
{
    if (!r->old || !r->new_) {
        buf[0] = '\0';
        return;
    }
    char change[32];
    change_text(r, change, sizeof change);
    if (r->exact)
        snprintf(buf, len, "%s (exact n=%zu+%zu)", change, r->old->n, r->new_->n);
    else
        snprintf(buf, len, "%s (p=%.3f n=%zu+%zu)", change, r->p, r->old->n, r->new_->n);
}

static const char *short_name(const char *name)
{
    return strncmp(name, "Benchmark", 9) == 0 && name[9] ? name + 9 : name;
}

/* ---- text ---- */

typedef struct cells {
    char name[256], old[48], new_[48], delta[96];
} cells;

static void row_cells(const cb_cmp_row *r, cells *c)
{
    snprintf(c->name, sizeof c->name, "%s", short_name(r->name));
    cb_compare_value_cell(r->old, r->old_median, r->old_spread, c->old, sizeof c->old);
    cb_compare_value_cell(r->new_, r->new_median, r->new_spread, c->new_, sizeof c->new_);
    cb_compare_delta_cell(r, c->delta, sizeof c->delta);
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static void text_unit(cb_buf *out, const cb_comparison *c, const char *unit)
{
    size_t n = 2;
    for (size_t i = 0; i < c->nrows; i++)
        n += strcmp(c->rows[i].unit, unit) == 0;
    cells *rows = cb_fault_calloc(n, sizeof rows[0]);
    if (!rows) {
        out->failed = true;
        return;
    }
    size_t k = 0;
    snprintf(rows[k].name, sizeof rows[k].name, "name");
    snprintf(rows[k].old, sizeof rows[k].old, "old %s", unit);
    snprintf(rows[k].new_, sizeof rows[k].new_, "new %s", unit);
    snprintf(rows[k++].delta, sizeof rows[0].delta, "delta");
    for (size_t i = 0; i < c->nrows; i++)
        if (strcmp(c->rows[i].unit, unit) == 0)
            row_cells(&c->rows[i], &rows[k++]);
    for (size_t g = 0; g < c->ngeomeans; g++) {
        const cb_cmp_geomean *gm = &c->geomeans[g];
        if (strcmp(gm->unit, unit) != 0)
            continue;
        snprintf(rows[k].name, sizeof rows[k].name, "[Geo mean]");
        si(gm->old_, rows[k].old, sizeof rows[k].old);
        si(gm->new_, rows[k].new_, sizeof rows[k].new_);
        snprintf(rows[k++].delta, sizeof rows[0].delta, "%+.2f%%",
                 100 * (gm->new_ - gm->old_) / gm->old_);
    }
    int w[3] = {0, 0, 0};
    for (size_t i = 0; i < k; i++) {
        w[0] = max_int(w[0], (int)strlen(rows[i].name));
        w[1] = max_int(w[1], (int)strlen(rows[i].old));
        w[2] = max_int(w[2], (int)strlen(rows[i].new_));
    }
    for (size_t i = 0; i < k; i++) {
        /* "±" is two bytes wide in UTF-8 but one column on screen. */
        int po = strstr(rows[i].old, "\xc2\xb1") ? 1 : 0,
            pn = strstr(rows[i].new_, "\xc2\xb1") ? 1 : 0;
        cb_buf_printf(out, "%-*s  %-*s  %-*s  %s\n", w[0], rows[i].name, w[1] + po, rows[i].old,
                      w[2] + pn, rows[i].new_, rows[i].delta);
    }
    free(rows);
}

static void format_text(cb_buf *out, const cb_comparison *c)
{
    for (size_t i = 0; i < c->nrows; i++) {
        bool first = true;
        for (size_t k = 0; k < i && first; k++)
            first = strcmp(c->rows[k].unit, c->rows[i].unit) != 0;
        if (!first)
            continue;
        if (i)
            cb_buf_putc(out, '\n');
        text_unit(out, c, c->rows[i].unit);
    }
}

/* ---- markdown ---- */

/* Regressions, then other losses, changes, gains, no change, one side. */
static int rank(const cb_cmp_row *r)
{
    if (r->regression)
        return 0;
    switch (r->change) {
    case CB_CMP_WORSE: return 1;
    case CB_CMP_CHANGED: return 2;
    case CB_CMP_BETTER: return 3;
    case CB_CMP_SAME: return 4;
    case CB_CMP_ONLY_OLD: return 5;
    case CB_CMP_ONLY_NEW: return 6;
    }
    return 7;
}

static int by_rank(const void *a, const void *b)
{
    const cb_cmp_row *x = *(const cb_cmp_row *const *)a, *y = *(const cb_cmp_row *const *)b;
    int rx = rank(x), ry = rank(y);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    double dx = isnan(x->delta) ? 0 : fabs(x->delta), dy = isnan(y->delta) ? 0 : fabs(y->delta);
    if (dx != dy)
        return dx > dy ? -1 : 1;
    return x < y ? -1 : x > y;
}

static void md_text(cb_buf *out, const char *s)
{
    for (; *s; s++) {
        if (strchr("|\\`*_<>[]", *s))
            cb_buf_putc(out, '\\');
        cb_buf_putc(out, *s == '\n' ? ' ' : *s);
    }
}

static const char *change_word(const cb_cmp_row *r)
{
    if (r->regression)
        return "**regression**";
    switch (r->change) {
    case CB_CMP_WORSE: return "worse";
    case CB_CMP_CHANGED: return "changed";
    case CB_CMP_BETTER: return "better";
    case CB_CMP_SAME: return "~";
    case CB_CMP_ONLY_OLD: return "removed";
    case CB_CMP_ONLY_NEW: return "new";
    }
    return "";
}

static void format_markdown(cb_buf *out, const cb_comparison *c, const cb_cmp_options *o)
{
    if (o->fail_above >= 0 || o->fail_missing) {
        bool failed = cb_compare_failed(c, o);
        cb_buf_printf(out, "**cbench compare: %s**", failed ? "FAIL" : "ok");
        if (o->fail_above >= 0)
            cb_buf_printf(out, " \xe2\x80\x94 %zu regression%s beyond %g%%", c->nregressions,
                          c->nregressions == 1 ? "" : "s", o->fail_above);
        if (c->nonly_old || c->nonly_new)
            cb_buf_printf(out, ", %zu benchmark%s on one side only", c->nonly_old + c->nonly_new,
                          c->nonly_old + c->nonly_new == 1 ? "" : "s");
        cb_buf_puts(out, "\n\n");
    }
    const cb_cmp_row **order = cb_fault_calloc(c->nrows + 1, sizeof order[0]);
    if (!order) {
        out->failed = true;
        return;
    }
    for (size_t i = 0; i < c->nrows; i++)
        order[i] = &c->rows[i];
    qsort(order, c->nrows, sizeof order[0], by_rank);
    cb_buf_puts(out, "| benchmark | unit | old | new | delta | |\n"
                     "|:--|:--|--:|--:|--:|:--|\n");
    for (size_t i = 0; i < c->nrows; i++) {
        cells cl;
        row_cells(order[i], &cl);
        cb_buf_puts(out, "| ");
        md_text(out, cl.name);
        cb_buf_puts(out, " | ");
        md_text(out, order[i]->unit);
        cb_buf_printf(out, " | %s | %s | ", cl.old, cl.new_);
        md_text(out, cl.delta);
        cb_buf_printf(out, " | %s |\n", change_word(order[i]));
    }
    free(order);
    for (size_t g = 0; g < c->ngeomeans; g++) {
        const cb_cmp_geomean *gm = &c->geomeans[g];
        char a[32], b[32];
        si(gm->old_, a, sizeof a);
        si(gm->new_, b, sizeof b);
        cb_buf_puts(out, g ? "" : "\nGeometric means: ");
        md_text(out, gm->unit);
        cb_buf_printf(out, " %s \xe2\x86\x92 %s (%+.2f%%)%s", a, b,
                      100 * (gm->new_ - gm->old_) / gm->old_, g + 1 < c->ngeomeans ? "; " : "\n");
    }
    for (size_t i = 0; i < c->nwarnings; i++) {
        cb_buf_puts(out, i ? "\n> " : "\n> **Warning:** ");
        md_text(out, c->warnings[i]);
        cb_buf_putc(out, '\n');
    }
}

/* ---- csv ---- */

static void csv_text(cb_buf *out, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        cb_buf_puts(out, s);
        return;
    }
    cb_buf_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"')
            cb_buf_putc(out, '"');
        cb_buf_putc(out, *s);
    }
    cb_buf_putc(out, '"');
}

static void csv_number(cb_buf *out, double v)
{
    if (isnan(v))
        return;
    if (isinf(v))
        cb_buf_puts(out, v > 0 ? "inf" : "-inf");
    else
        cb_buf_printf(out, "%.10g", v);
}

static const char *change_name(const cb_cmp_row *r)
{
    switch (r->change) {
    case CB_CMP_SAME: return "same";
    case CB_CMP_BETTER: return "better";
    case CB_CMP_WORSE: return "worse";
    case CB_CMP_CHANGED: return "changed";
    case CB_CMP_ONLY_OLD: return "only_old";
    case CB_CMP_ONLY_NEW: return "only_new";
    }
    return "";
}

static void format_csv(cb_buf *out, const cb_comparison *c)
{
    cb_buf_puts(out, "benchmark,unit,old_median,old_spread,old_runs,new_median,new_spread,new_runs,"
                     "delta,p,exact,change,regression\n");
    for (size_t i = 0; i < c->nrows; i++) {
        const cb_cmp_row *r = &c->rows[i];
        csv_text(out, r->name);
        cb_buf_putc(out, ',');
        csv_text(out, r->unit);
        cb_buf_putc(out, ',');
        csv_number(out, r->old_median);
        cb_buf_putc(out, ',');
        csv_number(out, r->old_spread);
        cb_buf_printf(out, ",%zu,", r->old ? r->old->n : 0);
        csv_number(out, r->new_median);
        cb_buf_putc(out, ',');
        csv_number(out, r->new_spread);
        cb_buf_printf(out, ",%zu,", r->new_ ? r->new_->n : 0);
        csv_number(out, r->delta);
        cb_buf_putc(out, ',');
        csv_number(out, r->p);
        cb_buf_printf(out, ",%s,%s,%s\n", r->exact ? "true" : "false", change_name(r),
                      r->regression ? "true" : "false");
    }
}

/* ---- json ---- */

static void json_side(cb_buf *out, const cb_sample_set *s, double median, double spread)
{
    if (!s) {
        cb_buf_puts(out, "null");
        return;
    }
    cb_buf_puts(out, "{\"median\":");
    cb_json_put_number(out, median);
    cb_buf_puts(out, ",\"spread\":");
    cb_json_put_number(out, spread);
    cb_buf_puts(out, ",\"values\":[");
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            cb_buf_putc(out, ',');
        cb_json_put_number(out, s->v[i]);
    }
    cb_buf_puts(out, "]}");
}

static void json_strings(cb_buf *out, const char *key, char *const *v, size_t n)
{
    cb_buf_printf(out, ",\n \"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (i)
            cb_buf_putc(out, ',');
        cb_json_put_string(out, v[i]);
    }
    cb_buf_putc(out, ']');
}

static void format_json(cb_buf *out, const cb_comparison *c, const cb_cmp_options *o)
{
    cb_buf_puts(out, "{\"alpha\":0.05,\"fail_above\":");
    if (o->fail_above >= 0)
        cb_json_put_number(out, o->fail_above);
    else
        cb_buf_puts(out, "null");
    cb_buf_printf(out, ",\"fail_missing\":%s,\"failed\":%s,\"regressions\":%zu,\n \"rows\":[",
                  o->fail_missing ? "true" : "false", cb_compare_failed(c, o) ? "true" : "false",
                  c->nregressions);
    for (size_t i = 0; i < c->nrows; i++) {
        const cb_cmp_row *r = &c->rows[i];
        cb_buf_puts(out, i ? ",\n  {\"benchmark\":" : "\n  {\"benchmark\":");
        cb_json_put_string(out, r->name);
        cb_buf_puts(out, ",\"unit\":");
        cb_json_put_string(out, r->unit);
        cb_buf_puts(out, ",\"old\":");
        json_side(out, r->old, r->old_median, r->old_spread);
        cb_buf_puts(out, ",\"new\":");
        json_side(out, r->new_, r->new_median, r->new_spread);
        cb_buf_puts(out, ",\"delta\":");
        cb_json_put_number(out, r->delta);
        cb_buf_puts(out, ",\"p\":");
        cb_json_put_number(out, r->p);
        cb_buf_printf(out, ",\"exact\":%s,\"better\":%s,\"change\":\"%s\",\"regression\":%s}",
                      r->exact ? "true" : "false",
                      r->better < 0 ? "\"lower\"" : r->better > 0 ? "\"higher\"" : "null",
                      change_name(r), r->regression ? "true" : "false");
    }
    cb_buf_puts(out, "],\n \"geomeans\":[");
    for (size_t g = 0; g < c->ngeomeans; g++) {
        cb_buf_puts(out, g ? ",{\"unit\":" : "{\"unit\":");
        cb_json_put_string(out, c->geomeans[g].unit);
        cb_buf_puts(out, ",\"old\":");
        cb_json_put_number(out, c->geomeans[g].old_);
        cb_buf_puts(out, ",\"new\":");
        cb_json_put_number(out, c->geomeans[g].new_);
        cb_buf_printf(out, ",\"benchmarks\":%zu}", c->geomeans[g].n);
    }
    cb_buf_putc(out, ']');
    json_strings(out, "only_old", c->only_old, c->nonly_old);
    json_strings(out, "only_new", c->only_new, c->nonly_new);
    json_strings(out, "warnings", c->warnings, c->nwarnings);
    cb_buf_puts(out, "}\n");
}

void cb_compare_format(cb_buf *out, const cb_comparison *c, const cb_cmp_options *o,
                       cb_cmp_format f)
{
    switch (f) {
    case CB_CMP_TEXT: format_text(out, c); break;
    case CB_CMP_MARKDOWN: format_markdown(out, c, o); break;
    case CB_CMP_CSV: format_csv(out, c); break;
    case CB_CMP_JSON: format_json(out, c, o); break;
    }
}
