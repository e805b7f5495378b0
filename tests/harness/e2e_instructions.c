/*
 * Benchmarks whose instruction counts the test knows in advance, for
 * --instructions (tests/harness/test_instructions.sh):
 *
 * - Nop1000, Nop10000: a body of exactly K nop instructions (an asm
 *   block the compiler cannot change), after a set-up of a million
 *   instructions that must not be counted;
 * - Sum/512, Sum/1024: the same loop over twice the bytes;
 * - Ratio: one function of 3000 nops and one of 1000, called once each
 *   per iteration, for instructions.pb.gz's 3:1;
 * - Parallel: 1000 nops an iteration on every thread of
 *   cbench_run_parallel, each counted.
 */
#include <stdint.h>

#include <cbench.h>

#define NOPS(k) __asm__ volatile(".rept " #k "\n\tnop\n\t.endr" ::: "memory")

/* Work before the loop: a million instructions the count must not see. */
__attribute__((noinline)) static void set_up(void)
{
    for (int i = 0; i < 1000; i++)
        NOPS(1000);
}

static void bench_nop1000(cbench_b *b)
{
    set_up();
    while (cbench_loop(b))
        NOPS(1000);
}

static void bench_nop10000(cbench_b *b)
{
    set_up();
    while (cbench_loop(b))
        NOPS(10000);
}

static unsigned char data[1024];

__attribute__((noinline)) static uint64_t sum(const unsigned char *p, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static void sum512(cbench_b *b)
{
    while (cbench_loop(b))
        CBENCH_KEEP(sum(data, 512));
}

static void sum1024(cbench_b *b)
{
    while (cbench_loop(b))
        CBENCH_KEEP(sum(data, 1024));
}

static void bench_sum(cbench_b *b)
{
    cbench_run(b, "512", sum512);
    cbench_run(b, "1024", sum1024);
}

__attribute__((noinline)) static void three_thousand(void)
{
    NOPS(3000);
}

__attribute__((noinline)) static void one_thousand(void)
{
    NOPS(1000);
}

static void bench_ratio(cbench_b *b)
{
    while (cbench_loop(b)) {
        three_thousand();
        one_thousand();
    }
}

static void parallel_body(cbench_pb *pb, void *arg)
{
    (void)arg;
    while (cbench_pb_next(pb))
        NOPS(1000);
}

static void bench_parallel(cbench_b *b)
{
    cbench_run_parallel(b, parallel_body, NULL);
}

int main(int argc, char **argv)
{
    static const struct cbench_benchmark benchmarks[] = {
        cbench_benchmark(bench_nop1000),  cbench_benchmark(bench_nop10000),
        cbench_benchmark(bench_sum),      cbench_benchmark(bench_ratio),
        cbench_benchmark(bench_parallel),
    };
    return cbench_main(argc, argv, NULL, 0, benchmarks, sizeof benchmarks / sizeof benchmarks[0]);
}
