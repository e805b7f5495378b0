/*
 * heap_overhead: a malloc-heavy workload that prints how long one
 * malloc/free pair takes. The same source is built against different
 * allocators (bench/CMakeLists.txt), and run_heap.sh runs it under each
 * heap profiler in turn, one process per run:
 *
 *   heap_overhead_plain     glibc's malloc; also the program heaptrack runs
 *   heap_overhead_cbench    libcbench linked (rate from CBENCH_MEMPROFILERATE)
 *   heap_overhead_tcmalloc  gperftools' tcmalloc (heap profiler: HEAPPROFILE)
 *
 *   heap_overhead_X [-t threads] [-n pairs] [-w window] [-s seed]
 *
 *   -t  threads allocating at once (default 1); thread 0 is the main thread
 *   -n  timed malloc/free pairs per thread (default 2000000)
 *   -w  0 (default): each block is freed right after it is allocated and
 *       its first byte written. W (a power of two): each thread keeps W
 *       blocks live, and each step frees a pseudo-randomly chosen one of
 *       them and allocates its replacement, so blocks live a while
 *       (W steps on average) and frees come in a different order from
 *       allocations.
 *   -s  seed of the sizes (default 1)
 *
 * Sizes are a deterministic pseudo-random mix, uniform from 16 B to 4 KiB,
 * read from a 4096-entry table made before timing (8 KiB: it stays in L1
 * and costs a load per pair). Each thread first runs pairs/8 untimed pairs
 * (warm-up: the allocator's caches, a profiler's tables), then all
 * threads pass a barrier and time their own loop with CLOCK_MONOTONIC.
 *
 * Output, one line of key=value, prefixed "heap_overhead:" so that it can
 * be found among a profiler's own messages:
 *   allocator threads window pairs ns_per_pair cpu_ns_per_pair checksum
 *   counted_mallocs
 * ns_per_pair is the mean over threads of each thread's elapsed time over
 * its pairs; cpu_ns_per_pair the same with the thread's CPU time, which
 * time spent waiting for a core does not inflate. allocator says which
 * malloc served the run (found at run time, so a mislinked binary shows);
 * counted_mallocs is what cbench counted from before the threads start to
 * after they are joined (-1 when cbench is absent), which must be at least
 * threads x (pairs + pairs/8): nothing escaped the counters.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { TABLE = 4096, MAX_THREADS = 64, MAX_WINDOW = 1 << 16 };

/* cbench's struct, declared here so that the program builds without it. */
typedef struct memstats {
    uint64_t mallocs, frees, total_alloc, alloc, heap_objects, peak_alloc, sys, max_rss;
} memstats;

typedef struct options {
    int threads;
    long pairs;
    unsigned window;
    uint64_t seed;
} options;

typedef struct worker {
    const options *o;
    int index;
    pthread_t thread;
    uint16_t sizes[TABLE];
    uint16_t slots[TABLE];
    int64_t wall_ns, cpu_ns;
    uint64_t checksum;
} worker;

static pthread_barrier_t start_line, finish_line;
static void (*read_memstats)(memstats *);

static int64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

static void fill_tables(worker *w)
{
    uint64_t x = w->o->seed * 0x9e3779b97f4a7c15ULL + (uint64_t)w->index + 1;
    for (int i = 0; i < TABLE; i++) {
        w->sizes[i] = (uint16_t)(16 + next(&x) % (4096 - 16 + 1));
        w->slots[i] = (uint16_t)(next(&x) % (w->o->window ? w->o->window : 1));
    }
}

/* Immediate pairs. The byte written keeps the block in use, and the
 * program is built with -fno-builtin so that no pair is folded away. */
static __attribute__((noinline)) uint64_t run_pairs(const worker *w, long from, long to)
{
    uint64_t sum = 0;
    for (long i = from; i < to; i++) {
        unsigned char *p = malloc(w->sizes[i & (TABLE - 1)]);
        p[0] = (unsigned char)i;
        sum += p[0];
        free(p);
    }
    return sum;
}

/* A window of live blocks: each step replaces one of them. */
static __attribute__((noinline)) uint64_t run_window(const worker *w, unsigned char **live,
                                                     long from, long to)
{
    uint64_t sum = 0;
    for (long i = from; i < to; i++) {
        unsigned k = w->slots[i & (TABLE - 1)];
        free(live[k]);
        unsigned char *p = malloc(w->sizes[i & (TABLE - 1)]);
        p[0] = (unsigned char)i;
        sum += p[0];
        live[k] = p;
    }
    return sum;
}

static uint64_t run(const worker *w, unsigned char **live, long from, long to)
{
    return w->o->window ? run_window(w, live, from, to) : run_pairs(w, from, to);
}

static void *work(void *arg)
{
    worker *w = arg;
    const options *o = w->o;
    unsigned char **live = NULL;
    if (o->window) {
        live = calloc(o->window, sizeof *live);
        for (unsigned k = 0; k < o->window; k++)
            live[k] = malloc(w->sizes[k]);
    }
    long warm = o->pairs / 8;
    run(w, live, -warm, 0);
    pthread_barrier_wait(&start_line);
    int64_t wall = now_ns(CLOCK_MONOTONIC), cpu = now_ns(CLOCK_THREAD_CPUTIME_ID);
    w->checksum = run(w, live, 0, o->pairs);
    w->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu;
    w->wall_ns = now_ns(CLOCK_MONOTONIC) - wall;
    pthread_barrier_wait(&finish_line);
    if (live) {
        for (unsigned k = 0; k < o->window; k++)
            free(live[k]);
        free(live);
    }
    return NULL;
}

static const char *allocator(void)
{
    if (dlsym(RTLD_DEFAULT, "heaptrack_malloc"))
        return "glibc+heaptrack";
    if (dlsym(RTLD_DEFAULT, "cbench_read_memstats"))
        return "cbench";
    if (dlsym(RTLD_DEFAULT, "tc_malloc"))
        return getenv("HEAPPROFILE") ? "tcmalloc+heapprofile" : "tcmalloc";
    return "glibc";
}

static void usage(void)
{
    fprintf(stderr, "usage: heap_overhead [-t threads] [-n pairs] [-w window] [-s seed]\n");
    exit(2);
}

static options parse(int argc, char **argv)
{
    options o = {.threads = 1, .pairs = 2000000, .window = 0, .seed = 1};
    int c;
    while ((c = getopt(argc, argv, "t:n:w:s:")) != -1) {
        switch (c) {
        case 't':
            o.threads = atoi(optarg);
            break;
        case 'n':
            o.pairs = atol(optarg);
            break;
        case 'w':
            o.window = (unsigned)atol(optarg);
            break;
        case 's':
            o.seed = strtoull(optarg, NULL, 0);
            break;
        default:
            usage();
        }
    }
    if (o.threads < 1 || o.threads > MAX_THREADS || o.pairs < 8 || o.window > MAX_WINDOW ||
        (o.window & (o.window - 1)))
        usage();
    return o;
}

int main(int argc, char **argv)
{
    options o = parse(argc, argv);
    static worker workers[MAX_THREADS];
    *(void **)&read_memstats = dlsym(RTLD_DEFAULT, "cbench_read_memstats");
    pthread_barrier_init(&start_line, NULL, (unsigned)o.threads);
    pthread_barrier_init(&finish_line, NULL, (unsigned)o.threads);
    for (int i = 0; i < o.threads; i++) {
        workers[i].o = &o;
        workers[i].index = i;
        fill_tables(&workers[i]);
    }
    memstats before = {0}, after = {0};
    if (read_memstats)
        read_memstats(&before);
    for (int i = 1; i < o.threads; i++)
        if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0) {
            perror("pthread_create");
            return 1;
        }
    work(&workers[0]); /* the main thread is worker 0 */
    for (int i = 1; i < o.threads; i++)
        pthread_join(workers[i].thread, NULL);
    if (read_memstats)
        read_memstats(&after);
    double wall = 0, cpu = 0;
    uint64_t checksum = 0;
    for (int i = 0; i < o.threads; i++) {
        wall += (double)workers[i].wall_ns / (double)o.pairs;
        cpu += (double)workers[i].cpu_ns / (double)o.pairs;
        checksum += workers[i].checksum;
    }
    printf("heap_overhead: allocator=%s threads=%d window=%u pairs=%ld ns_per_pair=%.3f "
           "cpu_ns_per_pair=%.3f checksum=%llu counted_mallocs=%lld\n",
           allocator(), o.threads, o.window, o.pairs, wall / o.threads, cpu / o.threads,
           (unsigned long long)checksum,
           read_memstats ? (long long)(after.mallocs - before.mallocs) : -1LL);
    return 0;
}
