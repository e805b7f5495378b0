/*
 * Heap profiles: sampled allocations with their stacks, Go's way.
 *
 * Each thread counts down the bytes it allocates; when the count passes
 * zero the allocation is sampled and a new distance is drawn from an
 * exponential distribution with mean MemProfileRate (default 512 KiB), so
 * that every byte has the same chance of being sampled whatever the
 * allocation pattern. Rate 1 samples every allocation; rate 0 none.
 *
 * The allocator (heap.c) tells this file of a sampled allocation, of its
 * free and of a thread's exit through its events (interpose/heap_events.h),
 * and asks it for the distance to a thread's next sample. A sampled
 * allocation's stack is taken by stackwalk.c (rules cached by return
 * address, repeated stacks memoized per thread) and cut to start at the
 * allocator's caller, so the allocator never shows (as Go hides
 * runtime.mallocgc). Stacks are aggregated into records by stack
 * (records.h); a sampled block carries its record and window in a tag in
 * front of its header (heap.c), so its free needs no table of live
 * blocks, and costs the blocks that are not sampled nothing: their
 * headers are not flagged.
 *
 * Counts (allocated and freed objects and bytes, as counted, unscaled)
 * are kept per thread and per record, stored by the owning thread only,
 * with no lock and no atomic read-modify-write; a thread also remembers
 * the records of its recent stacks. The records' lock (a deferring
 * spinlock) also guards the list of threads, the counts of threads that
 * have ended and the window's bases; it is taken for a stack a thread has
 * not sampled recently, at a thread's first sample and its end, and when
 * a profile is written (which sums the threads' counts), never in a
 * signal handler. Memory comes from malloc as cbench's own work
 * (base/own.h), so it is neither counted nor sampled.
 *
 * A window (cb_heapprof_window_begin) is the span of one test. Each
 * record keeps the sums when the window began, and frees of blocks
 * allocated in the current window (a block's tag says which) are also
 * counted apart, so that a free of an older block does not lower the
 * window's in-use counts. The window's profiles hold only what the test
 * itself allocated.
 *
 * Writing scales each record's counts back to estimates as Go does, with
 * 1/(1 - exp(-avg/rate)) where avg is the record's average object size,
 * applied to the allocated and the in-use counts separately.
 */
#include "heapprof.h"
#include "interpose/heap_events.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/own.h"
#include "base/thread_list.h"
#include "cbench/profile.h"
#include "interpose/heap.h"
#include "profile/profile.h"
#include "profiles.h"
#include "records.h"
#include "stack/stackwalk.h"
#include "stack/unwind.h"

enum { DEFAULT_RATE = 512 * 1024 };

static _Atomic long rate = DEFAULT_RATE;

typedef struct counts {
    uint64_t alloc_objects, alloc_bytes, free_objects, free_bytes;
} counts;

/* A thread's counts for one record. free_cur counts the frees of blocks
 * allocated in the window that was current when they were freed. Only
 * the owning thread stores; a profile being written loads (relaxed). */
typedef struct tcounts {
    _Atomic uint64_t alloc_objects, alloc_bytes, free_objects, free_bytes;
    _Atomic uint64_t free_cur_objects, free_cur_bytes;
} tcounts;

/* A stack's record (records.h: never freed nor moved once made);
 * `exited` (counts of threads that have ended, and of frees made after)
 * and `base` (the sums when the window began) are guarded by the lock. */
typedef struct record {
    cb_stack_record stack;
    tcounts exited;
    counts base; /* free_objects, free_bytes: of free_cur */
} record;

/* A thread's table of counts, by record. When it grows, the old table is
 * kept (on `retired`) until the thread ends, so that a writer that loaded
 * its address reads valid, if stale, memory. */
typedef struct tslot {
    _Atomic uint32_t rec1; /* record index + 1; 0: empty */
    tcounts c;
} tslot;

typedef struct ttable {
    struct ttable *retired;
    uint32_t cap, used;
    tslot slot[];
} ttable;

enum { STACK_CACHE = 256 };

/* A thread's sampling state: its counts, and the records of its recent
 * stacks by hash, so that a repeated stack finds its record without the
 * lock. */
typedef struct tprof {
    cb_thread_node node; /* in s.threads, under the records' lock */
    _Atomic(ttable *) table;
    struct {
        uint64_t hash;
        record *rec;
        uint32_t index;
    } cache[STACK_CACHE];
} tprof;

static struct {
    cb_records records; /* its lock: the thread list, exited counts, bases */
    cb_thread_node *threads;
    _Atomic uint32_t window;
} s = {.records = CB_RECORDS_INIT(record)};

/* A thread's state: NULL before its first sample, ENDED once folded at
 * its end (what it frees later goes to the records' exited counts). */
#define ENDED ((tprof *)1)
static __thread tprof *me __attribute__((tls_model("initial-exec")));

static void lock(void)
{
    cb_records_lock(&s.records);
}

static void unlock(void)
{
    cb_records_unlock(&s.records);
}

/* Record `i`; the lock is held. */
static record *rec_at(size_t i)
{
    return cb_records_at(&s.records, i);
}

static tprof *tprof_of(cb_thread_node *n)
{
    return CB_THREAD_NODE_OWNER(n, tprof, node);
}

long cbench_set_mem_profile_rate(long bytes)
{
    long old = atomic_exchange(&rate, bytes < 0 ? 0 : bytes);
    cb_heap_reset_sampling();
    return old;
}

int64_t cb_heapprof_next_distance(uint64_t *rng)
{
    long r = atomic_load_explicit(&rate, memory_order_relaxed);
    if (r <= 0)
        return INT64_MAX;
    if (r == 1)
        return 0;
    uint64_t x = *rng ? *rng : (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)rng;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    *rng = x;
    double u = (double)((x >> 11) + 1) * 0x1p-53; /* in (0, 1] */
    return (int64_t)(-log(u) * (double)r);
}

/* Owner-only increment: a plain load and store. */
static inline void bump(_Atomic uint64_t *x, uint64_t n)
{
    atomic_store_explicit(x, atomic_load_explicit(x, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static uint64_t load(const _Atomic uint64_t *x)
{
    return atomic_load_explicit(x, memory_order_relaxed);
}

/* ---- records ------------------------------------------------------------ */

/* The stack's record through the thread's cache; the lock only for a
 * stack the cache does not hold. */
static long find_record(tprof *t, const uint64_t *pcs, int depth)
{
    uint64_t hash = cb_records_hash(pcs, depth);
    size_t i = hash & (STACK_CACHE - 1);
    record *r = t->cache[i].rec;
    if (r && t->cache[i].hash == hash && cb_records_holds(&r->stack, pcs, depth, hash))
        return t->cache[i].index;
    lock();
    long rec = cb_records_find_locked(&s.records, pcs, depth);
    if (rec >= 0) {
        t->cache[i].hash = hash;
        t->cache[i].rec = rec_at((size_t)rec);
        t->cache[i].index = (uint32_t)rec;
    }
    unlock();
    return rec;
}

/* ---- a thread's counts ---------------------------------------------------- */

static size_t slot_index(uint32_t rec, uint32_t cap)
{
    return (size_t)(((uint64_t)rec * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static ttable *table_new(uint32_t cap)
{
    ttable *t = calloc(1, sizeof *t + (size_t)cap * sizeof(tslot));
    if (t)
        t->cap = cap;
    return t;
}

static void table_copy(ttable *to, const ttable *from)
{
    for (uint32_t i = 0; i < from->cap; i++) {
        uint32_t rec1 = atomic_load_explicit(&from->slot[i].rec1, memory_order_relaxed);
        if (!rec1)
            continue;
        size_t j = slot_index(rec1 - 1, to->cap);
        while (atomic_load_explicit(&to->slot[j].rec1, memory_order_relaxed))
            j = (j + 1) & (to->cap - 1);
        tslot *d = &to->slot[j];
        const tslot *f = &from->slot[i];
        atomic_store_explicit(&d->rec1, rec1, memory_order_relaxed);
        bump(&d->c.alloc_objects, load(&f->c.alloc_objects));
        bump(&d->c.alloc_bytes, load(&f->c.alloc_bytes));
        bump(&d->c.free_objects, load(&f->c.free_objects));
        bump(&d->c.free_bytes, load(&f->c.free_bytes));
        bump(&d->c.free_cur_objects, load(&f->c.free_cur_objects));
        bump(&d->c.free_cur_bytes, load(&f->c.free_cur_bytes));
        to->used++;
    }
}

/* This thread's counts for record `rec`, added if absent; NULL when
 * memory runs out. */
static tcounts *counts_of(tprof *t, uint32_t rec)
{
    ttable *tab = atomic_load_explicit(&t->table, memory_order_relaxed);
    for (size_t i = slot_index(rec, tab->cap);; i = (i + 1) & (tab->cap - 1)) {
        uint32_t rec1 = atomic_load_explicit(&tab->slot[i].rec1, memory_order_relaxed);
        if (rec1 == rec + 1)
            return &tab->slot[i].c;
        if (rec1 == 0)
            break;
    }
    if ((tab->used + 1) * 4 > tab->cap * 3) {
        ttable *grown = table_new(tab->cap * 2);
        if (!grown)
            return NULL;
        table_copy(grown, tab);
        grown->retired = tab;
        atomic_store_explicit(&t->table, grown, memory_order_release);
        tab = grown;
    }
    size_t i = slot_index(rec, tab->cap);
    while (atomic_load_explicit(&tab->slot[i].rec1, memory_order_relaxed))
        i = (i + 1) & (tab->cap - 1);
    tab->used++;
    atomic_store_explicit(&tab->slot[i].rec1, rec + 1, memory_order_release);
    return &tab->slot[i].c;
}

/* This thread's state, made at its first sample; NULL after it ended or
 * when memory runs out. */
static tprof *thread_prof(void)
{
    if (me)
        return me == ENDED ? NULL : me;
    tprof *t = calloc(1, sizeof *t);
    ttable *tab = t ? table_new(64) : NULL;
    if (!tab) {
        free(t);
        return NULL;
    }
    atomic_store_explicit(&t->table, tab, memory_order_relaxed);
    lock();
    cb_thread_node_link(&s.threads, &t->node);
    unlock();
    return me = t;
}

static void add_counts(counts *to, const tcounts *c, bool window)
{
    to->alloc_objects += load(&c->alloc_objects);
    to->alloc_bytes += load(&c->alloc_bytes);
    to->free_objects += load(window ? &c->free_cur_objects : &c->free_objects);
    to->free_bytes += load(window ? &c->free_cur_bytes : &c->free_bytes);
}

static void fold_counts(tcounts *to, const tcounts *c)
{
    atomic_fetch_add(&to->alloc_objects, load(&c->alloc_objects));
    atomic_fetch_add(&to->alloc_bytes, load(&c->alloc_bytes));
    atomic_fetch_add(&to->free_objects, load(&c->free_objects));
    atomic_fetch_add(&to->free_bytes, load(&c->free_bytes));
    atomic_fetch_add(&to->free_cur_objects, load(&c->free_cur_objects));
    atomic_fetch_add(&to->free_cur_bytes, load(&c->free_cur_bytes));
}

/* Moves a thread's counts into the records and forgets the thread; the
 * lock is held. */
static void fold_locked(tprof *t)
{
    ttable *tab = atomic_load_explicit(&t->table, memory_order_relaxed);
    for (uint32_t i = 0; i < tab->cap; i++) {
        uint32_t rec1 = atomic_load_explicit(&tab->slot[i].rec1, memory_order_relaxed);
        if (rec1)
            fold_counts(&rec_at(rec1 - 1)->exited, &tab->slot[i].c);
    }
    cb_thread_node_unlink(&s.threads, &t->node);
}

static void free_thread(tprof *t)
{
    for (ttable *tab = atomic_load(&t->table), *next; tab; tab = next) {
        next = tab->retired;
        free(tab);
    }
    free(t);
}

void cb_heapprof_thread_exit(void)
{
    if (!me || me == ENDED)
        return;
    tprof *t = me;
    me = ENDED;
    cb_own_begin();
    lock();
    fold_locked(t);
    unlock();
    free_thread(t);
    cb_own_end();
}

/* ---- sampling ------------------------------------------------------------- */

/* The record of the stack from the allocator's caller on (the frames
 * above it are cbench's); -1 when memory runs out. A memoized stack
 * (stackwalk.h) keeps its record index + 1 in its word. */
static long caller_record(tprof *t, uintptr_t caller)
{
    uint64_t pcs[CB_MAX_STACK], *word;
    int depth = cb_stackwalk_from(caller, pcs, CB_MAX_STACK, &word);
    if (word && *word)
        return (long)*word - 1;
    if (depth <= 0) {
        pcs[0] = caller; /* the trace missed it: keep at least the caller */
        depth = 1;
    }
    long rec = find_record(t, pcs, depth);
    if (word && rec >= 0)
        *word = (uint64_t)rec + 1;
    return rec;
}

int cb_heapprof_record_alloc(uint64_t size, uintptr_t caller, cb_heap_tag *tag)
{
    tprof *t = thread_prof();
    if (!t)
        return -1;
    long rec = caller_record(t, caller);
    tcounts *c = rec >= 0 ? counts_of(t, (uint32_t)rec) : NULL;
    if (!c)
        return -1;
    bump(&c->alloc_objects, 1);
    bump(&c->alloc_bytes, size);
    tag->record = (uint32_t)rec;
    tag->window = atomic_load_explicit(&s.window, memory_order_relaxed);
    return 0;
}

/* A free on a thread that has ended, or out of memory: into the record's
 * exited counts, under the lock. */
static void record_free_locked(const cb_heap_tag *tag, uint64_t size, bool current)
{
    lock();
    tcounts *c = &rec_at(tag->record)->exited;
    atomic_fetch_add(&c->free_objects, 1);
    atomic_fetch_add(&c->free_bytes, size);
    if (current) {
        atomic_fetch_add(&c->free_cur_objects, 1);
        atomic_fetch_add(&c->free_cur_bytes, size);
    }
    unlock();
}

void cb_heapprof_record_free(const cb_heap_tag *tag, uint64_t size)
{
    bool current = tag->window == atomic_load_explicit(&s.window, memory_order_relaxed);
    tprof *t = thread_prof();
    tcounts *c = t ? counts_of(t, tag->record) : NULL;
    if (!c) {
        record_free_locked(tag, size, current);
        return;
    }
    bump(&c->free_objects, 1);
    bump(&c->free_bytes, size);
    if (current) {
        bump(&c->free_cur_objects, 1);
        bump(&c->free_cur_bytes, size);
    }
}

/* The sums of every record over the threads and the exited counts, as
 * counted since the process started, or (window) the window's: its
 * allocations, and the frees of those. The lock is held. */
static counts *sum_locked(bool window)
{
    size_t n = cb_records_count(&s.records);
    counts *sum = calloc(n ? n : 1, sizeof *sum);
    if (!sum)
        return NULL;
    for (size_t i = 0; i < n; i++)
        add_counts(&sum[i], &rec_at(i)->exited, window);
    for (cb_thread_node *node = s.threads; node; node = node->next) {
        const ttable *tab = atomic_load_explicit(&tprof_of(node)->table, memory_order_acquire);
        for (uint32_t i = 0; i < tab->cap; i++) {
            uint32_t rec1 = atomic_load_explicit(&tab->slot[i].rec1, memory_order_acquire);
            if (rec1 && rec1 <= n)
                add_counts(&sum[rec1 - 1], &tab->slot[i].c, window);
        }
    }
    if (!window)
        return sum;
    for (size_t i = 0; i < n; i++) {
        const counts *b = &rec_at(i)->base;
        sum[i].alloc_objects -= b->alloc_objects, sum[i].alloc_bytes -= b->alloc_bytes;
        sum[i].free_objects -= b->free_objects, sum[i].free_bytes -= b->free_bytes;
    }
    return sum;
}

void cb_heapprof_window_begin(void)
{
    cb_own_begin();
    lock();
    counts *sum = sum_locked(true);
    for (size_t i = 0; sum && i < cb_records_count(&s.records); i++) {
        counts *b = &rec_at(i)->base;
        b->alloc_objects += sum[i].alloc_objects, b->alloc_bytes += sum[i].alloc_bytes;
        b->free_objects += sum[i].free_objects, b->free_bytes += sum[i].free_bytes;
    }
    free(sum);
    atomic_fetch_add(&s.window, 1);
    unlock();
    cb_own_end();
}

/* ---- writing ------------------------------------------------------------ */

/* Go's unbiasing of a sampled count (runtime/pprof scaleHeapSample): an
 * object of size `avg` is sampled with probability 1 - exp(-avg/rate). */
static void scale(uint64_t count, uint64_t bytes, long r, int64_t *c, int64_t *b)
{
    if (count == 0 || bytes == 0) {
        *c = *b = 0;
        return;
    }
    if (r <= 1) {
        *c = (int64_t)count;
        *b = (int64_t)bytes;
        return;
    }
    double avg = (double)bytes / (double)count;
    double k = 1 / (1 - exp(-avg / (double)r));
    *c = (int64_t)((double)count * k);
    *b = (int64_t)((double)bytes * k);
}

static cb_profile *build(bool allocs, bool window, bool scaled, long r)
{
    cb_profile_spec spec = {
        .name = allocs ? "allocs" : "heap",
        .ntypes = 4,
        .types = {{"alloc_objects", "count"},
                  {"alloc_space", "bytes"},
                  {"inuse_objects", "count"},
                  {"inuse_space", "bytes"}},
        .period_type = {"space", "bytes"},
        .period = r,
        .default_type = allocs ? 1 : -1,
        .leaf_is_pc = false,
        .text = CB_TEXT_HEAP,
    };
    cb_profile *p = cb_profile_new(&spec);
    if (!p)
        return NULL;
    lock();
    counts *sum = sum_locked(window);
    int rc = sum ? 0 : -1;
    for (size_t i = 0; i < cb_records_count(&s.records) && rc == 0; i++) {
        const record *rec = rec_at(i);
        const counts *c = &sum[i];
        if (window && c->alloc_objects == 0)
            continue; /* nothing from this stack in the window */
        uint64_t in_objects = c->alloc_objects - c->free_objects;
        uint64_t in_bytes = c->alloc_bytes - c->free_bytes;
        int64_t v[4];
        if (scaled) {
            scale(c->alloc_objects, c->alloc_bytes, r, &v[0], &v[1]);
            scale(in_objects, in_bytes, r, &v[2], &v[3]);
        } else {
            v[0] = (int64_t)c->alloc_objects, v[1] = (int64_t)c->alloc_bytes;
            v[2] = (int64_t)in_objects, v[3] = (int64_t)in_bytes;
        }
        rc = cb_profile_add(p, rec->stack.pcs, rec->stack.depth, v, NULL, 0);
    }
    free(sum);
    unlock();
    if (rc != 0) {
        cb_profile_free(p);
        return NULL;
    }
    return p;
}

/* The memstats section of the text form, as Go ends its heap profile
 * with runtime.MemStats, then the process's mappings, in the legacy
 * format's MAPPED_LIBRARIES section, so that pprof can map and symbolize
 * the addresses of a text profile too. */
static int write_memstats(FILE *out)
{
    cbench_memstats ms;
    cbench_read_memstats(&ms);
    fprintf(out,
            "\n# cbench.memstats\n# Mallocs = %" PRIu64 "\n# Frees = %" PRIu64
            "\n# TotalAlloc = %" PRIu64 "\n# Alloc = %" PRIu64 "\n# HeapObjects = %" PRIu64
            "\n# PeakAlloc = %" PRIu64 "\n# Sys = %" PRIu64 "\n# MaxRSS = %" PRIu64
            "\n# MemProfileRate = %ld\n",
            ms.mallocs, ms.frees, ms.total_alloc, ms.alloc, ms.heap_objects, ms.peak_alloc,
            ms.sys, ms.max_rss, atomic_load(&rate));
    return cb_profile_write_maps(out, "\nMAPPED_LIBRARIES:\n");
}

/* Profile 0 is "heap", 1 "allocs"; the text form is not scaled. */
static cb_profile *build_named(int which, bool window, int debug)
{
    return build(which == 1, window, debug == 0, atomic_load(&rate));
}

static const cb_profile_pair pair = {{"heap", "allocs"}, build_named, write_memstats};

int cb_heapprof_write(const char *name, FILE *out, int debug)
{
    return cb_profiles_write_pair(&pair, name, false, out, debug);
}

int cb_heapprof_write_window(const char *name, FILE *out, int debug)
{
    return cb_profiles_write_pair(&pair, name, true, out, debug);
}

/* After fork only the forking thread goes on: the others' counts are
 * folded (their tables were copied with the rest of the heap) and their
 * state freed. Runs in the child with the lock held. */
static void in_child(void *unused)
{
    (void)unused;
    cb_own_begin();
    for (cb_thread_node *n = s.threads, *next; n; n = next) {
        next = n->next;
        if (tprof_of(n) != me) {
            fold_locked(tprof_of(n));
            free_thread(tprof_of(n));
        }
    }
    cb_own_end();
}

__attribute__((constructor)) static void guard_fork(void)
{
    cb_records_guard_fork(&s.records, in_child, NULL);
}
