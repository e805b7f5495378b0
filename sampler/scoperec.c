/*
 * The assertion recorder: what an assertion scope needs to name culprits.
 *
 * The exact counters say how many allocations or how much waiting a scope
 * saw; they cannot say where. So while at least one assertion scope asks
 * for it, every allocation of the program (on every thread) and every
 * contended lock acquisition is appended to a log with its stack, and a
 * scope remembers where in the logs it began. Outside scopes nothing is
 * recorded and nothing here runs.
 *
 * How the allocator gets here without a test on its fast path: beginning
 * a scope turns recording on and then moves the heap's peak epoch
 * (cb_heap_scope_begin), which every thread's next allocation notices on
 * the path it already takes for a new peak. There heap.c switches the
 * thread to "sample every allocation" (its sampling threshold goes to
 * zero, the profile's own threshold is kept aside), so that each
 * allocation reaches heap.c's sampling slow path, which records it here
 * and flags its header so that its free comes here too. Once no scope
 * records, the next allocation of each thread puts its threshold back.
 * The heap profile's sampling decisions are untouched: they are made
 * against the kept threshold, exactly as without recording.
 *
 * The allocator and the lock interposer call in here through their
 * events (interpose/heap_events.h, interpose/lock_events.h). Logs:
 * allocations (stack, size, and when the block was freed, as a position
 * in the log), contended waits (stack, delay). A table keyed by address
 * finds the allocation a free belongs to. Stacks (16 frames at most) are
 * records by stack (records.h), whose deferring lock guards everything
 * here, as every lock the allocator may hold; the memory is cbench's own
 * (callers run this as own work, base/own.h), so from heap_pool.c.
 * The logs are bounded; events beyond the bound are counted as lost, and
 * a message says its sites are partial. When the last scope ends, the
 * logs are emptied and their memory returned.
 *
 * A scope's queries look at the events between its start and its end,
 * so nested scopes each see their own. Leaks are the scope's allocations
 * not freed yet; the peak's culprits are the scope's allocations live at
 * the point where the sum of the scope's live allocations was highest.
 */
#include "scoperec.h"

#include <stdlib.h>
#include <string.h>

#include "base/own.h"
#include "records.h"
#include "stack/stackwalk.h"
#include "stack/unwind.h"

/* Bounds of the logs: 24 MiB of allocations, 4 MiB of waits at most. */
enum { MAX_HEAP_EVENTS = 1 << 20, MAX_LOCK_EVENTS = 1 << 18 };

_Atomic int cb_scoperec_heap_on;
_Atomic int cb_scoperec_lock_on;

typedef struct heap_event {
    uint32_t stack;
    uint32_t unused;
    uint64_t size;
    uint64_t freed_at; /* 0: live; else 1 + the log's length when it was freed */
} heap_event;

typedef struct lock_event {
    uint32_t stack;
    uint32_t unused;
    uint64_t delay;
} lock_event;

typedef struct live_slot {
    uintptr_t p; /* 0 empty, 1 deleted */
    uint64_t event;
} live_slot;

static struct {
    cb_records stacks; /* its lock guards everything here */
    heap_event *heap;
    size_t nheap, capheap;
    uint64_t heap_lost;
    lock_event *waits;
    size_t nwaits, capwaits;
    uint64_t lock_lost;
    live_slot *live;
    size_t livecap, livecount, liveused;
} r = {.stacks = CB_RECORDS_INIT(cb_stack_record)};

static void lock(void)
{
    cb_records_lock(&r.stacks);
}

static void unlock(void)
{
    cb_records_unlock(&r.stacks);
}

/* Makes room for one more element of `size` bytes in *v; false when the
 * bound is reached or memory ran out. Lock held. */
static bool reserve(void **v, size_t n, size_t *cap, size_t size, size_t max)
{
    if (n < *cap)
        return true;
    if (n >= max)
        return false;
    size_t c = *cap ? *cap * 2 : 1024;
    if (c > max)
        c = max;
    void *nv = realloc(*v, c * size);
    if (!nv)
        return false;
    *v = nv;
    *cap = c;
    return true;
}

/* 1 + the index of the stack, 0 when out of memory. Lock held. */
static uint32_t intern(const uint64_t *pcs, int depth)
{
    long id = cb_records_find_locked(&r.stacks, pcs, depth);
    return id < 0 || id >= UINT32_MAX - 1 ? 0 : (uint32_t)id + 1;
}

static const cb_stack_record *stack_at(size_t i)
{
    return cb_records_at(&r.stacks, i);
}

/* ---- the live table: open addressing on the block's address ------------ */

static size_t live_index(uintptr_t p, size_t cap)
{
    return (size_t)(((uint64_t)p * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

static bool live_grow(void)
{
    size_t cap = r.livecap ? r.livecap * 2 : 1024;
    if (r.livecount * 4 < r.livecap)
        cap = r.livecap; /* mostly deleted slots: rehash in place */
    live_slot *t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < r.livecap; i++) {
        if (r.live[i].p <= 1)
            continue;
        size_t j = live_index(r.live[i].p, cap);
        while (t[j].p)
            j = (j + 1) & (cap - 1);
        t[j] = r.live[i];
    }
    free(r.live);
    r.live = t;
    r.livecap = cap;
    r.liveused = r.livecount;
    return true;
}

static bool live_put(uintptr_t p, uint64_t event)
{
    if ((r.liveused + 1) * 10 > r.livecap * 7 && !live_grow())
        return false;
    size_t i = live_index(p, r.livecap);
    while (r.live[i].p > 1)
        i = (i + 1) & (r.livecap - 1);
    if (r.live[i].p == 0)
        r.liveused++;
    r.live[i] = (live_slot){p, event};
    r.livecount++;
    return true;
}

/* The allocation event of a live block, removed from the table; -1 when
 * it is not there. */
static int64_t live_take(uintptr_t p)
{
    if (!r.livecap)
        return -1;
    for (size_t i = live_index(p, r.livecap);; i = (i + 1) & (r.livecap - 1)) {
        if (r.live[i].p == 0)
            return -1;
        if (r.live[i].p == p) {
            r.live[i].p = 1;
            r.livecount--;
            return (int64_t)r.live[i].event;
        }
    }
}

/* ---- recording ------------------------------------------------------------ */

bool cb_scoperec_alloc(void *p, uint64_t size, uintptr_t caller)
{
    uint64_t pcs[CB_SCOPEREC_DEPTH], *word;
    int depth = cb_stackwalk_from(caller, pcs, CB_SCOPEREC_DEPTH, &word);
    if (depth <= 0) {
        pcs[0] = caller; /* the trace missed it: keep at least the caller */
        depth = 1;
    }
    bool recorded = false;
    lock();
    if (atomic_load_explicit(&cb_scoperec_heap_on, memory_order_relaxed)) {
        uint32_t id = intern(pcs, depth);
        if (id && reserve((void **)&r.heap, r.nheap, &r.capheap, sizeof *r.heap, MAX_HEAP_EVENTS) &&
            live_put((uintptr_t)p, r.nheap)) {
            r.heap[r.nheap++] = (heap_event){.stack = id - 1, .size = size};
            recorded = true;
        } else {
            r.heap_lost++;
        }
    }
    unlock();
    return recorded;
}

void cb_scoperec_free(void *p)
{
    lock();
    int64_t e = live_take((uintptr_t)p);
    if (e >= 0)
        r.heap[e].freed_at = r.nheap + 1;
    unlock();
}

void cb_scoperec_wait(int64_t delay, uintptr_t marker)
{
    uint64_t pcs[CB_SCOPEREC_DEPTH + 1], *word; /* the word is lockprof.c's */
    int depth = cb_stackwalk_from(marker, pcs, CB_SCOPEREC_DEPTH + 1, &word);
    /* pcs[0] is the public lock function itself: its caller is the site. */
    if (depth <= 1) {
        pcs[1] = marker;
        depth = 2;
    }
    lock();
    if (atomic_load_explicit(&cb_scoperec_lock_on, memory_order_relaxed)) {
        uint32_t id = intern(pcs + 1, depth - 1);
        if (id && reserve((void **)&r.waits, r.nwaits, &r.capwaits, sizeof *r.waits,
                          MAX_LOCK_EVENTS))
            r.waits[r.nwaits++] = (lock_event){.stack = id - 1, .delay = (uint64_t)delay};
        else
            r.lock_lost++;
    }
    unlock();
}

/* ---- scopes --------------------------------------------------------------- */

void cb_scoperec_begin(unsigned what, cb_scoperec_mark *m)
{
    lock();
    *m = (cb_scoperec_mark){r.nheap, r.nwaits, r.heap_lost, r.lock_lost, UINT64_MAX, UINT64_MAX};
    if (what & CB_REC_HEAP)
        atomic_fetch_add(&cb_scoperec_heap_on, 1);
    if (what & CB_REC_LOCK)
        atomic_fetch_add(&cb_scoperec_lock_on, 1);
    unlock();
}

void cb_scoperec_stop(cb_scoperec_mark *m)
{
    lock();
    m->heap_end = r.nheap, m->lock_end = r.nwaits;
    m->heap_lost = r.heap_lost - m->heap_lost, m->lock_lost = r.lock_lost - m->lock_lost;
    unlock();
}

void cb_scoperec_end(unsigned what)
{
    cb_own_begin();
    lock();
    bool heap_done = (what & CB_REC_HEAP) && atomic_fetch_sub(&cb_scoperec_heap_on, 1) == 1;
    bool lock_done = (what & CB_REC_LOCK) && atomic_fetch_sub(&cb_scoperec_lock_on, 1) == 1;
    if (heap_done) {
        free(r.heap), free(r.live);
        r.heap = NULL, r.live = NULL;
        r.nheap = r.capheap = r.heap_lost = 0;
        r.livecap = r.livecount = r.liveused = 0;
    }
    if (lock_done) {
        free(r.waits);
        r.waits = NULL;
        r.nwaits = r.capwaits = r.lock_lost = 0;
    }
    if (!atomic_load(&cb_scoperec_heap_on) && !atomic_load(&cb_scoperec_lock_on))
        cb_records_clear_locked(&r.stacks);
    unlock();
    cb_own_end();
}

/* ---- queries -------------------------------------------------------------- */

typedef struct agg {
    uint64_t count, value;
} agg;

/* The position (an index into the log) after which the sum of the live
 * allocations made since `start` was highest; the log is non-empty
 * there. Lock held. */
static size_t peak_position(size_t start, size_t end)
{
    size_t len = end - start, best_at = start;
    uint64_t *dec = calloc(len + 1, sizeof *dec);
    if (!dec)
        return end - 1; /* fall back to the end */
    for (size_t i = start; i < end; i++) {
        uint64_t f = r.heap[i].freed_at;
        if (f && f - 1 < end) /* freed before event f - 1 was made */
            dec[f - 1 - start] += r.heap[i].size;
    }
    uint64_t cur = 0, best = 0;
    for (size_t j = start; j < end; j++) {
        cur -= dec[j - start];
        cur += r.heap[j].size;
        if (cur > best)
            best = cur, best_at = j;
    }
    free(dec);
    return best_at;
}

/* Adds the scope's allocations that `rank` counts to the sites. */
static void add_heap(cb_rank rank, size_t start, size_t end, agg *a, cb_rec_totals *t)
{
    size_t peak = rank == CB_RANK_PEAK && end > start ? peak_position(start, end) : 0;
    for (size_t i = start; i < end; i++) {
        const heap_event *e = &r.heap[i];
        if (rank == CB_RANK_LEAKS && e->freed_at)
            continue;
        if (rank == CB_RANK_PEAK && (i > peak || (e->freed_at && e->freed_at - 1 <= peak)))
            continue;
        a[e->stack].count++, a[e->stack].value += e->size;
        t->count++, t->value += e->size;
    }
}

static void add_waits(size_t start, size_t end, agg *a, cb_rec_totals *t)
{
    for (size_t i = start; i < end; i++) {
        const lock_event *e = &r.waits[i];
        a[e->stack].count++, a[e->stack].value += e->delay;
        t->count++, t->value += e->delay;
    }
}

static bool ahead(const agg *x, const agg *y, cb_rank rank)
{
    if (rank == CB_RANK_ALLOCS || rank == CB_RANK_WAITS)
        return x->count > y->count || (x->count == y->count && x->value > y->value);
    return x->value > y->value || (x->value == y->value && x->count > y->count);
}

/* Picks the top sites out of `a` (emptying those picked). */
static int pick(agg *a, size_t n, cb_rank rank, cb_site *out, int max)
{
    int k = 0;
    for (; k < max; k++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (a[i].count && (best == n || ahead(&a[i], &a[best], rank)))
                best = i;
        if (best == n)
            break;
        const cb_stack_record *st = stack_at(best);
        out[k] = (cb_site){.count = a[best].count, .value = a[best].value, .depth = st->depth};
        memcpy(out[k].pcs, st->pcs, (size_t)out[k].depth * sizeof out[k].pcs[0]);
        a[best] = (agg){0};
    }
    return k;
}

int cb_scoperec_top(const cb_scoperec_mark *m, cb_rank rank, cb_site *out, int max,
                    cb_rec_totals *t)
{
    *t = (cb_rec_totals){0};
    cb_own_begin();
    lock();
    size_t nstacks = cb_records_count(&r.stacks);
    agg *a = calloc(nstacks ? nstacks : 1, sizeof *a);
    int k = 0;
    if (a) {
        if (rank == CB_RANK_DELAY || rank == CB_RANK_WAITS) {
            size_t end = m->lock_end < r.nwaits ? m->lock_end : r.nwaits;
            size_t start = m->lock < end ? m->lock : end;
            add_waits(start, end, a, t);
            t->events = end - start;
            t->lost = m->lock_lost;
        } else {
            size_t end = m->heap_end < r.nheap ? m->heap_end : r.nheap;
            size_t start = m->heap < end ? m->heap : end;
            add_heap(rank, start, end, a, t);
            t->events = end - start;
            t->lost = m->heap_lost;
        }
        for (size_t i = 0; i < nstacks; i++)
            t->nsites += a[i].count != 0;
        k = pick(a, nstacks, rank, out, max);
        free(a);
    }
    unlock();
    cb_own_end();
    return k;
}

__attribute__((constructor)) static void guard_fork(void)
{
    cb_records_guard_fork(&r.stacks, NULL, NULL);
}
