/*
 * cbench/bench.h: benchmarks in the manner of Go's testing.B, and the
 * entry points that run a binary's cmocka tests and benchmarks under
 * capture.
 *
 * A benchmark is a function given a cbench_b. It runs its body b->n times,
 * either with `while (cbench_loop(b)) { body }` or with a plain
 * `for (int64_t i = 0; i < b->n; i++)`. The runner calls it with growing n,
 * as Go's predictN does, until one run lasts the benchtime (default 1 s),
 * and reports the last run: ns/op, plus MB/s, B/op, allocs/op and custom
 * metrics when asked. cbench_loop's fast path is inline, so an empty body
 * costs about a decrement and a branch per iteration.
 *
 * Functions here are called from the benchmark's own thread (cbench_pb_next
 * from the workers of cbench_run_parallel), while the runner runs it;
 * called with a cbench_b the runner did not make, they do nothing (and
 * cbench_loop and cbench_run return false). None of them aborts. A
 * cmocka assertion that fails in a benchmark ends the process, as it does
 * outside a cmocka test; the `cbench` command reports that benchmark
 * failed.
 */
#ifndef CBENCH_BENCH_H
#define CBENCH_BENCH_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above before it. */
#include <cmocka.h>

#ifndef CBENCH_API
#define CBENCH_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Fields after `n` are the runner's; do not touch them. */
typedef struct cbench_b {
    int64_t n;               /* iterations this call must run */
    int64_t loop_left_;      /* cbench_loop's countdown: iterations left after this one */
    struct cb_bench *impl_;  /* the runner's state for this benchmark */
} cbench_b;

/* Worker state of cbench_run_parallel; fields are the runner's. */
typedef struct cbench_pb {
    int64_t left_;           /* iterations left in the current grain */
    struct cb_bench_par *impl_;
} cbench_pb;

CBENCH_API bool cbench_loop_slow_(cbench_b *b);
CBENCH_API bool cbench_pb_next_slow_(cbench_pb *pb);

/*
 * true while iterations remain: `while (cbench_loop(b)) { body }` runs the
 * body b->n times. The first call resets the timer, the last stops it, so
 * set-up before the loop and clean-up after it are not timed.
 */
static inline bool cbench_loop(cbench_b *b)
{
    /* One decrement in memory and a branch on its sign: the shortest loop
     * the compiler can make of it, so the cost does not depend on where
     * the loop falls in the code (measured: docs/PERFORMANCE.md). */
    if (__builtin_expect(--b->loop_left_ >= 0, 1))
        return true;
    return cbench_loop_slow_(b);
}

/* Zeroes the elapsed time and the allocation counts of this run, and
 * forgets the metrics reported so far (Go's ResetTimer). */
CBENCH_API void cbench_reset_timer(cbench_b *b);
/* Resumes and pauses timing (and allocation counting), as Go's
 * StartTimer and StopTimer. Each reads cbench's allocation counters, a
 * few hundred nanoseconds, outside the timed interval; pausing for every
 * iteration is as slow as in Go. */
CBENCH_API void cbench_start_timer(cbench_b *b);
CBENCH_API void cbench_stop_timer(cbench_b *b);
/* Bytes processed per iteration: the result gains MB/s
 * (bytes * n / 1e6 / seconds). */
CBENCH_API void cbench_set_bytes(cbench_b *b, int64_t bytes_per_op);
/* The result gains B/op and allocs/op: allocation calls and bytes
 * requested while the timer ran, process-wide, from cbench's exact
 * counters, divided by n (rounded down, as Go). --benchmem asks it for
 * every benchmark. */
CBENCH_API void cbench_report_allocs(cbench_b *b);
/*
 * Adds a metric to the result, taken as given (divide by b->n yourself
 * for a "/op" unit), as Go's ReportMetric. A unit reported twice keeps
 * the last value; reporting "ns/op", "MB/s", "B/op" or "allocs/op"
 * replaces the computed value. Units show in the order first reported.
 * An empty unit, one with white space, one longer than 31 bytes, or a
 * ninth unit of your own fails the benchmark.
 */
CBENCH_API void cbench_report_metric(cbench_b *b, double value, const char *unit);

/*
 * Limits on this benchmark's result, declared in code, so that a
 * regression fails the run as a failed test does:
 *
 *     cbench_limit_below(b, "allocs/op", 1);     (no allocation per op)
 *     cbench_limit_above(b, "MB/s", 100);        (at least that throughput)
 *
 * cbench_limit_below is a ceiling: the value must be less than `limit`;
 * cbench_limit_above a floor: greater than `limit` (both strict, as the
 * ASSERT_*_BELOW macros). `unit` is any unit of the result: "ns/op",
 * "MB/s", "B/op", "allocs/op", or one given to cbench_report_metric
 * (whose value is checked as given). A limit on "B/op" or "allocs/op"
 * also turns on cbench_report_allocs. Declaring a unit's ceiling (or
 * floor) again replaces it; a unit may have both.
 *
 * Limits are checked on the reported run, at each --cpu value and
 * --count repetition. A value outside its limit, or a unit the result
 * lacks (a limit on MB/s without cbench_set_bytes), fails the benchmark:
 * its result line is still printed, followed by "--- FAIL: BenchmarkX"
 * and "limit breached: 3 allocs/op, want < 2"; results.json has status
 * "fail", that message and the record's "limits"; junit.xml a <failure>;
 * the binary and the `cbench` command exit 1. Limits of a benchmark that
 * runs sub-benchmarks apply to none: declare them in each sub-benchmark.
 *
 * Returns 0, or -1 with errno set and cbench_last_error() saying why:
 * EINVAL when b is not a running benchmark's, the unit is empty, holds
 * white space or is longer than 31 bytes, or the limit is NaN; ENOSPC
 * for a ninth limit. Given a running benchmark's b, an error also fails
 * the benchmark, so that a mistyped limit cannot pass unnoticed.
 */
CBENCH_API int cbench_limit_below(cbench_b *b, const char *unit, double limit);
CBENCH_API int cbench_limit_above(cbench_b *b, const char *unit, double limit);

/*
 * Runs fn as a sub-benchmark named "<parent>/<name>" (white space becomes
 * '_'; a name already given under the same parent gains "#01", "#02", as
 * in Go) if --bench selects it, and returns false when it failed (true
 * when it was not selected). A benchmark that calls cbench_run reports no
 * result of its own, and fails when a sub-benchmark fails. Each
 * sub-benchmark is calibrated and reported on its own, at every --cpu
 * value and --count repetition.
 */
CBENCH_API bool cbench_run(cbench_b *b, const char *name, void (*fn)(cbench_b *));

/*
 * Runs body on P threads (P = the --cpu value in effect: the calling
 * thread and P-1 new ones, ended before it returns), which share b->n
 * iterations: each thread calls `while (cbench_pb_next(pb)) { ... }` and
 * takes iterations in grains of about 100 us of the previous run. ns/op
 * is wall time divided by b->n. Resets and starts the timer first and
 * stops it when the last thread is done. The benchmark fails when a
 * thread cannot be started (the others still do all the iterations) or a
 * body returns before cbench_pb_next returned false. The timer and
 * metric functions are not for the body's threads.
 */
CBENCH_API void cbench_run_parallel(cbench_b *b, void (*body)(cbench_pb *pb, void *arg), void *arg);

static inline bool cbench_pb_next(cbench_pb *pb)
{
    if (__builtin_expect(--pb->left_ >= 0, 1))
        return true;
    return cbench_pb_next_slow_(pb);
}

/*
 * Keeps a value alive against the optimizer (benchmark::DoNotOptimize):
 * the compiler must compute x, and assume it is read along with any
 * memory (a "memory" clobber), so a loop-invariant computation is not
 * hoisted out of the loop either. Works on any value: scalars, pointers,
 * structs; in C a statement, in C++ an expression.
 */
#define CBENCH_KEEP(x) cbench_keep_((x))
#ifdef __cplusplus
}
template <class T> static inline void cbench_keep_(T const &v)
{
    __asm__ __volatile__("" : : "r,m"(v) : "memory");
}
extern "C" {
#else
#define cbench_keep_(x)                                                      \
    do {                                                                     \
        __auto_type cbench_kept_ = (x);                                      \
        __asm__ __volatile__("" : : "r,m"(cbench_kept_) : "memory");         \
    } while (0)
#endif

struct cbench_benchmark {
    const char *name;
    void (*fn)(cbench_b *);
};
#define cbench_benchmark(f) { #f, f }

/*
 * Marks the binary as a cbench test binary, so that the `cbench` command
 * recognizes it without running it: an ELF note (owner "cbench", type 1,
 * protocol version) in the binary that calls cbench_main or
 * cbench_run_group_tests, however libcbench is linked.
 */
#define CBENCH_MARK_BINARY_()                                                \
    __asm__(".pushsection .note.cbench,\"a\",@note\n"                        \
            ".balign 4\n.long 7\n.long 4\n.long 1\n"                         \
            ".asciz \"cbench\"\n.balign 4\n.long 1\n.popsection")

/*
 * Runs a binary's cmocka tests and benchmarks, with the flags of the
 * `cbench` command (--run, --bench, --benchtime, --cpuprofile, ...; see
 * `--help`). Tests run first, as one cmocka group, each captured on its
 * own; then the benchmarks that --bench selects (none by default).
 * Returns the exit status for main: 0 when everything passed, 1 when a
 * test or benchmark failed, 2 for bad flags.
 */
CBENCH_API int cbench_main_(int argc, char **argv, const struct CMUnitTest *tests, size_t ntests,
                            const struct cbench_benchmark *benchmarks, size_t nbenchmarks);
#define cbench_main(argc, argv, tests, ntests, benchmarks, nbenchmarks)      \
    (__extension__({                                                         \
        CBENCH_MARK_BINARY_();                                               \
        cbench_main_((argc), (argv), (tests), (ntests), (benchmarks), (nbenchmarks)); \
    }))

/*
 * A drop-in for cmocka_run_group_tests: cmocka's output, filters, message
 * formats and return value are unchanged, and each test is captured on its
 * own as the flags in the environment variable CBENCH_FLAGS ask (the same
 * flags as the command, separated by newlines or spaces). Profiles cover
 * the test body, not the group's or the test's setup and teardown.
 */
CBENCH_API int cbench_run_group_tests_(const char *group_name, const struct CMUnitTest *tests,
                                       size_t ntests, CMFixtureFunction group_setup,
                                       CMFixtureFunction group_teardown);
#define cbench_run_group_tests(tests, setup, teardown)                       \
    (__extension__({                                                         \
        CBENCH_MARK_BINARY_();                                               \
        cbench_run_group_tests_(#tests, (tests), sizeof(tests) / sizeof((tests)[0]), \
                                (setup), (teardown));                        \
    }))

/*
 * skip() through <cbench.h>: the test is reported skipped (cmocka's own
 * skip() is otherwise indistinguishable from a failure to the plugin).
 */
CBENCH_API void cbench_skip_(const char *file, int line);
#undef skip
#define skip() cbench_skip_(__FILE__, __LINE__)

#ifdef __cplusplus
}
#endif

#endif
