/*
 * The loop benchmark, Google Benchmark's side: the functions of
 * loop_work.c timed with `for (auto _ : state)`, as GB's documentation
 * writes them, with the names cbench gives its side (BenchmarkEmpty, ...)
 * so that run_loop.sh pairs them. See loop_cbench.c.
 */
#include <benchmark/benchmark.h>

#include "loop_work.h"

static void BenchmarkEmpty(benchmark::State &state)
{
    for (auto _ : state) {
    }
}

static void BenchmarkKeep(benchmark::State &state)
{
    int64_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(i);
        i++;
    }
}

static void BenchmarkHash64(benchmark::State &state)
{
    for (auto _ : state)
        benchmark::DoNotOptimize(loop_hash64());
}

static void BenchmarkSort100(benchmark::State &state)
{
    for (auto _ : state)
        benchmark::DoNotOptimize(loop_sort100());
}

static void BenchmarkMalloc_free(benchmark::State &state)
{
    for (auto _ : state)
        loop_malloc_free();
}

BENCHMARK(BenchmarkEmpty);
BENCHMARK(BenchmarkKeep);
BENCHMARK(BenchmarkHash64);
BENCHMARK(BenchmarkSort100);
BENCHMARK(BenchmarkMalloc_free);

int main(int argc, char **argv)
{
    loop_work_init();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
