/*
 * benchmarks.json, Google Benchmark's JSON (the model is at the top of
 * gbench_json.c).
 */
#ifndef CB_FORMATS_GBENCH_JSON_H
#define CB_FORMATS_GBENCH_JSON_H

#include <stdbool.h>

#include "formats/results.h"

/* Whether r holds a benchmark with a result: then a run writes the file. */
bool cb_gbench_has_benchmarks(const cb_results *r);

/* Writes r's benchmarks to path, atomically: 0, or -1 with errno and
 * cbench_last_error() set, leaving no partial file. */
int cb_gbench_write(const cb_results *r, const char *path);

#endif
