/* A module the stress test loads and unloads over and over, so that CPU
 * samples land in code that comes and goes while the profiler runs. */
#include <stdint.h>

__attribute__((visibility("default"))) uint64_t stress_plugin_work(uint64_t x)
{
    for (int i = 0; i < 20000; i++)
        x = x * 2862933555777941757ULL + 3037000493ULL;
    return x;
}
