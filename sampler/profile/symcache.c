#include "symcache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "base/spinlock.h"
#include "hmap.h"

enum { MAX_LINES = 64 };

typedef struct answer {
    int n;
    unsigned flags;
    cb_line *lines;
} answer;

/* Plain (spinlock.h): held while a profile is symbolized, whose time the
 * CPU profile shows where it is spent. */
static cb_spinlock lock = CB_SPINLOCK_INIT;
static cb_symbolizer *sym;
static cb_mapping *maps; /* what sym was made for */
static size_t nmaps;
static cb_hmap by_address; /* address -> 1 + index into answers */
static answer *answers;
static size_t nanswers, capanswers;
static unsigned generation;

static bool same_mapping(const cb_mapping *a, const cb_mapping *b)
{
    return a->start == b->start && a->limit == b->limit && a->offset == b->offset &&
           strcmp(a->file, b->file) == 0 && strcmp(a->build_id, b->build_id) == 0;
}

static bool same_mappings(const cb_mapping *m, size_t n)
{
    if (n != nmaps)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!same_mapping(&m[i], &maps[i]))
            return false;
    return true;
}

/* Whether every mapping the cache was made for is still in m. Both are
 * sorted by address but for the main program's, first in each. */
static bool only_added(const cb_mapping *m, size_t n)
{
    if (!n || !nmaps || !same_mapping(&m[0], &maps[0]))
        return false;
    size_t j = 1;
    for (size_t i = 1; i < nmaps; i++) {
        while (j < n && m[j].start < maps[i].start)
            j++;
        if (j == n || !same_mapping(&m[j], &maps[i]))
            return false;
    }
    return true;
}

static void forget(void)
{
    if (sym)
        cb_symbolizer_free(sym);
    sym = NULL;
    cb_mappings_free(maps, nmaps);
    maps = NULL;
    nmaps = 0;
    for (size_t i = 0; i < nanswers; i++)
        free(answers[i].lines);
    free(answers);
    answers = NULL;
    nanswers = capanswers = 0;
    cb_hmap_free(&by_address);
}

static cb_mapping *copy_mappings(const cb_mapping *m, size_t n)
{
    cb_mapping *c = cb_fault_calloc(n ? n : 1, sizeof *c);
    for (size_t i = 0; c && i < n; i++) {
        c[i] = m[i];
        if (!(c[i].file = cb_fault_strdup(m[i].file))) {
            cb_mappings_free(c, i);
            return NULL;
        }
    }
    return c;
}

void cb_symcache_acquire(const cb_mapping *m, size_t n)
{
    cb_spin_lock(&lock);
    if (sym && same_mappings(m, n))
        return;
    cb_mapping *copy;
    if (sym && only_added(m, n) && (copy = copy_mappings(m, n)) != NULL) {
        if (cb_symbolizer_report_new(sym) == 0) {
            cb_mappings_free(maps, nmaps);
            maps = copy;
            nmaps = n;
            return;
        }
        cb_mappings_free(copy, n);
    }
    forget();
    generation++;
    /* Without a copy of the mappings the next write cannot tell whether
     * they changed, so it will start afresh: correct, only slower. */
    maps = copy_mappings(m, n);
    nmaps = maps ? n : 0;
    sym = cb_symbolizer_new();
}

static void remember(uint64_t addr, const cb_line *lines, int n, unsigned flags)
{
    if (nanswers == capanswers) {
        size_t cap = capanswers ? capanswers * 2 : 256;
        answer *a = cb_fault_realloc(answers, cap * sizeof *a);
        if (!a)
            return;
        answers = a;
        capanswers = cap;
    }
    answer *a = &answers[nanswers];
    a->n = n;
    a->flags = flags;
    a->lines = NULL;
    if (n && !(a->lines = cb_fault_malloc((size_t)n * sizeof *lines)))
        return;
    if (n)
        memcpy(a->lines, lines, (size_t)n * sizeof *lines);
    uint64_t *slot =
        cb_fault_check() ? NULL : cb_hmap_put(&by_address, &addr, sizeof addr, NULL, NULL);
    if (!slot) {
        free(a->lines);
        return;
    }
    *slot = ++nanswers;
}

int cb_symcache_lookup(uint64_t addr, cb_line *lines, int max, unsigned *flags)
{
    *flags = 0;
    if (!sym)
        return 0;
    uint64_t *slot = cb_hmap_get(&by_address, &addr, sizeof addr);
    if (slot) {
        const answer *a = &answers[*slot - 1];
        int n = a->n < max ? a->n : max;
        if (n > 0)
            memcpy(lines, a->lines, (size_t)n * sizeof *lines);
        /* A chain cut short by max is no longer complete. */
        *flags = n < a->n ? a->flags & ~(unsigned)CB_SYM_INLINE : a->flags;
        return n;
    }
    cb_line found[MAX_LINES];
    int n = cb_symbolize(sym, addr, found, MAX_LINES, flags);
    if (n < 0)
        n = 0;
    remember(addr, found, n, *flags);
    int m = n < max ? n : max;
    if (m > 0)
        memcpy(lines, found, (size_t)m * sizeof *lines);
    if (m < n)
        *flags &= ~(unsigned)CB_SYM_INLINE;
    return m;
}

void cb_symcache_release(void)
{
    cb_spin_unlock(&lock);
}

unsigned cb_symcache_generation(void)
{
    return generation;
}
