/*
 * What an assertion scope costs the code it measures, and that code
 * outside any scope does not pay for the assertions at all.
 *
 * One thread times malloc/free pairs of sizes from 16 B to 4 KiB (a table
 * made before timing) in three phases, each ROUNDS times, interleaved:
 *   outside   no scope open: the counters-only path
 *   inside    the same loop inside ASSERT_ALLOCS_BELOW (a limit it never
 *             reaches): every allocation recorded with its stack
 *   after     no scope open again: recording must be off once more
 * and prints the median ns per pair of each. Built with libcbench at its
 * default heap profile rate (512 KiB).
 *
 * usage: assert_overhead [PAIRS [ROUNDS]]
 */
#include <cbench.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { TABLE = 4096, MAX_ROUNDS = 101 };

static uint16_t sizes[TABLE];

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static __attribute__((noinline)) uint64_t pairs(long n)
{
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) {
        unsigned char *p = malloc(sizes[i % TABLE]);
        p[0] = (unsigned char)i;
        sum += p[0];
        free(p);
    }
    return sum;
}

static double timed(long n, uint64_t *sink)
{
    int64_t t0 = now_ns();
    *sink += pairs(n);
    return (double)(now_ns() - t0) / (double)n;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    int rounds = argc > 2 ? atoi(argv[2]) : 11;
    if (n < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: assert_overhead [PAIRS [ROUNDS <= %d]]\n", MAX_ROUNDS);
        return 2;
    }
    uint64_t x = 88172645463325252ULL, sink = 0;
    for (int i = 0; i < TABLE; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        sizes[i] = (uint16_t)(16 + x % (4096 - 16 + 1));
    }
    double outside[MAX_ROUNDS], inside[MAX_ROUNDS], after[MAX_ROUNDS];
    pairs(n / 8); /* warm-up */
    for (int r = 0; r < rounds; r++) {
        outside[r] = timed(n, &sink);
        ASSERT_ALLOCS_BELOW(INT64_MAX, inside[r] = timed(n, &sink));
        after[r] = timed(n, &sink);
    }
    printf("outside_ns_per_pair %.2f\ninside_ns_per_pair %.2f\nafter_ns_per_pair %.2f\n",
           median(outside, rounds), median(inside, rounds), median(after, rounds));
    return sink == 42; /* keeps the loop's results alive */
}
