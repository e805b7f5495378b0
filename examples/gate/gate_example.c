/*
 * The example the CI recipe (docs/ci.md) is tested on: a checksum and a
 * weight of the same data, with a test and a benchmark. Built three ways
 * by examples/CMakeLists.txt: as is, with GATE_SLOWER (the checksum
 * makes 17 passes over the data where it made 12; with the weight's 4,
 * 21 passes an op where there were 16: 31% more work), with
 * GATE_EXTRA_ALLOCATION (one more allocation per op) and with
 * GATE_ONE_PERCENT (a sixth of one more pass: about 1% more
 * instructions, which time cannot tell from noise and --instructions
 * can), so that the gate has a regression of each kind to catch and the same build twice to
 * let pass. Two functions share the work, so that a flame graph has
 * boxes side by side, and the slower build's differential graph shows
 * the checksum growing and the weight shrinking in share.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cbench.h>

#ifdef GATE_SLOWER
#define CHECKSUM_PASSES 17
#else
#define CHECKSUM_PASSES 12
#endif
#define WEIGHT_PASSES 4

/* FNV-1a, a byte at a time: a chain of multiplies the compiler cannot
 * shorten, so each pass costs the same. */
__attribute__((noinline)) static uint64_t checksum(const unsigned char *p, size_t n, int passes)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int k = 0; k < passes; k++)
        for (size_t i = 0; i < n; i++)
            h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* The same chain with another multiplier: as costly a pass. */
__attribute__((noinline)) static uint64_t weigh(const unsigned char *p, size_t n, int passes)
{
    uint64_t h = 1;
    for (int k = 0; k < passes; k++)
        for (size_t i = 0; i < n; i++)
            h = (h + p[i]) * 0x9e3779b97f4a7c15ULL;
    return h;
}

/* One checksum of a fresh copy of the data: one allocation per op. */
static uint64_t checksum_copy(const unsigned char *data, size_t n)
{
    unsigned char *copy = malloc(n);
    if (!copy)
        return 0;
    memcpy(copy, data, n);
#ifdef GATE_EXTRA_ALLOCATION
    char *scratch = malloc(64);
    CBENCH_KEEP(scratch);
    free(scratch);
#endif
    uint64_t h = checksum(copy, n, CHECKSUM_PASSES) ^ weigh(copy, n, WEIGHT_PASSES);
#ifdef GATE_ONE_PERCENT
    h ^= weigh(copy, n / 6, 1);
#endif
    free(copy);
    return h;
}

static unsigned char data[1024];

static void checksum_is_stable(void **state)
{
    (void)state;
    memset(data, 7, sizeof data);
    assert_true(checksum_copy(data, sizeof data) == checksum_copy(data, sizeof data));
}

static void bench_checksum(cbench_b *b)
{
    cbench_report_allocs(b);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 31 + 7);
    while (cbench_loop(b))
        CBENCH_KEEP(checksum_copy(data, sizeof data));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(checksum_is_stable)};
    const struct cbench_benchmark benchmarks[] = {cbench_benchmark(bench_checksum)};
    return cbench_main(argc, argv, tests, 1, benchmarks, 1);
}
