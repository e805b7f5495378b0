/*
 * The benchmark runner: what cbench_main calls to run the benchmarks the
 * flags select. The model (calibration, names, capture) is described at
 * the top of bench/run.c.
 */
#ifndef CB_BENCH_RUN_H
#define CB_BENCH_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "cbench/bench.h"
#include "options.h"

/*
 * Runs every benchmark of bm[0..n) whose name matches o->bench (none when
 * it is NULL or empty), at each --cpu value, o->count times, each one
 * captured and reported through cb_capture_begin/end. Returns the number
 * of benchmarks (of bm) that failed, counting a bad pattern as one.
 */
int cb_bench_run_all(const struct cbench_benchmark *bm, size_t n, const cb_options *o);

/*
 * The name a benchmark function is shown and matched under, in buf (cut
 * to len - 1 bytes): "Benchmark<Upper>..." names are kept; otherwise a
 * leading "bench_" or "benchmark_" (any case) is dropped and the rest,
 * first letter upper-cased, follows "Benchmark" (bench_hash_insert ->
 * BenchmarkHash_insert). Returns buf.
 */
char *cb_bench_display_name(const char *function, char *buf, size_t len);

/* Tests only: the clock timers read, in nanoseconds (NULL: CLOCK_MONOTONIC). */
void cb_bench_set_clock_for_test(uint64_t (*now_ns)(void));

#endif
