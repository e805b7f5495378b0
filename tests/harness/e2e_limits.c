/*
 * End-to-end for benchmark-level limits: a test that passes, a benchmark
 * whose limits hold, one whose reported metric breaks its ceiling, and
 * one that allocates once per op under a "no allocation" limit (left out
 * by --bench where the heap is not interposed).
 */
#include <stdlib.h>

#include <cbench.h>

static void plain_passes(void **state)
{
    (void)state;
}

static void bench_within(cbench_b *b)
{
    cbench_limit_below(b, "widgets/op", 3);
    cbench_limit_above(b, "widgets/op", 1);
    while (cbench_loop(b))
        ;
    cbench_report_metric(b, 2, "widgets/op");
}

static void bench_over(cbench_b *b)
{
    cbench_limit_below(b, "widgets/op", 3);
    while (cbench_loop(b))
        ;
    cbench_report_metric(b, 5, "widgets/op");
}

static void bench_allocates(cbench_b *b)
{
    cbench_limit_below(b, "allocs/op", 1);
    while (cbench_loop(b)) {
        void *volatile p = malloc(48);
        free(p);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_passes),
    };
    const struct cbench_benchmark benchmarks[] = {
        cbench_benchmark(bench_within),
        cbench_benchmark(bench_over),
        cbench_benchmark(bench_allocates),
    };
    return cbench_main(argc, argv, tests, 1, benchmarks, 3);
}
