/*
 * Stress: the CPU profiler at 1 kHz through 200 start/stop cycles while
 * four threads call malloc/free and dlopen/dlclose (and run code in the
 * module they load), a fifth creates and joins short-lived threads, a
 * sixth unwinds its own stack with libunwind and a seventh walks the list
 * of loaded objects with dl_iterate_phdr (whose lock it holds while its
 * callback runs). Signals then land inside malloc, inside the dynamic
 * loader, inside the unwinder and under the loader's lock. Nothing may
 * crash or hang, every cycle must succeed, and every profile must decode.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cbench/profile.h"
#include "cpu_burn.h"
#include "profile_reader.h"

enum { CYCLES = 200, WORKERS = 4 };

static atomic_int stop_workers;
static atomic_long malloc_rounds, dlopen_rounds, threads_made, backtraces, iterations;

/* Workers leave the CPU now and then, so that six of them on two cores do
 * not starve the thread that starts and stops the profiles; they still run
 * most of the time, which is when the signals land in them. */
static void pause_briefly(void)
{
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
}

static void *allocating_worker(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg * 2654435761u + 1;
    void *keep[64] = {0};
    while (!atomic_load(&stop_workers)) {
        for (int i = 0; i < 64; i++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            free(keep[i]);
            keep[i] = malloc(16 + seed % 4096);
            if (keep[i])
                memset(keep[i], (int)i, 16);
        }
        atomic_fetch_add(&malloc_rounds, 1);
        pause_briefly();
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return NULL;
}

static void *loading_worker(void *arg)
{
    (void)arg;
    volatile uint64_t sink = 0;
    while (!atomic_load(&stop_workers)) {
        void *h = dlopen(STRESS_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
        if (!h)
            continue;
        uint64_t (*work)(uint64_t) = (uint64_t(*)(uint64_t))dlsym(h, "stress_plugin_work");
        if (work)
            sink += work(sink);
        dlclose(h);
        atomic_fetch_add(&dlopen_rounds, 1);
        pause_briefly();
    }
    return NULL;
}

/* The program unwinding for itself with libunwind, so that samples land
 * inside the unwinder. */
static __attribute__((noinline)) void unwinding_worker_frame(int depth)
{
    if (depth > 0) {
        unwinding_worker_frame(depth - 1);
        return;
    }
    void *pcs[64];
    if (unw_backtrace(pcs, 64) > 0)
        atomic_fetch_add(&backtraces, 1);
}

static void *unwinding_worker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_workers)) {
        for (int i = 0; i < 50; i++)
            unwinding_worker_frame(8);
        pause_briefly();
    }
    return NULL;
}

/* Runs with the loader's list lock held: work here is where signals land. */
static int visit_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uint64_t *sum = data;
    for (int i = 0; i < info->dlpi_phnum; i++)
        *sum += info->dlpi_phdr[i].p_memsz ^ (uint64_t)i;
    burn_cpu(2000);
    return 0;
}

static void *iterating_worker(void *arg)
{
    (void)arg;
    uint64_t sum = 0;
    while (!atomic_load(&stop_workers)) {
        dl_iterate_phdr(visit_object, &sum);
        atomic_fetch_add(&iterations, 1);
        pause_briefly();
    }
    return (void *)(uintptr_t)(sum & 1);
}

static void *short_lived(void *arg)
{
    burn_cpu(200000);
    return arg;
}

static void *spawning_worker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_workers)) {
        pthread_t t;
        if (pthread_create(&t, NULL, short_lived, NULL) == 0) {
            pthread_join(t, NULL);
            atomic_fetch_add(&threads_made, 1);
        }
    }
    return NULL;
}

static void test_profiler_survives_cycles_with_malloc_dlopen_and_thread_churn(void **state)
{
    (void)state;
    pthread_t workers[WORKERS + 3];
    for (long i = 0; i < WORKERS; i++)
        assert_int_equal(pthread_create(&workers[i], NULL,
                                        i % 2 ? loading_worker : allocating_worker, (void *)i),
                         0);
    assert_int_equal(pthread_create(&workers[WORKERS], NULL, spawning_worker, NULL), 0);
    assert_int_equal(pthread_create(&workers[WORKERS + 1], NULL, unwinding_worker, NULL), 0);
    assert_int_equal(pthread_create(&workers[WORKERS + 2], NULL, iterating_worker, NULL), 0);

    cbench_set_cpu_profile_rate(1000);
    int64_t samples = 0;
    for (int cycle = 0; cycle < CYCLES; cycle++) {
        FILE *f = tmpfile();
        assert_non_null(f);
        assert_int_equal(cbench_start_cpu_profile(f), 0);
        burn_cpu(5000000);
        assert_int_equal(cbench_stop_cpu_profile(), 0);
        /* Decoding every tenth keeps the test short; all were written. */
        if (cycle % 10 == 0) {
            pb_profile *p = read_profile_stream(f);
            assert_non_null(p);
            samples += total_value(p, 0);
            free_profile(p);
        }
        fclose(f);
    }
    atomic_store(&stop_workers, 1);
    for (int i = 0; i < WORKERS + 3; i++)
        pthread_join(workers[i], NULL);
    printf("  %ld malloc rounds, %ld dlopen rounds, %ld threads, %ld backtraces, "
           "%ld object walks, %ld samples decoded\n",
           atomic_load(&malloc_rounds), atomic_load(&dlopen_rounds), atomic_load(&threads_made),
           atomic_load(&backtraces), atomic_load(&iterations), (long)samples);
    assert_true(samples > 0);
    assert_true(atomic_load(&malloc_rounds) > 0);
    assert_true(atomic_load(&dlopen_rounds) > 0);
    assert_true(atomic_load(&threads_made) > 0);
    assert_true(atomic_load(&backtraces) > 0);
    assert_true(atomic_load(&iterations) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profiler_survives_cycles_with_malloc_dlopen_and_thread_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
