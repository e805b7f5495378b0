/*
 * The loop benchmark, cbench's side: the functions of loop_work.c timed
 * with cbench_loop, as a user would write them. loop_gbench.cc is the
 * same with Google Benchmark; run_loop.sh runs both.
 *
 *   empty        nothing in the loop: the loop's own cost per iteration
 *   keep         CBENCH_KEEP of a counter (a "memory" clobber each time)
 *   hash64       a hash of 64 bytes
 *   sort100      copying and sorting 100 ints
 *   malloc_free  a malloc(64) and free pair
 */
#include "cbench/bench.h"
#include "loop_work.h"

static void bench_empty(cbench_b *b)
{
    while (cbench_loop(b)) {
    }
}

static void bench_keep(cbench_b *b)
{
    int64_t i = 0;
    while (cbench_loop(b)) {
        CBENCH_KEEP(i);
        i++;
    }
}

static void bench_hash64(cbench_b *b)
{
    while (cbench_loop(b))
        CBENCH_KEEP(loop_hash64());
}

static void bench_sort100(cbench_b *b)
{
    while (cbench_loop(b))
        CBENCH_KEEP(loop_sort100());
}

static void bench_malloc_free(cbench_b *b)
{
    while (cbench_loop(b))
        loop_malloc_free();
}

int main(int argc, char **argv)
{
    static const struct cbench_benchmark benchmarks[] = {
        cbench_benchmark(bench_empty),       cbench_benchmark(bench_keep),
        cbench_benchmark(bench_hash64),      cbench_benchmark(bench_sort100),
        cbench_benchmark(bench_malloc_free),
    };
    loop_work_init();
    return cbench_main(argc, argv, NULL, 0, benchmarks, sizeof benchmarks / sizeof benchmarks[0]);
}
