/*
 * Mutex and block profiles, with Go's semantics and sampling.
 *
 * mutex: lock.c reports, at an unlock, the wait that the critical section
 * it ends caused to the threads waiting for the lock (cb_lockprof_mutex_
 * event), and later, once for each wait that unlock ended, that the wait
 * is over (cb_lockprof_mutex_wait_ended, from the thread that waited).
 * So a record's delay is the waiting its unlocks caused, and its
 * contentions the waits they ended, as Go's `contentions` counts waits:
 * an rwlock unlock that lets three readers in counts three, and an
 * unlock that ended no wait (the waiter was still waiting at the next
 * one) counts none. One unlock event in `fraction` on average is
 * recorded (a per-thread xorshift generator), and recorded events are
 * scaled back at once, as Go's runtime does: the record gains `fraction
 * * delay` nanoseconds, and `fraction` contentions for each wait the
 * sampled unlock ended.
 *
 * block: lock.c reports every blocking wait (contended lock, condition
 * variable, semaphore, join) with its duration. As Go's blockevent: an
 * event at least `rate` ns long is always recorded as it is; a shorter one
 * with probability delay/rate, and then counts rate/delay events and rate
 * ns, so that the expected totals are the true ones.
 *
 * Stacks come from the user-context walker (stack/stackwalk.h), which
 * memoizes each thread's recent stacks: a memoized stack keeps its
 * record's index in the memo's word, so an unlock or a wait that comes
 * back to the same call site finds its record without walking or
 * hashing. With libunwind's walk, the mutex profile at fraction 1 made a
 * contended two-thread loop 2.7 times slower (docs/PERFORMANCE.md).
 *
 * A window (cb_lockprof_window_begin) is the span of one test: each
 * record also counts what was recorded since the window began, and
 * cb_lockprof_write_window writes those counts only, so a test's profile
 * holds its own waits. An event belongs to the window open when it is
 * recorded (a thread a previous test left running is charged to the
 * current one).
 *
 * lock.c tells this file of these events through its events
 * (interpose/lock_events.h). Each profile's events are aggregated into
 * records by stack (records.h; the stack from the public pthread function
 * on, as Go shows sync.(*Mutex).Unlock as the leaf), whose deferring lock
 * also guards the profile's window flag: lock.c may call in here from a
 * thread the dynamic loader's lock holder waits for. The caller runs this
 * as cbench's own work, so locks taken below are not profiled, and
 * allocations are cbench's.
 */
#include "lockprof.h"
#include "interpose/lock_events.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/own.h"
#include "cbench/profile.h"
#include "profile/profile.h"
#include "profiles.h"
#include "records.h"
#include "stack/stackwalk.h"

#define RELAXED memory_order_relaxed

static _Atomic int fraction;
static _Atomic long rate;

typedef struct counts {
    double count; /* fractional: block events are unbiased one by one */
    int64_t delay;
} counts;

typedef struct record {
    cb_stack_record stack;
    counts all;
    counts window; /* since the current window began */
} record;

/* One profile's records; their lock also guards window_open. */
typedef struct table {
    cb_records records;
    bool window_open; /* events count for the window too */
} table;

static struct {
    table mutex, block;
} s = {
    .mutex = {.records = CB_RECORDS_INIT(record)},
    .block = {.records = CB_RECORDS_INIT(record)},
};

static __thread uint64_t rng __attribute__((tls_model("initial-exec")));

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

/* The record of the stack from `marker` on, -1 when memory runs out.
 * The memo's word (stackwalk.h) keeps its index + 1: the marker, a
 * return address into one public pthread function, belongs to one table. */
static long stack_record(table *t, uintptr_t marker)
{
    uint64_t pcs[CB_MAX_STACK], *word;
    int depth = cb_stackwalk_from(marker, pcs, CB_MAX_STACK, &word);
    if (word && *word)
        return (long)*word - 1;
    if (depth <= 0) {
        pcs[0] = marker; /* the walk missed it: keep the function at least */
        depth = 1;
    }
    cb_records_lock(&t->records);
    long i = cb_records_find_locked(&t->records, pcs, depth);
    cb_records_unlock(&t->records);
    if (word && i >= 0)
        *word = (uint64_t)i + 1;
    return i;
}

static void add_to(table *t, long i, double count, int64_t delay)
{
    cb_records_lock(&t->records);
    record *r = cb_records_at(&t->records, (size_t)i);
    r->all.count += count, r->all.delay += delay;
    if (t->window_open)
        r->window.count += count, r->window.delay += delay;
    cb_records_unlock(&t->records);
}

static void add(table *t, uintptr_t marker, double count, int64_t delay)
{
    long i = stack_record(t, marker);
    if (i >= 0)
        add_to(t, i, count, delay);
}

/* A sampled unlock's handle: its record's index + 1, and the fraction
 * it was sampled at (what the waits it ended count). */
enum { HANDLE_SHIFT = 32 };

uint64_t cb_lockprof_mutex_unlock(uintptr_t marker)
{
    int f = cb_lockprof_mutex_fraction();
    if (f <= 0 || (f > 1 && next_random() % (uint64_t)f != 0))
        return 0;
    long i = stack_record(&s.mutex, marker);
    if (i < 0 || i >= UINT32_MAX)
        return 0;
    return (uint64_t)(i + 1) | (uint64_t)f << HANDLE_SHIFT;
}

void cb_lockprof_mutex_event(uint64_t handle, int64_t delay)
{
    uint32_t id = (uint32_t)handle;
    double f = (double)(handle >> HANDLE_SHIFT);
    if (id)
        add_to(&s.mutex, (long)id - 1, f, (int64_t)f * delay);
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

/* Opens (empty, counting) or closes each profile's window. */
static void set_window(bool open)
{
    table *tables[] = {&s.mutex, &s.block};
    for (int k = 0; k < 2; k++) {
        cb_records *recs = &tables[k]->records;
        cb_records_lock(recs);
        for (size_t i = 0; open && i < cb_records_count(recs); i++)
            ((record *)cb_records_at(recs, i))->window = (counts){0};
        tables[k]->window_open = open;
        cb_records_unlock(recs);
    }
}

void cb_lockprof_window_begin(void)
{
    set_window(true);
}

void cb_lockprof_window_end(void)
{
    set_window(false);
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
    cb_records *recs = mutex ? &s.mutex.records : &s.block.records;
    int rc = 0;
    cb_records_lock(recs);
    for (size_t i = 0; i < cb_records_count(recs) && rc == 0; i++) {
        const record *r = cb_records_at(recs, i);
        const counts *c = window ? &r->window : &r->all;
        if (window && c->count == 0 && c->delay == 0)
            continue; /* nothing from this stack in the window */
        int64_t v[2] = {(int64_t)llround(c->count), c->delay};
        rc = cb_profile_add(p, r->stack.pcs, r->stack.depth, v, NULL, 0);
    }
    cb_records_unlock(recs);
    if (rc != 0) {
        cb_profile_free(p);
        return NULL;
    }
    return p;
}

/* Profile 0 is "mutex", 1 "block". */
static cb_profile *build_named(int which, bool window, int debug)
{
    (void)debug;
    return build(which == 0, window);
}

static const cb_profile_pair pair = {{"mutex", "block"}, build_named, NULL};

int cb_lockprof_write(const char *name, FILE *out, int debug)
{
    return cb_profiles_write_pair(&pair, name, false, out, debug);
}

int cb_lockprof_write_window(const char *name, FILE *out, int debug)
{
    return cb_profiles_write_pair(&pair, name, true, out, debug);
}

__attribute__((constructor)) static void guard_fork(void)
{
    cb_records_guard_fork(&s.mutex.records, NULL, NULL);
    cb_records_guard_fork(&s.block.records, NULL, NULL);
}
