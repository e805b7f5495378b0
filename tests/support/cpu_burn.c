#include "cpu_burn.h"

static volatile uint64_t sink;

__attribute__((noinline)) int64_t burn_cpu(int64_t ns)
{
    int64_t start = thread_cpu_ns(), now;
    uint64_t x = (uint64_t)start | 1;
    do {
        for (int i = 0; i < 2000; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        sink = x;
        now = thread_cpu_ns();
    } while (now - start < ns);
    return now - start;
}
