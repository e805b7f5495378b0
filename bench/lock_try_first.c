/*
 * What the try-first step costs a contended workload, with glibc alone:
 * each lock function of cbench's interposer first calls glibc's try
 * function (pthread_mutex_trylock, pthread_rwlock_tryrdlock/trywrlock)
 * and calls the real lock only when that finds the lock busy; that is
 * how it learns, exactly and without a clock read, that a lock would
 * wait. Here the same two steps ("try") are timed against glibc's lock
 * called directly ("direct"), on two threads (the machine's cores):
 *
 *   readers   both threads take an rwlock for reading (no one ever waits)
 *   mixed     one thread writes, the other reads 7 times in 8
 *   writers   both write
 *   mutex     both take one mutex
 *
 * each pair around a little work (20 xorshift steps) outside the lock.
 * ROUNDS rounds, the eight runs interleaved in each; the median of
 * million pairs a second, and the try step's time per pair over direct's.
 *
 *   lock_try_first [ROUNDS]    (default 9)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PAIRS = 1000000, THREADS = 2, WORKLOADS = 4, MAX_ROUNDS = 99 };

static const char *const names[WORKLOADS] = {"readers", "mixed", "writers", "mutex"};
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t shared;
static int try_first, workload;

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void read_lock(void)
{
    if (!try_first || pthread_rwlock_tryrdlock(&rw) != 0)
        pthread_rwlock_rdlock(&rw);
}

static void write_lock(void)
{
    if (!try_first || pthread_rwlock_trywrlock(&rw) != 0)
        pthread_rwlock_wrlock(&rw);
}

static void mutex_lock(void)
{
    if (!try_first || pthread_mutex_trylock(&mu) != 0)
        pthread_mutex_lock(&mu);
}

static void *body(void *arg)
{
    uintptr_t id = (uintptr_t)arg;
    uint64_t x = id * 0x9e3779b97f4a7c15ULL + 1;
    for (int i = 0; i < PAIRS; i++) {
        for (int j = 0; j < 20; j++)
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        switch (workload) {
        case 0:
            read_lock();
            (void)shared;
            pthread_rwlock_unlock(&rw);
            break;
        case 1:
            if (id == 1 || x % 8 == 0) {
                write_lock();
                shared++;
            } else {
                read_lock();
                (void)shared;
            }
            pthread_rwlock_unlock(&rw);
            break;
        case 2:
            write_lock();
            shared++;
            pthread_rwlock_unlock(&rw);
            break;
        default:
            mutex_lock();
            shared++;
            pthread_mutex_unlock(&mu);
            break;
        }
    }
    return NULL;
}

/* Million pairs a second. */
static double run(int w, int try)
{
    workload = w;
    try_first = try;
    pthread_t t[THREADS];
    double t0 = seconds();
    for (uintptr_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, body, (void *)(i + 1));
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    return (double)THREADS * PAIRS / (seconds() - t0) / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 9;
    if (rounds < 1 || rounds > MAX_ROUNDS)
        rounds = 9;
    static double direct[WORKLOADS][MAX_ROUNDS], tried[WORKLOADS][MAX_ROUNDS],
        ratio[WORKLOADS][MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        for (int w = 0; w < WORKLOADS; w++) {
            /* Alternate which goes first, against drift within a round. */
            int first = r % 2;
            double a = run(w, first), b = run(w, !first);
            direct[w][r] = first ? b : a;
            tried[w][r] = first ? a : b;
            ratio[w][r] = direct[w][r] / tried[w][r];
        }
    }
    printf("| workload (2 threads) | direct (M pairs/s) | try first (M pairs/s) | try first's time per pair over direct's (range) |\n");
    printf("|---|---:|---:|---:|\n");
    for (int w = 0; w < WORKLOADS; w++) {
        double lo = ratio[w][0], hi = ratio[w][0];
        for (int r = 1; r < rounds; r++) {
            lo = ratio[w][r] < lo ? ratio[w][r] : lo;
            hi = ratio[w][r] > hi ? ratio[w][r] : hi;
        }
        printf("| %s | %.1f | %.1f | %.2f (%.2f .. %.2f) |\n", names[w], median(direct[w], rounds),
               median(tried[w], rounds), median(ratio[w], rounds), lo, hi);
    }
    printf("\nmedian of %d rounds\n", rounds);
    return 0;
}
