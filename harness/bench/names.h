/*
 * Benchmark names as Go's testing package gives them.
 *
 * A benchmark function keeps its name when it already reads
 * "Benchmark<Upper>..."; otherwise a leading "bench_" or "benchmark_" (in
 * any case) is dropped and the rest, first letter upper-cased, follows
 * "Benchmark": bench_hash_insert -> BenchmarkHash_insert. A sub-benchmark
 * is "<parent>/<sub>", with white space in <sub> turned into '_' and
 * control characters escaped; the second sub-benchmark of a parent with
 * the same name becomes "<name>#01", the third "#02", and so on, as Go's
 * matcher makes names unique.
 */
#ifndef CB_BENCH_NAMES_H
#define CB_BENCH_NAMES_H

#include <stddef.h>

#include "profile/hmap.h"

/* The sub-benchmark names given so far in one run, with the count of each. */
typedef struct cb_bench_names {
    cb_hmap seen;
} cb_bench_names;

void cb_bench_names_init(cb_bench_names *n);
void cb_bench_names_free(cb_bench_names *n);

/*
 * The name a benchmark function is shown and matched under, in buf (cut
 * to len - 1 bytes): "Benchmark<Upper>..." names are kept; otherwise a
 * leading "bench_" or "benchmark_" (any case) is dropped and the rest,
 * first letter upper-cased, follows "Benchmark" (bench_hash_insert ->
 * BenchmarkHash_insert). Returns buf.
 */
char *cb_bench_names_display(const char *function, char *buf, size_t len);

/* The unique full name of sub-benchmark `sub` of `parent`, malloc'ed;
 * NULL on ENOMEM. */
char *cb_bench_names_sub(cb_bench_names *n, const char *parent, const char *sub);

#endif
