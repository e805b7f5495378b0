/*
 * Thirty tests and three benchmarks for the sharding and merge tests.
 * Test k (1-based) makes k allocations of 100 bytes and frees them, so
 * with --memprofile --memprofilerate 1 the allocs profile of a binary
 * holds exactly sum(1..30) = 465 allocations, however the tests are
 * split into shards: a ground truth for the merged profiles.
 *
 * Built twice: with cbench_main (flags on the command line), and with
 * SHARD_GROUP as a cbench_run_group_tests binary.
 */
#include <stdlib.h>

#include <cbench.h>

static void allocate(int k)
{
    for (int i = 0; i < k; i++) {
        void *volatile p = malloc(100);
        assert_non_null(p);
        free(p);
    }
}

/* clang-format off */
#define T(k)                                                                                       \
    static void test_shard_##k(void **state)                                                       \
    {                                                                                              \
        (void)state;                                                                               \
        allocate(k);                                                                               \
    }
T(1) T(2) T(3) T(4) T(5) T(6) T(7) T(8) T(9) T(10)
T(11) T(12) T(13) T(14) T(15) T(16) T(17) T(18) T(19) T(20)
T(21) T(22) T(23) T(24) T(25) T(26) T(27) T(28) T(29) T(30)
#undef T

#define U(k) cmocka_unit_test(test_shard_##k)
static const struct CMUnitTest tests[] = {
    U(1),  U(2),  U(3),  U(4),  U(5),  U(6),  U(7),  U(8),  U(9),  U(10),
    U(11), U(12), U(13), U(14), U(15), U(16), U(17), U(18), U(19), U(20),
    U(21), U(22), U(23), U(24), U(25), U(26), U(27), U(28), U(29), U(30),
};
#undef U
/* clang-format on */

#ifndef SHARD_GROUP
static void bench_add(cbench_b *b)
{
    int x = 0;
    while (cbench_loop(b)) {
        x += 1;
        CBENCH_KEEP(x);
    }
}

static void bench_alloc(cbench_b *b)
{
    while (cbench_loop(b)) {
        void *p = malloc(16);
        CBENCH_KEEP(p);
        free(p);
    }
}

static void bench_sub(cbench_b *b)
{
    cbench_run(b, "small", bench_add);
    cbench_run(b, "large", bench_alloc);
}

#endif

#ifdef SHARD_GROUP
int main(void)
{
    return cbench_run_group_tests(tests, NULL, NULL);
}
#else
int main(int argc, char **argv)
{
    static const struct cbench_benchmark benchmarks[] = {
        cbench_benchmark(bench_add), cbench_benchmark(bench_alloc), cbench_benchmark(bench_sub)};
    return cbench_main(argc, argv, tests, sizeof tests / sizeof tests[0], benchmarks,
                       sizeof benchmarks / sizeof benchmarks[0]);
}
#endif
