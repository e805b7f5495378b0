/*
 * The lock benchmark: what interposed locks cost. Built twice (see
 * bench/CMakeLists.txt): lock_bench_glibc links nothing of cbench, so its
 * locks are glibc's; lock_bench_cbench links libcbench, whose interposed
 * locks it times with profiling off, with the mutex profile at fraction
 * 1 and the block profile at rate 1 ("on"), or with those and a trace
 * running into a file ("all": every wait a span, every wake a flow).
 *
 *   uncontended  one thread, PAIRS lock/unlock pairs of one mutex: ns/pair
 *   contended    THREADS threads each add to a shared counter under one
 *                mutex, with a little work outside it: million pairs/s
 *   uncontended_threaded  the first measure again once threads have run
 *
 * usage: lock_bench_{glibc,cbench} [on|off|all [TRACE]]   prints "name value" lines
 * (TRACE: the trace's file, default /tmp/cbench-lock-bench-trace.json)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef LOCK_BENCH_CBENCH
#include "cbench/profile.h"
#include "cbench/trace.h"
#endif

enum { PAIRS = 20000000, THREADS = 2, CONTENDED_PAIRS = 2000000 };

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t counter;

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double uncontended(void)
{
    double t0 = seconds();
    for (int i = 0; i < PAIRS; i++) {
        pthread_mutex_lock(&mutex);
        counter++;
        pthread_mutex_unlock(&mutex);
    }
    return (seconds() - t0) * 1e9 / PAIRS;
}

static void *contender(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
    for (int i = 0; i < CONTENDED_PAIRS; i++) {
        for (int j = 0; j < 20; j++) /* work outside the lock */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        pthread_mutex_lock(&mutex);
        counter += x & 1;
        pthread_mutex_unlock(&mutex);
    }
    return NULL;
}

static double contended(void)
{
    pthread_t t[THREADS];
    double t0 = seconds();
    for (uintptr_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, contender, (void *)(i + 1));
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    return (double)THREADS * CONTENDED_PAIRS / (seconds() - t0) / 1e6;
}

int main(int argc, char **argv)
{
    int all = argc > 1 && strcmp(argv[1], "all") == 0;
    int on = all || (argc > 1 && strcmp(argv[1], "on") == 0);
#ifdef LOCK_BENCH_CBENCH
    if (on) {
        cbench_set_mutex_profile_fraction(1);
        cbench_set_block_profile_rate(1);
    }
    /* The trace runs for the contended workload only: its writer thread
     * would make the uncontended ones a threaded process's. */
    const char *trace = argc > 2 ? argv[2] : "/tmp/cbench-lock-bench-trace.json";
#else
    if (on) {
        fprintf(stderr, "lock_bench_glibc has no profiler to turn on\n");
        return 2;
    }
#endif
    uncontended(); /* warm up */
    printf("uncontended_ns_per_pair %.3f\n", uncontended());
#ifdef LOCK_BENCH_CBENCH
    if (all && cbench_start_trace_path(trace) != 0) {
        fprintf(stderr, "lock_bench: %s\n", cbench_last_error());
        return 1;
    }
#endif
    printf("contended_mpairs_per_s %.3f\n", contended());
#ifdef LOCK_BENCH_CBENCH
    if (all && cbench_stop_trace() != 0) {
        fprintf(stderr, "lock_bench: %s\n", cbench_last_error());
        return 1;
    }
#endif
    /* Once a process has had a second thread, glibc's locks keep their
     * atomic instructions: the uncontended pair of a threaded program. */
    uncontended();
    printf("uncontended_threaded_ns_per_pair %.3f\n", uncontended());
    return 0;
}
