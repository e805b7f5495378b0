/*
 * The harness tests' random numbers: xorshift64 (Marsaglia, 2003), from a
 * fixed seed in each test, so a failure reproduces.
 */
#ifndef TESTS_HARNESS_RNG_H
#define TESTS_HARNESS_RNG_H

#include <stdint.h>

static inline uint64_t xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

#endif
