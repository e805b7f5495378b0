/*
 * What wordcount may cost, checked with cbench's resource assertions: the
 * tokenizer never allocates, counting allocates one key per distinct
 * word, nothing leaks, and the parallel counter leaves no thread behind
 * and shares no lock it does not need. A change that breaks one of these
 * fails its test with the call sites responsible.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cbench.h>

#include "wordcount.h"

static const char text[] =
    "It was the best of times, it was the worst of times, it was the age of "
    "wisdom, it was the age of foolishness, it was the epoch of belief, it "
    "was the epoch of incredulity, it was the season of Light, it was the "
    "season of Darkness, it was the spring of hope, it was the winter of "
    "despair. We'd everything before us, we'd nothing before us.";

enum { TEXT_LEN = sizeof text - 1, MAX_WORD_BYTES = 64 };

static void add_length(const char *w, size_t len, void *arg)
{
    (void)w;
    *(size_t *)arg += len;
}

static size_t distinct_words(void)
{
    wc_map *m = wc_map_new();
    wc_count_text(m, text, TEXT_LEN);
    size_t n = wc_map_size(m);
    wc_map_free(m);
    return n;
}

static void tokenizer_never_allocates(void **state)
{
    (void)state;
    size_t letters = 0;
    ASSERT_NO_ALLOCS(wc_tokenize(text, TEXT_LEN, add_length, &letters));
    assert_true(letters > 0);
}

static void counting_allocates_a_key_per_distinct_word(void **state)
{
    (void)state;
    size_t distinct = distinct_words(); /* few enough that the table does not grow */
    wc_map *m = wc_map_new();
    ASSERT_ALLOCS_BELOW(distinct + 1, wc_count_text(m, text, TEXT_LEN));
    wc_map_free(m);
    m = wc_map_new();
    ASSERT_ALLOC_BYTES_BELOW(distinct * MAX_WORD_BYTES + 1, wc_count_text(m, text, TEXT_LEN));
    wc_map_free(m);
}

static void lookups_never_allocate(void **state)
{
    (void)state;
    wc_map *m = wc_map_new();
    wc_count_text(m, text, TEXT_LEN);
    uint64_t seasons = 0;
    ASSERT_ALLOCS_PER_RUN_BELOW(1, 100, seasons += wc_map_get(m, "season", 6));
    assert_int_equal(seasons, 2 * 101); /* the warm-up run counts too */
    wc_map_free(m);
}

static void counting_a_text_peaks_below_64_kib(void **state)
{
    (void)state;
    ASSERT_PEAK_MEMORY_BELOW(64 * 1024, {
        wc_map *m = wc_map_new();
        wc_count_text(m, text, TEXT_LEN);
        wc_map_free(m);
    });
}

static void a_freed_map_leaves_nothing_behind(void **state)
{
    (void)state;
    ASSERT_NO_LEAKS({
        wc_map *m = wc_map_new();
        wc_count_text(m, text, TEXT_LEN);
        wc_map_free(m);
    });
}

/* ---- counting in parallel ----------------------------------------------- */

enum { WORKERS = 4 };

typedef struct slice {
    const char *text;
    size_t len;
    wc_map *own; /* the worker's private counts */
    wc_map *shared;
    pthread_mutex_t *mu;
} slice;

static void add_to(const char *w, size_t len, void *arg)
{
    wc_map_add(arg, w, len);
}

/* Counts its slice privately, and into the shared map under the lock
 * when there is one. */
static void *count_slice(void *arg)
{
    slice *s = arg;
    s->own = wc_map_new();
    wc_tokenize(s->text, s->len, add_to, s->own);
    if (s->shared) {
        pthread_mutex_lock(s->mu);
        wc_tokenize(s->text, s->len, add_to, s->shared);
        pthread_mutex_unlock(s->mu);
    }
    return NULL;
}

/* Splits the text at spaces into WORKERS slices and counts them on as many
 * threads, into `shared` when given. */
static void count_parallel(wc_map *shared)
{
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    slice s[WORKERS];
    pthread_t t[WORKERS];
    size_t at = 0;
    for (int i = 0; i < WORKERS; i++) {
        size_t end = i == WORKERS - 1 ? TEXT_LEN : (size_t)(i + 1) * TEXT_LEN / WORKERS;
        while (end < TEXT_LEN && text[end] != ' ')
            end++;
        s[i] = (slice){text + at, end - at, NULL, shared, &mu};
        at = end;
        pthread_create(&t[i], NULL, count_slice, &s[i]);
    }
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(t[i], NULL);
        wc_map_free(s[i].own);
    }
}

static void parallel_count_leaves_no_thread_running(void **state)
{
    (void)state;
    ASSERT_NO_THREAD_LEAKS(count_parallel(NULL));
}

static void private_counting_never_waits_for_a_lock(void **state)
{
    (void)state;
    ASSERT_MUTEX_DELAY_BELOW(1, count_parallel(NULL));
}

static void a_shared_map_is_contended_at_most_once_per_worker(void **state)
{
    (void)state;
    wc_map *shared = wc_map_new();
    /* WORKERS acquisitions, and the first one never waits. */
    ASSERT_CONTENTIONS_BELOW(WORKERS, count_parallel(shared));
    assert_int_equal(wc_map_get(shared, "was", 3), 10);
    wc_map_free(shared);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokenizer_never_allocates),
        cmocka_unit_test(counting_allocates_a_key_per_distinct_word),
        cmocka_unit_test(lookups_never_allocate),
        cmocka_unit_test(counting_a_text_peaks_below_64_kib),
        cmocka_unit_test(a_freed_map_leaves_nothing_behind),
        cmocka_unit_test(parallel_count_leaves_no_thread_running),
        cmocka_unit_test(private_counting_never_waits_for_a_lock),
        cmocka_unit_test(a_shared_map_is_contended_at_most_once_per_worker),
    };
    return cbench_main(argc, argv, tests, sizeof tests / sizeof tests[0], NULL, 0);
}
