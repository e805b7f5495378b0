/*
 * The report's page (report_html.c), from what report.c gathered: the
 * run, the graphs it drew and where, the comparison with a baseline.
 */
#ifndef CB_CLI_REPORT_HTML_H
#define CB_CLI_REPORT_HTML_H

#include "compare.h"
#include "formats/buf.h"
#include "report.h"

#define CB_REPORT_KINDS 6 /* binprof.h's kinds */

typedef struct cb_report_graph {
    char *svg;     /* relative to the outdir; NULL: none */
    double height; /* pixels */
} cb_report_graph;

typedef struct cb_report_binary {
    const char *name;
    char *profile[CB_REPORT_KINDS]; /* its summed profiles, or NULL */
    cb_report_graph graph[CB_REPORT_KINDS];
} cb_report_binary;

typedef struct cb_report_diff {
    cb_report_graph graph[CB_REPORT_KINDS];
} cb_report_diff;

typedef struct cb_report {
    const cb_report_config *cfg;
    cb_report_graph *arts; /* record i's artifact k: arts[i * CB_MAX_ARTIFACTS + k] */
    cb_report_binary *bins;
    size_t nbins;
    bool compared; /* old, new_ and cmp hold a comparison */
    cb_samples old, new_;
    cb_cmp_options cmp_opts;
    cb_comparison cmp;
    cb_report_diff *diffs; /* per row of cmp */
    cb_results base;       /* the baseline's records, for its profiles */
    char *base_dir;
    bool have_base;
} cb_report;

/* Appends the page (check b->failed). */
void cb_report_html(cb_buf *b, const cb_report *r);

#endif
