/*
 * Stress: 8 threads allocating, growing and freeing blocks of mixed sizes
 * (16 B to 64 KiB, aligned forms included) with heap sampling at a small
 * rate, the CPU profiler at 1 kHz, and heap profiles written again and
 * again while they run. Two of the threads allocate through a library
 * they load and unload again and again, so that the stack walker's rules
 * are dropped (dlclose) while the others walk. Nothing may crash or hang;
 * when every block is freed the counters balance exactly and the profile
 * shows nothing in use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbench/profile.h"
#include "interpose/heap.h"
#include "profile_reader.h"

enum { THREADS = 8, ROUNDS = 200000, SLOTS = 256 };

static __attribute__((noinline)) void *stress_alloc(uint64_t *seed)
{
    uint64_t x = *seed;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    *seed = x;
    size_t size = 16 + (size_t)(x % 4 == 0 ? x % 65536 : x % 512);
    switch (x % 5) {
    case 0:
        return calloc(1, size);
    case 1:
        return aligned_alloc(64, (size + 63) & ~(size_t)63);
    default:
        return malloc(size);
    }
}

typedef struct stress {
    uint64_t seed;
    void *slot[SLOTS];
} stress;

static void stress_step(void *arg)
{
    stress *st = arg;
    int k = (int)(st->seed % SLOTS);
    if (st->slot[k] && st->seed % 3 == 0) {
        st->slot[k] = realloc(st->slot[k], 32 + st->seed % 8192);
    } else {
        free(st->slot[k]);
        st->slot[k] = stress_alloc(&st->seed);
    }
    if (st->slot[k])
        memset(st->slot[k], 1, 16);
}

typedef void (*through_fn)(void (*)(void *), void *);

/* Every 1000 steps the library is unloaded and loaded again; the steps
 * run through its function. */
static void steps_through_library(stress *st)
{
    for (int i = 0; i < ROUNDS; i += 1000) {
        void *lib = dlopen(STACKWALK_LIB_PATH, RTLD_NOW | RTLD_LOCAL);
        assert_non_null(lib);
        through_fn through = (through_fn)dlsym(lib, "stackwalk_lib_through");
        assert_non_null(through);
        for (int j = 0; j < 1000; j++)
            through(stress_step, st);
        dlclose(lib);
    }
}

static void *stress_worker(void *arg)
{
    stress st = {.seed = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1};
    if ((uintptr_t)arg <= 2) {
        steps_through_library(&st);
    } else {
        for (int i = 0; i < ROUNDS; i++)
            stress_step(&st);
    }
    for (int k = 0; k < SLOTS; k++)
        free(st.slot[k]);
    return NULL;
}

static void *load_often(void *arg)
{
    for (int i = 0; i < 100; i++) {
        void *lib = dlopen(STACKWALK_LIB_PATH, RTLD_NOW | RTLD_LOCAL);
        if (lib)
            dlclose(lib);
    }
    return arg;
}

static void *idle_worker(void *arg)
{
    return arg;
}

/* Starts and joins THREADS threads running fn, writing profiles to `out`
 * meanwhile; returns the scope's counts. */
static cb_heap_delta run(void *(*fn)(void *), FILE *out, int *writes)
{
    cb_heap_scope s;
    cb_heap_delta d;
    pthread_t t[THREADS];
    cb_heap_scope_begin(&s);
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, fn, (void *)(i + 1));
    for (int i = 0; fn != idle_worker && i < 20; i++, (*writes)++)
        if (cbench_write_profile(i % 2 ? "heap" : "allocs", out, i % 4 == 3) != 0)
            fail_msg("write: %s", cbench_last_error());
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    cb_heap_scope_end(&s, &d);
    return d;
}

static void test_heap_sampling_survives_threads_cpu_profiling_and_writes(void **state)
{
    (void)state;
    long old_rate = cbench_set_mem_profile_rate(4096);
    cbench_set_cpu_profile_rate(1000);
    FILE *cpu = tmpfile(), *null = fopen("/dev/null", "w");
    int writes = 0;
    assert_int_equal(cbench_start_cpu_profile(cpu), 0);
    /* What glibc keeps after the first dlopen and dlclose on threads, two
     * at a time (a block or two, once per process). */
    for (int round = 0; round < 2; round++) {
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, load_often, NULL);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
    }
    /* glibc's own allocations for starting threads, measured the same way. */
    run(idle_worker, null, &writes);
    cb_heap_delta base = run(idle_worker, null, &writes);
    cb_heap_delta d = run(stress_worker, null, &writes);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    fclose(null);
    fclose(cpu);
    printf("  %d profiles written; %lu mallocs, %lu frees\n", writes,
           (unsigned long)(d.mallocs - base.mallocs), (unsigned long)(d.frees - base.frees));
    /* Every block was freed: the counters balance exactly. */
    assert_true(d.mallocs - base.mallocs >= THREADS * ROUNDS / 2);
    assert_int_equal(d.mallocs - base.mallocs, d.frees - base.frees);
    assert_int_equal(d.live_objects, base.live_objects);
    assert_int_equal(d.live_bytes, base.live_bytes);
    /* And so does the profile: the workers' function holds nothing. */
    FILE *f = tmpfile();
    assert_int_equal(cbench_write_heap_profile(f), 0);
    pb_profile *p = read_profile_stream(f);
    assert_non_null(p);
    assert_true(cum_value(p, 1, "stress_worker") > 0); /* it allocated */
    assert_int_equal(cum_value(p, 3, "stress_worker"), 0);
    free_profile(p);
    fclose(f);
    cbench_set_mem_profile_rate(old_rate);
    cbench_set_cpu_profile_rate(100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_sampling_survives_threads_cpu_profiling_and_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
