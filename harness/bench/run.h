/*
 * The benchmark runner: what cbench_main calls to run the benchmarks the
 * flags select. The model (calibration, names, capture) is described at
 * the top of bench/run.c.
 */
#ifndef CB_BENCH_RUN_H
#define CB_BENCH_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include "cbench/bench.h"
#include "options.h"

/*
 * Runs every benchmark of bm[0..n) whose name matches o->bench (none when
 * it is NULL or empty), at each --cpu value, o->count times, each one
 * captured and reported through cb_capture_begin/end. Returns the number
 * of benchmarks (of bm) that failed, counting a bad pattern as one.
 */
int cb_bench_run_all(const struct cbench_benchmark *bm, size_t n, const cb_options *o);

struct cb_bench;
typedef struct cb_bench_ctx cb_bench_ctx;

/* Runs `fn` as the benchmark with full name `name`, if the pattern
 * matches it, at every --cpu value and repetition, or discovers its
 * sub-benchmarks. Returns false when it failed. */
bool cb_bench_run_one(cb_bench_ctx *ctx, const char *name, void (*fn)(cbench_b *));

/* Ends the capture of a benchmark that turned out to run sub-benchmarks. */
void cb_bench_run_mark_parent(struct cb_bench *s);

/* Marks the benchmark failed with a message (the first one is kept). */
void cb_bench_run_fail(struct cb_bench *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
