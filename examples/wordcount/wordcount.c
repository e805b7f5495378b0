/*
 * wordcount: the tokenizer walks the text once, folding ASCII letters to
 * lower case; the map is open addressing with linear probing on an FNV-1a
 * hash, doubling at 70% load, with each key copied into its own block.
 */
#include "wordcount.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_WORD = 63 };

static int is_word_char(unsigned char c)
{
    return isalnum(c) || c == '\'';
}

size_t wc_tokenize(const char *text, size_t n,
                   void (*fn)(const char *word, size_t len, void *arg), void *arg)
{
    char word[MAX_WORD + 1];
    size_t words = 0, i = 0;
    while (i < n) {
        while (i < n && !is_word_char((unsigned char)text[i]))
            i++;
        size_t len = 0;
        while (i < n && is_word_char((unsigned char)text[i])) {
            if (len < MAX_WORD)
                word[len++] = (char)tolower((unsigned char)text[i]);
            i++;
        }
        if (len == 0)
            continue;
        word[len] = 0;
        fn(word, len, arg);
        words++;
    }
    return words;
}

typedef struct slot {
    char *key; /* NULL: empty */
    size_t len;
    uint64_t hash, count;
} slot;

struct wc_map {
    slot *slots;
    size_t cap, size;
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h;
}

wc_map *wc_map_new(void)
{
    wc_map *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 64;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    return m;
}

void wc_map_free(wc_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    free(m);
}

static slot *find(const wc_map *m, const char *w, size_t len, uint64_t h)
{
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        slot *s = &m->slots[i];
        if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, w, len) == 0))
            return s;
    }
}

static int grow(wc_map *m)
{
    wc_map bigger = {.cap = m->cap * 2, .size = m->size};
    bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            *find(&bigger, m->slots[i].key, m->slots[i].len, m->slots[i].hash) = m->slots[i];
    free(m->slots);
    *m = bigger;
    return 0;
}

int wc_map_add(wc_map *m, const char *word, size_t len)
{
    if ((m->size + 1) * 10 > m->cap * 7 && grow(m) < 0)
        return -1;
    uint64_t h = fnv1a(word, len);
    slot *s = find(m, word, len, h);
    if (!s->key) {
        s->key = malloc(len + 1);
        if (!s->key)
            return -1;
        memcpy(s->key, word, len);
        s->key[len] = 0;
        s->len = len;
        s->hash = h;
        m->size++;
    }
    s->count++;
    return 0;
}

uint64_t wc_map_get(const wc_map *m, const char *word, size_t len)
{
    const slot *s = find(m, word, len, fnv1a(word, len));
    return s->key ? s->count : 0;
}

size_t wc_map_size(const wc_map *m)
{
    return m->size;
}

static void add_word(const char *w, size_t len, void *arg)
{
    wc_map_add(arg, w, len);
}

size_t wc_count_text(wc_map *m, const char *text, size_t n)
{
    return wc_tokenize(text, n, add_word, m);
}
