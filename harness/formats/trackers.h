/*
 * The benchmark trackers' formats: Bencher's metric format and
 * github-action-benchmark's customSmallerIsBetter JSON (the model is at
 * the top of trackers.c).
 */
#ifndef CB_FORMATS_TRACKERS_H
#define CB_FORMATS_TRACKERS_H

#include "formats/results.h"

/* Each writes r's benchmarks to path atomically: 0, or -1 with errno and
 * cbench_last_error() set, leaving no partial file. */
int cb_trackers_write_bencher(const cb_results *r, const char *path);
int cb_trackers_write_gab(const cb_results *r, const char *path);

/*
 * When r holds benchmarks: benchmarks.json, bencher.json and
 * github-action-benchmark.json in outdir, each attempted whatever
 * happened to the others. 0, or -1 with cbench_last_error() telling a
 * failure.
 */
int cb_benchmark_files_write(const cb_results *r, const char *outdir);

#endif
