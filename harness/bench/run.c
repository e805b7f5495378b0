/*
 * The benchmark runner: Go's testing.B run1/launch/processBench, in C.
 *
 * Words (docs/ARCHITECTURE.md, "Glossary"): a call is one call of the
 * benchmark function with its b->n (Go's "run"); a measurement is the
 * calls at one --cpu value and --count repetition, one capture and one
 * record.
 *
 * A benchmark whose name matches --bench is called once with n = 1. If it
 * ran sub-benchmarks (cbench_run) it reports nothing itself: each of its
 * children went through the same steps when it was called. Otherwise the
 * call is the first of a calibration (Go's launch and predictN): while the
 * last call lasted less than the benchtime and n < 1e9, the next n is
 * goal * prev_n / prev_ns, plus 20 %, at most 100 times the last n, at
 * least one more, at most 1e9; with --benchtime Nx, one call with exactly
 * N follows the first (none when N is 1). The last call is reported.
 *
 * As Go's processBench does, a benchmark that reports a result is
 * measured in full for each --cpu value (outer) and each --count
 * repetition (inner), each measurement a record of its own; the first
 * reuses the n = 1 call that told it was not a parent. The first failure
 * ends a benchmark's measurements.
 *
 * Each measurement is captured: cb_capture_begin before its first call,
 * cb_capture_end with the result after its last; a parent's capture is
 * abandoned when it calls cbench_run for the first time. A name that the
 * pattern matches only partially (a parent of a deeper pattern) is called
 * once, to find its children, and never reported.
 */
#include "bench/run.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/counters.h"
#include "bench/limits.h"
#include "bench/state.h"
#include "bench/timer.h"
#include "capture.h"
#include "shard.h"
#include "formats/event.h"
#include "base/own.h"
#include "trace/tracer.h"

static const int64_t max_n = 1000000000;

/* The benchmark running now, for a note when it ends the process: a cmocka
 * assertion that fails outside a cmocka test calls exit() with no message. */
static const char *running;

static void note_exit_in_benchmark(void)
{
    if (running)
        fprintf(stderr,
                "--- FAIL: %s: the process exited while it ran (a failed cmocka "
                "assertion exits outside a test)\n",
                running);
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Go's runN: one call of the benchmark function with b->n = n, timed.
 * In a trace (--trace, --trace-on-failure) each call is a span with its
 * iterations and ns/op, outside the timed part. */
static void run_n(struct cb_bench *s, int64_t n)
{
    cbench_b *b = s->b;
    b->n = n;
    b->loop_left_ = 0;
    s->loop = CB_LOOP_IDLE;
    cb_trace_span_begin("bench", s->name);
    cbench_reset_timer(b);
    cbench_start_timer(b);
    s->fn(b);
    cbench_stop_timer(b);
    cb_trace_arg args[] = {
        {"iterations", (double)n},
        {"ns/op", n > 0 ? (double)s->duration_ns / (double)n : 0},
    };
    cb_trace_span_end(args, 2);
    s->prev_n = n;
    s->prev_duration_ns = s->duration_ns;
}

/* Go's predictN. The product is taken in 128 bits, where Go's int64 would
 * overflow for benchtimes of hours. */
static int64_t predict_n(int64_t goal_ns, int64_t prev_iters, int64_t prev_ns, int64_t last)
{
    if (prev_ns <= 0)
        prev_ns = 1;
    __int128 n = (__int128)goal_ns * prev_iters / prev_ns;
    n += n / 5;
    if (n > (__int128)100 * last)
        n = (__int128)100 * last;
    if (n < last + 1)
        n = last + 1;
    if (n > max_n)
        n = max_n;
    return (int64_t)n;
}

/* Counts need a fixed n: --instructions with a duration runs
 * CB_OPTIONS_INSTRUCTIONS_N iterations (said once, in cb_bench_run_all). */
static int64_t fixed_n(const cb_options *o)
{
    if (o->benchtime_n > 0)
        return o->benchtime_n;
    return o->instructions ? CB_OPTIONS_INSTRUCTIONS_N : 0;
}

/* Go's launch, after the first call. */
static void launch(struct cb_bench *s)
{
    const cb_options *o = s->ctx->o;
    int64_t fixed = fixed_n(o);
    if (fixed > 0) {
        if (fixed > 1)
            run_n(s, fixed);
        return;
    }
    int64_t goal = (int64_t)llround(o->benchtime_s * 1e9);
    for (int64_t n = 1; !s->failed && s->duration_ns < goal && n < max_n;) {
        int64_t last = n;
        n = predict_n(goal, s->b->n, s->duration_ns, last);
        run_n(s, n);
    }
}

static const cb_metric *find_extra(const struct cb_bench *s, const char *unit)
{
    for (int i = 0; i < s->nextra; i++) {
        if (!strcmp(s->extra[i].unit, unit))
            return &s->extra[i];
    }
    return NULL;
}

static void add_metric(cb_record *rec, const struct cb_bench *s, double computed, const char *unit)
{
    const cb_metric *given = find_extra(s, unit);
    cb_metric *m = &rec->metrics[rec->nmetrics++];
    m->value = given ? given->value : computed;
    snprintf(m->unit, sizeof m->unit, "%s", unit);
}

/* Go's BenchmarkResult: ns/op, MB/s when bytes were set, B/op and
 * allocs/op when asked (integer division, as Go), then the user's units
 * in the order they were first reported. A reported standard unit
 * replaces the computed value. */
static void fill_metrics(cb_record *rec, const struct cb_bench *s)
{
    int64_t n = s->b->n;
    double seconds = (double)s->duration_ns / 1e9;
    rec->cpu_s = (double)s->cpu_ns / 1e9;
    add_metric(rec, s, n > 0 ? (double)s->duration_ns / (double)n : 0, "ns/op");
    double mbs = 0;
    if (s->bytes > 0 && s->duration_ns > 0 && n > 0)
        mbs = (double)s->bytes * (double)n / 1e6 / seconds;
    if (mbs != 0 || find_extra(s, "MB/s"))
        add_metric(rec, s, mbs, "MB/s");
    bool allocs = s->report_allocs || s->ctx->o->benchmem;
    if (allocs || find_extra(s, "B/op"))
        add_metric(rec, s, n > 0 ? (double)(s->net_bytes / (uint64_t)n) : 0, "B/op");
    if (allocs || find_extra(s, "allocs/op"))
        add_metric(rec, s, n > 0 ? (double)(s->net_allocs / (uint64_t)n) : 0, "allocs/op");
    for (int i = 0; i < s->nextra && rec->nmetrics < CB_MAX_METRICS; i++) {
        const char *u = s->extra[i].unit;
        if (strcmp(u, "ns/op") && strcmp(u, "MB/s") && strcmp(u, "B/op") && strcmp(u, "allocs/op"))
            rec->metrics[rec->nmetrics++] = s->extra[i];
    }
}

/* Ends the capture of one result with its record. A result outside a
 * limit the benchmark declared fails it, its metrics kept (bench/limits.c). */
static void report(struct cb_bench *s, double started)
{
    cb_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = CB_KIND_BENCH;
    rec.name = (char *)s->name;
    rec.procs = s->procs;
    rec.status = s->failed ? CB_FAIL : CB_PASS;
    rec.elapsed_s = wall_s() - started;
    rec.n = s->b->n;
    rec.message = s->failed ? s->message : NULL;
    char breaches[CB_MAX_LIMITS * 200];
    if (!s->failed) {
        fill_metrics(&rec, s);
        if (cb_counters_report(s->name, s->b->n, &rec, s->message, sizeof s->message) != 0) {
            s->failed = true;
            rec.status = CB_FAIL;
            rec.message = s->message;
            rec.nmetrics = 0;
        }
    }
    if (!s->failed) {
        memcpy(rec.limits, s->limits, sizeof rec.limits);
        rec.nlimits = s->nlimits;
        if (cb_bench_limits_check(&rec, breaches, sizeof breaches) > 0) {
            s->failed = true;
            rec.message = breaches;
        }
    }
    s->capture_open = false;
    cb_capture_end(&rec);
}

void cb_bench_run_fail(struct cb_bench *s, const char *fmt, ...)
{
    if (!s->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->message, sizeof s->message, fmt, ap);
        va_end(ap);
    }
    s->failed = true;
}

void cb_bench_run_mark_parent(struct cb_bench *s)
{
    s->has_sub = true;
    if (s->capture_open) {
        s->capture_open = false;
        cb_capture_abort();
    }
}

static void init_state(struct cb_bench *s, cbench_b *b, cb_bench_ctx *ctx, const char *name,
                       void (*fn)(cbench_b *), int procs, bool partial)
{
    memset(s, 0, sizeof *s);
    memset(b, 0, sizeof *b);
    b->impl_ = s;
    s->b = b;
    s->ctx = ctx;
    s->name = name;
    s->fn = fn;
    s->procs = procs > 0 ? procs : 1;
    s->has_sub = partial; /* run to find children; never reported */
}

/* The cbench_b a body sees lives at a fixed, cache-line-aligned place
 * rather than on the stack: cbench_loop reads and writes its countdown
 * every iteration, and a stack address moves with the stack's random
 * placement from one process to the next, changing how it aliases the
 * body's own data (addresses equal modulo 4 KiB), and so the timing. One
 * slot per level of sub-benchmarks; deeper levels use the stack. */
enum { FIXED_LEVELS = 8 };
static struct {
    _Alignas(64) cbench_b b;
} fixed_b[FIXED_LEVELS];
static int level;

/* One measurement: the first call, then calibration, then the result.
 * Returns false when the benchmark turned out to be a parent (or
 * failed), so that no further record is made. */
static bool run_record_at(cbench_b *b, cb_bench_ctx *ctx, const char *name,
                          void (*fn)(cbench_b *), int procs, bool partial, bool *failed)
{
    struct cb_bench s;
    init_state(&s, b, ctx, name, fn, procs, partial);
    double started = wall_s();
    const char *outer = running;
    running = name;
    cb_capture_begin(CB_KIND_BENCH, name);
    s.capture_open = true;
    run_n(&s, 1);
    running = outer;
    if (s.has_sub) {
        cb_bench_run_mark_parent(&s);
        if (s.failed && s.message[0])
            fprintf(stderr, "--- FAIL: %s\n    %s\n", name, s.message);
        *failed = s.failed;
        return false;
    }
    running = name;
    if (!s.failed)
        launch(&s);
    running = outer;
    report(&s, started);
    *failed = s.failed;
    return !s.failed;
}

static bool run_record(cb_bench_ctx *ctx, const char *name, void (*fn)(cbench_b *), int procs,
                       bool partial, bool *failed)
{
    cbench_b local;
    cbench_b *b = level < FIXED_LEVELS ? &fixed_b[level].b : &local;
    level++;
    bool ok = run_record_at(b, ctx, name, fn, procs, partial, failed);
    level--;
    return ok;
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

bool cb_bench_run_one(cb_bench_ctx *ctx, const char *name, void (*fn)(cbench_b *))
{
    bool partial;
    if (!cb_match_name(ctx->match, name, &partial))
        return true;
    const cb_options *o = ctx->o;
    int default_cpus[1] = {online_cpus()};
    const int *cpus = o->ncpus > 0 ? o->cpus : default_cpus;
    int ncpus = o->ncpus > 0 ? o->ncpus : 1;
    int count = o->count > 0 ? o->count : 1;
    bool failed = false;
    for (int i = 0; i < ncpus; i++) {
        for (int j = 0; j < count; j++) {
            if (!run_record(ctx, name, fn, cpus[i], partial, &failed))
                return !failed;
        }
    }
    return true;
}

CBENCH_API bool cbench_run(cbench_b *b, const char *name, void (*fn)(cbench_b *))
{
    struct cb_bench *s = b ? b->impl_ : NULL;
    if (!s)
        return false;
    if (s->in_parallel) {
        cb_bench_run_fail(s, "cbench_run called from the body of cbench_run_parallel");
        return false;
    }
    cb_bench_run_mark_parent(s);
    if (!fn) {
        cb_bench_run_fail(s, "cbench_run: no function for sub-benchmark \"%s\"", name ? name : "");
        return false;
    }
    char *full = cb_bench_names_sub(&s->ctx->names, s->name, name ? name : "");
    if (!full) {
        cb_bench_run_fail(s, "cbench_run: out of memory");
        return false;
    }
    bool ok = cb_bench_run_one(s->ctx, full, fn);
    free(full);
    if (!ok)
        s->failed = true; /* a failed sub-benchmark fails its parent */
    return ok;
}

/* Under the command, the benchmarks --bench selects are named before the
 * first runs, so that the console pads result lines to the longest name,
 * as go test does (sub-benchmarks, not known yet, may be longer). */
static void plan(const struct cbench_benchmark *bm, size_t n, const cb_match *match)
{
    if (!cb_capture_events())
        return;
    for (size_t i = 0; i < n; i++) {
        char name[512];
        if (!bm[i].name || !bm[i].fn)
            continue;
        cb_bench_names_display(bm[i].name, name, sizeof name);
        if (cb_match_name(match, name, NULL) && cb_shard_selects(name))
            cb_capture_emit(cb_event_plan(CB_KIND_BENCH, name));
    }
}

int cb_bench_run_all(const struct cbench_benchmark *bm, size_t n, const cb_options *o)
{
    if (!o || !o->bench || !*o->bench)
        return 0;
    char err[512];
    static bool hooked;
    if (!hooked)
        hooked = atexit(note_exit_in_benchmark) == 0;
    running = NULL; /* a cmocka test may have jumped out of the last call */
    if (cb_counters_configure(o, err, sizeof err) != 0) {
        fprintf(stderr, "cbench: %s\n", err);
        return 1;
    }
    if (o->instructions && o->benchtime_n == 0 && !cb_capture_events())
        fprintf(stderr,
                "cbench: --instructions counts a fixed number of iterations: --benchtime %dx "
                "instead of a duration\n",
                CB_OPTIONS_INSTRUCTIONS_N);
    cb_bench_ctx ctx = {.o = o};
    if (!(ctx.match = cb_match_new(o->bench, err, sizeof err))) {
        fprintf(stderr, "cbench: --bench: %s\n", err);
        return 1;
    }
    cb_bench_names_init(&ctx.names);
    plan(bm, n, ctx.match);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (!bm[i].name || !bm[i].fn)
            continue;
        size_t len = strlen(bm[i].name) + sizeof "Benchmark";
        cb_own_begin();
        char *name = malloc(len);
        cb_own_end();
        if (!name) {
            fprintf(stderr, "cbench: out of memory\n");
            failed++;
            continue;
        }
        cb_bench_names_display(bm[i].name, name, len);
        if (cb_shard_selects(name))
            failed += !cb_bench_run_one(&ctx, name, bm[i].fn);
        free(name);
    }
    cb_bench_names_free(&ctx.names);
    cb_match_free(ctx.match);
    return failed;
}
