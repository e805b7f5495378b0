/*
 * The report's page (see report.h): one HTML file, its style and its one
 * small script inline, every link relative (the folder can move), every name and
 * message escaped. Flame graphs are <object>s of their SVG files, so
 * that each runs its own script (zoom, search); a test's graphs are
 * <iframe loading="lazy"> inside closed <details>, so a page of
 * hundreds of tests opens at once and loads a graph when it is opened.
 */
#include "report_html.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "binprof.h"
#include "formats/benchline.h"
#include "formats/xml.h"
#include "pprof/flame.h"

static const char css[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}"
    "h1 .pass,td.pass{color:#080}h1 .fail,td.fail{color:#c00}td.skip{color:#777}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}"
    "th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.regression td{background:#fde8e8}tr.better td{background:#e8f6e8}"
    "pre{margin:.2em 0;white-space:pre-wrap;max-height:20em;overflow:auto;background:#f8f8f8}"
    ".meta{color:#555}object,iframe{border:0;display:block;max-width:100%}"
    "details{margin:.2em 0}summary{cursor:pointer;color:#36c}";

static void text(cb_buf *b, const char *s)
{
    cb_xml_put(b, s, false);
}

/* A relative path as a URL: every byte but [A-Za-z0-9/._~-] encoded
 * (safe names hold '%', which must reach the server as "%25"). */
static void url(cb_buf *b, const char *path)
{
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/._~-", *p))
            cb_buf_putc(b, (char)*p);
        else
            cb_buf_printf(b, "%%%02X", *p);
    }
}

static void link(cb_buf *b, const char *path, const char *label)
{
    cb_buf_puts(b, "<a href=\"");
    url(b, path);
    cb_buf_puts(b, "\">");
    text(b, label);
    cb_buf_puts(b, "</a>");
}

static void object(cb_buf *b, const cb_report_graph *g)
{
    cb_buf_puts(b, "<object type=\"image/svg+xml\" data=\"");
    url(b, g->svg);
    cb_buf_printf(b, "\" width=\"%d\" height=\"%.0f\"></object>\n", CB_FLAME_WIDTH, g->height);
}

/* A closed <details>; the script below puts the graph's <iframe> in it
 * when it is first opened. */
static void lazy_frame(cb_buf *b, const cb_report_graph *g, const char *label)
{
    cb_buf_puts(b, "<details class=\"graph\" data-src=\"");
    url(b, g->svg);
    cb_buf_printf(b, "\" data-height=\"%.0f\"><summary>", g->height);
    text(b, label);
    cb_buf_puts(b, " flame graph</summary></details>");
}

static const char script[] =
    "document.addEventListener('toggle',function(e){var d=e.target;"
    "if(!d.open||!d.classList||!d.classList.contains('graph')||d.querySelector('iframe'))return;"
    "var f=document.createElement('iframe');f.src=d.getAttribute('data-src');"
    "f.width='1220';f.height=String(+d.getAttribute('data-height')+20);d.appendChild(f);},true);";

static const char *status_class(cb_status s)
{
    return s == CB_PASS ? "pass" : s == CB_FAIL ? "fail" : "skip";
}

static void header(cb_buf *b, const cb_report *r)
{
    const cb_results *res = r->cfg->results;
    cb_summary sum;
    cb_results_summary(res, &sum);
    const char *verdict = r->cfg->passed ? "PASS" : "FAIL";
    cb_buf_printf(b,
                  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<title>cbench: %s</title>\n<style>%s</style></head>\n<body>\n"
                  "<h1>cbench report <span class=\"%s\" id=\"verdict\">%s</span></h1>\n",
                  verdict, css, r->cfg->passed ? "pass" : "fail", verdict);
    char when[64] = "";
    time_t t = (time_t)(res->started_ns / 1000000000);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    cb_buf_printf(b, "<p class=\"meta\">Started %s, %.2f s; %s/%s", when, r->cfg->elapsed_s,
                  res->goos ? res->goos : "", res->goarch ? res->goarch : "");
    if (res->cpu && *res->cpu) {
        cb_buf_puts(b, ", ");
        text(b, res->cpu);
    }
    cb_buf_printf(b,
                  ".<br>%zu tests and %zu benchmarks: <span id=\"passed\">%zu</span> passed, "
                  "<span id=\"failed\">%zu</span> failed, %zu skipped.</p>\n",
                  sum.tests, sum.benchmarks, sum.passed, sum.failed, sum.skipped);
    cb_buf_puts(b, "<p id=\"files\">Files: ");
    link(b, "results.json", "results.json");
    cb_buf_puts(b, " &middot; ");
    link(b, "bench.txt", "bench.txt");
    cb_buf_puts(b, " &middot; ");
    link(b, "junit.xml", "junit.xml");
    if (sum.benchmarks) {
        cb_buf_puts(b, " &middot; ");
        link(b, "benchmarks.json", "benchmarks.json");
    }
    cb_buf_puts(b, "</p>\n");
}

static void compare_section(cb_buf *b, const cb_report *r)
{
    const cb_comparison *c = &r->cmp;
    size_t worse = 0;
    for (size_t i = 0; i < c->nrows; i++)
        worse += c->rows[i].change == CB_CMP_WORSE;
    cb_buf_puts(b, "<section id=\"compare\"><h2>Compared with ");
    text(b, r->cfg->baseline);
    cb_buf_printf(b, "</h2>\n<p>%zu result%s significantly worse, ", worse, worse == 1 ? "" : "s");
    size_t better = 0;
    for (size_t i = 0; i < c->nrows; i++)
        better += c->rows[i].change == CB_CMP_BETTER;
    cb_buf_printf(b, "%zu better (Mann-Whitney U test, p &le; 0.05; exact units when every run "
                     "agrees).</p>\n",
                  better);
    cb_buf_puts(b, "<table><tr><th>benchmark</th><th>unit</th><th>baseline</th><th>this run</th>"
                   "<th>delta</th><th>differential flame graphs</th></tr>\n");
    /* Worse first, then better, then the rest, as the markdown table. */
    static const cb_cmp_change order[] = {CB_CMP_WORSE,    CB_CMP_CHANGED,  CB_CMP_BETTER,
                                          CB_CMP_SAME,     CB_CMP_ONLY_OLD, CB_CMP_ONLY_NEW};
    for (size_t o = 0; o < sizeof order / sizeof order[0]; o++) {
        for (size_t i = 0; i < c->nrows; i++) {
            const cb_cmp_row *row = &c->rows[i];
            if (row->change != order[o])
                continue;
            char oc[64], nc[64], dc[128];
            cb_compare_value_cell(row->old, row->old_median, row->old_spread, oc, sizeof oc);
            cb_compare_value_cell(row->new_, row->new_median, row->new_spread, nc, sizeof nc);
            cb_compare_delta_cell(row, dc, sizeof dc);
            const char *cls = row->change == CB_CMP_WORSE    ? " class=\"regression\""
                              : row->change == CB_CMP_BETTER ? " class=\"better\""
                                                             : "";
            cb_buf_printf(b, "<tr%s><td>", cls);
            text(b, row->name);
            cb_buf_puts(b, "</td><td>");
            text(b, row->unit);
            cb_buf_puts(b, "</td><td class=\"num\">");
            text(b, oc);
            cb_buf_puts(b, "</td><td class=\"num\">");
            text(b, nc);
            cb_buf_puts(b, "</td><td>");
            text(b, dc);
            cb_buf_puts(b, "</td><td>");
            for (size_t k = 0; r->diffs && k < CB_REPORT_KINDS; k++)
                if (r->diffs[i].graph[k].svg) {
                    link(b, r->diffs[i].graph[k].svg, cb_binprof_kinds[k]);
                    cb_buf_putc(b, ' ');
                }
            cb_buf_puts(b, "</td></tr>\n");
        }
    }
    cb_buf_puts(b, "</table>\n");
    for (size_t i = 0; i < c->nwarnings; i++) {
        cb_buf_puts(b, "<p class=\"meta\">Warning: ");
        text(b, c->warnings[i]);
        cb_buf_puts(b, "</p>\n");
    }
    /* The CPU graphs (or the first kind there is) of what got worse. */
    for (size_t i = 0; r->diffs && i < c->nrows; i++) {
        for (size_t k = 0; k < CB_REPORT_KINDS; k++) {
            const cb_report_graph *g = &r->diffs[i].graph[k];
            if (!g->svg)
                continue;
            cb_buf_puts(b, "<h3 class=\"diff\">");
            text(b, c->rows[i].name);
            cb_buf_printf(b, ": %s, this run against the baseline</h3>\n", cb_binprof_kinds[k]);
            object(b, g);
            break;
        }
    }
    cb_buf_puts(b, "</section>\n");
}

static void failures(cb_buf *b, const cb_report *r)
{
    const cb_results *res = r->cfg->results;
    bool any = false;
    for (size_t i = 0; i < res->n; i++) {
        const cb_record *rec = &res->v[i];
        if (rec->status != CB_FAIL)
            continue;
        if (!any)
            cb_buf_puts(b, "<section id=\"failures\"><h2>Failures</h2>\n<ul>\n");
        any = true;
        cb_buf_puts(b, "<li><b>");
        text(b, rec->binary ? rec->binary : "");
        cb_buf_puts(b, ": ");
        text(b, rec->name);
        cb_buf_puts(b, "</b><pre class=\"reason\">");
        text(b, rec->message ? rec->message : "(no reason given)");
        cb_buf_puts(b, "</pre></li>\n");
    }
    if (any)
        cb_buf_puts(b, "</ul></section>\n");
}

static void artifacts_cell(cb_buf *b, const cb_report *r, size_t i)
{
    const cb_record *rec = &r->cfg->results->v[i];
    for (int k = 0; k < rec->nartifacts; k++) {
        const cb_artifact *a = &rec->artifacts[k];
        if (!a->path)
            continue;
        link(b, a->path, a->kind);
        const cb_report_graph *g = &r->arts[i * CB_MAX_ARTIFACTS + (size_t)k];
        if (g->svg) {
            cb_buf_puts(b, " (");
            link(b, g->svg, "flame graph");
            cb_buf_puts(b, ")");
        }
        cb_buf_puts(b, "<br>");
    }
    for (int k = 0; k < rec->nartifacts; k++) {
        const cb_report_graph *g = &r->arts[i * CB_MAX_ARTIFACTS + (size_t)k];
        if (g->svg)
            lazy_frame(b, g, rec->artifacts[k].kind);
    }
}

static void record_row(cb_buf *b, const cb_report *r, size_t i)
{
    const cb_record *rec = &r->cfg->results->v[i];
    cb_buf_puts(b, "<tr><td>");
    if (rec->kind == CB_KIND_BENCH) {
        cb_buf name = {0};
        cb_benchline_put_name(&name, rec);
        if (name.failed)
            b->failed = true;
        text(b, name.p);
        cb_buf_free(&name);
    } else {
        text(b, rec->name);
    }
    cb_buf_printf(b, "</td><td class=\"%s\">%s</td><td class=\"num\">%.3f s</td><td>",
                  status_class(rec->status), cb_record_status_name(rec->status),
                  isfinite(rec->elapsed_s) ? rec->elapsed_s : 0.0);
    if (rec->kind == CB_KIND_BENCH) {
        cb_buf_printf(b, "%lld iterations", (long long)rec->n);
        for (int k = 0; k < rec->nmetrics; k++) {
            cb_buf_printf(b, "<br>%.6g ", rec->metrics[k].value);
            text(b, rec->metrics[k].unit);
        }
    }
    if (rec->message) {
        cb_buf_puts(b, "<pre class=\"reason\">");
        text(b, rec->message);
        cb_buf_puts(b, "</pre>");
    }
    cb_buf_puts(b, "</td><td>");
    artifacts_cell(b, r, i);
    cb_buf_puts(b, "</td></tr>\n");
}

static void binary_section(cb_buf *b, const cb_report *r, const cb_report_binary *bin)
{
    const cb_results *res = r->cfg->results;
    bool failed = false;
    for (size_t i = 0; i < res->n; i++)
        failed |= strcmp(res->v[i].binary ? res->v[i].binary : "", bin->name) == 0 &&
                  res->v[i].status == CB_FAIL;
    cb_buf_puts(b, "<section class=\"binary\"><h2>");
    text(b, *bin->name ? bin->name : "(binary)");
    cb_buf_printf(b, " <span class=\"%s\">%s</span></h2>\n", failed ? "fail" : "pass",
                  failed ? "FAIL" : "ok");
    for (size_t k = 0; k < CB_REPORT_KINDS; k++) {
        if (!bin->profile[k])
            continue;
        cb_buf_printf(b, "<h3>%s: all tests and benchmarks</h3>\n<p>", cb_binprof_kinds[k]);
        link(b, bin->profile[k], "profile");
        if (bin->graph[k].svg) {
            cb_buf_puts(b, " &middot; ");
            link(b, bin->graph[k].svg, "flame graph");
            cb_buf_puts(b, "</p>\n");
            object(b, &bin->graph[k]);
        } else {
            cb_buf_puts(b, "</p>\n");
        }
    }
    cb_buf_puts(b, "<table><tr><th>test or benchmark</th><th>status</th><th>time</th>"
                   "<th>result</th><th>artifacts</th></tr>\n");
    for (size_t i = 0; i < res->n; i++)
        if (strcmp(res->v[i].binary ? res->v[i].binary : "", bin->name) == 0)
            record_row(b, r, i);
    cb_buf_puts(b, "</table></section>\n");
}

void cb_report_html(cb_buf *b, const cb_report *r)
{
    header(b, r);
    if (r->compared)
        compare_section(b, r);
    failures(b, r);
    for (size_t i = 0; i < r->nbins; i++)
        binary_section(b, r, &r->bins[i]);
    cb_buf_printf(b, "<script>%s</script>\n</body></html>\n", script);
}
