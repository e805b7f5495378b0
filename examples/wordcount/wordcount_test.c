/*
 * wordcount's tests and benchmarks in one binary. Run by itself it runs
 * the tests (add --bench . for the benchmarks, --cpuprofile --memprofile
 * for per-test profiles); `cbench` runs it with the same flags.
 */
#include <stdlib.h>
#include <string.h>

#include <cbench.h>

#include "wordcount.h"

static const char sample[] =
    "It was the best of times, it was the worst of times, it was the age of "
    "wisdom, it was the age of foolishness, it was the epoch of belief, it "
    "was the epoch of incredulity, it was the season of Light, it was the "
    "season of Darkness, it was the spring of hope, it was the winter of "
    "despair. We'd everything before us, we'd nothing before us.";

/* ---- tests --------------------------------------------------------------- */

static void collect(const char *w, size_t len, void *arg)
{
    char *out = arg;
    strncat(out, w, len);
    strcat(out, "|");
}

static void tokenize_splits_and_lowercases(void **state)
{
    (void)state;
    char out[256] = "";
    size_t n = wc_tokenize("  Hello, WORLD! it's 42...", 25, collect, out);
    assert_int_equal(n, 4);
    assert_string_equal(out, "hello|world|it's|42|");
}

static void tokenize_cuts_long_words(void **state)
{
    (void)state;
    char text[200], out[256] = "";
    memset(text, 'a', sizeof text);
    assert_int_equal(wc_tokenize(text, sizeof text, collect, out), 1);
    assert_int_equal(strlen(out), 63 + 1);
}

static void map_counts_words(void **state)
{
    (void)state;
    wc_map *m = wc_map_new();
    assert_non_null(m);
    size_t words = wc_count_text(m, sample, sizeof sample - 1);
    assert_int_equal(words, 68);
    assert_int_equal(wc_map_get(m, "was", 3), 10);
    assert_int_equal(wc_map_get(m, "it", 2), 10);
    assert_int_equal(wc_map_get(m, "we'd", 4), 2);
    assert_int_equal(wc_map_get(m, "absent", 6), 0);
    wc_map_free(m);
}

static void map_keeps_counts_when_it_grows(void **state)
{
    (void)state;
    wc_map *m = wc_map_new();
    assert_non_null(m);
    char w[16];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 5000; i++)
            assert_int_equal(wc_map_add(m, w, (size_t)snprintf(w, sizeof w, "w%d", i)), 0);
    assert_int_equal(wc_map_size(m), 5000);
    for (int i = 0; i < 5000; i += 97)
        assert_int_equal(wc_map_get(m, w, (size_t)snprintf(w, sizeof w, "w%d", i)), 3);
    wc_map_free(m);
}

static void shared_count_agrees_with_serial_count(void **state)
{
    (void)state;
    /* The sample text four times: words cross the parts' edges somewhere. */
    char text[4 * sizeof sample];
    size_t n = 0;
    for (int i = 0; i < 4; i++, n += sizeof sample - 1)
        memcpy(text + n, sample, sizeof sample - 1);
    wc_map *serial = wc_map_new(), *shared = wc_map_new();
    assert_non_null(serial);
    assert_non_null(shared);
    size_t words = wc_count_text(serial, text, n);
    assert_int_equal(wc_count_shared(shared, text, n, 4), words);
    assert_int_equal(wc_map_size(shared), wc_map_size(serial));
    assert_int_equal(wc_map_get(shared, "season", 6), wc_map_get(serial, "season", 6));
    assert_int_equal(wc_map_get(shared, "the", 3), wc_map_get(serial, "the", 3));
    wc_map_free(serial);
    wc_map_free(shared);
}

/* ---- benchmarks ------------------------------------------------------------ */

static char *make_text(size_t n)
{
    char *t = malloc(n);
    for (size_t i = 0; i < n; i++)
        t[i] = sample[i % (sizeof sample - 1)];
    return t;
}

static void count_word(const char *w, size_t len, void *arg)
{
    (void)w;
    *(size_t *)arg += len;
}

static void bench_tokenize(cbench_b *b)
{
    size_t n = 64 * 1024;
    char *text = make_text(n);
    cbench_set_bytes(b, (int64_t)n);
    size_t letters = 0;
    while (cbench_loop(b))
        wc_tokenize(text, n, count_word, &letters);
    CBENCH_KEEP(letters);
    free(text);
}

static size_t text_size;

static void count_text_of_size(cbench_b *b)
{
    char *text = make_text(text_size);
    cbench_set_bytes(b, (int64_t)text_size);
    cbench_report_allocs(b);
    while (cbench_loop(b)) {
        wc_map *m = wc_map_new();
        wc_count_text(m, text, text_size);
        wc_map_free(m);
    }
    free(text);
}

static void bench_count_text(cbench_b *b)
{
    static const size_t sizes[] = {1024, 64 * 1024};
    static const char *const names[] = {"1KiB", "64KiB"};
    for (int i = 0; i < 2; i++) {
        text_size = sizes[i];
        cbench_run(b, names[i], count_text_of_size);
    }
}

static int shared_threads;

static void count_shared_with_threads(cbench_b *b)
{
    size_t n = 64 * 1024;
    char *text = make_text(n);
    cbench_set_bytes(b, (int64_t)n);
    while (cbench_loop(b)) {
        wc_map *m = wc_map_new();
        wc_count_shared(m, text, n, shared_threads);
        wc_map_free(m);
    }
    free(text);
}

/* Threads sharing one map behind one lock: more threads, more waiting
 * (--mutexprofile shows where). */
static void bench_count_shared(cbench_b *b)
{
    static const int threads[] = {1, 4};
    static const char *const names[] = {"threads=1", "threads=4"};
    for (int i = 0; i < 2; i++) {
        shared_threads = threads[i];
        cbench_run(b, names[i], count_shared_with_threads);
    }
}

static void lookups(cbench_pb *pb, void *arg)
{
    const wc_map *m = arg;
    uint64_t sum = 0;
    while (cbench_pb_next(pb))
        sum += wc_map_get(m, "season", 6);
    CBENCH_KEEP(sum);
}

static void bench_map_get_parallel(cbench_b *b)
{
    wc_map *m = wc_map_new();
    wc_count_text(m, sample, sizeof sample - 1);
    cbench_run_parallel(b, lookups, m);
    wc_map_free(m);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokenize_splits_and_lowercases),
        cmocka_unit_test(tokenize_cuts_long_words),
        cmocka_unit_test(map_counts_words),
        cmocka_unit_test(map_keeps_counts_when_it_grows),
        cmocka_unit_test(shared_count_agrees_with_serial_count),
    };
    const struct cbench_benchmark benchmarks[] = {
        cbench_benchmark(bench_tokenize),
        cbench_benchmark(bench_count_text),
        cbench_benchmark(bench_map_get_parallel),
        cbench_benchmark(bench_count_shared),
    };
    return cbench_main(argc, argv, tests, sizeof tests / sizeof tests[0], benchmarks,
                       sizeof benchmarks / sizeof benchmarks[0]);
}
