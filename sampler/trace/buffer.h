/*
 * Per-thread trace buffers: the chunk pool and the thread slots.
 *
 * Memory. A trace's buffers are one private anonymous mapping cut into
 * CB_TRACE_CHUNK_BYTES chunks (64 KiB): the bound is that mapping's size
 * (default 32 MiB streaming, 4 MiB for the flight recorder; see
 * trace_internal.h), never the program's heap, so the malloc interposer
 * never sees it. A thread appends to its current chunk; when the chunk
 * is full it is published to a FIFO of full chunks and the thread takes
 * a free one. The writer empties the FIFO and gives chunks back. When no
 * chunk is free, a streaming trace drops the event and counts it (the
 * next record the thread manages to write says how many it lost); a
 * flight recording instead takes back the oldest full chunk, so it keeps
 * the most recent events (a ring). The free list and the FIFO share one
 * spinlock, taken once per chunk (every few thousand events).
 *
 * Slots. Each thread that records gets a slot (one of
 * CB_TRACE_MAX_THREADS, in a mapping that lives for the process), found
 * through an initial-exec TLS pointer and kept for the thread's life.
 * A slot is claimed lock-free (so a first event may come from a signal
 * handler); it outlives its thread until the trace that saw the thread
 * has written its events, then is free again. A slot belongs to a trace
 * by its generation: the thread resets its own slot at its first event
 * of a new trace, so no one else ever writes a slot's recording fields.
 *
 * Appending without a lock. A thread marks its slot busy, then checks
 * that a trace records; stop clears the flag, forces a memory barrier on
 * every thread (membarrier), and waits for each busy mark to drop: after
 * that no append is under way and none can start. A record is written
 * first and its end position stored after it, so a reader that sees the
 * position sees the record. A signal handler that finds its thread busy
 * (it interrupted an append) leaves its sample in the slot, and the
 * interrupted code appends it when it leaves: so appends never nest and
 * the sample path stays async-signal-safe.
 */
#ifndef CB_TRACE_BUFFER_H
#define CB_TRACE_BUFFER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cbench/trace.h"
#include "trace/record.h"

enum {
    CB_TRACE_CHUNK_BYTES = 64 * 1024,
    CB_TRACE_CHUNK_HEADER = 64,
    CB_TRACE_CHUNK_WORDS = (CB_TRACE_CHUNK_BYTES - CB_TRACE_CHUNK_HEADER) / 8,
    CB_TRACE_MAX_THREADS = 4096, /* threads recording (alive, or exited) in one trace */
    CB_TRACE_MAX_DEPTH = 256,    /* nesting recorded per thread; deeper spans are dropped */
};

typedef struct cb_trace_chunk {
    uint32_t owner;  /* slot index */
    uint32_t words;  /* words of records, set when published */
    uint64_t seq;    /* the owner's chunk number in this trace, from 0 */
    uint32_t gen;    /* the trace it belongs to */
    uint8_t pad_[CB_TRACE_CHUNK_HEADER - 20];
    uint64_t data[CB_TRACE_CHUNK_WORDS];
} cb_trace_chunk;

enum { CB_SLOT_FREE, CB_SLOT_LIVE, CB_SLOT_EXITED };

/* What the writer (or a dump) keeps about a thread while converting its
 * records; only it touches these. */
typedef struct cb_trace_wstate {
    uint32_t depth;                     /* spans open in the file */
    uint16_t open[CB_TRACE_MAX_DEPTH];  /* their names */
    uint8_t wait[CB_TRACE_MAX_DEPTH];   /* 1 + wait reason, or 0 for a region */
    uint64_t last_ns;                   /* latest timestamp written */
    uint64_t next_seq;                  /* the chunk expected next */
    char named[16];                     /* the name written, "" none */
    bool named_by_cbench;               /* named through cbench: /proc no longer asked */
    bool seen;
    bool profile_started;               /* its CPU-sample session (writer.c) */
    uint64_t sample_us;                 /* the last sample's time, whole µs */
    void *samples;                      /* the writer's sample tree */
} cb_trace_wstate;

typedef struct cb_trace_thread {
    /* Written by the owning thread only. */
    uint64_t *pos, *end; /* room in the current chunk */
    cb_trace_chunk *chunk;
    _Atomic int busy;
    _Atomic uint32_t gen;
    _Atomic int state;
    pid_t tid;
    uint32_t index;
    uint32_t depth;                               /* spans the program has open */
    uint64_t lost[CB_TRACE_MAX_DEPTH / 64];       /* open spans whose begin was dropped */
    uint64_t dropped, dropped_pending, unmatched_ends, too_deep;
    uint64_t first_drop_ticks, last_drop_ticks;   /* of the pending drops */
    uint64_t next_id;                             /* tasks and flows */
    uint64_t chunk_seq;
    bool key_set;
    uint32_t ready; /* cb_trace_armed's value once renewed with key_set, else 0 */
    char name[16];
    /* A sample whose signal interrupted an append, appended on leaving. */
    _Atomic int pending_n;
    uint64_t pending_ticks;
    uint64_t pending_pcs[CB_TRACE_STACK_MAX];
    uint64_t pending_lost; /* samples lost because one was already pending */
    cb_trace_wstate w;
} cb_trace_thread;

/* cbench_trace_active_ (cbench/trace.h) is non-zero while a trace or a
 * flight recording records. */
/* The current trace's generation (slots of other generations are stale). */
extern _Atomic uint32_t cb_trace_gen;

/* While a trace records, its generation << 1 | 1, else 0: one word that
 * an append compares with its slot's `ready` (below) for the three
 * questions it asks (does a trace record; is the slot this trace's; is
 * the thread's exit destructor set). Set with cbench_trace_active_ by
 * cb_trace_arm. */
extern _Atomic uint32_t cb_trace_armed;

/* Lets appends begin (after the generation was moved on) or stops them
 * (then cb_trace_quiesce waits for those under way). */
void cb_trace_arm(bool on);

/* ---- the pool ---------------------------------------------------------- */

/* Maps (or reuses) `bytes` of chunks and makes them all free. ring: the
 * flight recorder's recycling. 0, or -1 with errno (ENOMEM). User context. */
int cb_trace_pool_prepare(size_t bytes, bool ring);
size_t cb_trace_pool_chunks(void);
cb_trace_chunk *cb_trace_pool_chunk(uint32_t index);

/* Up to max full chunks, oldest first (the writer). */
size_t cb_trace_pool_take(uint32_t *out, size_t max);
void cb_trace_pool_release(uint32_t index);
/* Full chunks waiting, and the count at which a publisher wakes the writer. */
uint32_t cb_trace_pool_pending(void);
/* Chunks ever published (the writer's progress is measured against it). */
uint64_t cb_trace_pool_published(void);

/* The FIFO as it stands, without the lock: for a dump from a fatal
 * signal (another thread may hold the lock). Async-signal-safe. */
size_t cb_trace_pool_snapshot(uint32_t *out, size_t max);

/* The writer's wake-up: a publisher bumps the word and wakes the writer
 * (futex) once the FIFO holds a quarter of the pool. */
extern _Atomic int cb_trace_pool_wake;
void cb_trace_pool_wait(int seen, long timeout_ns);
void cb_trace_pool_kick(void);

/* ---- slots -------------------------------------------------------------- */

cb_trace_thread *cb_trace_slot(uint32_t index);
/* One past the highest slot ever claimed. */
uint32_t cb_trace_slots_used(void);

/* This thread's slot, NULL before its first event (initial-exec TLS:
 * one instruction, and safe in a signal handler). */
extern __thread cb_trace_thread *cb_trace_self_ __attribute__((tls_model("initial-exec")));

/* The slot's first use, or its first in a new trace: claims, renews. */
cb_trace_thread *cb_trace_enter_slow(cb_trace_thread *t, bool user);

/* Marks this thread's slot busy and returns it, when a trace records;
 * NULL otherwise. `user`: not in a signal handler (the slot may then
 * register its thread-exit destructor). Must be paired with
 * cb_trace_leave. Async-signal-safe. */
static inline __attribute__((always_inline)) cb_trace_thread *cb_trace_enter(bool user)
{
    cb_trace_thread *t = cb_trace_self_;
    if (__builtin_expect(!t, 0))
        return cb_trace_enter_slow(NULL, user);
    atomic_store_explicit(&t->busy, 1, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    uint32_t armed = atomic_load_explicit(&cb_trace_armed, memory_order_relaxed);
    if (__builtin_expect(user && t->ready == armed, 1) && armed)
        return t;
    if (__builtin_expect(!armed, 0)) {
        atomic_store_explicit(&t->busy, 0, memory_order_relaxed);
        return NULL;
    }
    if (__builtin_expect(atomic_load_explicit(&t->gen, memory_order_relaxed) !=
                             atomic_load_explicit(&cb_trace_gen, memory_order_relaxed) ||
                             (user && !t->key_set),
                         0))
        return cb_trace_enter_slow(t, user);
    return t;
}
void cb_trace_leave_slow(cb_trace_thread *t);

static inline __attribute__((always_inline)) void cb_trace_leave(cb_trace_thread *t)
{
    atomic_signal_fence(memory_order_seq_cst);
    atomic_store_explicit(&t->busy, 0, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    if (__builtin_expect(atomic_load_explicit(&t->pending_n, memory_order_relaxed) != 0, 0))
        cb_trace_leave_slow(t);
}

/* Room for `words` words in t's chunk: a pointer to write them to, then
 * cb_trace_commit. NULL when the event is dropped (counted). */
uint64_t *cb_trace_reserve_slow(cb_trace_thread *t, unsigned words);

static inline uint64_t *cb_trace_reserve(cb_trace_thread *t, unsigned words)
{
    uint64_t *p = t->pos;
    if (__builtin_expect(p && p + words <= t->end, 1))
        return p;
    return cb_trace_reserve_slow(t, words);
}

static inline void cb_trace_commit(cb_trace_thread *t, uint64_t *after)
{
    atomic_signal_fence(memory_order_release);
    t->pos = after;
}

/* The spans open on t whose begin was recorded: what the file should
 * still show open after a gap. */
uint64_t cb_trace_recorded_open(const cb_trace_thread *t);

/* Publishes t's current chunk, if it holds anything (thread exit, stop). */
void cb_trace_publish_current(cb_trace_thread *t);

/* This thread's slot (NULL if it never recorded). */
cb_trace_thread *cb_trace_self(void);

/* Stops every append: clears the flag, fences every thread, and waits
 * until no slot is busy (at most `max_spins` yields each when non-zero,
 * for a fatal-signal dump). Async-signal-safe. */
void cb_trace_quiesce(unsigned max_spins);

/* Maps the slots and makes the thread-exit key. 0, or -1 with errno.
 * User context. */
int cb_trace_slots_prepare(void);

/* Frees the slots of threads that exited (their events written). After
 * stop or before start, user context. */
void cb_trace_slots_reclaim(void);

/* Thread exit: the destructor calls cb_trace_thread_gone_hook (events.c),
 * which records the exit and then gives the slot up with
 * cb_trace_thread_detach. cb_trace_self_forget drops this thread's
 * pointer to its slot first. */
void cb_trace_thread_gone_hook(cb_trace_thread *t);
void cb_trace_thread_detach(cb_trace_thread *t);
void cb_trace_self_forget(void);

/* The child of a fork: only this thread's slot stays. */
void cb_trace_slots_after_fork(void);

/* Whether slot t takes part in the current trace. */
static inline bool cb_trace_slot_current(cb_trace_thread *t)
{
    return atomic_load_explicit(&t->state, memory_order_acquire) != CB_SLOT_FREE &&
           atomic_load_explicit(&t->gen, memory_order_acquire) ==
               atomic_load_explicit(&cb_trace_gen, memory_order_relaxed);
}

#endif
