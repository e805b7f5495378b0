/* A test binary made with cbench_add_test() from an installed cbench. */
#include <cbench.h>

static void adds(void **state)
{
    (void)state;
    assert_int_equal(2 + 2, 4);
}

static void bench_add(cbench_b *b)
{
    int64_t sum = 0;
    while (cbench_loop(b))
        sum += b->n;
    CBENCH_KEEP(sum);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(adds)};
    const struct cbench_benchmark benchmarks[] = {cbench_benchmark(bench_add)};
    return cbench_main(argc, argv, tests, 1, benchmarks, 1);
}
