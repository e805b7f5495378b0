/*
 * Stress: 8 threads open and close regions and write logs as fast as
 * they can while the main thread starts and stops traces over and over,
 * and a signal (standing for SIGPROF) delivers CPU samples into the
 * middle of their appends. Every trace must be complete and well formed
 * (per thread: times never go back, spans nest), and the run must end:
 * no deadlock between appends, the writer, stop and the signal path.
 * Run under the UBSan and ASan builds too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cbench/trace.h"
#include "trace/tracer.h"
#include "trace_reader.h"

enum { THREADS = 8, ROUNDS = 12 };

static _Atomic int done, paused;
static pthread_t workers[THREADS];

static void on_signal(int sig)
{
    (void)sig;
    uint64_t pcs[2] = {(uint64_t)(uintptr_t)&on_signal, (uint64_t)(uintptr_t)&on_signal + 1};
    cb_trace_sample(pcs, 2);
}

static void *worker(void *arg)
{
    int k = (int)(intptr_t)arg;
    char name[16];
    snprintf(name, sizeof name, "worker-%d", k);
    pthread_setname_np(pthread_self(), name);
    uint64_t i = 0;
    while (!atomic_load(&done)) {
        if (atomic_load(&paused)) { /* while the main thread reads a trace */
            usleep(1000);
            continue;
        }
        cbench_region_begin("outer");
        cbench_region_begin(i % 3 ? "inner a" : "inner b");
        if (i % 64 == 0)
            cbench_trace_log("stress", "thread %d event %llu", k, (unsigned long long)i);
        cbench_region_end();
        if (i % 1024 == 0) {
            cbench_task *t = cbench_task_begin("task");
            cbench_task_end(t);
        }
        cbench_region_end();
        i++;
    }
    return NULL;
}

static void test_eight_threads_with_start_stop_cycles_and_signals(void **state)
{
    (void)state;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&workers[i], NULL, worker, (void *)(intptr_t)i), 0);
    char path[] = "/tmp/cbench-trace-stress-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    cb_trace_set_buffer_size(512 << 10);
    for (int round = 0; round < ROUNDS; round++) {
        assert_int_equal(cbench_start_trace_path(path), 0);
        for (int s = 0; s < 10; s++) {
            for (int i = 0; i < THREADS; i++)
                pthread_kill(workers[i], SIGUSR1);
            usleep(300);
        }
        assert_int_equal(cbench_stop_trace(), 0);
        atomic_store(&paused, round % 4 != 0); /* some stops meet no traffic after */
        tr_trace t;
        assert_int_equal(tr_load(path, &t), 0);
        assert_true(t.complete);
        const char *bad = tr_check(&t);
        if (bad)
            fail_msg("round %d: %s (%s kept)", round, bad, path);
        assert_true(tr_count(&t, 'B', "outer", -1) > 0);
        tr_free(&t);
        atomic_store(&paused, 0);
    }
    atomic_store(&done, 1);
    for (int i = 0; i < THREADS; i++)
        pthread_join(workers[i], NULL);
    cb_trace_set_buffer_size(0);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eight_threads_with_start_stop_cycles_and_signals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
