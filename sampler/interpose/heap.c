/*
 * Heap interposition and exact allocation counters.
 *
 * libcbench defines malloc, calloc, realloc, reallocarray, free,
 * posix_memalign, aligned_alloc, memalign, valloc, pvalloc and
 * malloc_usable_size. Being the first definition the dynamic linker
 * finds (the library is linked in, linked statically into the program,
 * or preloaded), they receive every allocation of the process, C++'s
 * operator new included. They call glibc's allocator through its exported
 * __libc_malloc family, so no dlsym is needed to find it and nothing has to
 * be set up before the first call: the bootstrap problem of interposers
 * does not arise.
 *
 * Each block carries a 16-byte header in front of the user's pointer:
 * the requested size, then one word with the distance back to the start
 * of glibc's block (non-zero for the aligned forms), flags and a magic.
 * The header is what makes free exact and cheap: it knows the size it
 * frees without a lookup. A pointer without the header's magic (a block
 * that came from glibc directly) goes back to glibc untouched and
 * uncounted. A sampled block also has, in the 16 bytes before its header,
 * the heap profiler's tag (its record and window): its header is then
 * HDR bytes into glibc's block (or the aligned forms' distance). So that
 * such a block is made with that room, an allocation is counted, and its
 * sampling decided, before glibc is asked; if glibc refuses, the count is
 * taken back.
 *
 * Counters are per thread, in initial-exec TLS, and the fast path is
 * plain loads and stores: no atomic read-modify-write, no lock. A thread
 * joins the list of per-thread counters (base/thread_list.h) at its first
 * allocation; cbench_read_memstats sums the list and the totals of
 * threads that have exited, whose counters are folded in when they exit.
 * An update that comes after a thread was folded (a destructor freeing
 * memory late in thread exit) goes to the process totals with atomics.
 *
 * Peak live bytes: each thread also keeps the highest value of its own
 * live bytes since the peak was last reset (an epoch number says when).
 * The process peak is the sum of those: exact while one thread allocates,
 * an upper bound when several do. A reset moves the epoch and sets each
 * thread's peak to INT64_MIN, so that the fast path has one comparison
 * (live > peak) to make and the thread's next allocation takes notice.
 *
 * The samplers hear of allocations through the events of heap_events.h,
 * on slow paths only: a sampled block (the heap profiler records its
 * stack and fills its tag), its free, a thread's first allocation and its
 * exit. While an assertion scope records (scoperec.c), a thread's next
 * allocation notices the peak epoch it moved, and from then on every
 * allocation of that thread takes the sampling slow path, where it is
 * recorded with its stack and flagged so that its free is seen too. The
 * profile's own sampling threshold is kept aside meanwhile, so the heap
 * profile samples exactly what it would have. No test is added to the
 * fast paths: a recorded block's tag is not the plain tag.
 *
 * Allocations cbench makes for itself (its own work, base/own.h) come
 * from a pool of their own (heap_pool.c), so that the program's heap is
 * laid out as it would be without cbench; they carry a flag in their
 * header and are counted neither when made nor when freed. The slow paths
 * run as own work, so that what the events allocate is cbench's.
 *
 * Invariants (checked with CB_CHECK in test builds): a header with the
 * magic carries only the flags below; a pool block is cbench's own and at the
 * start of its memory; a sampled block has its tag's room in front of its
 * header; the thread's life state is one of the list's three.
 */
#include "interpose/heap.h"
#include "interpose/heap_events.h"
#include "interpose/heap_pool.h"

#include "base/check.h"
#include "base/own.h"
#include "base/thread_list.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define API __attribute__((visibility("default")))
#define IE __attribute__((tls_model("initial-exec")))
#define RELAXED memory_order_relaxed

/* glibc's allocator, called through its GOT entry rather than through a
 * PLT stub: an indirect call instead of a call and a jump, about 1 ns a
 * malloc/free pair (measured). clang has no such attribute. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NOPLT __attribute__((noplt))
#else
#define NOPLT
#endif

extern void *__libc_malloc(size_t n) NOPLT;
extern void __libc_free(void *p) NOPLT;
extern void *__libc_calloc(size_t n, size_t size) NOPLT;
extern void *__libc_realloc(void *p, size_t n) NOPLT;
extern void *__libc_memalign(size_t align, size_t n) NOPLT;

/* The header in front of every block the interposer hands out. `tag`
 * packs the offset from glibc's block to the header (bits 0-31), the flags
 * (32-47) and the magic (48-63), so that it is written with one store and
 * a plain block is recognised with one comparison (tag == PLAIN_TAG). The
 * magic cannot be mistaken for a block glibc made by itself: the same
 * eight bytes are then glibc's own size field, whose top 16 bits are zero
 * for any size a process can hold. */
typedef struct header {
    uint64_t size; /* requested */
    uint64_t tag;
} header;

_Static_assert(sizeof(header) == 16, "the header keeps malloc's 16-byte alignment");

/* F_OWN: cbench's own block (base/own.h), never counted. F_SAMPLED: the
 * heap profiler's tag is in front of the header. F_POOL: the block is
 * from heap_pool.c, not glibc's (always own). F_RECORDED: an assertion
 * scope's recorder has it (scoperec.c). */
enum {
    HDR = sizeof(header),
    MAGIC = 0xcb5e,
    F_OWN = 1,
    F_SAMPLED = 2,
    F_POOL = 4,
    F_RECORDED = 8
};

#define TAG(offset, flags) ((uint64_t)MAGIC << 48 | (uint64_t)(flags) << 32 | (uint64_t)(offset))
#define PLAIN_TAG TAG(0, 0)

static inline uint32_t tag_offset(uint64_t tag)
{
    return (uint32_t)tag;
}

static inline unsigned tag_flags(uint64_t tag)
{
    return (unsigned)(tag >> 32) & 0xffff;
}

typedef struct counters {
    /* Live blocks are mallocs - frees, live bytes are bytes - freed: the
     * fast path keeps as few counters as it can. */
    _Atomic uint64_t mallocs, frees, bytes, freed;
    _Atomic int64_t peak; /* highest live bytes since `epoch` */
    _Atomic uint32_t epoch;
} counters;

/* Everything the fast path touches is in the first 64 bytes of this one
 * initial-exec TLS block, aligned to a cache line: one TLS address
 * computation, one line. node.state is zero when an allocation takes the
 * fast path: its life bits say the thread is listed (registered, not
 * folded), and its low bits, where base/own.h mirrors the depth of
 * cbench's own work, that the thread is not inside it. One comparison
 * covers all three. */
typedef struct thread_heap {
    counters c;
    uint64_t sample_at;  /* the next allocation taking c.bytes past this is sampled */
    cb_thread_node node; /* node.state first: the fast path's word */
    uint64_t rng;
    /* While the thread records for assertion scopes, sample_at is 0 (every
     * allocation is sampled) and the profile's threshold waits here. */
    bool recording;
    uint64_t profile_at;
    /* The peak before note_peak last raised it, and what it raised it to:
     * an allocation that glibc then refuses gives its peak back. */
    int64_t peak_before, peak_raised;
} thread_heap;

_Static_assert(offsetof(thread_heap, node.state) + sizeof(uint32_t) <= 64,
               "what the fast path reads is in one cache line");

static __thread thread_heap self IE __attribute__((aligned(64))) = {.node = CB_THREAD_NODE_INIT};

static void fold(cb_thread_node *n);
static void at_exit(cb_thread_node *n);

static struct {
    cb_thread_list list;
    /* Exited threads, and updates made after a thread was folded. */
    _Atomic uint64_t mallocs, frees, bytes, freed;
    _Atomic int64_t peak;   /* a recorded process peak */
    _Atomic uint32_t epoch; /* bumped when the peak is reset */
} g = {.list = CB_THREAD_LIST_INIT(fold, at_exit)};

static void lock(void)
{
    cb_thread_list_lock(&g.list);
}

static void unlock(void)
{
    cb_thread_list_unlock(&g.list);
}

/* Whether this thread's counters are its own to update: listed, neither
 * new nor folded. */
static inline __attribute__((always_inline)) bool listed(void)
{
    return cb_thread_life(&self.node) == 0;
}

/* Owner-only updates: a plain load and store, not a locked instruction. */
static inline __attribute__((always_inline)) void bump(_Atomic uint64_t *x, uint64_t n)
{
    atomic_store_explicit(x, atomic_load_explicit(x, RELAXED) + n, RELAXED);
}

/* The list's exit key (base/thread_list.h) folds the counters of threads
 * that cbench's trampoline did not start. */
static void at_exit(cb_thread_node *n)
{
    (void)n; /* the exiting thread's: self */
    cb_heap_thread_exit();
}

/* First allocation on this thread: join the list, and have the depth of
 * cbench's own work mirrored in the fast path's word. What the calls
 * below allocate is cbench's own. */
static void register_thread(void)
{
    CB_CHECK(cb_thread_life(&self.node) == CB_THREAD_NEW);
    cb_own_begin();
    atomic_store_explicit(&self.c.peak, INT64_MIN, RELAXED); /* to note_peak */
    self.rng = (uint64_t)(uintptr_t)&self * 0x9e3779b97f4a7c15ULL;
    self.sample_at = (uint64_t)cb_heapprof_next_distance(&self.rng);
    cb_thread_list_join(&g.list, &self.node);
    cb_own_mirror_to(&self.node.state);
    cb_own_end();
}

/* A new high of live bytes, or the first allocation since the peak was
 * reset: the epoch moved, and the reset set this thread's peak to
 * INT64_MIN so that the fast path's one comparison brings it here. An
 * assertion scope may have begun recording, and then this thread samples
 * every allocation from now on.
 *
 * The peak this thread stores may land after a reset's INT64_MIN, and
 * hide it; the fences make that impossible unless this thread then sees
 * the reset's epoch, and takes it into account (new_epoch_locked). */
static __attribute__((noinline)) void note_peak(int64_t live)
{
    self.peak_before = atomic_load_explicit(&self.c.peak, RELAXED);
    self.peak_raised = live;
    for (;;) {
        uint32_t epoch = atomic_load_explicit(&g.epoch, RELAXED);
        if (atomic_load_explicit(&self.c.epoch, RELAXED) != epoch) {
            self.peak_before = INT64_MIN;
            atomic_store_explicit(&self.c.epoch, epoch, RELAXED);
            atomic_store_explicit(&self.c.peak, live, RELAXED);
            if (cb_scoperec_heap_wanted() && !self.recording) {
                self.recording = true;
                self.profile_at = self.sample_at;
                self.sample_at = 0;
            }
        } else if (live > atomic_load_explicit(&self.c.peak, RELAXED)) {
            atomic_store_explicit(&self.c.peak, live, RELAXED);
        }
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&g.epoch, RELAXED) == epoch)
            return;
    }
}

/* Counts an allocation on a registered thread; true when it is to be
 * sampled. The countdown to the next sample is the byte counter itself
 * against a threshold, so sampling adds a comparison and no store. */
static inline __attribute__((always_inline)) bool add_alloc(uint64_t n)
{
    uint64_t bytes = atomic_load_explicit(&self.c.bytes, RELAXED) + n;
    atomic_store_explicit(&self.c.bytes, bytes, RELAXED);
    bump(&self.c.mallocs, 1);
    int64_t live = (int64_t)(bytes - atomic_load_explicit(&self.c.freed, RELAXED));
    if (__builtin_expect(live > atomic_load_explicit(&self.c.peak, RELAXED), 0))
        note_peak(live);
    return bytes > self.sample_at;
}

/* The countdown to the next sample starts from the bytes counted so far;
 * while the thread records, it is the profile's threshold, kept aside. */
void cb_heap_reset_sampling(void)
{
    uint64_t at = atomic_load_explicit(&self.c.bytes, RELAXED) +
                  (uint64_t)cb_heapprof_next_distance(&self.rng);
    if (self.recording)
        self.profile_at = at;
    else
        self.sample_at = at;
}

static inline __attribute__((always_inline)) void add_free(uint64_t n)
{
    bump(&self.c.frees, 1);
    bump(&self.c.freed, n);
}

/* Counting for a thread that is new (registers it) or whose counters
 * were folded (late in its exit: the process totals take it). */
static __attribute__((noinline)) bool count_alloc_life(uint64_t n)
{
    if (cb_thread_life(&self.node) == CB_THREAD_NEW) {
        register_thread();
        return add_alloc(n);
    }
    CB_CHECK(cb_thread_life(&self.node) == CB_THREAD_FOLDED);
    atomic_fetch_add(&g.mallocs, 1);
    atomic_fetch_add(&g.bytes, n);
    return false; /* the thread is exiting: no more samples */
}

/* Counts an allocation whatever cbench is doing on this thread (realloc
 * of a counted block stays counted); true when it is to be sampled. */
static inline __attribute__((always_inline)) bool count_alloc(uint64_t n)
{
    if (__builtin_expect(listed(), 1))
        return add_alloc(n);
    return count_alloc_life(n);
}

static __attribute__((noinline)) void count_free_slow(uint64_t n)
{
    if (cb_thread_life(&self.node) == CB_THREAD_NEW) { /* a thread may free before it allocates */
        register_thread();
        add_free(n);
        return;
    }
    CB_CHECK(cb_thread_life(&self.node) == CB_THREAD_FOLDED);
    atomic_fetch_add(&g.frees, 1);
    atomic_fetch_add(&g.freed, n);
}

/* Counts the release of a block that was counted; cbench's own work on
 * this thread does not matter here, the block's flags do. */
static inline __attribute__((always_inline)) void count_free(uint64_t n)
{
    if (__builtin_expect(listed(), 1))
        add_free(n);
    else
        count_free_slow(n);
}

/* ---- the interposed functions ------------------------------------------ */

/* Built with ASan (CB_NO_HEAP_INTERPOSE), the malloc family is ASan's and
 * the counters stay at zero. */
#ifndef CB_NO_HEAP_INTERPOSE

/* Takes back the counting of an allocation glibc then refused, and the
 * peak it raised: a refused malloc((size_t)1 << 62) made the peak 4 EiB
 * for good. The peak goes back to where it was, or to the live bytes
 * when a reset came in between (then INT64_MIN was where it was). */
static __attribute__((noinline)) void uncount_alloc(uint64_t n)
{
    if (listed()) {
        int64_t live = (int64_t)(atomic_load_explicit(&self.c.bytes, RELAXED) -
                                 atomic_load_explicit(&self.c.freed, RELAXED));
        bump(&self.c.bytes, -n);
        bump(&self.c.mallocs, (uint64_t)-1);
        if (self.peak_raised == live && atomic_load_explicit(&self.c.peak, RELAXED) == live) {
            int64_t back = live - (int64_t)n;
            atomic_store_explicit(&self.c.peak,
                                  self.peak_before > back ? self.peak_before : back, RELAXED);
            self.peak_raised = INT64_MIN;
        }
        return;
    }
    atomic_fetch_sub(&g.mallocs, 1);
    atomic_fetch_sub(&g.bytes, n);
}

/* Whether counting n more bytes would sample, without counting them. */
static bool would_sample(uint64_t n)
{
    return atomic_load_explicit(&self.c.bytes, RELAXED) + n > self.sample_at;
}

#define CALLER ((uintptr_t)__builtin_return_address(0))

/* malloc and free start on a cache line: where the linker happened to put
 * them moved a malloc/free pair by 0.3 to 0.4 ns between builds of the
 * same code (measured), so their cost no longer depends on what else
 * the library holds. */
#define HOT __attribute__((aligned(64)))

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* A recording thread's allocation: into the assertion recorder while a
 * scope records, else the thread goes back to the profile's threshold.
 * True when the heap profile samples it, decided as without recording. */
static bool record(header *h, uint64_t n, uintptr_t caller)
{
    if (!cb_scoperec_heap_wanted()) {
        self.recording = false;
        self.sample_at = self.profile_at;
    } else if (cb_scoperec_alloc(h + 1, n, caller)) {
        h->tag |= (uint64_t)F_RECORDED << 32;
    }
    return atomic_load_explicit(&self.c.bytes, RELAXED) > (self.recording ? self.profile_at
                                                                         : self.sample_at);
}

/* A sampled block's tag: the 16 bytes in front of its header. */
static cb_heap_tag *sample_tag(header *h)
{
    CB_CHECK(tag_offset(h->tag) >= HDR);
    return (cb_heap_tag *)h - 1;
}

/* The slow path of a sampled allocation: its stack and its record. */
static __attribute__((noinline)) void sample(header *h, uint64_t n, uintptr_t caller)
{
    cb_own_begin();
    /* A block made before the decision (the recorder began at this very
     * allocation) has no room for the tag: the next allocation, which
     * will have it, is sampled instead. */
    if ((!self.recording || record(h, n, caller)) && tag_offset(h->tag) >= HDR) {
        if (cb_heapprof_record_alloc(n, caller, sample_tag(h)) == 0)
            h->tag |= (uint64_t)F_SAMPLED << 32;
        cb_heap_reset_sampling();
    }
    cb_own_end();
}

/* A sampled or recorded block at p is freed (or moved by realloc). */
static void unsample(void *p, const cb_heap_tag *tag, uint64_t n, unsigned flags)
{
    cb_own_begin();
    if (flags & F_SAMPLED)
        cb_heapprof_record_free(tag, n);
    if (flags & F_RECORDED)
        cb_scoperec_free(p);
    cb_own_end();
}

/* The header of a block, or NULL for a block glibc made by itself. */
static header *our_header(void *p)
{
    header *h = (header *)p - 1;
    if (h->tag >> 48 != MAGIC)
        return NULL;
    CB_CHECK((tag_flags(h->tag) & ~(unsigned)(F_OWN | F_SAMPLED | F_POOL | F_RECORDED)) == 0);
    CB_CHECK(!(tag_flags(h->tag) & F_POOL) ||
             (tag_offset(h->tag) == 0 && (tag_flags(h->tag) & F_OWN)));
    return h;
}

/* cbench's own allocation: from the pool, so that the program's heap is
 * laid out as it would be without cbench. Flagged, not counted. */
static void *alloc_own(size_t n)
{
    if (n > SIZE_MAX - HDR) {
        errno = ENOMEM;
        return NULL;
    }
    header *h = cb_heap_pool_alloc(n + HDR);
    if (!h)
        return NULL;
    h->size = n;
    h->tag = TAG(0, F_OWN | F_POOL);
    return h + 1;
}

enum glibc_fn { G_MALLOC, G_CALLOC, G_MEMALIGN };

static void *glibc_alloc(enum glibc_fn fn, size_t align, size_t total)
{
    switch (fn) {
    case G_CALLOC:
        return __libc_calloc(1, total);
    case G_MEMALIGN:
        return __libc_memalign(align, total);
    default:
        return __libc_malloc(total);
    }
}

/* Any allocation but a malloc on the fast path. It is counted before
 * glibc is asked (and the count taken back if glibc refuses), because a
 * sampled block needs room for its tag: its header is then HDR bytes into
 * glibc's block. An aligned block (align > HDR) has its header align - HDR
 * bytes in, which leaves that room anyway. */
static void *alloc_counted(enum glibc_fn fn, size_t align, size_t n, uintptr_t caller)
{
    size_t room = align > HDR ? align - HDR : HDR;
    if (n > SIZE_MAX - HDR - room) {
        errno = ENOMEM;
        return NULL;
    }
    bool own = cb_own_now();
    bool sampled = !own && count_alloc(n);
    size_t offset = align > HDR ? room : sampled ? HDR : 0;
    char *real = glibc_alloc(fn, align, n + HDR + offset);
    if (!real) {
        if (!own)
            uncount_alloc(n);
        return NULL;
    }
    header *h = (header *)(real + offset);
    h->size = n;
    h->tag = TAG(offset, own ? F_OWN : 0);
    if (sampled)
        sample(h, n, caller);
    return h + 1;
}

static void *alloc_any(size_t n, uintptr_t caller)
{
    return cb_own_now() ? alloc_own(n) : alloc_counted(G_MALLOC, 0, n, caller);
}

/* The entry points are not deferred (base/defer.h): a CPU sample landing
 * inside glibc's allocator, which holds an arena lock there, is unwound on
 * the spot. That is safe because nothing the handler waits for (only
 * libunwind's own mutex) is held by a thread that waits for anything:
 * libunwind's object lookups never take the loader's lock (loader.c), and
 * libunwind allocates nothing. */
static __attribute__((noinline)) void *malloc_slow(size_t n, uintptr_t caller)
{
    return alloc_any(n, caller);
}

/* A malloc already counted, and to be sampled: made with room for the
 * tag. */
static __attribute__((noinline)) void *malloc_sampled(size_t n, uintptr_t caller)
{
    char *real = __libc_malloc(n + 2 * HDR);
    if (!real) {
        uncount_alloc(n);
        return NULL;
    }
    header *h = (header *)(real + HDR);
    h->size = n;
    h->tag = TAG(HDR, 0);
    sample(h, n, caller);
    return h + 1;
}

static __attribute__((noinline)) void *malloc_refused(size_t n)
{
    uncount_alloc(n);
    return NULL;
}

/* The common case spelled out: the program's allocation on a registered
 * thread, counted first, so that glibc's call is the last thing but the
 * header's two stores. Anything else is a tail call. */
API HOT void *malloc(size_t n)
{
    if (__builtin_expect(self.node.state != 0 || n > SIZE_MAX - 2 * HDR, 0))
        return malloc_slow(n, CALLER);
    if (__builtin_expect(add_alloc(n), 0))
        return malloc_sampled(n, CALLER);
    header *h = __libc_malloc(n + HDR);
    if (__builtin_expect(h == NULL, 0))
        return malloc_refused(n);
    h->size = n;
    h->tag = PLAIN_TAG;
    return h + 1;
}

/* Anything but a plain counted block on a registered thread: a sampled,
 * own or aligned block, a block glibc made by itself, or a thread
 * that is new or exiting. */
static __attribute__((noinline)) void release_slow(void *p)
{
    header *h = our_header(p);
    if (!h) {
        __libc_free(p);
        return;
    }
    unsigned flags = tag_flags(h->tag);
    if (flags & F_POOL) {
        cb_heap_pool_free(h, h->size + HDR);
        return;
    }
    if (flags & (F_SAMPLED | F_RECORDED))
        unsample(p, sample_tag(h), h->size, flags);
    if (!(flags & F_OWN))
        count_free(h->size);
    __libc_free((char *)h - tag_offset(h->tag));
}

static ALWAYS_INLINE void release(void *p)
{
    header *h = (header *)p - 1;
    if (__builtin_expect(h->tag == PLAIN_TAG && listed(), 1)) {
        add_free(h->size);
        __libc_free(h);
        return;
    }
    release_slow(p);
}

API HOT void free(void *p)
{
    if (p)
        release(p);
}

API void *calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (!cb_own_now())
        return alloc_counted(G_CALLOC, 0, total, CALLER);
    void *p = alloc_own(total);
    if (p)
        memset(p, 0, total);
    return p;
}

static size_t glibc_usable_size(void *real)
{
    static size_t (*usable)(void *);
    if (!usable)
        usable = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
    return usable ? usable(real) : 0;
}

/* Moves a block that cannot be resized in place (an aligned one, one
 * glibc made without us, one of cbench's own) into a new block, of the
 * pool when it was cbench's own or cbench is allocating. */
static void *move(void *p, size_t old, size_t n, bool own, uintptr_t caller)
{
    void *q = own ? alloc_own(n) : alloc_any(n, caller);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    free(p);
    return q;
}

/* Resizes in place (glibc's realloc) a block whose header is at the
 * start of glibc's block or HDR bytes in; the others (aligned, cbench's
 * own, glibc's) move. A block that will be sampled gets room for its tag
 * first. */
static void *realloc_at(void *p, size_t n, uintptr_t caller)
{
    if (!p)
        return alloc_any(n, caller);
    if (n == 0) {
        free(p);
        return NULL;
    }
    header *h = our_header(p);
    if (!h)
        return move(p, glibc_usable_size(p), n, false, caller);
    uint32_t offset = tag_offset(h->tag);
    unsigned flags = tag_flags(h->tag);
    if ((offset != 0 && offset != HDR) || (flags & F_POOL))
        return move(p, h->size, n, flags & F_POOL, caller);
    if (n > SIZE_MAX - 2 * HDR) {
        errno = ENOMEM;
        return NULL;
    }
    bool counted = !(flags & F_OWN);
    size_t noffset = counted && would_sample(n) ? HDR : offset;
    uint64_t old = h->size;
    cb_heap_tag tag = flags & F_SAMPLED ? *sample_tag(h) : (cb_heap_tag){0};
    char *real = __libc_realloc((char *)h - offset, n + HDR + noffset);
    if (!real)
        return NULL; /* the old block is as it was */
    if (noffset != offset)
        memmove(real + noffset + HDR, real + offset + HDR, old < n ? old : n);
    /* The old block's tag and address, as keys: it is gone. */
    if (flags & (F_SAMPLED | F_RECORDED))
        unsample(p, &tag, old, flags);
    header *nh = (header *)(real + noffset);
    nh->size = n;
    nh->tag = TAG(noffset, flags & F_OWN);
    if (counted) {
        count_free(old);
        if (__builtin_expect(count_alloc(n), 0))
            sample(nh, n, caller);
    }
    return nh + 1;
}

API void *realloc(void *p, size_t n)
{
    return realloc_at(p, n, CALLER);
}

API void *reallocarray(void *p, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc_at(p, total, CALLER);
}

/* align is a power of two. Above 16, glibc's block is aligned and the
 * user's pointer is `align` bytes into it, with the header just before. */
static void *aligned_in(size_t align, size_t n, uintptr_t caller)
{
    if (align <= HDR)
        return alloc_any(n, caller);
    if (align > UINT32_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc_counted(G_MEMALIGN, align, n, caller);
}

static void *aligned(size_t align, size_t n, uintptr_t caller)
{
    return aligned_in(align, n, caller);
}

static bool power_of_two(size_t x)
{
    return x && !(x & (x - 1));
}

API int posix_memalign(void **out, size_t align, size_t n)
{
    if (!power_of_two(align) || align % sizeof(void *))
        return EINVAL;
    int saved = errno;
    void *p = aligned(align, n, CALLER);
    errno = saved;
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

API void *aligned_alloc(size_t align, size_t n)
{
    if (!power_of_two(align)) {
        errno = EINVAL;
        return NULL;
    }
    return aligned(align, n, CALLER);
}

API void *memalign(size_t align, size_t n)
{
    /* As glibc: a non-power-of-two alignment is rounded up to one. */
    size_t a = 1;
    while (a < align && a)
        a <<= 1;
    if (!a) {
        errno = EINVAL;
        return NULL;
    }
    return aligned(a, n, CALLER);
}

API void *valloc(size_t n)
{
    return aligned((size_t)sysconf(_SC_PAGESIZE), n, CALLER);
}

API void *pvalloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t rounded = (n + page - 1) & ~(page - 1);
    if (rounded < n) {
        errno = ENOMEM;
        return NULL;
    }
    return aligned(page, rounded ? rounded : page, CALLER);
}

API size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    header *h = our_header(p);
    if (!h)
        return glibc_usable_size(p);
    if (tag_flags(h->tag) & F_POOL)
        return cb_heap_pool_capacity(h->size + HDR) - HDR;
    uint32_t offset = tag_offset(h->tag);
    return glibc_usable_size((char *)h - offset) - offset - HDR;
}

#endif /* CB_NO_HEAP_INTERPOSE */

/* ---- reading, folding, scopes ------------------------------------------ */

/* A thread that has not allocated since the peak was reset peaks at its
 * live bytes; one caught between storing the new epoch and its peak has
 * INT64_MIN there for a moment. */
static int64_t thread_live(const thread_heap *t)
{
    uint64_t freed = atomic_load_explicit(&t->c.freed, RELAXED);
    return (int64_t)(atomic_load_explicit(&t->c.bytes, RELAXED) - freed);
}

static int64_t thread_peak(const thread_heap *t, uint32_t epoch)
{
    int64_t live = thread_live(t);
    if (atomic_load_explicit(&t->c.epoch, RELAXED) != epoch)
        return live;
    int64_t peak = atomic_load_explicit(&t->c.peak, RELAXED);
    return peak > live ? peak : live;
}

/* Sums everything; the list lock is held. */
static void sum_locked(cbench_memstats *ms)
{
    /* Live blocks are mallocs - frees, live bytes bytes - freed. Each
     * thread's frees are loaded before its mallocs, so that one allocating
     * meanwhile makes the counts high for a moment, never low. */
    uint32_t epoch = atomic_load(&g.epoch);
    uint64_t frees = atomic_load(&g.frees), mallocs = atomic_load(&g.mallocs);
    uint64_t freed = atomic_load(&g.freed), bytes = atomic_load(&g.bytes);
    int64_t live = (int64_t)(bytes - freed), peak = live;
    for (const cb_thread_node *n = g.list.head; n; n = n->next) {
        const thread_heap *t = CB_THREAD_NODE_OWNER(n, thread_heap, node);
        frees += atomic_load_explicit(&t->c.frees, RELAXED);
        mallocs += atomic_load_explicit(&t->c.mallocs, RELAXED);
        int64_t l = thread_live(t);
        bytes += atomic_load_explicit(&t->c.bytes, RELAXED);
        live += l;
        peak += thread_peak(t, epoch);
    }
    int64_t recorded = atomic_load(&g.peak);
    if (peak < recorded)
        peak = recorded;
    if (peak < live)
        peak = live;
    atomic_store(&g.peak, peak);
    ms->mallocs = mallocs;
    ms->frees = frees;
    ms->total_alloc = bytes;
    ms->alloc = live > 0 ? (uint64_t)live : 0;
    ms->heap_objects = mallocs > frees ? mallocs - frees : 0;
    ms->peak_alloc = peak > 0 ? (uint64_t)peak : 0;
}

static void read_system(cbench_memstats *ms)
{
    struct mallinfo2 mi = mallinfo2();
    ms->sys = mi.arena + mi.hblkhd;
    struct rusage ru;
    ms->max_rss = getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss * 1024 : 0;
}

API void cbench_read_memstats(cbench_memstats *ms)
{
    if (!ms)
        return;
    cb_own_begin();
    lock();
    sum_locked(ms);
    unlock();
    read_system(ms);
    cb_own_end();
}

/* Moves the epoch, and sends each thread's next allocation to
 * note_peak; the list lock is held. */
static void new_epoch_locked(void)
{
    atomic_fetch_add(&g.epoch, 1);
    atomic_thread_fence(memory_order_seq_cst);
    for (cb_thread_node *n = g.list.head; n; n = n->next)
        atomic_store_explicit(&CB_THREAD_NODE_OWNER(n, thread_heap, node)->c.peak, INT64_MIN,
                              RELAXED);
}

/* Starts the peak afresh from `live`; the list lock is held. */
static void reset_peak_locked(int64_t live)
{
    new_epoch_locked();
    atomic_store(&g.peak, live);
}

API void cbench_reset_peak_alloc(void)
{
    cbench_memstats ms;
    lock();
    sum_locked(&ms);
    reset_peak_locked((int64_t)ms.alloc);
    unlock();
}

/* A thread's counters go to the totals (the list's fold, lock held). */
static void fold(cb_thread_node *n)
{
    const thread_heap *t = CB_THREAD_NODE_OWNER(n, thread_heap, node);
    atomic_fetch_add(&g.mallocs, atomic_load_explicit(&t->c.mallocs, RELAXED));
    atomic_fetch_add(&g.frees, atomic_load_explicit(&t->c.frees, RELAXED));
    atomic_fetch_add(&g.bytes, atomic_load_explicit(&t->c.bytes, RELAXED));
    atomic_fetch_add(&g.freed, atomic_load_explicit(&t->c.freed, RELAXED));
}

void cb_heap_thread_exit(void)
{
    cb_heapprof_thread_exit();
    if (!listed())
        return;
    cbench_memstats ms;
    lock();
    sum_locked(&ms); /* records the peak this thread took part in */
    cb_thread_list_fold_locked(&g.list, &self.node);
    unlock();
}

void cb_heap_scope_begin(cb_heap_scope *s)
{
    lock();
    sum_locked(&s->start);
    s->outer_peak = s->start.peak_alloc;
    reset_peak_locked((int64_t)s->start.alloc);
    unlock();
}

void cb_heap_scope_end(cb_heap_scope *s, cb_heap_delta *d)
{
    cbench_memstats end;
    lock();
    sum_locked(&end);
    /* The outer scope (or the process) keeps the higher of the two. */
    if (s->outer_peak > end.peak_alloc)
        atomic_store(&g.peak, (int64_t)s->outer_peak);
    new_epoch_locked();
    unlock();
    d->mallocs = end.mallocs - s->start.mallocs;
    d->frees = end.frees - s->start.frees;
    d->bytes = end.total_alloc - s->start.total_alloc;
    d->live_bytes = (int64_t)end.alloc - (int64_t)s->start.alloc;
    d->live_objects = (int64_t)end.heap_objects - (int64_t)s->start.heap_objects;
    d->peak_growth = end.peak_alloc > s->start.alloc ? end.peak_alloc - s->start.alloc : 0;
}

/* After fork only the forking thread exists; the list folds the others'
 * counters so that their TLS, which the child may reuse, is not read. */
__attribute__((constructor)) static void guard_fork(void)
{
    cb_thread_list_guard_fork(&g.list);
}
