/*
 * Heap profiles: sampled allocations with their stacks, Go's way.
 *
 * Each thread counts down the bytes it allocates; when the count passes
 * zero the allocation is sampled and a new distance is drawn from an
 * exponential distribution with mean MemProfileRate (default 512 KiB), so
 * that every byte has the same chance of being sampled whatever the
 * allocation pattern. Rate 1 samples every allocation; rate 0 none.
 *
 * A sampled allocation's stack is taken with libunwind's cached trace and
 * cut to start at the allocator's caller, so the allocator never shows
 * (as Go hides runtime.mallocgc). Stacks are aggregated into records
 * (allocated and freed objects and bytes, as counted, unscaled), and the
 * block is put in a table of live sampled blocks; its header is flagged,
 * so free looks the table up only for sampled blocks.
 *
 * Records and the live table are behind one spinlock, taken only on the
 * sampling slow paths and when a profile is written, never in a signal
 * handler. Memory for them comes from malloc with cbench's own
 * allocations flagged, so it is neither counted nor sampled.
 *
 * A window (cb_heapprof_window_begin) is the span of one test: each
 * record also counts what was sampled since the window began, and each
 * live block remembers the window it was allocated in, so that a free of
 * an older block does not lower the window's in-use counts. The window's
 * profiles hold only what the test itself allocated.
 *
 * Writing scales each record's counts back to estimates as Go does, with
 * 1/(1 - exp(-avg/rate)) where avg is the record's average object size,
 * applied to the allocated and the in-use counts separately.
 */
#include "heapprof.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cbench/profile.h"
#include "error.h"
#include "heap.h"
#include "profile/hmap.h"
#include "profile/profile.h"
#include "unwind.h"

enum { DEFAULT_RATE = 512 * 1024 };

static _Atomic long rate = DEFAULT_RATE;

typedef struct counts {
    uint64_t alloc_objects, alloc_bytes, free_objects, free_bytes;
} counts;

typedef struct record {
    counts all;    /* since the process started */
    counts window; /* since the current window began */
    int depth;
    uint64_t pcs[CB_MAX_STACK];
} record;

/* A live sampled block: its address and its record. */
typedef struct live_slot {
    uintptr_t p; /* 0 empty, 1 deleted */
    uint32_t rec;
    uint32_t window; /* the window the block was allocated in */
} live_slot;

static struct {
    atomic_flag lock;
    cb_hmap by_stack; /* stack bytes -> 1 + record index */
    record **records;
    size_t nrecords, caprecords;
    live_slot *live;
    size_t livecap, livecount, liveused; /* used = count + deleted */
    uint32_t window;
} s = {.lock = ATOMIC_FLAG_INIT};

/* Deferred (unwind.h): a thread in dlopen may wait for this lock. */
static void lock(void)
{
    cb_defer_lock(&s.lock);
}

static void unlock(void)
{
    cb_defer_unlock(&s.lock, (uintptr_t)__builtin_return_address(0));
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

/* ---- the live table: open addressing on the block's address ---------- */

static size_t live_index(uintptr_t p, size_t cap)
{
    uint64_t h = (uint64_t)p * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 17) & (cap - 1);
}

static int live_grow(void)
{
    size_t cap = s.livecap ? s.livecap * 2 : 1024;
    if (s.livecount * 4 < s.livecap)
        cap = s.livecap; /* mostly deleted slots: rehash in place */
    live_slot *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < s.livecap; i++) {
        if (s.live[i].p <= 1)
            continue;
        size_t j = live_index(s.live[i].p, cap);
        while (t[j].p)
            j = (j + 1) & (cap - 1);
        t[j] = s.live[i];
    }
    free(s.live);
    s.live = t;
    s.livecap = cap;
    s.liveused = s.livecount;
    return 0;
}

static void live_put(uintptr_t p, uint32_t rec, uint32_t window)
{
    if ((s.liveused + 1) * 10 > s.livecap * 7 && live_grow() < 0)
        return; /* out of memory: the block's free will not be seen */
    size_t i = live_index(p, s.livecap);
    while (s.live[i].p > 1)
        i = (i + 1) & (s.livecap - 1);
    if (s.live[i].p == 0)
        s.liveused++;
    s.live[i] = (live_slot){p, rec, window};
    s.livecount++;
}

/* The record of a live block, removed from the table; -1 if absent.
 * *window is the window the block was allocated in. */
static long live_take(uintptr_t p, uint32_t *window)
{
    if (!s.livecap)
        return -1;
    for (size_t i = live_index(p, s.livecap);; i = (i + 1) & (s.livecap - 1)) {
        if (s.live[i].p == 0)
            return -1;
        if (s.live[i].p == p) {
            s.live[i].p = 1;
            s.livecount--;
            *window = s.live[i].window;
            return s.live[i].rec;
        }
    }
}

/* ---- records ------------------------------------------------------------ */

static long find_record(const uint64_t *pcs, int depth)
{
    bool inserted;
    uint64_t *slot = cb_hmap_put(&s.by_stack, pcs, (size_t)depth * sizeof *pcs, &inserted, NULL);
    if (!slot)
        return -1;
    if (!inserted)
        return (long)*slot - 1;
    if (s.nrecords == s.caprecords) {
        size_t cap = s.caprecords ? s.caprecords * 2 : 256;
        record **r = realloc(s.records, cap * sizeof *r);
        if (!r)
            return -1;
        s.records = r;
        s.caprecords = cap;
    }
    record *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->depth = depth;
    memcpy(r->pcs, pcs, (size_t)depth * sizeof *pcs);
    s.records[s.nrecords] = r;
    *slot = ++s.nrecords;
    return (long)s.nrecords - 1;
}

/* The stack from the allocator's caller on: frames above it are cbench's. */
static int caller_stack(uintptr_t caller, uint64_t *pcs)
{
    int depth = cb_unwind_from(caller, pcs, CB_MAX_STACK);
    if (depth > 0)
        return depth;
    pcs[0] = caller; /* the trace missed it: keep at least the caller */
    return 1;
}

void cb_heapprof_record_alloc(void *p, uint64_t size, uintptr_t caller)
{
    uint64_t pcs[CB_MAX_STACK];
    int depth = caller_stack(caller, pcs);
    lock();
    long rec = find_record(pcs, depth);
    if (rec >= 0) {
        record *r = s.records[rec];
        r->all.alloc_objects++, r->all.alloc_bytes += size;
        r->window.alloc_objects++, r->window.alloc_bytes += size;
        live_put((uintptr_t)p, (uint32_t)rec, s.window);
    }
    unlock();
}

void cb_heapprof_record_free(void *p, uint64_t size)
{
    lock();
    uint32_t window;
    long rec = live_take((uintptr_t)p, &window);
    if (rec >= 0) {
        record *r = s.records[rec];
        r->all.free_objects++, r->all.free_bytes += size;
        if (window == s.window)
            r->window.free_objects++, r->window.free_bytes += size;
    }
    unlock();
}

void cb_heapprof_window_begin(void)
{
    cb_heap_internal_begin();
    lock();
    s.window++;
    for (size_t i = 0; i < s.nrecords; i++)
        s.records[i]->window = (counts){0};
    unlock();
    cb_heap_internal_end();
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
    int rc = 0;
    for (size_t i = 0; i < s.nrecords && rc == 0; i++) {
        const record *rec = s.records[i];
        const counts *c = window ? &rec->window : &rec->all;
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
        rc = cb_profile_add(p, rec->pcs, rec->depth, v, NULL, 0);
    }
    unlock();
    if (rc != 0) {
        cb_profile_free(p);
        return NULL;
    }
    return p;
}

/* The text form ends with the process's mappings, in the legacy format's
 * MAPPED_LIBRARIES section, so that pprof can map and symbolize the
 * addresses of a text profile too. */
static void write_mappings(FILE *out)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps)
        return;
    fputs("\nMAPPED_LIBRARIES:\n", out);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, maps)) > 0)
        fwrite(buf, 1, n, out);
    fclose(maps);
}

/* The memstats section of the text form, as Go ends its heap profile
 * with runtime.MemStats. */
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
    write_mappings(out);
    if (fflush(out) != 0 || ferror(out)) {
        int err = errno ? errno : EIO;
        return cb_error(err, "writing the heap profile: %s", strerror(err));
    }
    return 0;
}

static int write_heap(bool allocs, bool window, FILE *out, int debug)
{
    if (debug < 0 || debug > 1)
        return cb_error(EINVAL, "debug level %d is not supported for heap profiles", debug);
    long r = atomic_load(&rate);
    cb_profile *p = build(allocs, window, debug == 0, r);
    if (!p)
        return cb_error(ENOMEM, "out of memory building the heap profile");
    int rc = cb_profile_write(p, out, debug);
    cb_profile_free(p);
    if (rc == 0 && debug == 1)
        rc = write_memstats(out);
    return rc;
}

/* "heap" or "allocs" (cbench_write_profile has checked the name). */
static int write_named(const char *name, bool window, FILE *out, int debug)
{
    bool allocs = strcmp(name, "allocs") == 0;
    cb_heap_internal_begin();
    int rc = write_heap(allocs, window, out, debug);
    int err = errno;
    cb_heap_internal_end();
    errno = err;
    return rc;
}

int cb_heapprof_write(const char *name, FILE *out, int debug)
{
    return write_named(name, false, out, debug);
}

int cb_heapprof_write_window(const char *name, FILE *out, int debug)
{
    if (!name || !out || (strcmp(name, "heap") != 0 && strcmp(name, "allocs") != 0))
        return cb_error(EINVAL, "cb_heapprof_write_window: bad arguments");
    return write_named(name, true, out, debug);
}

/* A fork while another thread holds the lock must not leave it held. */
static void before_fork(void)
{
    lock();
}

static void after_fork(void)
{
    unlock();
}

__attribute__((constructor)) static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork, after_fork);
}
