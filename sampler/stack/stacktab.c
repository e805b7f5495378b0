#include "stack/stacktab.h"

#include "base/check.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

enum { MAX_PROBES = 32 };

static void *map(size_t bytes, int flags)
{
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    return mem == MAP_FAILED ? NULL : mem;
}

int cb_stacktab_prepare(cb_stacktab *t, size_t nentries, size_t arena_words)
{
    if (t->entries && (t->nentries != nentries || t->arena_words != arena_words))
        cb_stacktab_destroy(t);
    if (!t->entries) {
        t->entries = map(nentries * sizeof(cb_stack_entry), MAP_POPULATE);
        /* NORESERVE: a profile with few distinct stacks uses few pages. */
        t->arena = map(arena_words * sizeof(uint64_t), MAP_NORESERVE);
        t->nentries = nentries;
        t->arena_words = arena_words;
        if (!t->entries || !t->arena) {
            int err = errno;
            cb_stacktab_destroy(t);
            errno = err;
            return -1;
        }
    } else {
        memset(t->entries, 0, nentries * sizeof(cb_stack_entry));
    }
    atomic_store(&t->arena_used, 0);
    atomic_store(&t->lost, 0);
    return 0;
}

void cb_stacktab_destroy(cb_stacktab *t)
{
    if (t->entries)
        munmap(t->entries, t->nentries * sizeof(cb_stack_entry));
    if (t->arena)
        munmap(t->arena, t->arena_words * sizeof(uint64_t));
    memset(t, 0, sizeof *t);
}

static uint64_t hash_stack(const uint64_t *pcs, int depth, uintptr_t labels)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ labels;
    for (int i = 0; i < depth; i++) {
        h ^= pcs[i];
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
    }
    return h ^ (uint64_t)depth;
}

static int same_stack(const cb_stacktab *t, const cb_stack_entry *e, uint64_t h,
                      const uint64_t *pcs, int depth, uintptr_t labels)
{
    return e->hash == h && e->depth == (uint32_t)depth && e->labels == labels &&
           memcmp(&t->arena[e->offset], pcs, (size_t)depth * sizeof *pcs) == 0;
}

/* Fills a slot this thread claimed, or abandons it when the arena is full. */
static void fill(cb_stacktab *t, cb_stack_entry *e, uint64_t h, const uint64_t *pcs, int depth,
                 uintptr_t labels, uint64_t weight)
{
    size_t off = atomic_fetch_add_explicit(&t->arena_used, (size_t)depth, memory_order_relaxed);
    if (off + (size_t)depth > t->arena_words) {
        atomic_fetch_add_explicit(&t->lost, weight, memory_order_relaxed);
        atomic_store_explicit(&e->state, 3, memory_order_release);
        return;
    }
    memcpy(&t->arena[off], pcs, (size_t)depth * sizeof *pcs);
    e->offset = off;
    e->depth = (uint32_t)depth;
    e->hash = h;
    e->labels = labels;
    atomic_store_explicit(&e->count, weight, memory_order_relaxed);
    atomic_store_explicit(&e->state, 2, memory_order_release);
}

void cb_stacktab_add(cb_stacktab *t, const uint64_t *pcs, int depth, uintptr_t labels,
                     uint64_t weight)
{
    CB_CHECK(depth >= 0 && t->nentries && !(t->nentries & (t->nentries - 1)));
    uint64_t h = hash_stack(pcs, depth, labels);
    size_t mask = t->nentries - 1;
    for (int i = 0; i < MAX_PROBES; i++) {
        cb_stack_entry *e = &t->entries[(h + (uint64_t)i) & mask];
        uint32_t st = atomic_load_explicit(&e->state, memory_order_acquire);
        CB_CHECK(st <= 3); /* empty, being written, ready, abandoned */
        if (st == 0) {
            uint32_t expect = 0;
            if (atomic_compare_exchange_strong_explicit(&e->state, &expect, 1,
                                                        memory_order_acquire,
                                                        memory_order_relaxed)) {
                fill(t, e, h, pcs, depth, labels, weight);
                return;
            }
            st = expect;
        }
        if (st == 2 && same_stack(t, e, h, pcs, depth, labels)) {
            atomic_fetch_add_explicit(&e->count, weight, memory_order_relaxed);
            return;
        }
    }
    atomic_fetch_add_explicit(&t->lost, weight, memory_order_relaxed);
}
