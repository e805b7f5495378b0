/*
 * Exact allocation counters: every member of the malloc family, counted
 * as documented, across threads, with cbench's own allocations left out,
 * and peaks that nest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbench/profile.h"
#include "base/own.h"
#include "interpose/heap.h"

/* The compiler must not fold a malloc/free pair away. */
static void *volatile keep;

static void test_malloc_and_free_are_counted_exactly(void **state)
{
    (void)state;
    void *blocks[100];
    uint64_t bytes = 0, kept = 0;
    cb_heap_scope s;
    cb_heap_delta d;
    cb_heap_scope_begin(&s);
    for (int i = 0; i < 100; i++) {
        blocks[i] = malloc((size_t)i + 1);
        bytes += (uint64_t)i + 1;
    }
    for (int i = 0; i < 60; i++)
        free(blocks[i]);
    for (int i = 60; i < 100; i++)
        kept += (uint64_t)i + 1;
    free(NULL); /* not a release of a block */
    cb_heap_scope_end(&s, &d);
    assert_int_equal(d.mallocs, 100);
    assert_int_equal(d.frees, 60);
    assert_int_equal(d.bytes, bytes);
    assert_int_equal(d.live_bytes, (int64_t)kept);
    assert_int_equal(d.live_objects, 40);
    for (int i = 60; i < 100; i++)
        free(blocks[i]);
}

static int aligned_to(const void *p, size_t align)
{
    return ((uintptr_t)p % align) == 0;
}

static void test_calloc_realloc_and_aligned_forms_count_as_documented(void **state)
{
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *a, *b, *c, *e, *f, *g, *h, *pm = NULL;
    cb_heap_scope s;
    cb_heap_delta d;
    cb_heap_scope_begin(&s);
    a = calloc(10, 8);             /* malloc 80 */
    a = realloc(a, 200);           /* malloc 200, free 80 */
    b = realloc(NULL, 5);          /* malloc 5 */
    keep = realloc(b, 0);          /* free 5 */
    c = reallocarray(NULL, 4, 16); /* malloc 64 */
    int rc = posix_memalign(&pm, 64, 100);  /* malloc 100 */
    e = aligned_alloc(256, 512);   /* malloc 512 */
    f = memalign(32, 10);          /* malloc 10 */
    g = valloc(10);                /* malloc 10 */
    h = pvalloc(10);               /* malloc one page */
    cb_heap_scope_end(&s, &d);
    assert_int_equal(rc, 0);
    assert_null(keep);
    assert_int_equal(d.mallocs, 9);
    assert_int_equal(d.frees, 2);
    assert_int_equal(d.bytes, 80 + 200 + 5 + 64 + 100 + 512 + 10 + 10 + page);
    assert_int_equal(d.live_bytes, 200 + 64 + 100 + 512 + 10 + 10 + (int64_t)page);
    assert_int_equal(d.live_objects, 7);
    assert_true(aligned_to(a, 16) && aligned_to(c, 16));
    assert_true(aligned_to(pm, 64));
    assert_true(aligned_to(e, 256));
    assert_true(aligned_to(f, 32));
    assert_true(aligned_to(g, page) && aligned_to(h, page));
    /* Every byte asked for is usable, and writing it all harms nothing. */
    void *all[] = {a, c, pm, e, f, g, h};
    size_t sizes[] = {200, 64, 100, 512, 10, 10, page};
    for (size_t i = 0; i < 7; i++) {
        assert_true(malloc_usable_size(all[i]) >= sizes[i]);
        memset(all[i], 0xab, malloc_usable_size(all[i]));
    }
    for (size_t i = 0; i < 7; i++)
        free(all[i]);
}

static void test_calloc_zeroes_and_realloc_keeps_contents(void **state)
{
    (void)state;
    unsigned char *p = calloc(1000, 1);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(p[i], 0);
    for (int i = 0; i < 1000; i++)
        p[i] = (unsigned char)i;
    p = realloc(p, 100000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(p[i], (unsigned char)i);
    free(p);
    unsigned char *q = aligned_alloc(128, 300);
    for (int i = 0; i < 300; i++)
        q[i] = (unsigned char)(i * 7);
    q = realloc(q, 5000); /* an aligned block moves into a plain one */
    for (int i = 0; i < 300; i++)
        assert_int_equal(q[i], (unsigned char)(i * 7));
    free(q);
}

static void test_impossible_requests_fail_cleanly(void **state)
{
    (void)state;
    void *p = NULL;
    volatile size_t huge = SIZE_MAX - 8, half = SIZE_MAX / 2; /* hidden from the compiler */
    assert_null(malloc(huge));
    assert_null(calloc(half, 4));
    assert_null(reallocarray(NULL, half, 4));
    assert_int_equal(posix_memalign(&p, 24, 10), EINVAL);
    assert_null(aligned_alloc(24, 10));
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31 + seed);
}

static void assert_filled(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(p[i], (unsigned char)(i * 31 + seed));
}

/* A sampled block carries a tag in front of its header, so a block made
 * unsampled that realloc samples is laid out anew in place: its contents
 * must survive that, and the opposite, with exact counts. */
static void test_realloc_keeps_contents_when_sampling_starts_or_stops(void **state)
{
    (void)state;
    cbench_memstats before, after;
    cbench_read_memstats(&before);
    long old = cbench_set_mem_profile_rate(0);
    unsigned char *p = malloc(1000);
    fill(p, 1000, 3);
    cbench_set_mem_profile_rate(1);
    p = realloc(p, 2000); /* unsampled -> sampled */
    assert_filled(p, 1000, 3);
    fill(p, 2000, 5);
    p = realloc(p, 700); /* sampled -> sampled */
    assert_filled(p, 700, 5);
    cbench_set_mem_profile_rate(0);
    p = realloc(p, 5000); /* sampled -> unsampled */
    assert_filled(p, 700, 5);
    free(p);
    cbench_set_mem_profile_rate(old);
    cbench_read_memstats(&after);
    assert_int_equal(after.mallocs - before.mallocs, 4);
    assert_int_equal(after.frees - before.frees, 4);
    assert_int_equal(after.total_alloc - before.total_alloc, 1000 + 2000 + 700 + 5000);
    assert_int_equal(after.alloc, before.alloc);
}

/* Requests glibc refuses (64 TiB) are counted before glibc is asked, so
 * the count must be taken back: nothing changes, whether the request
 * would have been sampled or not, and a block realloc could not grow
 * stays as it was. */
static void refuse_everything(void *kept)
{
    volatile size_t big = (size_t)1 << 46;
    void *p = NULL;
    assert_null(malloc(big));
    assert_null(calloc(1, big));
    assert_null(aligned_alloc(64, big));
    assert_int_equal(posix_memalign(&p, 4096, big), ENOMEM);
    assert_null(realloc(kept, big));
}

static void test_refused_requests_are_not_counted(void **state)
{
    (void)state;
    long rates[] = {0, 1, 512 * 1024};
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        long old = cbench_set_mem_profile_rate(rates[i]);
        char *kept = malloc(100);
        memset(kept, 7, 100);
        cbench_memstats before, after;
        cbench_read_memstats(&before);
        refuse_everything(kept);
        cbench_read_memstats(&after);
        assert_int_equal(after.mallocs, before.mallocs);
        assert_int_equal(after.frees, before.frees);
        assert_int_equal(after.total_alloc, before.total_alloc);
        assert_int_equal(after.alloc, before.alloc);
        for (int j = 0; j < 100; j++)
            assert_int_equal(kept[j], 7);
        free(kept);
        cbench_set_mem_profile_rate(old);
    }
}

enum { THREADS = 4, PER_THREAD = 10000, KEPT = 100, HANDED = 50 };

typedef struct worker {
    void *handed[HANDED]; /* blocks the main thread frees */
    void *kept[KEPT];     /* blocks still live at the end */
} worker;

static void *allocate_and_free(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        void *p = malloc((size_t)(i % 100) + 1);
        if (i < HANDED)
            w->handed[i] = p;
        else if (i < HANDED + KEPT)
            w->kept[i - HANDED] = p;
        else
            free(p);
    }
    return NULL;
}

static void *do_nothing(void *arg)
{
    return arg;
}

/* Starts and joins the threads, then frees the handed-over blocks. */
static cb_heap_delta run_threads(void *(*fn)(void *), worker *workers)
{
    pthread_t t[THREADS];
    cb_heap_scope s;
    cb_heap_delta d;
    cb_heap_scope_begin(&s);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, fn, &workers[i]);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; fn != do_nothing && i < THREADS; i++)
        for (int j = 0; j < HANDED; j++)
            free(workers[i].handed[j]);
    cb_heap_scope_end(&s, &d);
    return d;
}

/* glibc itself allocates when it starts a thread (its TLS vectors), and
 * those count like any allocation: the test measures them with threads
 * that do nothing (after a first round, so that glibc's stack cache is in
 * the same state both times) and expects exactly the workers' own on top. */
static void test_counts_are_exact_across_threads(void **state)
{
    (void)state;
    static worker workers[THREADS];
    uint64_t bytes = 0, kept_bytes = 0;
    for (int i = 0; i < PER_THREAD; i++)
        bytes += (uint64_t)(i % 100) + 1;
    for (int i = HANDED; i < HANDED + KEPT; i++)
        kept_bytes += (uint64_t)(i % 100) + 1;
    run_threads(do_nothing, workers);
    cb_heap_delta base = run_threads(do_nothing, workers);
    cb_heap_delta d = run_threads(allocate_and_free, workers);
    assert_int_equal(d.mallocs - base.mallocs, THREADS * PER_THREAD);
    assert_int_equal(d.frees - base.frees, THREADS * (PER_THREAD - KEPT));
    assert_int_equal(d.bytes - base.bytes, THREADS * bytes);
    assert_int_equal(d.live_objects - base.live_objects, THREADS * KEPT);
    assert_int_equal(d.live_bytes - base.live_bytes, (int64_t)(THREADS * kept_bytes));
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < KEPT; j++)
            free(workers[i].kept[j]);
}

static void test_cbench_own_allocations_are_not_counted(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    cb_heap_scope s;
    cb_heap_delta d;
    cb_heap_scope_begin(&s);
    cbench_label_push("phase", "counting");
    int started = cbench_start_cpu_profile(f);
    int stopped = cbench_stop_cpu_profile();
    cbench_label_pop();
    cb_own_begin();
    keep = malloc(1000);
    free(keep);
    cb_own_end();
    cb_heap_scope_end(&s, &d);
    assert_int_equal(started, 0);
    assert_int_equal(stopped, 0);
    assert_int_equal(d.mallocs, 0);
    assert_int_equal(d.frees, 0);
    assert_int_equal(d.live_bytes, 0);
    fclose(f);
}

static void test_peaks_are_exact_and_scopes_nest(void **state)
{
    (void)state;
    cb_heap_scope outer, inner;
    cb_heap_delta od, id;
    cb_heap_scope_begin(&outer);
    void *a = malloc(1000);
    cb_heap_scope_begin(&inner);
    void *b = malloc(5000);
    free(b);
    void *c = malloc(100);
    cb_heap_scope_end(&inner, &id);
    free(a);
    free(c);
    cb_heap_scope_end(&outer, &od);
    assert_int_equal(id.peak_growth, 5000);
    assert_int_equal(id.live_bytes, 100);
    assert_int_equal(od.peak_growth, 6000);
    assert_int_equal(od.live_bytes, 0);

    cbench_memstats ms;
    void *big = malloc(1 << 20);
    free(big);
    cbench_read_memstats(&ms);
    assert_true(ms.peak_alloc >= ms.alloc + (1 << 20));
    cbench_reset_peak_alloc();
    cbench_read_memstats(&ms);
    assert_int_equal(ms.peak_alloc, ms.alloc);
}

/* An allocation glibc refuses raises no peak: it was counted before
 * glibc was asked, and the count, peak included, is taken back. Each
 * entry point that can be refused, inside a scope and after a reset. */
static void test_a_refused_allocation_raises_no_peak(void **state)
{
    (void)state;
    volatile size_t huge = (size_t)1 << 62;
    for (int how = 0; how < 5; how++) {
        cb_heap_scope s;
        cb_heap_delta d;
        cbench_reset_peak_alloc();
        cb_heap_scope_begin(&s);
        void *small = malloc(100);
        void *p = how == 0   ? malloc(huge)
                  : how == 1 ? calloc(huge, 1)
                  : how == 2 ? realloc(NULL, huge)
                  : how == 3 ? aligned_alloc(64, huge)
                             : memalign(4096, huge);
        assert_null(p);
        free(small);
        cb_heap_scope_end(&s, &d);
        assert_int_equal(d.peak_growth, 100);
        cbench_memstats ms;
        cbench_read_memstats(&ms);
        assert_true(ms.peak_alloc < ms.alloc + (1 << 20));
    }
}

static void test_memstats_report_the_process(void **state)
{
    (void)state;
    cbench_memstats before, after;
    cbench_read_memstats(&before);
    void *p = malloc(12345);
    keep = p;
    cbench_read_memstats(&after);
    struct mallinfo2 mi = mallinfo2(); /* the allocator's own figures, as read then */
    free(p);
    assert_int_equal(after.mallocs - before.mallocs, 1);
    assert_int_equal(after.total_alloc - before.total_alloc, 12345);
    assert_int_equal(after.alloc - before.alloc, 12345);
    assert_int_equal(after.heap_objects - before.heap_objects, 1);
    assert_true(after.mallocs >= after.frees);
    /* glibc's arenas and mmapped blocks; under a memory checker whose
     * allocator stands in for glibc's, the figures that one gives. */
    assert_int_equal(after.sys, mi.arena + mi.hblkhd);
    assert_true(after.max_rss > 0);
    assert_true(after.peak_alloc >= after.alloc);
}

/* The child of a fork counts its own allocations from the parent's
 * totals on; the parent's counters are not disturbed. */
static void test_counters_survive_fork(void **state)
{
    (void)state;
    cbench_memstats before, after;
    cbench_read_memstats(&before);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        cbench_memstats c0, c1;
        cbench_read_memstats(&c0);
        void *p = malloc(777);
        keep = p;
        cbench_read_memstats(&c1);
        free(p);
        _exit(c1.mallocs - c0.mallocs == 1 && c1.total_alloc - c0.total_alloc == 777 ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    cbench_read_memstats(&after);
    assert_int_equal(after.mallocs, before.mallocs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malloc_and_free_are_counted_exactly),
        cmocka_unit_test(test_calloc_realloc_and_aligned_forms_count_as_documented),
        cmocka_unit_test(test_calloc_zeroes_and_realloc_keeps_contents),
        cmocka_unit_test(test_impossible_requests_fail_cleanly),
        cmocka_unit_test(test_refused_requests_are_not_counted),
        cmocka_unit_test(test_realloc_keeps_contents_when_sampling_starts_or_stops),
        cmocka_unit_test(test_counts_are_exact_across_threads),
        cmocka_unit_test(test_cbench_own_allocations_are_not_counted),
        cmocka_unit_test(test_peaks_are_exact_and_scopes_nest),
        cmocka_unit_test(test_a_refused_allocation_raises_no_peak),
        cmocka_unit_test(test_memstats_report_the_process),
        cmocka_unit_test(test_counters_survive_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
