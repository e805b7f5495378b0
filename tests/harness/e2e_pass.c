/*
 * End-to-end: a binary whose tests pass and whose benchmarks run, each
 * doing work in functions of its own so that the per-test profiles can be
 * told apart.
 */
#include <stdlib.h>

#include <cbench.h>

#include "cpu_burn.h"

static volatile int after; /* a write after each call: no tail calls */
static void *volatile kept[64];

__attribute__((noinline)) static void pass_alpha_work(void)
{
    burn_cpu(120 * 1000 * 1000);
    after++;
}

__attribute__((noinline)) static void pass_beta_work(void)
{
    for (int i = 0; i < 64; i++)
        kept[i] = malloc(4096);
    burn_cpu(120 * 1000 * 1000);
    after++;
}

static void alpha_passes(void **state)
{
    (void)state;
    pass_alpha_work();
    after++;
}

static void beta_passes(void **state)
{
    (void)state;
    pass_beta_work();
    after++;
}

__attribute__((noinline)) static void bench_sum_work(int64_t n)
{
    volatile uint64_t sum = 0;
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < 5000000; k++) /* ~10 ms per op: enough CPU samples at 20x */
            sum += (uint64_t)(i ^ k);
    after++;
}

static void bench_sum(cbench_b *b)
{
    bench_sum_work(b->n);
    after++;
}

static void bench_alloc(cbench_b *b)
{
    cbench_report_allocs(b);
    while (cbench_loop(b)) {
        void *volatile p = malloc(64);
        free(p);
    }
}

static void bench_child(cbench_b *b)
{
    int64_t sum = 0;
    while (cbench_loop(b))
        sum += b->n;
    CBENCH_KEEP(sum);
}

/* A parent reports nothing itself; each child does. */
static void bench_parent(cbench_b *b)
{
    cbench_run(b, "one", bench_child);
    cbench_run(b, "two words", bench_child);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alpha_passes),
        cmocka_unit_test(beta_passes),
    };
    const struct cbench_benchmark benchmarks[] = {
        cbench_benchmark(bench_sum),
        cbench_benchmark(bench_alloc),
        cbench_benchmark(bench_parent),
    };
    return cbench_main(argc, argv, tests, 2, benchmarks, 3);
}
