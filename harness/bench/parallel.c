/*
 * Parallel benchmarks (Go's RunParallel): P threads share b->n iterations.
 *
 * The calling thread and P-1 new threads each run the body, which calls
 * cbench_pb_next until it returns false. Iterations are handed out in
 * grains through one atomic counter; a grain is the number of iterations
 * that took about 100 us in the previous call (1e5 * prev_n / prev_ns,
 * between 1 and 1e4, as Go computes it), so threads rarely touch the
 * shared counter and still balance the load. The inline fast path counts
 * down the grain held by the thread; this slow path, reached when the
 * count goes below zero, takes the next grain, or the remainder when
 * fewer than a grain are left.
 *
 * ns/op is wall time over b->n: the timer is reset and started before the
 * threads start and stopped when the last one has finished. Threads are
 * ended before cbench_run_parallel returns. With P = 1 no thread is
 * created (once a process has a second thread, glibc's locks use atomic
 * instructions for the rest of its life).
 */
#include "bench/counters.h"
#include "bench/state.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bench/run.h"
#include "bench/timer.h"
#include "base/own.h"

struct cb_bench_par {
    _Atomic uint64_t taken; /* iterations handed out, or asked for past the end */
    uint64_t grain;
    uint64_t n;
    void (*body)(cbench_pb *pb, void *arg);
    void *arg;
};

CBENCH_API bool cbench_pb_next_slow_(cbench_pb *pb)
{
    struct cb_bench_par *p = pb->impl_;
    pb->left_ = 0; /* when nothing is left, later calls come back here */
    if (!p)
        return false;
    uint64_t end = atomic_fetch_add_explicit(&p->taken, p->grain, memory_order_relaxed) + p->grain;
    uint64_t got;
    if (end <= p->n)
        got = p->grain;
    else if (end < p->n + p->grain)
        got = p->n + p->grain - end;
    else
        return false;
    pb->left_ = (int64_t)got - 1;
    return true;
}

static void *worker(void *arg)
{
    struct cb_bench_par *p = arg;
    cbench_pb pb = {.left_ = 0, .impl_ = p};
    p->body(&pb, p->arg);
    return NULL;
}

/* A thread of its own: counted as the calling thread is (bench/counters.c). */
static void *worker_thread(void *arg)
{
    cb_counters_thread_begin();
    worker(arg);
    cb_counters_thread_end();
    return NULL;
}

static uint64_t grain_for(const struct cb_bench *s)
{
    uint64_t grain = 0;
    if (s->prev_n > 0 && s->prev_duration_ns > 0)
        grain = 100000u * (uint64_t)s->prev_n / (uint64_t)s->prev_duration_ns;
    if (grain < 1)
        grain = 1;
    if (grain > 10000)
        grain = 10000;
    return grain;
}

/* Starts up to `want` workers into threads[]; returns how many started,
 * with the error of the first that did not in *err. The threads' set-up
 * allocations are cbench's, not the benchmark's. */
static int start_workers(pthread_t *threads, int want, struct cb_bench_par *p, int *err)
{
    int started = 0;
    *err = 0;
    cb_own_begin();
    for (; started < want; started++) {
        if ((*err = pthread_create(&threads[started], NULL, worker_thread, p)) != 0)
            break;
    }
    cb_own_end();
    return started;
}

CBENCH_API void cbench_run_parallel(cbench_b *b, void (*body)(cbench_pb *pb, void *arg), void *arg)
{
    struct cb_bench *s = b ? b->impl_ : NULL;
    if (!s || !body)
        return;
    if (s->in_parallel) {
        cb_bench_run_fail(s, "cbench_run_parallel called from its own body");
        return;
    }
    struct cb_bench_par par = {
        .grain = grain_for(s), .n = (uint64_t)b->n, .body = body, .arg = arg};
    atomic_init(&par.taken, 0);
    int extra = s->procs > 1 ? s->procs - 1 : 0;
    pthread_t *threads = NULL;
    if (extra) {
        cb_own_begin();
        threads = calloc((size_t)extra, sizeof *threads);
        cb_own_end();
        if (!threads) {
            cb_bench_run_fail(s, "cbench_run_parallel: out of memory");
            return;
        }
    }
    s->in_parallel = true;
    cbench_reset_timer(b);
    cbench_start_timer(b);
    int err;
    int started = start_workers(threads, extra, &par, &err);
    worker(&par);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    cbench_stop_timer(b);
    s->in_parallel = false;
    cb_own_begin();
    free(threads);
    cb_own_end();
    if (started < extra)
        cb_bench_run_fail(s, "cbench_run_parallel: started %d of %d threads: %s", started + 1,
                          s->procs, strerror(err));
    if (atomic_load(&par.taken) <= par.n)
        cb_bench_run_fail(
            s, "cbench_run_parallel: a body returned before cbench_pb_next returned false");
}
