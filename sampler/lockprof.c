/*
 * Mutex and block profiles, with Go's semantics and sampling.
 *
 * mutex: lock.c reports, at an unlock, the wait that the critical section
 * it ends caused to the threads waiting for the lock. One such event in
 * `fraction` on average is recorded (a per-thread xorshift generator),
 * and recorded events are scaled back at once, as Go's runtime does: the
 * record gains `fraction` contentions and `fraction * delay` nanoseconds.
 *
 * block: lock.c reports every blocking wait (contended lock, condition
 * variable, semaphore, join) with its duration. As Go's blockevent: an
 * event at least `rate` ns long is always recorded as it is; a shorter one
 * with probability delay/rate, and then counts rate/delay events and rate
 * ns, so that the expected totals are the true ones.
 *
 * A window (cb_lockprof_window_begin) is the span of one test: each
 * record also counts what was recorded since the window began, and
 * cb_lockprof_write_window writes those counts only, so a test's profile
 * holds its own waits. An event belongs to the window open when it is
 * recorded (a thread a previous test left running is charged to the
 * current one).
 *
 * Records are aggregated by stack (from the public pthread function on,
 * as Go shows sync.(*Mutex).Unlock as the leaf) behind one spinlock, taken
 * deferred (unwind.h) because lock.c may call in here from a thread the
 * dynamic loader's lock holder waits for. The caller has marked the
 * thread as inside cbench, so locks taken below (libunwind's) are not
 * profiled, and its allocations as cbench's own.
 */
#include "lockprof.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cbench/profile.h"
#include "error.h"
#include "interpose/heap.h"
#include "profile/hmap.h"
#include "profile/profile.h"
#include "stack/unwind.h"

#define RELAXED memory_order_relaxed

static _Atomic int fraction;
static _Atomic long rate;

typedef struct counts {
    double count; /* fractional: block events are unbiased one by one */
    int64_t delay;
} counts;

typedef struct record {
    counts all;
    counts window; /* since the current window began */
    int depth;
    uint64_t pcs[CB_MAX_STACK];
} record;

typedef struct table {
    cb_hmap by_stack; /* stack bytes -> 1 + record index */
    record **records;
    size_t n, cap;
} table;

static struct {
    atomic_flag lock;
    table mutex, block;
    bool window_open; /* events count for the window too */
} s = {.lock = ATOMIC_FLAG_INIT};

static __thread uint64_t rng __attribute__((tls_model("initial-exec")));

static void lock(void)
{
    cb_defer_lock(&s.lock);
}

static void unlock(void)
{
    cb_defer_unlock(&s.lock, (uintptr_t)__builtin_return_address(0));
}

int cbench_set_mutex_profile_fraction(int n)
{
    if (n < 0)
        return atomic_load(&fraction);
    return atomic_exchange(&fraction, n);
}

void cbench_set_block_profile_rate(long ns)
{
    atomic_store(&rate, ns < 0 ? 0 : ns);
}

int cb_lockprof_mutex_fraction(void)
{
    return atomic_load_explicit(&fraction, RELAXED);
}

long cb_lockprof_block_rate(void)
{
    return atomic_load_explicit(&rate, RELAXED);
}

static uint64_t next_random(void)
{
    uint64_t x = rng ? rng : ((uint64_t)(uintptr_t)&rng * 0x9e3779b97f4a7c15ULL) | 1;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    rng = x;
    return x;
}

static long find_record(table *t, const uint64_t *pcs, int depth)
{
    bool inserted;
    uint64_t *slot = cb_hmap_put(&t->by_stack, pcs, (size_t)depth * sizeof *pcs, &inserted, NULL);
    if (!slot)
        return -1;
    if (!inserted)
        return (long)*slot - 1;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        record **r = realloc(t->records, cap * sizeof *r);
        if (!r)
            return -1;
        t->records = r;
        t->cap = cap;
    }
    record *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->depth = depth;
    memcpy(r->pcs, pcs, (size_t)depth * sizeof *pcs);
    t->records[t->n] = r;
    *slot = ++t->n;
    return (long)t->n - 1;
}

static void add(table *t, uintptr_t marker, double count, int64_t delay)
{
    uint64_t pcs[CB_MAX_STACK];
    int depth = cb_unwind_from(marker, pcs, CB_MAX_STACK);
    if (depth <= 0) {
        pcs[0] = marker; /* the trace missed it: keep the function at least */
        depth = 1;
    }
    lock();
    long i = find_record(t, pcs, depth);
    if (i >= 0) {
        record *r = t->records[i];
        r->all.count += count, r->all.delay += delay;
        if (s.window_open)
            r->window.count += count, r->window.delay += delay;
    }
    unlock();
}

void cb_lockprof_mutex_event(int64_t delay, uintptr_t marker)
{
    int f = cb_lockprof_mutex_fraction();
    if (f <= 0 || (f > 1 && next_random() % (uint64_t)f != 0))
        return;
    add(&s.mutex, marker, f, delay * f);
}

void cb_lockprof_block_event(int64_t delay, uintptr_t marker)
{
    long r = cb_lockprof_block_rate();
    if (delay <= 0)
        delay = 1;
    if (r <= 0 || (r > delay && next_random() % (uint64_t)r > (uint64_t)delay))
        return;
    if (delay < r)
        add(&s.block, marker, (double)r / (double)delay, r);
    else
        add(&s.block, marker, 1, delay);
}

void cb_lockprof_window_begin(void)
{
    lock();
    table *tables[] = {&s.mutex, &s.block};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < tables[k]->n; i++)
            tables[k]->records[i]->window = (counts){0};
    s.window_open = true;
    unlock();
}

void cb_lockprof_window_end(void)
{
    lock();
    s.window_open = false;
    unlock();
}

/* ---- writing ------------------------------------------------------------ */

static cb_profile *build(bool mutex, bool window)
{
    cb_profile_spec spec = {
        .name = mutex ? "mutex" : "block",
        .ntypes = 2,
        .types = {{"contentions", "count"}, {"delay", "nanoseconds"}},
        .period_type = {"contentions", "count"},
        .period = mutex ? cb_lockprof_mutex_fraction() : cb_lockprof_block_rate(),
        .default_type = -1,
        .leaf_is_pc = false,
        .text = mutex ? CB_TEXT_MUTEX : CB_TEXT_CONTENTION,
    };
    cb_profile *p = cb_profile_new(&spec);
    if (!p)
        return NULL;
    table *t = mutex ? &s.mutex : &s.block;
    int rc = 0;
    lock();
    for (size_t i = 0; i < t->n && rc == 0; i++) {
        const record *r = t->records[i];
        const counts *c = window ? &r->window : &r->all;
        if (window && c->count == 0 && c->delay == 0)
            continue; /* nothing from this stack in the window */
        int64_t v[2] = {(int64_t)llround(c->count), c->delay};
        rc = cb_profile_add(p, r->pcs, r->depth, v, NULL, 0);
    }
    unlock();
    if (rc != 0) {
        cb_profile_free(p);
        return NULL;
    }
    return p;
}

static int write_profile(bool mutex, bool window, FILE *out, int debug)
{
    if (debug < 0 || debug > 1)
        return cb_error(EINVAL, "debug level %d is not supported for %s profiles", debug,
                        mutex ? "mutex" : "block");
    cb_profile *p = build(mutex, window);
    if (!p)
        return cb_error(ENOMEM, "out of memory building the %s profile", mutex ? "mutex" : "block");
    int rc = cb_profile_write(p, out, debug);
    cb_profile_free(p);
    return rc;
}

static int write_named(const char *name, bool window, FILE *out, int debug)
{
    cb_heap_internal_begin();
    int rc = write_profile(strcmp(name, "mutex") == 0, window, out, debug);
    int err = errno;
    cb_heap_internal_end();
    errno = err;
    return rc;
}

int cb_lockprof_write(const char *name, FILE *out, int debug)
{
    return write_named(name, false, out, debug);
}

int cb_lockprof_write_window(const char *name, FILE *out, int debug)
{
    if (!name || !out || (strcmp(name, "mutex") != 0 && strcmp(name, "block") != 0))
        return cb_error(EINVAL, "cb_lockprof_write_window: bad arguments");
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
