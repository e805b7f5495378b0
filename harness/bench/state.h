/*
 * The runner's state for one benchmark, shared by the files of bench/.
 *
 * A cb_bench lives on the runner's stack for one (benchmark, --cpu value,
 * repetition): the calibration runs of bench/run.c call the benchmark
 * function several times with it, and the public functions of bench.h
 * reach it through cbench_b.impl_. Everything here is touched by the
 * benchmark's own thread only; the workers of cbench_run_parallel touch
 * the cb_bench_par of bench/parallel.c and nothing else.
 */
#ifndef CB_BENCH_STATE_H
#define CB_BENCH_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "cbench/bench.h"
#include "bench/names.h"
#include "bench/match.h"
#include "options.h"
#include "formats/record.h"

/* One cb_bench_run_all call: what every benchmark of it shares. */
typedef struct cb_bench_ctx {
    const cb_options *o;
    cb_match *match;
    cb_bench_names names; /* sub-benchmark names already given */
} cb_bench_ctx;

enum cb_loop_state { CB_LOOP_IDLE, CB_LOOP_RUNNING, CB_LOOP_DONE };

struct cb_bench {
    cbench_b *b;
    cb_bench_ctx *ctx;
    const char *name; /* full name, without the -N suffix */
    void (*fn)(cbench_b *);
    int procs; /* the --cpu value in effect */

    bool has_sub; /* ran (or, matched partially, may run) sub-benchmarks */
    bool capture_open;
    bool in_parallel; /* inside cbench_run_parallel */
    bool failed;
    char message[256]; /* why it failed */

    enum cb_loop_state loop;

    /* Timer, as Go's B: duration and allocations accumulate while on. */
    bool timer_on;
    uint64_t start_ns;
    int64_t duration_ns;
    uint64_t start_allocs, start_bytes;
    uint64_t net_allocs, net_bytes;
    uint64_t start_cpu_ns; /* the process's CPU time, for benchmarks.json's cpu_time */
    int64_t cpu_ns;
    int64_t prev_n, prev_duration_ns; /* of the previous run, for the grain */

    /* What the result shows. */
    bool report_allocs;
    int64_t bytes; /* per iteration, for MB/s */
    cb_metric extra[CB_MAX_METRICS];
    int nextra;

    /* Limits declared in code (bench/limits.c), checked on the result. */
    cb_limit limits[CB_MAX_LIMITS];
    int nlimits;
};

#endif
