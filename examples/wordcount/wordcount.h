/*
 * wordcount: a small library to benchmark: a tokenizer that splits text
 * into lower-cased words, and a hash map that counts them.
 */
#ifndef WORDCOUNT_H
#define WORDCOUNT_H

#include <stddef.h>
#include <stdint.h>

/* Calls fn(word, len, arg) for each run of letters, digits or apostrophes
 * in text[0..n), lower-cased into a buffer of at most 63 bytes (longer
 * words are cut). Returns the number of words. */
size_t wc_tokenize(const char *text, size_t n,
                   void (*fn)(const char *word, size_t len, void *arg), void *arg);

typedef struct wc_map wc_map;

wc_map *wc_map_new(void);
void wc_map_free(wc_map *m);
/* Adds one to the count of word; -1 when out of memory. */
int wc_map_add(wc_map *m, const char *word, size_t len);
/* The count of word, 0 when absent. */
uint64_t wc_map_get(const wc_map *m, const char *word, size_t len);
/* Distinct words. */
size_t wc_map_size(const wc_map *m);

/* Counts the words of text into m; returns the number of words. */
size_t wc_count_text(wc_map *m, const char *text, size_t n);

/* The same with `threads` threads (1 to 64), each counting a part of the
 * text into m behind one shared lock. Returns the number of words, or
 * SIZE_MAX when a thread could not start or memory ran out. */
size_t wc_count_shared(wc_map *m, const char *text, size_t n, int threads);

#endif
