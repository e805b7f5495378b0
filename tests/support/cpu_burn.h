/*
 * Test helper: burning a known amount of CPU, measured by the thread's own
 * CPU clock, so accuracy tests compare the profile with a ground truth
 * they created themselves.
 */
#ifndef TESTS_CPU_BURN_H
#define TESTS_CPU_BURN_H

#include <stdint.h>
#include <time.h>

static inline int64_t thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static inline int64_t process_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Spins until this thread has used `ns` more CPU; returns the CPU it
 * actually used. Most of the time goes to arithmetic, not to the clock. */
int64_t burn_cpu(int64_t ns);

#endif
