/*
 * A program for the trace tests that need a process of their own
 * (test_trace_crash.sh):
 *
 *   trace_prog crash-segv PATH    trace into PATH, then die by SIGSEGV
 *   trace_prog crash-abort PATH   the same, by abort()
 *   trace_prog env                regions only; traced by CBENCH_TRACE
 *   trace_prog flight-fatal PATH  a flight recording dumped to PATH by
 *                                 the SIGSEGV handler, then die
 *   trace_prog viewer PATH        nested regions of a few ms, for a viewer
 *   trace_prog samples PATH       the same with CPU samples of this code
 *
 * Each records regions "step <i>" on the main thread and on a second
 * thread ("helper"), a log, and a task across the two.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cbench/trace.h"
#include "trace/tracer.h"

static cbench_task *task;

static void *helper(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "helper");
    for (int i = 0; i < 1000; i++) {
        cbench_region_begin("helper step");
        cbench_region_end();
    }
    cbench_task_end(task);
    return NULL;
}

static void work(int steps)
{
    task = cbench_task_begin("crossing");
    pthread_t th;
    pthread_create(&th, NULL, helper, NULL);
    for (int i = 0; i < steps; i++) {
        char name[32];
        snprintf(name, sizeof name, "step %d", i % 100);
        cbench_region_begin(name);
        if (i % 1000 == 0)
            cbench_trace_log("prog", "log %d", i);
        cbench_region_end();
    }
    pthread_join(th, NULL);
}

static void die(const char *how)
{
    /* The region open at the crash shows in the partial trace. */
    cbench_region_begin("crashing");
    if (strcmp(how, "abort") == 0)
        abort();
    /* Raised rather than caused: a null store would be the sanitizers'
     * report (UBSan build), not a crash. */
    raise(SIGSEGV);
}

int main(int argc, char **argv);

static void spin_us(long us)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

/* A sample of the caller, as the CPU profiler's handler would take it:
 * this function's PC as the leaf, then return addresses. */
__attribute__((noinline)) static void sample_here(bool with)
{
    if (!with)
        return;
    uint64_t pcs[3] = {(uint64_t)(uintptr_t)&sample_here + 8,
                       (uint64_t)(uintptr_t)__builtin_return_address(0),
                       (uint64_t)(uintptr_t)&main + 16};
    cb_trace_sample(pcs, 3);
}

__attribute__((noinline)) static void parse(bool samples)
{
    cbench_region_begin("parse");
    for (int i = 0; i < 6; i++) {
        spin_us(500);
        sample_here(samples);
    }
    cbench_region_end();
}

__attribute__((noinline)) static void render(bool samples)
{
    cbench_region_begin("render");
    cbench_region_begin("layout");
    for (int i = 0; i < 4; i++) {
        spin_us(500);
        sample_here(samples);
    }
    cbench_region_end();
    spin_us(1000);
    sample_here(samples);
    cbench_region_end();
}

static int viewer(const char *path, bool samples)
{
    if (cbench_start_trace_path(path) != 0)
        return 1;
    for (int frame = 0; frame < 5; frame++) {
        cbench_region_begin("frame");
        parse(samples);
        render(samples);
        cbench_trace_log("frames", "frame %d done", frame);
        cbench_region_end();
    }
    return cbench_stop_trace() != 0;
}

static void on_segv(int sig)
{
    cb_trace_flight_dump_fatal();
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "env") == 0) {
        work(20000);
        return 0;
    }
    if (argc < 3)
        return 2;
    const char *mode = argv[1], *path = argv[2];
    if (strcmp(mode, "viewer") == 0 || strcmp(mode, "samples") == 0)
        return viewer(path, strcmp(mode, "samples") == 0);
    if (strncmp(mode, "crash-", 6) == 0) {
        FILE *f = fopen(path, "w");
        if (!f || cbench_start_trace(f) != 0)
            return 1;
        work(20000);
        /* What the writer has written by the crash is what survives;
         * held, it is not in the middle of a write when the crash comes
         * (a crash during a write(2) could cut an event). */
        cb_trace_writer_sync();
        cb_trace_writer_hold(true);
        die(mode + 6);
    }
    if (strcmp(mode, "flight-fatal") == 0) {
        if (cb_trace_flight_start(1 << 20) != 0 || cb_trace_flight_prepare_fatal(path) != 0)
            return 1;
        signal(SIGSEGV, on_segv);
        work(200000); /* several times what 1 MiB holds */
        die("segv");
    }
    return 2;
}
