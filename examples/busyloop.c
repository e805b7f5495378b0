/*
 * busyloop: a one-shot program that profiles itself.
 *
 * It does a fixed amount of CPU work in a few functions (a prime sieve, a
 * string hash, a sort), with the CPU profiler running around it, and writes
 * the profile to the path given as its argument (default cpu.pb.gz). This
 * is the case runtime/pprof's embedded API serves and an HTTP endpoint does
 * not: a program that runs, finishes and leaves its profile behind.
 *
 *   ./busyloop cpu.pb.gz && go tool pprof -top cpu.pb.gz
 */
#include <cbench.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile uint64_t sink;

static __attribute__((noinline)) uint64_t count_primes(int limit)
{
    char *composite = calloc((size_t)limit + 1, 1);
    uint64_t count = 0;
    if (!composite)
        return 0;
    for (int i = 2; i <= limit; i++) {
        if (composite[i])
            continue;
        count++;
        for (long j = (long)i * i; j <= limit; j += i)
            composite[j] = 1;
    }
    free(composite);
    return count;
}

static __attribute__((noinline)) uint64_t hash_strings(int rounds)
{
    char buf[64];
    uint64_t h = 1469598103934665603ULL;
    for (int r = 0; r < rounds; r++) {
        int n = snprintf(buf, sizeof buf, "key-%d-%d", r, r * 7);
        for (int i = 0; i < n; i++)
            h = (h ^ (unsigned char)buf[i]) * 1099511628211ULL;
    }
    return h;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static __attribute__((noinline)) uint64_t sort_numbers(int n)
{
    uint32_t *v = malloc((size_t)n * sizeof *v);
    uint32_t x = 2463534242u;
    if (!v)
        return 0;
    for (int i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        v[i] = x;
    }
    qsort(v, (size_t)n, sizeof *v, compare_u32);
    uint64_t median = v[n / 2];
    free(v);
    return median;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "cpu.pb.gz";
    cbench_set_cpu_profile_rate(1000);
    if (cbench_start_cpu_profile_path(path) != 0) {
        fprintf(stderr, "busyloop: %s\n", cbench_last_error());
        return 1;
    }
    for (int round = 0; round < 8; round++) {
        cbench_label_push("phase", "primes");
        sink += count_primes(4000000);
        cbench_label_pop();
        cbench_label_push("phase", "hash");
        sink += hash_strings(800000);
        cbench_label_pop();
        cbench_label_push("phase", "sort");
        sink += sort_numbers(400000);
        cbench_label_pop();
    }
    if (cbench_stop_cpu_profile() != 0) {
        fprintf(stderr, "busyloop: %s\n", cbench_last_error());
        return 1;
    }
    printf("busyloop: CPU profile written to %s\n", path);
    return 0;
}
