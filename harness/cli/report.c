/*
 * The report (see report.h): first every flame graph is written (per
 * artifact, per binary, and the differential ones), remembering where
 * each went and how tall it is; then the page, which only links. A
 * profile that cannot be drawn costs its graph, not the page.
 */
#include "report.h"
#include "outfiles.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/error.h"
#include "base/fault.h"
#include "binprof.h"
#include "cbench/profile.h"
#include "compare.h"
#include "formats/buf.h"
#include "formats/file.h"
#include "formats/safename.h"
#include "formats/xml.h"
#include "pprof/flame.h"
#include "pprof/pprof.h"
#include "readfile.h"
#include "report_html.h"
#include "results_read.h"

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The graph's path for a profile's: "a/cpu.pb.gz" -> "a/cpu.svg". */
static char *svg_path_for(const char *rel)
{
    size_t n = strlen(rel);
    if (ends_with(rel, ".pb.gz"))
        n -= 6;
    char *s;
    return cb_fault_asprintf(&s, "%.*s.svg", (int)n, rel) < 0 ? NULL : s;
}

/* Reads profiles (each path under its dir) and adds them up into *out. */
static int read_sum(const char *const *dirs, const char *const *rels, size_t n, cb_pprof *out)
{
    cb_pprof *p = cb_fault_calloc(n + 1, sizeof p[0]);
    const cb_pprof **in = cb_fault_calloc(n + 1, sizeof in[0]);
    int rc = p && in ? 0 : cb_error(ENOMEM, "out of memory reading profiles");
    size_t nread = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *path;
        if (cb_fault_asprintf(&path, "%s/%s", dirs[i], rels[i]) < 0) {
            rc = cb_error(ENOMEM, "out of memory reading profiles");
            break;
        }
        rc = cb_pprof_read(&p[i], path);
        free(path);
        if (rc == 0)
            in[nread++] = &p[i];
    }
    if (rc == 0 && nread == 1) {
        *out = p[0]; /* the one profile itself */
        nread = 0;
    } else if (rc == 0) {
        rc = cb_pprof_merge(out, in, nread, NULL);
    }
    for (size_t i = 0; i < nread; i++)
        cb_pprof_free(&p[i]);
    free(p);
    free(in);
    return rc;
}

/* One flame graph of profile(s), or their difference from base(s). */
static int draw(const char *outdir, const char *rel_svg, const char *title, const cb_pprof *p,
                const cb_pprof *base, const char *sample_index, double *height, FILE *err)
{
    char *path;
    if (cb_fault_asprintf(&path, "%s/%s", outdir, rel_svg) < 0) {
        fprintf(err, "cbench: out of memory drawing %s\n", rel_svg);
        return -1;
    }
    cb_flame_options o = {.title = title, .height = height, .sample_index = sample_index};
    int rc = cb_flame_write(path, p, base, &o);
    if (rc != 0)
        fprintf(err, "cbench: no flame graph %s: %s\n", rel_svg, cbench_last_error());
    free(path);
    return rc;
}

/* Out of memory: said, and -2 (the page cannot be whole). */
static int no_memory(FILE *err, const char *doing)
{
    fprintf(err, "cbench: out of memory %s\n", doing);
    return -2;
}

/* ---- the graphs of the run ---- */

static int draw_artifacts(cb_report *r, FILE *err)
{
    const cb_results *res = r->cfg->results;
    int rc = 0;
    r->arts = cb_fault_calloc(res->n * CB_MAX_ARTIFACTS + 1, sizeof r->arts[0]);
    if (!r->arts)
        return no_memory(err, "writing the report");
    for (size_t i = 0; i < res->n; i++) {
        const cb_record *rec = &res->v[i];
        for (int k = 0; k < rec->nartifacts; k++) {
            const cb_artifact *a = &rec->artifacts[k];
            cb_report_graph *g = &r->arts[i * CB_MAX_ARTIFACTS + (size_t)k];
            if (!a->path || !ends_with(a->path, ".pb.gz"))
                continue;
            char title[600];
            snprintf(title, sizeof title, "%s: %s %s", rec->binary ? rec->binary : "", rec->name,
                     a->kind);
            cb_pprof p;
            const char *dir = r->cfg->outdir;
            if (read_sum(&dir, (const char *const *)&a->path, 1, &p) != 0) {
                fprintf(err, "cbench: no flame graph for %s: %s\n", a->path, cbench_last_error());
                rc = -1;
                continue;
            }
            if (!(g->svg = svg_path_for(a->path)))
                no_memory(err, "drawing a flame graph");
            if (!g->svg || draw(r->cfg->outdir, g->svg, title, &p, NULL, NULL, &g->height, err) != 0) {
                free(g->svg);
                g->svg = NULL;
                rc = -1;
            }
            cb_pprof_free(&p);
        }
    }
    return rc;
}

static int add_binary(cb_report *r, const char *name)
{
    for (size_t i = 0; i < r->nbins; i++)
        if (strcmp(r->bins[i].name, name) == 0)
            return 0;
    cb_report_binary *b = cb_fault_realloc(r->bins, (r->nbins + 1) * sizeof b[0]);
    if (!b)
        return -1;
    r->bins = b;
    memset(&b[r->nbins], 0, sizeof b[0]);
    b[r->nbins++].name = name;
    return 0;
}

/* The per-binary sums that the run wrote, and their graphs. */
static int draw_binaries(cb_report *r, FILE *err)
{
    const cb_results *res = r->cfg->results;
    for (size_t i = 0; i < res->n; i++)
        if (add_binary(r, res->v[i].binary ? res->v[i].binary : "") != 0)
            return no_memory(err, "writing the report");
    int rc = 0;
    for (size_t i = 0; i < r->nbins; i++) {
        cb_report_binary *b = &r->bins[i];
        for (size_t k = 0; k < cb_binprof_nkinds && k < CB_REPORT_KINDS; k++) {
            char *rel, *path;
            if (cb_fault_asprintf(&rel, "%s/%s.pb.gz", b->name, cb_binprof_kinds[k]) < 0)
                return no_memory(err, "writing the report");
            if (cb_fault_asprintf(&path, "%s/%s", r->cfg->outdir, rel) < 0) {
                free(rel);
                return no_memory(err, "writing the report");
            }
            bool exists = *b->name && file_exists(path);
            free(path);
            if (!exists) {
                free(rel);
                continue;
            }
            b->profile[k] = rel;
            char title[600];
            snprintf(title, sizeof title, "%s: %s, all tests and benchmarks", b->name,
                     cb_binprof_kinds[k]);
            cb_pprof p;
            const char *dir = r->cfg->outdir;
            if (read_sum(&dir, (const char *const *)&rel, 1, &p) != 0) {
                fprintf(err, "cbench: no flame graph for %s: %s\n", rel, cbench_last_error());
                rc = -1;
                continue;
            }
            if (!(b->graph[k].svg = svg_path_for(rel)))
                no_memory(err, "drawing a flame graph");
            if (!b->graph[k].svg ||
                draw(r->cfg->outdir, b->graph[k].svg, title, &p, NULL, NULL, &b->graph[k].height,
                     err) != 0) {
                free(b->graph[k].svg);
                b->graph[k].svg = NULL;
                rc = -1;
            }
            cb_pprof_free(&p);
        }
    }
    return rc;
}

/* ---- the baseline ---- */

/* The results.json that holds a baseline's artifacts, or NULL. */
static char *baseline_results_path(const char *baseline)
{
    size_t len;
    char *text = cb_read_file(baseline, &len);
    if (!text)
        return NULL;
    bool json = text[strspn(text, " \t\r\n")] == '{';
    free(text);
    if (json)
        return cb_fault_strdup(baseline);
    char *copy = cb_fault_strdup(baseline), *path = NULL;
    if (copy && cb_fault_asprintf(&path, "%s/results.json", dirname(copy)) >= 0 &&
        !file_exists(path)) {
        free(path);
        path = NULL;
    }
    free(copy);
    return path;
}

/* The baseline's records, for its profiles: none from a bench.txt alone
 * (0); -1 when its results.json cannot be read (said). */
static int load_baseline_results(cb_report *r, FILE *err)
{
    errno = 0;
    char *path = baseline_results_path(r->cfg->baseline);
    if (!path && errno == ENOMEM)
        return no_memory(err, "reading the baseline");
    if (!path)
        return 0; /* a bench.txt alone: values, no profiles */
    size_t len;
    char *text = cb_read_file(path, &len);
    int rc = -1;
    if (!text) {
        fprintf(err, "cbench: the baseline's profiles: %s: %s\n", path, strerror(errno));
    } else if (cb_results_read(&r->base, text, len, path) != 0) {
        fprintf(err, "cbench: the baseline's profiles: %s\n", cbench_last_error());
    } else {
        char *copy = cb_fault_strdup(path);
        if (copy && (r->base_dir = cb_fault_strdup(dirname(copy))))
            rc = 0;
        else
            no_memory(err, "reading the baseline");
        free(copy);
    }
    free(text);
    free(path);
    if (rc != 0)
        cb_results_free(&r->base);
    r->have_base = rc == 0;
    return rc;
}

/* The profiles of kind of the records named `name` (as compared). */
static size_t collect(const cb_results *res, const char *name, const char *kind, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < res->n; i++) {
        const cb_record *rec = &res->v[i];
        char full[1024];
        if (rec->kind != CB_KIND_BENCH || !cb_record_has_result(rec))
            continue;
        cb_compare_bench_name(rec, full, sizeof full);
        if (strcmp(full, name) != 0)
            continue;
        for (int k = 0; k < rec->nartifacts; k++)
            if (strcmp(rec->artifacts[k].kind, kind) == 0 && rec->artifacts[k].path &&
                ends_with(rec->artifacts[k].path, ".pb.gz"))
                out[n++] = rec->artifacts[k].path;
    }
    return n;
}

static const char **repeat(const char *s, size_t n)
{
    const char **v = cb_fault_calloc(n + 1, sizeof v[0]);
    for (size_t i = 0; v && i < n; i++)
        v[i] = s;
    return v;
}

/* The differential graphs of one benchmark that got worse. */
static int draw_diffs(cb_report *r, size_t row, FILE *err)
{
    const cb_cmp_row *cr = &r->cmp.rows[row];
    const cb_results *res = r->cfg->results;
    int rc = 0;
    for (size_t k = 0; k < cb_binprof_nkinds && k < CB_REPORT_KINDS; k++) {
        const char *kind = cb_binprof_kinds[k];
        const char **now = cb_fault_calloc(res->n + 1, sizeof now[0]);
        const char **then = cb_fault_calloc(r->base.n + 1, sizeof then[0]);
        size_t nnow = now ? collect(res, cr->name, kind, now) : 0;
        size_t nthen = then ? collect(&r->base, cr->name, kind, then) : 0;
        const char **dnow = repeat(r->cfg->outdir, nnow), **dthen = repeat(r->base_dir, nthen);
        cb_pprof pn, pb;
        char safe[300], *rel = NULL;
        if (!now || !then || !dnow || !dthen) {
            rc = no_memory(err, "drawing a differential flame graph");
        } else if (nnow && nthen) {
            cb_safename_encode(cr->name, safe, sizeof safe);
            if (read_sum(dnow, now, nnow, &pn) != 0) {
                fprintf(err, "cbench: no differential graph of %s: %s\n", cr->name,
                        cbench_last_error());
                rc = -1;
            } else {
                if (read_sum(dthen, then, nthen, &pb) != 0) {
                    fprintf(err, "cbench: no differential graph of %s: %s\n", cr->name,
                            cbench_last_error());
                    rc = -1;
                } else {
                    char title[600];
                    snprintf(title, sizeof title, "%s %s: this run against the baseline",
                             cr->name, kind);
                    cb_report_graph *g = &r->diffs[row].graph[k];
                    if (cb_fault_asprintf(&rel, "diff/%s/%s.svg", safe, kind) < 0) {
                        rel = NULL;
                        rc = no_memory(err, "drawing a differential flame graph");
                    } else if (cb_outfiles_make_parents(r->cfg->outdir, rel) != 0) {
                        fprintf(err, "cbench: cannot create the folder of %s: %s\n", rel,
                                strerror(errno));
                        free(rel);
                        rc = -1;
                    } else if (draw(r->cfg->outdir, rel, title, &pn, &pb, NULL, &g->height,
                                    err) != 0) {
                        free(rel);
                        rc = -1;
                    } else {
                        g->svg = rel;
                    }
                    cb_pprof_free(&pb);
                }
                cb_pprof_free(&pn);
            }
        }
        free(now);
        free(then);
        free(dnow);
        free(dthen);
    }
    return rc;
}

static int compare_baseline(cb_report *r, FILE *err)
{
    char why[512];
    if (cb_compare_read(r->cfg->baseline, &r->old, why, sizeof why) != 0) {
        fprintf(err, "cbench: the report's baseline: %s\n", why);
        return -1;
    }
    cb_compare_options_init(&r->cmp_opts);
    if (cb_compare_from_results(r->cfg->results, &r->new_) != 0 ||
        cb_compare_build(&r->cmp, &r->old, &r->new_, &r->cmp_opts) != 0) {
        fprintf(err, "cbench: out of memory comparing with the baseline\n");
        return -1;
    }
    r->compared = true;
    if (!(r->diffs = cb_fault_calloc(r->cmp.nrows + 1, sizeof r->diffs[0])))
        return no_memory(err, "comparing with the baseline");
    int rc = load_baseline_results(r, err);
    for (size_t i = 0; r->have_base && i < r->cmp.nrows; i++) {
        /* Once per benchmark: its first row that got worse. */
        bool first = r->cmp.rows[i].change == CB_CMP_WORSE;
        for (size_t k = 0; first && k < i; k++)
            first = !(r->cmp.rows[k].change == CB_CMP_WORSE &&
                      strcmp(r->cmp.rows[k].name, r->cmp.rows[i].name) == 0);
        if (first)
            rc |= draw_diffs(r, i, err);
    }
    return rc;
}

static void report_free(cb_report *r)
{
    const cb_results *res = r->cfg->results;
    for (size_t i = 0; r->arts && i < res->n * CB_MAX_ARTIFACTS; i++)
        free(r->arts[i].svg);
    free(r->arts);
    for (size_t i = 0; i < r->nbins; i++)
        for (size_t k = 0; k < CB_REPORT_KINDS; k++) {
            free(r->bins[i].profile[k]);
            free(r->bins[i].graph[k].svg);
        }
    free(r->bins);
    for (size_t i = 0; r->diffs && i < r->cmp.nrows; i++)
        for (size_t k = 0; k < CB_REPORT_KINDS; k++)
            free(r->diffs[i].graph[k].svg);
    free(r->diffs);
    cb_comparison_free(&r->cmp);
    cb_compare_free(&r->old);
    cb_compare_free(&r->new_);
    cb_results_free(&r->base);
    free(r->base_dir);
}

int cb_report_write(const cb_report_config *c, FILE *err)
{
    cb_report r;
    memset(&r, 0, sizeof r);
    r.cfg = c;
    /* A graph that could not be drawn costs the graph; running out of
     * memory for the report's own tables costs the page (-2). */
    int rc = 0, r1 = draw_artifacts(&r, err), r2 = r1 == -2 ? -2 : draw_binaries(&r, err);
    int r3 = r2 == -2 || !c->baseline ? 0 : compare_baseline(&r, err);
    if (r1 == -2 || r2 == -2 || r3 == -2 || (r3 != 0 && !r.diffs)) {
        fprintf(err, "cbench: the report was not written\n");
        report_free(&r);
        return -1;
    }
    rc = r1 | r2 | r3;
    cb_buf page = {0};
    cb_report_html(&page, &r);
    char *path;
    if (cb_fault_asprintf(&path, "%s/index.html", c->outdir) < 0) {
        fprintf(err, "cbench: out of memory writing the report\n");
        rc = -1;
    } else {
        if (cb_file_write(&page, path, "index.html") != 0) {
            fprintf(err, "cbench: %s\n", cbench_last_error());
            rc = -1;
        }
        free(path);
    }
    cb_buf_free(&page);
    report_free(&r);
    return rc ? -1 : 0;
}

int cb_report_check_baseline(const char *path, char *why, size_t len)
{
    cb_samples s;
    if (cb_compare_read(path, &s, why, len) != 0)
        return -1;
    cb_compare_free(&s);
    return 0;
}
