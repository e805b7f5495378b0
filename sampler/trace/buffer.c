/*
 * Per-thread trace buffers (model in buffer.h).
 */
#include "trace/buffer.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/own.h"
#include "trace/clock.h"

#define IE __attribute__((tls_model("initial-exec")))
#define RELAXED memory_order_relaxed

int cbench_trace_active_;
_Atomic uint32_t cb_trace_gen;
_Atomic uint32_t cb_trace_armed;
_Atomic int cb_trace_pool_wake;

static struct {
    atomic_flag lock; /* guards the lists and counts below */
    uint8_t *base;    /* the mapping: chunks, then the two index arrays */
    size_t map_bytes;
    uint32_t nchunks;
    uint32_t *free_stack; /* nfree entries */
    uint32_t nfree;
    uint32_t *fifo;       /* full chunks, a ring of nchunks entries from head */
    _Atomic uint32_t head, count;
    bool ring;
    _Atomic int writer_waiting;
    _Atomic uint64_t published; /* chunks published since the process began */
} pool = {.lock = ATOMIC_FLAG_INIT};

static cb_trace_thread *slots; /* CB_TRACE_MAX_THREADS, mapped once */
static _Atomic uint32_t slots_used;
__thread cb_trace_thread *cb_trace_self_ IE;
static pthread_key_t exit_key;
static _Atomic int key_made;

/* ---- the pool ----------------------------------------------------------- */

/* Taken by appenders at chunk boundaries (signal handlers included: an
 * appender never holds it while its own thread's handler appends, since
 * a busy thread's handler only leaves a pending sample), and by the
 * writer. Async-signal-safe. */
static void pool_lock(void)
{
    while (atomic_flag_test_and_set_explicit(&pool.lock, memory_order_acquire))
        sched_yield();
}

static void pool_unlock(void)
{
    atomic_flag_clear_explicit(&pool.lock, memory_order_release);
}

int cb_trace_pool_prepare(size_t bytes, bool ring)
{
    size_t n = bytes / CB_TRACE_CHUNK_BYTES;
    if (n < 4)
        n = 4;
    if (n > UINT32_MAX / 2)
        return errno = EINVAL, -1;
    size_t map = n * CB_TRACE_CHUNK_BYTES + 2 * n * sizeof(uint32_t);
    if (pool.base && pool.map_bytes != map) {
        munmap(pool.base, pool.map_bytes);
        pool.base = NULL;
    }
    if (!pool.base) {
        void *p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return errno = ENOMEM, -1;
        pool.base = p;
        pool.map_bytes = map;
    }
    pool.nchunks = (uint32_t)n;
    pool.free_stack = (uint32_t *)(pool.base + n * CB_TRACE_CHUNK_BYTES);
    pool.fifo = pool.free_stack + n;
    /* Chunks are handed out from the low end first, so a light trace
     * touches (makes resident) only the memory it uses. */
    for (uint32_t i = 0; i < n; i++)
        pool.free_stack[i] = (uint32_t)n - 1 - i;
    pool.nfree = (uint32_t)n;
    atomic_store(&pool.head, 0);
    atomic_store(&pool.count, 0);
    pool.ring = ring;
    return 0;
}

size_t cb_trace_pool_chunks(void)
{
    return pool.nchunks;
}

cb_trace_chunk *cb_trace_pool_chunk(uint32_t index)
{
    return (cb_trace_chunk *)(pool.base + (size_t)index * CB_TRACE_CHUNK_BYTES);
}

uint64_t cb_trace_pool_published(void)
{
    return atomic_load(&pool.published);
}

uint32_t cb_trace_pool_pending(void)
{
    return atomic_load_explicit(&pool.count, RELAXED);
}

static void push_full_locked(uint32_t index)
{
    uint32_t head = atomic_load_explicit(&pool.head, RELAXED);
    uint32_t count = atomic_load_explicit(&pool.count, RELAXED);
    pool.fifo[(head + count) % pool.nchunks] = index;
    atomic_store_explicit(&pool.count, count + 1, memory_order_release);
}

static bool pop_full_locked(uint32_t *index)
{
    uint32_t count = atomic_load_explicit(&pool.count, RELAXED);
    if (!count)
        return false;
    uint32_t head = atomic_load_explicit(&pool.head, RELAXED);
    *index = pool.fifo[head];
    atomic_store_explicit(&pool.head, (head + 1) % pool.nchunks, RELAXED);
    atomic_store_explicit(&pool.count, count - 1, memory_order_release);
    return true;
}

size_t cb_trace_pool_take(uint32_t *out, size_t max)
{
    size_t n = 0;
    pool_lock();
    while (n < max && pop_full_locked(&out[n]))
        n++;
    pool_unlock();
    return n;
}

void cb_trace_pool_release(uint32_t index)
{
    pool_lock();
    pool.free_stack[pool.nfree++] = index;
    pool_unlock();
}

size_t cb_trace_pool_snapshot(uint32_t *out, size_t max)
{
    uint32_t head = atomic_load_explicit(&pool.head, memory_order_acquire);
    uint32_t count = atomic_load_explicit(&pool.count, memory_order_acquire);
    size_t n = 0;
    for (uint32_t i = 0; i < count && n < max && pool.nchunks; i++)
        out[n++] = pool.fifo[(head + i) % pool.nchunks];
    return n;
}

void cb_trace_pool_wait(int seen, long timeout_ns)
{
    struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
    atomic_store(&pool.writer_waiting, 1);
    if (atomic_load(&cb_trace_pool_wake) == seen)
        syscall(SYS_futex, &cb_trace_pool_wake, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
    atomic_store(&pool.writer_waiting, 0);
}

/* Async-signal-safe (a futex call). */
void cb_trace_pool_kick(void)
{
    atomic_fetch_add(&cb_trace_pool_wake, 1);
    if (atomic_load_explicit(&pool.writer_waiting, RELAXED))
        syscall(SYS_futex, &cb_trace_pool_wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* A chunk for t, or NULL: a free one, else (flight recorder) the oldest
 * full one, whose events are the ring's oldest. */
static cb_trace_chunk *get_chunk(cb_trace_thread *t)
{
    uint32_t index;
    bool got;
    pool_lock();
    if ((got = pool.nfree > 0))
        index = pool.free_stack[--pool.nfree];
    else if (pool.ring)
        got = pop_full_locked(&index);
    pool_unlock();
    if (!got)
        return NULL;
    cb_trace_chunk *c = cb_trace_pool_chunk(index);
    c->owner = t->index;
    c->words = 0;
    c->seq = t->chunk_seq++;
    c->gen = atomic_load_explicit(&t->gen, RELAXED);
    return c;
}

void cb_trace_publish_current(cb_trace_thread *t)
{
    cb_trace_chunk *c = t->chunk;
    if (!c)
        return;
    c->words = (uint32_t)(t->pos - c->data);
    t->chunk = NULL;
    t->pos = t->end = NULL;
    uint32_t index = (uint32_t)(((uint8_t *)c - pool.base) / CB_TRACE_CHUNK_BYTES);
    pool_lock();
    push_full_locked(index);
    atomic_fetch_add_explicit(&pool.published, 1, RELAXED);
    uint32_t waiting = atomic_load_explicit(&pool.count, RELAXED);
    pool_unlock();
    if (!pool.ring && waiting >= pool.nchunks / 4)
        cb_trace_pool_kick();
}

/* The number of open spans t recorded the begin of: what the file should
 * show open after a gap. */
uint64_t cb_trace_recorded_open(const cb_trace_thread *t)
{
    uint32_t d = t->depth < CB_TRACE_MAX_DEPTH ? t->depth : CB_TRACE_MAX_DEPTH;
    uint64_t lost = 0;
    for (uint32_t i = 0; i < d; i++)
        lost += (t->lost[i / 64] >> (i % 64)) & 1;
    return d - lost;
}

uint64_t *cb_trace_reserve_slow(cb_trace_thread *t, unsigned words)
{
    (void)words; /* at most CB_REC_WORDS_MAX: a fresh chunk always has room */
    if (t->chunk)
        cb_trace_publish_current(t);
    cb_trace_chunk *c = get_chunk(t);
    if (!c) {
        t->last_drop_ticks = cb_trace_ticks();
        if (!t->dropped_pending)
            t->first_drop_ticks = t->last_drop_ticks;
        t->dropped++;
        t->dropped_pending++;
        return NULL;
    }
    t->chunk = c;
    t->pos = c->data;
    t->end = c->data + CB_TRACE_CHUNK_WORDS;
    if (t->dropped_pending) {
        /* The gap, first in the new chunk (a chunk holds far more than
         * this record and the largest event together), stamped at the
         * last drop: the event being appended took its time before. */
        uint64_t *p = t->pos;
        p[0] = cb_rec_header(CB_REC_DROPPED, 5, 0);
        p[1] = t->last_drop_ticks;
        p[2] = t->dropped_pending;
        p[3] = cb_trace_recorded_open(t);
        p[4] = t->first_drop_ticks;
        cb_trace_commit(t, p + 5);
        t->dropped_pending = 0;
    }
    return t->pos;
}

/* Forces a full memory barrier on every thread of the process, so that
 * their stores before it are seen and their loads after it see ours.
 * Async-signal-safe (system calls only). */
static _Atomic int registered;

/* Registering for expedited barriers takes milliseconds (the kernel waits
 * for a grace period), so start does it, not stop. */
static void barrier_register(void)
{
    if (!atomic_load(&registered)) {
        if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
            atomic_store(&registered, 1);
        else
            atomic_store(&registered, -1);
    }
}

static void barrier_all(void)
{
    barrier_register();
    if (atomic_load(&registered) == 1 &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
        return;
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
        return;
    /* No membarrier: changing a page's protection makes the kernel
     * interrupt every CPU running this process (TLB shootdown), which
     * serializes them; the page is written first so that it is mapped. */
    static uint8_t page[4096] __attribute__((aligned(4096)));
    page[0]++;
    mprotect(page, sizeof page, PROT_READ);
    mprotect(page, sizeof page, PROT_READ | PROT_WRITE);
}

/* ---- slots --------------------------------------------------------------- */

cb_trace_thread *cb_trace_slot(uint32_t index)
{
    return &slots[index];
}

uint32_t cb_trace_slots_used(void)
{
    return atomic_load_explicit(&slots_used, memory_order_acquire);
}

cb_trace_thread *cb_trace_self(void)
{
    return cb_trace_self_;
}

static void thread_gone(void *unused);

/* Maps the slots and makes the exit key; from start, user context. */
int cb_trace_slots_prepare(void)
{
    barrier_register();
    if (!slots) {
        void *p = mmap(NULL, CB_TRACE_MAX_THREADS * sizeof *slots, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return errno = ENOMEM, -1;
        slots = p;
    }
    if (!atomic_load(&key_made)) {
        int err = pthread_key_create(&exit_key, thread_gone);
        if (err)
            return errno = err, -1;
        atomic_store(&key_made, 1);
    }
    return 0;
}

/* Claims a free slot for this thread. Lock-free, async-signal-safe. */
static cb_trace_thread *attach(bool user)
{
    if (!slots)
        return NULL;
    for (uint32_t i = 0; i < CB_TRACE_MAX_THREADS; i++) {
        int expect = CB_SLOT_FREE;
        if (!atomic_compare_exchange_strong(&slots[i].state, &expect, CB_SLOT_LIVE))
            continue;
        cb_trace_thread *t = &slots[i];
        atomic_store_explicit(&t->gen, 0, RELAXED);
        atomic_store_explicit(&t->busy, 0, RELAXED);
        t->index = i;
        t->tid = (pid_t)syscall(SYS_gettid);
        t->key_set = false;
        uint32_t used = atomic_load(&slots_used);
        while (used <= i && !atomic_compare_exchange_weak(&slots_used, &used, i + 1))
            ;
        (void)user; /* the exit key is set by cb_trace_enter, in user context */
        if (cb_trace_self_) {
            /* A signal handler gave this thread a slot while we claimed
             * this one: keep the handler's. */
            atomic_store(&t->state, CB_SLOT_FREE);
            return cb_trace_self_;
        }
        cb_trace_self_ = t;
        return t;
    }
    return NULL;
}

/* Resets t's recording fields for trace `gen` (the owner, busy). */
static void renew(cb_trace_thread *t, uint32_t gen)
{
    t->pos = t->end = NULL;
    t->chunk = NULL;
    t->depth = 0;
    memset(t->lost, 0, sizeof t->lost);
    t->dropped = t->dropped_pending = t->unmatched_ends = t->too_deep = 0;
    t->first_drop_ticks = t->last_drop_ticks = 0;
    t->next_id = 0;
    t->chunk_seq = 0;
    atomic_store_explicit(&t->pending_n, 0, RELAXED);
    t->pending_lost = 0;
    t->ready = 0;
    memset(&t->w, 0, sizeof t->w);
    atomic_store_explicit(&t->gen, gen, memory_order_release);
}

cb_trace_thread *cb_trace_enter_slow(cb_trace_thread *t, bool user)
{
    if (!t) {
        if (!(t = attach(user)))
            return NULL;
        atomic_store_explicit(&t->busy, 1, RELAXED);
        atomic_signal_fence(memory_order_seq_cst);
        if (!atomic_load_explicit(&cb_trace_armed, RELAXED)) {
            atomic_store_explicit(&t->busy, 0, RELAXED);
            return NULL;
        }
    }
    uint32_t gen = atomic_load_explicit(&cb_trace_gen, memory_order_acquire);
    if (atomic_load_explicit(&t->gen, RELAXED) != gen)
        renew(t, gen);
    if (user && !t->key_set) {
        /* The thread-exit destructor; not from a signal handler
         * (pthread_setspecific may allocate). */
        cb_own_begin();
        t->key_set = pthread_setspecific(exit_key, t) == 0;
        cb_own_end();
    }
    if (t->key_set)
        t->ready = gen << 1 | 1;
    return t;
}

/* Appends the sample a signal handler left while the thread was busy. */
void cb_trace_leave_slow(cb_trace_thread *t)
{
    atomic_store_explicit(&t->busy, 1, RELAXED);
    atomic_signal_fence(memory_order_seq_cst);
    int n = atomic_load_explicit(&t->pending_n, RELAXED);
    if (n && __atomic_load_n(&cbench_trace_active_, __ATOMIC_RELAXED)) {
        uint64_t *p = cb_trace_reserve(t, 2 + (unsigned)n);
        if (p) {
            p[0] = cb_rec_header(CB_REC_SAMPLE, 2 + (unsigned)n, (uint64_t)n);
            p[1] = t->pending_ticks;
            memcpy(p + 2, t->pending_pcs, (size_t)n * sizeof *p);
            cb_trace_commit(t, p + 2 + n);
        }
    }
    atomic_store_explicit(&t->pending_n, 0, RELAXED);
    atomic_signal_fence(memory_order_seq_cst);
    atomic_store_explicit(&t->busy, 0, RELAXED);
}

void cb_trace_arm(bool on)
{
    uint32_t gen = atomic_load(&cb_trace_gen);
    atomic_store(&cb_trace_armed, on ? gen << 1 | 1 : 0);
    __atomic_store_n(&cbench_trace_active_, on, __ATOMIC_SEQ_CST);
}

void cb_trace_quiesce(unsigned max_spins)
{
    cb_trace_arm(false);
    barrier_all();
    uint32_t used = cb_trace_slots_used();
    for (uint32_t i = 0; i < used; i++) {
        unsigned spins = 0;
        while (atomic_load_explicit(&slots[i].busy, memory_order_acquire) &&
               (!max_spins || spins++ < max_spins))
            sched_yield();
    }
}

static void thread_gone(void *unused)
{
    (void)unused;
    cb_trace_thread *t = cb_trace_self_;
    if (!t)
        return;
    cb_trace_self_ = NULL;
    cb_trace_thread_gone_hook(t);
}

void cb_trace_thread_detach(cb_trace_thread *t)
{
    bool current = atomic_load(&t->gen) == atomic_load(&cb_trace_gen);
    atomic_store_explicit(&t->state, current ? CB_SLOT_EXITED : CB_SLOT_FREE,
                          memory_order_release);
}

void cb_trace_self_forget(void)
{
    cb_trace_self_ = NULL;
}

void cb_trace_slots_reclaim(void)
{
    uint32_t used = cb_trace_slots_used();
    for (uint32_t i = 0; i < used; i++) {
        int expect = CB_SLOT_EXITED;
        atomic_compare_exchange_strong(&slots[i].state, &expect, CB_SLOT_FREE);
    }
}

void cb_trace_slots_after_fork(void)
{
    uint32_t used = cb_trace_slots_used();
    for (uint32_t i = 0; i < used; i++) {
        if (&slots[i] != cb_trace_self_)
            atomic_store(&slots[i].state, CB_SLOT_FREE);
        atomic_store(&slots[i].busy, 0);
    }
    atomic_flag_clear(&pool.lock);
}
