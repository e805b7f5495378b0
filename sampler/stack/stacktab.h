/*
 * The sample table: where the SIGPROF handler puts stacks.
 *
 * A fixed-size, open-addressed hash table of distinct (stack, label set)
 * pairs with a count each, plus an arena holding the stacks' PCs. Both are
 * mmap'ed when profiling starts, so the handler never allocates. Inserting
 * is lock-free and async-signal-safe: a new entry is claimed with a CAS
 * (empty -> writing), filled, then published (-> ready) with a release
 * store; a repeated stack only adds to its count atomically. Two threads
 * racing on the same new stack may make two entries; the profile builder
 * adds them up. When the table or the arena is full, or a slot cannot be
 * found within a few probes, the sample is counted as lost and reported in
 * the profile as a frame of its own, as Go reports lost samples.
 *
 * Counts are aggregated in place, so a long profile does not need a reader
 * thread to drain a buffer: libcbench starts no thread for CPU profiling.
 */
#ifndef CB_STACKTAB_H
#define CB_STACKTAB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cb_stack_entry {
    _Atomic uint32_t state; /* 0 empty, 1 being written, 2 ready, 3 abandoned */
    uint32_t depth;
    uint64_t hash;
    uintptr_t labels; /* the label set the thread had, or 0 */
    _Atomic uint64_t count;
    size_t offset; /* of the PCs in the arena */
} cb_stack_entry;

typedef struct cb_stacktab {
    cb_stack_entry *entries;
    size_t nentries; /* power of two */
    uint64_t *arena;
    size_t arena_words;
    _Atomic size_t arena_used;
    _Atomic uint64_t lost;
} cb_stacktab;

/* Makes the table empty and ready, mapping it the first time (or when the
 * sizes change) and reusing it after. The entry array is populated up
 * front, so a new stack in the handler does not take a page fault on a
 * random page of it; arena pages fault in as stacks are added, once, and
 * stay for later profiles. 0, or -1 with errno set (user context). */
int cb_stacktab_prepare(cb_stacktab *t, size_t nentries, size_t arena_words);

/* Unmaps it (user context, no insert may be running); prepare maps anew. */
void cb_stacktab_destroy(cb_stacktab *t);

/* Records `weight` samples of one stack. Async-signal-safe, lock-free,
 * allocates nothing. */
void cb_stacktab_add(cb_stacktab *t, const uint64_t *pcs, int depth, uintptr_t labels,
                     uint64_t weight);

#endif
