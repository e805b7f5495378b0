/*
 * `--report`: the run on one page, <outdir>/index.html, with everything
 * it links to beside it, so that the outdir is one folder CI uploads and
 * a reviewer opens in a browser, offline, with no Go installed.
 *
 * The page: the verdict, when and where the run was, its counts and
 * time; links to results.json, bench.txt, junit.xml, benchmarks.json;
 * with a baseline, the comparison (`cbench compare`'s rows, regressions
 * first) and, for each benchmark that got significantly worse in any
 * unit and whose profiles exist on both sides, a differential flame
 * graph per kind of profile (both sides' repetitions added up); the
 * failures with their reasons; then per binary its summed profiles
 * (flame graphs shown) and a table of its tests and benchmarks: status,
 * time, metrics, failure reason, and every artifact with its flame
 * graph (opened on demand).
 *
 * Flame graphs are SVG files written beside their profiles
 * (<binary>/<test>/cpu.svg for cpu.pb.gz); differential ones go to
 * diff/<benchmark>/<kind>.svg. A baseline's profiles are found through
 * its results.json (a bench.txt's, in the same folder), their paths
 * relative to that folder.
 */
#ifndef CB_CLI_REPORT_H
#define CB_CLI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "formats/results.h"

typedef struct cb_report_config {
    const char *outdir;        /* where the run's files are */
    const cb_results *results; /* the run */
    const char *baseline;      /* NULL, or a results.json or bench.txt */
    double elapsed_s;          /* the run's wall time */
    bool passed;               /* the run's verdict */
} cb_report_config;

/*
 * Writes the flame graphs and index.html. Problems with single profiles
 * (unreadable, unwritable) are printed on err and the rest is written;
 * the page is written atomically. 0, or -1 when anything could not be
 * written (printed).
 */
int cb_report_write(const cb_report_config *c, FILE *err);

/* Checks, before a run, that a baseline can be compared with: 0, or -1
 * with a message in why. */
int cb_report_check_baseline(const char *path, char *why, size_t len);

#endif
