/*
 * The classic contention case: several threads count the words of their
 * part of a text into one shared map, behind one lock. Every word takes
 * the lock, so the threads mostly wait for each other; the mutex profile
 * shows the critical section that makes them wait (add_shared, under
 * pthread_mutex_unlock), and the block profile the waiting.
 */
#include "wordcount.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

enum { MAX_THREADS = 64 };

typedef struct part {
    wc_map *map;
    pthread_mutex_t *lock;
    const char *text;
    size_t n, words;
    int failed;
} part;

static int in_word(char c)
{
    return isalnum((unsigned char)c) || c == '\'';
}

static void add_shared(const char *word, size_t len, void *arg)
{
    part *p = arg;
    pthread_mutex_lock(p->lock);
    int rc = wc_map_add(p->map, word, len);
    pthread_mutex_unlock(p->lock);
    if (rc < 0)
        p->failed = 1;
}

static void *count_part(void *arg)
{
    part *p = arg;
    p->words = wc_tokenize(p->text, p->n, add_shared, p);
    return NULL;
}

/* Where part i of `threads` begins: past the word the even split lands in. */
static size_t part_start(const char *text, size_t n, int i, int threads)
{
    size_t at = n / (size_t)threads * (size_t)i;
    while (at > 0 && at < n && in_word(text[at - 1]) && in_word(text[at]))
        at++;
    return at;
}

size_t wc_count_shared(wc_map *m, const char *text, size_t n, int threads)
{
    if (threads < 1 || threads > MAX_THREADS)
        return SIZE_MAX;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    part parts[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    int started = 0;
    for (int i = 0; i < threads; i++) {
        size_t from = part_start(text, n, i, threads);
        size_t to = i + 1 < threads ? part_start(text, n, i + 1, threads) : n;
        parts[i] = (part){.map = m, .lock = &lock, .text = text + from, .n = to - from};
        if (pthread_create(&tids[i], NULL, count_part, &parts[i]) != 0)
            break;
        started++;
    }
    size_t words = 0;
    int failed = started < threads;
    for (int i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
        words += parts[i].words;
        failed |= parts[i].failed;
    }
    pthread_mutex_destroy(&lock);
    return failed ? SIZE_MAX : words;
}
