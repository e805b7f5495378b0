/*
 * A program for the pprof interop test: it profiles itself spending CPU in
 * a static function, in a function that is inlined into another, and
 * under two label values, then writes the profile to argv[1].
 */
#include <stdint.h>
#include <stdio.h>

#include "cbench/profile.h"
#include "cpu_burn.h"

static volatile uint64_t sink;

static __attribute__((noinline)) void interop_static_hot(int64_t ns)
{
    int64_t start = thread_cpu_ns();
    uint64_t x = 1;
    while (thread_cpu_ns() - start < ns) {
        for (int i = 0; i < 4000; i++)
            x = x * 6364136223846793005ULL + 1; /* interop hot line */
        sink = x;
    }
}

static inline __attribute__((always_inline)) void interop_inlined_hot(int64_t ns)
{
    int64_t start = thread_cpu_ns();
    uint64_t x = 3;
    while (thread_cpu_ns() - start < ns) {
        for (int i = 0; i < 4000; i++)
            x = x * 2862933555777941757ULL + 3037000493ULL;
        sink = x;
    }
}

static __attribute__((noinline)) void interop_inline_host(int64_t ns)
{
    interop_inlined_hot(ns);
    sink++;
}

static __attribute__((noinline)) void interop_alpha_work(void)
{
    burn_cpu(200000000);
    sink++;
}

static __attribute__((noinline)) void interop_beta_work(void)
{
    burn_cpu(200000000);
    sink--;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PROFILE\n", argv[0]);
        return 2;
    }
    cbench_set_cpu_profile_rate(1000);
    if (cbench_start_cpu_profile_path(argv[1]) != 0) {
        fprintf(stderr, "%s\n", cbench_last_error());
        return 1;
    }
    interop_static_hot(300000000);
    interop_inline_host(300000000);
    cbench_label_push("phase", "alpha");
    interop_alpha_work();
    cbench_label_pop();
    cbench_label_push("phase", "beta");
    interop_beta_work();
    cbench_label_pop();
    if (cbench_stop_cpu_profile() != 0) {
        fprintf(stderr, "%s\n", cbench_last_error());
        return 1;
    }
    return 0;
}
