/*
 * consumer: a program built against an installed cbench, as a user would
 * build one (find_package or pkg-config). It profiles ~50 ms of CPU work to
 * the path given as argv[1] and checks that a gzip file came out.
 */
#include <cbench.h>

#include <stdint.h>
#include <stdio.h>
#include <time.h>

static volatile uint64_t sink;

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static __attribute__((noinline)) void burn_cpu(double seconds)
{
    double end = cpu_seconds() + seconds;
    uint64_t x = 88172645463325252ULL;
    while (cpu_seconds() < end) {
        for (int i = 0; i < 10000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            sink += x;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PROFILE\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    if (cbench_start_cpu_profile_path(path) != 0) {
        fprintf(stderr, "consumer: start: %s\n", cbench_last_error());
        return 1;
    }
    burn_cpu(0.05);
    if (cbench_stop_cpu_profile() != 0) {
        fprintf(stderr, "consumer: stop: %s\n", cbench_last_error());
        return 1;
    }

    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    unsigned char magic[2] = {0, 0};
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    if (n != 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
        fprintf(stderr, "consumer: %s is not gzip (first bytes %02x %02x, %zu read)\n",
                path, magic[0], magic[1], n);
        return 1;
    }
    printf("consumer: CPU profile written to %s\n", path);
    return 0;
}
