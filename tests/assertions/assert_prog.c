/*
 * Resource assertions that pass and fail, one case per run: `assert_prog
 * CASE` runs the cmocka test CASE alone, `assert_prog plain` fails an
 * assertion from main, where no cmocka test runs. Before its assertion,
 * each case prints what its message must hold, from the program's own
 * ground truth: "TRUTH function file:line" for a guilty call site (the
 * line comes from __LINE__ on the line of the call), "EXPECT text" for
 * numbers, "REJECT text" for what must not appear, "MIN_NS n" for the
 * least waiting the message must report. test_assert_messages.c checks.
 *
 * Each allocating helper is written on one line, so that the enum beside
 * it holds the line of its call; none calls the allocator in tail
 * position, which would take the helper off the stack.
 */
#include <libgen.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cbench.h>

static void truth(const char *function, int line)
{
    char file[] = __FILE__;
    printf("TRUTH %s %s:%d\n", function, basename(file), line);
}

#define EXPECT(...) (printf("EXPECT "), printf(__VA_ARGS__), printf("\n"))
#define REJECT(...) (printf("REJECT "), printf(__VA_ARGS__), printf("\n"))

static void *kept[64];
static int nkept;

/* ---- allocating helpers ------------------------------------------------ */

enum { MAKE_BLOCK_LINE = __LINE__ }; static char *make_block(size_t n) { char *p = malloc(n); if (p) p[0] = 1; return p; }
enum { MAKE_OTHER_LINE = __LINE__ }; static char *make_other(size_t n) { char *p = calloc(1, n); if (p) p[0] = 1; return p; }

static __attribute__((noinline)) void make_blocks(int n, size_t size)
{
    for (int i = 0; i < n; i++)
        kept[nkept++] = make_block(size);
}

static __attribute__((noinline)) void make_others(int n, size_t size)
{
    for (int i = 0; i < n; i++)
        kept[nkept++] = make_other(size);
}

static void free_kept(void)
{
    while (nkept > 0)
        free(kept[--nkept]);
}

/* Allocates once on its first call (a cache warming up), then two blocks
 * per call, and a third on every other call. */
static void *cache;
static int calls;
enum { CACHE_LINE = __LINE__ }; static __attribute__((noinline)) void cached_work(void) { if (!cache) cache = make_other(100); char *a = make_block(10), *b = make_block(20); if (calls++ % 2) free(make_block(30)); free(a), free(b); }

static long sum_array(const int *v, int n)
{
    long s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}

/* ---- allocation counts ------------------------------------------------- */

static void allocs_below_fails(void **state)
{
    (void)state;
    truth("make_block", MAKE_BLOCK_LINE);
    EXPECT("5 allocations (80 bytes), want fewer than 3");
    EXPECT("- 5 allocations, 80 bytes, allocated here:");
    ASSERT_ALLOCS_BELOW(3, make_blocks(5, 16));
}

static void allocs_below_passes(void **state)
{
    (void)state;
    ASSERT_ALLOCS_BELOW(6, make_blocks(5, 16));
    free_kept();
    ASSERT_ALLOCS_BELOW(1, { int v[] = {1, 2, 3}; assert_int_equal(sum_array(v, 3), 6); });
}

static void no_allocs_fails(void **state)
{
    (void)state;
    truth("make_other", MAKE_OTHER_LINE);
    EXPECT("1 allocation (8 bytes), want none");
    REJECT("1 allocations");
    ASSERT_NO_ALLOCS({ char *p = make_other(8); free(p); });
}

static void no_allocs_passes(void **state)
{
    (void)state;
    int v[100];
    for (int i = 0; i < 100; i++)
        v[i] = i;
    long s = 0;
    ASSERT_NO_ALLOCS(s = sum_array(v, 100));
    assert_int_equal(s, 4950);
}

static void allocs_per_run_fails(void **state)
{
    (void)state;
    truth("make_block", MAKE_BLOCK_LINE);
    truth("cached_work", CACHE_LINE);
    /* 10 runs after the warm-up: 2 each, plus 1 on 5 of them. */
    EXPECT("2 allocations per run (25 in 10 runs after a warm-up run), want fewer than 2");
    REJECT("make_other");
    ASSERT_ALLOCS_PER_RUN_BELOW(2, 10, cached_work());
}

static void allocs_per_run_passes(void **state)
{
    (void)state;
    /* 2.5 per run, rounded down as testing.AllocsPerRun does. */
    ASSERT_ALLOCS_PER_RUN_BELOW(3, 10, cached_work());
    ASSERT_ALLOCS_PER_RUN_BELOW(1, 100, { int v[] = {1, 2}; (void)sum_array(v, 2); });
}

static void alloc_bytes_fails(void **state)
{
    (void)state;
    truth("make_block", MAKE_BLOCK_LINE);
    EXPECT("1500 bytes allocated (in 3 allocations), want fewer than 1000");
    ASSERT_ALLOC_BYTES_BELOW(1000, make_blocks(3, 500));
}

static void alloc_bytes_passes(void **state)
{
    (void)state;
    ASSERT_ALLOC_BYTES_BELOW(1501, make_blocks(3, 500));
    free_kept();
}

/* ---- peak and leaks ------------------------------------------------------ */

static __attribute__((noinline)) void rise_and_fall(void)
{
    char *a = make_block(8000);
    char *b = make_other(4000);
    free(a);
    free(b);
    free(make_block(100));
}

static void peak_memory_fails(void **state)
{
    (void)state;
    truth("make_block", MAKE_BLOCK_LINE);
    truth("make_other", MAKE_OTHER_LINE);
    EXPECT("live heap grew by 12000 bytes at its peak, want less than 10000");
    EXPECT("- 8000 bytes in 1 block live at the peak, allocated here:");
    EXPECT("- 4000 bytes in 1 block live at the peak, allocated here:");
    REJECT("100 bytes in 1 block");
    ASSERT_PEAK_MEMORY_BELOW(10000, rise_and_fall());
}

static void peak_memory_passes(void **state)
{
    (void)state;
    ASSERT_PEAK_MEMORY_BELOW(12001, rise_and_fall());
}

static void no_leaks_fails(void **state)
{
    (void)state;
    char *old = make_other(24);
    truth("make_block", MAKE_BLOCK_LINE);
    /* The live count does not grow (one freed, one kept), yet the block
     * the statement made is still live. */
    EXPECT("1 block (24 bytes) allocated by the statement is still live, want none");
    EXPECT("- 24 bytes in 1 block leaked, allocated here:");
    REJECT("make_other");
    ASSERT_NO_LEAKS({
        free(old);
        char *tmp = make_block(8);
        kept[nkept++] = make_block(24);
        free(tmp);
    });
}

static void no_leaks_passes(void **state)
{
    (void)state;
    ASSERT_NO_LEAKS({
        make_blocks(4, 32);
        free_kept();
    });
}

/* ---- threads ----------------------------------------------------------- */

/* A pool of three threads started before any scope: the work they do for
 * the statement counts. */
enum { WORKERS = 3, BLOCKS_PER_WORKER = 4 };
static struct {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    int generation, finished;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

enum { POOL_WORK_LINE = __LINE__ }; static __attribute__((noinline)) void pool_work(void) { for (int i = 0; i < BLOCKS_PER_WORKER; i++) free(make_other(64)); }

static void *worker(void *arg)
{
    (void)arg;
    int seen = 0;
    for (;;) {
        pthread_mutex_lock(&pool.mu);
        while (pool.generation == seen)
            pthread_cond_wait(&pool.work, &pool.mu);
        seen = pool.generation;
        pthread_mutex_unlock(&pool.mu);
        pool_work();
        pthread_mutex_lock(&pool.mu);
        pool.finished++;
        pthread_cond_signal(&pool.done);
        pthread_mutex_unlock(&pool.mu);
    }
    return NULL;
}

static void start_pool(void)
{
    for (int i = 0; i < WORKERS; i++) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, worker, NULL), 0);
    }
}

static __attribute__((noinline)) void run_pool(void)
{
    pthread_mutex_lock(&pool.mu);
    pool.generation++;
    pool.finished = 0;
    pthread_cond_broadcast(&pool.work);
    while (pool.finished < WORKERS)
        pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
}

static void pool_allocations_count(void **state)
{
    (void)state;
    start_pool();
    run_pool(); /* each worker's first allocations: thread set-up */
    truth("make_other", MAKE_OTHER_LINE);
    truth("pool_work", POOL_WORK_LINE);
    EXPECT("12 allocations (768 bytes), want fewer than 5");
    EXPECT("- 12 allocations, 768 bytes, allocated here:");
    ASSERT_ALLOCS_BELOW(5, run_pool());
}

static void *sleeper(void *arg)
{
    sem_wait(arg);
    return NULL;
}

static sem_t wake_a, wake_b;

enum { START_LINE = __LINE__ }; static __attribute__((noinline)) pthread_t start_sleeper(sem_t *s) { pthread_t t; if (pthread_create(&t, NULL, sleeper, s) != 0) abort(); return t; }

static __attribute__((noinline)) void start_two_join_one(void)
{
    pthread_t a = start_sleeper(&wake_a);
    start_sleeper(&wake_b);
    sem_post(&wake_a);
    pthread_join(a, NULL);
}

static void no_thread_leaks_fails(void **state)
{
    (void)state;
    sem_init(&wake_a, 0, 0);
    sem_init(&wake_b, 0, 0);
    truth("start_sleeper", START_LINE);
    EXPECT("1 thread started by the statement is still running (of 2 started), want none");
    EXPECT("- 1 thread, started here:");
    ASSERT_NO_THREAD_LEAKS(start_two_join_one());
}

static void no_thread_leaks_passes(void **state)
{
    (void)state;
    sem_init(&wake_a, 0, 0);
    sem_init(&wake_b, 0, 0);
    ASSERT_NO_THREAD_LEAKS({
        pthread_t a = start_sleeper(&wake_a), b = start_sleeper(&wake_b);
        sem_post(&wake_a);
        sem_post(&wake_b);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
    });
}

/* ---- locks ------------------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static sem_t held;
enum { HOLD_NS = 50 * 1000 * 1000 };

static void *holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    sem_post(&held);
    usleep(HOLD_NS / 1000);
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* Starts a thread that holds `mu` for HOLD_NS; returns once it holds it. */
static pthread_t hold_mutex(void)
{
    sem_init(&held, 0, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, holder, NULL), 0);
    sem_wait(&held);
    return t;
}

enum { WAIT_LINE = __LINE__ }; static __attribute__((noinline)) void wait_for_lock(void) { pthread_mutex_lock(&mu); pthread_mutex_unlock(&mu); }

static void mutex_delay_fails(void **state)
{
    (void)state;
    hold_mutex();
    truth("wait_for_lock", WAIT_LINE);
    EXPECT("waiting on contended locks in 1 contention, want less than 1000000 ns");
    EXPECT("- 1 contention, ");
    printf("MIN_NS %d\n", HOLD_NS * 8 / 10);
    ASSERT_MUTEX_DELAY_BELOW(1000000, wait_for_lock());
}

static void mutex_delay_passes(void **state)
{
    (void)state;
    pthread_t t = hold_mutex();
    pthread_join(t, NULL);
    ASSERT_MUTEX_DELAY_BELOW(1, wait_for_lock()); /* free by now: no wait at all */
    ASSERT_MUTEX_DELAY_BELOW(10LL * 1000 * 1000 * 1000, wait_for_lock());
}

static void contentions_fails(void **state)
{
    (void)state;
    hold_mutex();
    truth("wait_for_lock", WAIT_LINE);
    EXPECT("1 contended lock acquisition (");
    EXPECT("- 1 contention, ");
    ASSERT_CONTENTIONS_BELOW(1, wait_for_lock());
}

static void contentions_passes(void **state)
{
    (void)state;
    pthread_t t = hold_mutex();
    ASSERT_CONTENTIONS_BELOW(2, wait_for_lock());
    pthread_join(t, NULL);
    ASSERT_CONTENTIONS_BELOW(1, wait_for_lock());
}

/* ---- scopes ------------------------------------------------------------ */

static void nested_inner_fails(void **state)
{
    (void)state;
    truth("make_other", MAKE_OTHER_LINE);
    EXPECT("4 allocations (40 bytes), want fewer than 2");
    REJECT("make_block");
    ASSERT_ALLOCS_BELOW(100, {
        make_blocks(3, 10);
        ASSERT_ALLOCS_BELOW(2, make_others(4, 10));
    });
}

static void nested_outer_fails(void **state)
{
    (void)state;
    truth("make_other", MAKE_OTHER_LINE);
    truth("make_block", MAKE_BLOCK_LINE);
    EXPECT("7 allocations (70 bytes), want fewer than 5");
    EXPECT("- 4 allocations, 40 bytes, allocated here:");
    EXPECT("- 3 allocations, 30 bytes, allocated here:");
    ASSERT_ALLOCS_BELOW(5, {
        make_blocks(3, 10);
        ASSERT_ALLOCS_BELOW(5, make_others(4, 10));
    });
}

/* Five sites, each four or five frames deep: more than cmocka's standard
 * output prints of a message. */
#define SITE(name, n)                                                                              \
    static __attribute__((noinline)) void name(void)                                              \
    {                                                                                              \
        kept[nkept++] = make_block(n);                                                             \
        __asm__ volatile("" ::: "memory");                                                         \
    }
SITE(site_a, 1)
SITE(site_b, 2)
SITE(site_c, 3)
SITE(site_d, 4)
SITE(site_e, 5)

enum { FIFTH_LINE = __LINE__ }; static __attribute__((noinline)) void fifth_site(void) { for (int i = 0; i < 5; i++) site_e(); __asm__ volatile("" ::: "memory"); }

static __attribute__((noinline)) void many_sites(void)
{
    void (*const sites[])(void) = {site_a, site_b, site_c, site_d};
    for (int k = 0; k < 4; k++)
        for (int i = 0; i <= 5 - k; i++)
            sites[k]();
    fifth_site();
}

/* A site nine calls below the test: its stack reaches the test (it
 * stopped at five frames, so the test's own line was missing). */
static __attribute__((noinline)) void deep_0(void)
{
    kept[nkept++] = make_block(7);
    __asm__ volatile("" ::: "memory");
}
#define LEVEL(name, next)                                                                          \
    static __attribute__((noinline)) void name(void)                                              \
    {                                                                                              \
        next();                                                                                    \
        __asm__ volatile("" ::: "memory");                                                         \
    }
LEVEL(deep_1, deep_0)
LEVEL(deep_2, deep_1)
LEVEL(deep_3, deep_2)
LEVEL(deep_4, deep_3)
LEVEL(deep_5, deep_4)
LEVEL(deep_6, deep_5)
LEVEL(deep_7, deep_6)
LEVEL(deep_8, deep_7)

enum { DEEP_TEST_LINE = __LINE__ + 6 };
static void deep_stack_fails(void **state)
{
    (void)state;
    truth("deep_stack_fails", DEEP_TEST_LINE);
    EXPECT("1 allocation (7 bytes), want none");
    ASSERT_NO_ALLOCS(deep_8());
    free_kept();
}

/* A library without debug information or symbol table: its exported
 * function is named from the dynamic symbols, its static one by module
 * and offset, and the stack goes on to the test. */
void *nodebug_make(size_t n);
enum { STRIPPED_TEST_LINE = __LINE__ + 7 };
static void stripped_library_fails(void **state)
{
    (void)state;
    truth("stripped_library_fails", STRIPPED_TEST_LINE);
    EXPECT("      nodebug_make");
    EXPECT("      libassert_nodebug.so+0x");
    ASSERT_NO_LEAKS(kept[nkept++] = nodebug_make(9));
    free_kept();
}

static void long_message_fails(void **state)
{
    (void)state;
    truth("fifth_site", FIFTH_LINE);
    EXPECT("23 allocations (65 bytes), want fewer than 1");
    EXPECT("(the message above: too long for cmocka's output)");
    REJECT("cut to fit");
    ASSERT_ALLOCS_BELOW(1, many_sites());
}

static void own_allocations_not_counted(void **state)
{
    (void)state;
    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    fputs("warm", devnull); /* stdio's buffer: the program's, made here */
    make_blocks(3, 10);
    ASSERT_NO_ALLOCS({
        assert_int_equal(cbench_write_profile("heap", devnull, 1), 0);
        cbench_memstats ms;
        cbench_read_memstats(&ms);
    });
    free_kept();
    fclose(devnull);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 2 && strcmp(argv[1], "plain") == 0) {
        truth("make_block", MAKE_BLOCK_LINE);
        EXPECT("ASSERT_NO_LEAKS(make_blocks(2, 40)) failed: 2 blocks (80 bytes)");
        ASSERT_NO_LEAKS(make_blocks(2, 40));
        return 0;
    }
    const struct CMUnitTest all[] = {
        cmocka_unit_test(allocs_below_fails),     cmocka_unit_test(allocs_below_passes),
        cmocka_unit_test(no_allocs_fails),        cmocka_unit_test(no_allocs_passes),
        cmocka_unit_test(allocs_per_run_fails),   cmocka_unit_test(allocs_per_run_passes),
        cmocka_unit_test(alloc_bytes_fails),      cmocka_unit_test(alloc_bytes_passes),
        cmocka_unit_test(peak_memory_fails),      cmocka_unit_test(peak_memory_passes),
        cmocka_unit_test(no_leaks_fails),         cmocka_unit_test(no_leaks_passes),
        cmocka_unit_test(pool_allocations_count), cmocka_unit_test(no_thread_leaks_fails),
        cmocka_unit_test(no_thread_leaks_passes), cmocka_unit_test(mutex_delay_fails),
        cmocka_unit_test(mutex_delay_passes),     cmocka_unit_test(contentions_fails),
        cmocka_unit_test(contentions_passes),     cmocka_unit_test(nested_inner_fails),
        cmocka_unit_test(nested_outer_fails),     cmocka_unit_test(own_allocations_not_counted),
        cmocka_unit_test(long_message_fails),     cmocka_unit_test(deep_stack_fails),
        cmocka_unit_test(stripped_library_fails),
    };
    /* "plugin CASE": the same, through cbench's plugin. */
    bool plugin = argc == 3 && strcmp(argv[1], "plugin") == 0;
    if (plugin)
        argc--, argv++;
    for (size_t i = 0; argc == 2 && i < sizeof all / sizeof all[0]; i++)
        if (strcmp(all[i].name, argv[1]) == 0)
            return plugin ? cbench_run_group_tests_(argv[1], &all[i], 1, NULL, NULL)
                          : _cmocka_run_group_tests(argv[1], &all[i], 1, NULL, NULL);
    fprintf(stderr, "usage: %s [plugin] CASE | plain\n", argv[0]);
    return 2;
}
