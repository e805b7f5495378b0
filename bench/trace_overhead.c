/*
 * What a trace annotation costs, side by side in one run:
 *
 *   no annotation     the loop body alone (a counter increment)
 *   tracing off       cbench_region_begin/end around it, no trace running
 *                     (the header's inline flag test)
 *   off, called       the same through the exported functions (a caller
 *                     that takes their address or skips the header)
 *   rdtsc pair        two rdtsc: the floor of a traced pair here
 *   traced, writer held   a trace running, its writer idle meanwhile
 *                     (the appending thread's own cost)
 *   traced            the same with the writer converting on the other
 *                     core as it goes (the cost a program sees here)
 *
 * Each configuration runs ROUNDS times, interleaved; a round times BURST
 * pairs (fewer than half the buffer holds, so nothing is dropped) and
 * the traced rounds then wait, untimed, for the writer to catch up. The
 * median ns per pair is printed with the smallest and largest round.
 * Then what the traced run wrote: bytes per event in memory (the record
 * sizes) and in the file, the writer thread's CPU time per event, and
 * its share of the process's CPU while the trace ran.
 *
 *   trace_overhead [OUT.json]     (default /tmp/cbench-trace-bench.json)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <x86intrin.h>

#include "cbench/trace.h"
#include "trace/tracer.h"

enum { ROUNDS = 15, BURST = 400000 };

static volatile uint64_t sink;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((noinline)) static void bare(void)
{
    for (int i = 0; i < BURST; i++)
        sink++;
}

__attribute__((noinline)) static void annotated(void)
{
    for (int i = 0; i < BURST; i++) {
        cbench_region_begin("pair");
        sink++;
        cbench_region_end();
    }
}

static void (*volatile begin_fn)(const char *) = cbench_region_begin;
static void (*volatile end_fn)(void) = cbench_region_end;

__attribute__((noinline)) static void called(void)
{
    void (*b)(const char *) = begin_fn;
    void (*e)(void) = end_fn;
    for (int i = 0; i < BURST; i++) {
        b("pair");
        sink++;
        e();
    }
}

__attribute__((noinline)) static void rdtsc_pair(void)
{
    for (int i = 0; i < BURST; i++) {
        sink += __rdtsc();
        sink++;
        sink += __rdtsc();
    }
}

static double timed(void (*fn)(void))
{
    uint64_t t0 = now_ns();
    fn();
    return (double)(now_ns() - t0) / BURST;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, double *v)
{
    qsort(v, ROUNDS, sizeof *v, cmp);
    printf("| %-28s | %8.2f | %6.2f .. %6.2f |\n", name, v[ROUNDS / 2], v[0], v[ROUNDS - 1]);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/tmp/cbench-trace-bench.json";
    static double base[ROUNDS], off[ROUNDS], off_called[ROUNDS], floor_[ROUNDS], on[ROUNDS],
        held[ROUNDS];
    cb_trace_set_buffer_size(32 << 20);
    uint64_t wall0 = now_ns(), cpu0 = cpu_ns();
    FILE *out = fopen(path, "w");
    if (!out || cbench_start_trace(out) != 0) {
        fprintf(stderr, "trace_overhead: %s\n", cbench_last_error());
        return 1;
    }
    /* The trace runs throughout, so that its writer thread exists in
     * every configuration (a second thread changes the cost of glibc's
     * locks, not of these loops, but the comparison stays fair); the
     * "off" rounds turn recording off the way stop does, by the flag. */
    for (int r = 0; r < ROUNDS; r++) {
        base[r] = timed(bare);
        floor_[r] = timed(rdtsc_pair);
        __atomic_store_n(&cbench_trace_active_, 0, __ATOMIC_SEQ_CST);
        off[r] = timed(annotated);
        off_called[r] = timed(called);
        __atomic_store_n(&cbench_trace_active_, 1, __ATOMIC_SEQ_CST);
        cb_trace_writer_hold(true);
        held[r] = timed(annotated);
        cb_trace_writer_hold(false);
        cb_trace_writer_sync();
        on[r] = timed(annotated);
        cb_trace_writer_sync();
    }
    if (cbench_stop_trace() != 0) {
        fprintf(stderr, "trace_overhead: %s\n", cbench_last_error());
        return 1;
    }
    uint64_t traced_wall = now_ns() - wall0, traced_cpu = cpu_ns() - cpu0;
    fclose(out);
    cb_trace_stats st;
    cb_trace_last_stats(&st);
    struct stat sb;
    stat(path, &sb);
    printf("| configuration | ns per pair (median) | min .. max |\n|---|---:|---:|\n");
    report("no annotation", base);
    report("tracing off (inline)", off);
    report("tracing off (called)", off_called);
    report("rdtsc pair (floor)", floor_);
    report("traced, writer held", held);
    report("traced", on);
    uint64_t events = 2ull * BURST * ROUNDS * 2;
    printf("\nevents %llu, dropped %llu, file %lld bytes: %.1f bytes/event in the file, "
           "16 bytes/event in memory (a region record)\n",
           (unsigned long long)events, (unsigned long long)st.dropped, (long long)sb.st_size,
           (double)sb.st_size / (double)events);
    printf("writer: %.1f ms CPU, %.1f ns per event (%.1f M events/s); "
           "%.1f %% of the process's CPU while the trace ran (%.1f ms CPU, %.1f ms wall)\n",
           st.writer_cpu_ns / 1e6, (double)st.writer_cpu_ns / (double)events,
           (double)events / ((double)st.writer_cpu_ns / 1e9) / 1e6,
           100.0 * (double)st.writer_cpu_ns / (double)traced_cpu, traced_cpu / 1e6,
           traced_wall / 1e6);
    return 0;
}
