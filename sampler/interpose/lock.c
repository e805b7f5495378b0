/*
 * Interposed pthread locks, condition variables, semaphores and joins.
 *
 * libcbench defines pthread_mutex_lock, pthread_mutex_timedlock,
 * pthread_mutex_unlock, the pthread_rwlock rd/wr/timed lock and unlock
 * functions, pthread_cond_wait and timedwait, sem_wait and timedwait and
 * pthread_join; being found first, they receive the program's calls. The
 * real functions are glibc's: the mutex and rwlock ones through glibc's
 * exported __pthread_* aliases (bound by symbol version, so no dlsym and
 * no set-up: a lock taken before any constructor works), the others,
 * which have no such alias, through dlsym(RTLD_NEXT) in a constructor
 * (or at first use, if called earlier). Trylock functions never wait and
 * are not interposed.
 *
 * The uncontended path: a lock function first tries the lock; when that
 * succeeds (or fails for any reason but "busy"), it returns at once, so
 * the cost over glibc is one call. Only a busy lock takes the slow path:
 * the time, the real blocking call, the time again. Recursive mutexes the
 * thread owns succeed in trylock; an error-checking mutex the thread owns
 * fails the real lock with EDEADLK, which is not counted as a wait. A
 * semaphore is tried with sem_trywait, a join with pthread_tryjoin_np.
 * Condition waits always block: they are always timed.
 *
 * The mutex profile charges a wait to the unlock that ended it, the end
 * of the critical section that caused it (Go's semantics). While the
 * profile is on or a trace records, a waiter on a mutex or rwlock
 * registers in a side table keyed by the lock's address: the number of
 * waiters and the sum of their start times. An unlock first checks one
 * global count of registered waiters (with profiling off it is always 0:
 * one load and a predictable branch), and only when it is non-zero looks
 * its lock up: when the lock has waiters, the unlock leaves a note in the
 * entry (numbered; the entry keeps the last two), with the mutex
 * profile's record of its stack and the trace's flow id. Any of these
 * unlocks may be the one that lets a waiter in, and only the waiter will
 * know: when it has acquired, it takes the latest note made since it
 * registered, and charges that unlock with the waiting of every waiter
 * registered, n*now - sum, as Go 1.22 charges the unlock that wakes a
 * goroutine with all the waiting behind it; their effective starts then
 * move to now, so the next acquisition charges only what follows. One
 * contention per wait: an rwlock unlock
 * that lets three readers in counts three, an unlock that let no one in
 * counts nothing. A waiter that leaves without the lock (a timeout)
 * removes its effective start (its own, or the last reset if later) and
 * charges no one, nor does one that no noted unlock let in (the mutex
 * released inside pthread_cond_wait, by glibc).
 *
 * So an unlock reads no clock: its work while waiters wait is the stack
 * walk (memoized, stack/stackwalk.h) and the note, under the stripe's
 * lock; with libunwind's walk and a clock read in each such unlock the
 * contended two-thread benchmark ran 2.7 times slower with the mutex
 * profile on (docs/PERFORMANCE.md, "Locks"). The note is made before the
 * real unlock, so before any waiter it lets in can look. Readers let in
 * together may see a note of one of them that unlocked already, and
 * charge it instead: the counts stay right, the stack may not.
 *
 * A trace draws an arrow from the unlock to the waiter it let in: the
 * unlock records a wake mark with a flow id that its note carries. A
 * thread that unlocks again and again while the same waiters wait (a
 * holder that takes the lock back before the woken waiter runs) records
 * one mark, at its first unlock since the last acquisition: the arrow
 * comes from the thread that let the waiter in, at the start of its run
 * of unlocks, and a barging loop does not flood the trace.
 *
 * The table is striped (a deferring spinlock per stripe,
 * base/spinlock.h) with a few entries per stripe; a wait that finds no
 * room is counted in `unregistered` and not charged.
 *
 * The exact counters are per thread, touched only on contended paths,
 * with plain loads and stores: a shared counter would bounce between the
 * cores of the contending threads on every contention. They are a list
 * of per-thread counters (base/thread_list.h): a thread joins at its
 * first count, its counts go to the totals when it exits, reading sums
 * the list and the totals.
 *
 * The profiles, the assertion recorder and the tracer hear of
 * contentions, waits and charged unlocks through the events of
 * lock_events.h, on the contended paths only: with no profile on and no
 * trace recording, the uncontended paths are what they were without
 * them (an unlock reads `waiting`, which stays 0).
 *
 * Recursion: the slow paths run as cbench's own work (base/own.h);
 * profiling code that takes pthread locks (libunwind does) then goes
 * straight to glibc, and what it allocates is cbench's.
 */
#include "interpose/lock.h"
#include "interpose/lock_events.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <time.h>

#include "base/check.h"
#include "base/own.h"
#include "base/spinlock.h"
#include "base/thread_list.h"

#define API __attribute__((visibility("default")))
/* What only the interposers use (see CB_NO_LOCK_INTERPOSE below). */
#ifdef CB_NO_LOCK_INTERPOSE
#define INTERPOSER_ONLY __attribute__((unused))
#else
#define INTERPOSER_ONLY
#endif
#define IE __attribute__((tls_model("initial-exec")))
#define RELAXED memory_order_relaxed
#define NOINLINE __attribute__((noinline))
#define MARKER ((uintptr_t)__builtin_return_address(0))
/* Keeps the call before it from becoming a tail call, so that the slow
 * path's return address lies in the public function. */
#define NO_TAIL_CALL() __asm__ volatile("" ::: "memory")
/* The uncontended paths start on a cache line: where the linker happened
 * to put pthread_mutex_lock and unlock moved an uncontended pair by 1.8 ns
 * between two builds of the same code (measured), as heap.c found for
 * malloc and free. */
#define HOT __attribute__((aligned(64)))
/* The entry points whose first step is one of glibc's try functions:
 * their own section, so that a CPU sample taken inside that step can be
 * told (cb_lock_fold_try). */
#define TRY_FIRST __attribute__((section("cb_lock_try_first")))

/* glibc's own entry points, by their exported (compatibility) aliases,
 * called through their GOT entries rather than PLT stubs (as heap.c calls
 * the allocator): an indirect call instead of a call and a jump. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NOPLT __attribute__((noplt))
#else
#define NOPLT
#endif
#define REAL(name, ret, ...)                                                                       \
    extern ret real_##name(__VA_ARGS__) NOPLT;                                                     \
    __asm__(".symver real_" #name ", __" #name "@GLIBC_2.2.5")
REAL(pthread_mutex_lock, int, pthread_mutex_t *);
REAL(pthread_mutex_trylock, int, pthread_mutex_t *);
REAL(pthread_mutex_unlock, int, pthread_mutex_t *);
REAL(pthread_rwlock_rdlock, int, pthread_rwlock_t *);
REAL(pthread_rwlock_tryrdlock, int, pthread_rwlock_t *);
REAL(pthread_rwlock_wrlock, int, pthread_rwlock_t *);
REAL(pthread_rwlock_trywrlock, int, pthread_rwlock_t *);
REAL(pthread_rwlock_unlock, int, pthread_rwlock_t *);

/* The rest, without an alias: found by dlsym. */
static struct {
    _Atomic(int (*)(pthread_mutex_t *, const struct timespec *)) mutex_timedlock;
    _Atomic(int (*)(pthread_rwlock_t *, const struct timespec *)) rwlock_timedrdlock;
    _Atomic(int (*)(pthread_rwlock_t *, const struct timespec *)) rwlock_timedwrlock;
    _Atomic(int (*)(pthread_cond_t *, pthread_mutex_t *)) cond_wait;
    _Atomic(int (*)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *)) cond_timedwait;
    _Atomic(int (*)(sem_t *)) sem_wait;
    _Atomic(int (*)(sem_t *, const struct timespec *)) sem_timedwait;
    _Atomic(int (*)(pthread_t, void **)) join;
} real INTERPOSER_ONLY;

/* ---- exact counters, per thread ---------------------------------------- */

enum { C_CONTENTIONS, C_DELAY, C_BLOCKS, C_BLOCK_NS, C_CHARGED, C_CHARGED_NS, C_UNREGISTERED, NC };

/* Only the owner stores (a load and a store, no locked instruction). */
typedef struct thread_counts {
    _Atomic uint64_t v[NC];
    cb_thread_node node;
} thread_counts;

static __thread thread_counts mine IE = {.node = CB_THREAD_NODE_INIT};

static void fold(cb_thread_node *n);

static struct {
    cb_thread_list list;
    _Atomic uint64_t v[NC]; /* threads that exited, and counts after that */
} totals = {.list = CB_THREAD_LIST_INIT(fold, NULL)};

/* A thread's counts go to the totals (the list's fold, lock held): at its
 * exit, and in a fork's child for every other thread. */
static void fold(cb_thread_node *n)
{
    const thread_counts *t = CB_THREAD_NODE_OWNER(n, thread_counts, node);
    for (int i = 0; i < NC; i++)
        atomic_fetch_add_explicit(&totals.v[i], atomic_load_explicit(&t->v[i], RELAXED), RELAXED);
}

__attribute__((constructor)) static void guard_totals_fork(void)
{
    cb_thread_list_guard_fork(&totals.list);
}

INTERPOSER_ONLY static void count(int i, uint64_t n)
{
    if (__builtin_expect(cb_thread_life(&mine.node) != 0, 0)) {
        if (cb_thread_life(&mine.node) == CB_THREAD_FOLDED) {
            atomic_fetch_add_explicit(&totals.v[i], n, RELAXED);
            return;
        }
        cb_thread_list_join(&totals.list, &mine.node);
    }
    atomic_store_explicit(&mine.v[i], atomic_load_explicit(&mine.v[i], RELAXED) + n, RELAXED);
}

/* Waiters registered in the table. Every unlock reads it: on a line of its
 * own, away from the counters that contended paths write. */
static _Atomic long waiting __attribute__((aligned(64))) INTERPOSER_ONLY;

/* Built with ASan (CB_NO_LOCK_INTERPOSE), the pthread functions are
 * ASan's: it intercepts them itself, and its interceptors of glibc's
 * __pthread_* aliases find no real function behind them on glibc 2.34+.
 * The lock profiles are then empty and the counters stay at zero. */
#ifndef CB_NO_LOCK_INTERPOSE

/* ---- the waiter table --------------------------------------------------- */

enum { STRIPES = 256, WAYS = 4 };

/* An unlock while the lock had waiters: what a waiter it let in needs. */
typedef struct note {
    uint64_t seq;    /* its number in the entry, from 1; 0: none */
    uint64_t handle; /* the mutex profile's record of its stack (0: none) */
    uint64_t flow;   /* the trace's wake the arrow starts from (0: none) */
    bool profiled;   /* made while the mutex profile was on */
} note;

typedef struct entry {
    uintptr_t lock;  /* 0: free */
    int64_t n;       /* registered waiters */
    int64_t sum;     /* of their effective start times */
    int64_t reset;   /* when an acquisition last charged the waiting */
    uint64_t seq;    /* notes made */
    note notes[2];   /* the last two, at [seq % 2] */
    const void *waker; /* the thread of the last wake mark since the last acquisition */
    uint64_t flow;   /* that mark's flow id */
} entry;

static struct stripe {
    cb_spinlock busy;
    entry e[WAYS];
} table[STRIPES];

static int64_t now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct stripe *stripe_lock(uintptr_t lock)
{
    struct stripe *s = &table[(lock * 0x9e3779b97f4a7c15ULL) >> 56];
    cb_spin_lock_deferring(&s->busy);
    return s;
}

static void stripe_unlock(struct stripe *s, uintptr_t caller)
{
    cb_spin_unlock_deferring(&s->busy, caller);
}

static entry *find(struct stripe *s, uintptr_t lock, bool create)
{
    entry *free_slot = NULL;
    for (int i = 0; i < WAYS; i++) {
        if (s->e[i].lock == lock)
            return &s->e[i];
        if (!s->e[i].lock && !free_slot)
            free_slot = &s->e[i];
    }
    if (!create || !free_slot)
        return NULL;
    *free_slot = (entry){.lock = lock};
    return free_slot;
}

/* One wait in progress. */
typedef struct wait {
    uintptr_t lock; /* non-zero while registered */
    int64_t start;
    uint64_t seq;   /* the entry's notes when it registered */
    uint64_t token; /* the trace's span (0: none) */
    cb_trace_wait_reason reason;
    const void *object;
} wait;

/* A wait on `object` begins. Mutexes and rwlocks (`mutex_like`) register
 * in the table while the mutex profile is on or a trace records. */
static void wait_begin(wait *w, const void *object, cb_trace_wait_reason reason, bool mutex_like,
                       uintptr_t caller)
{
    w->lock = 0;
    w->reason = reason;
    w->object = object;
    if (!mutex_like || (cb_lockprof_mutex_fraction() == 0 && !cb_trace_recording())) {
        w->start = now();
    } else {
        struct stripe *s = stripe_lock((uintptr_t)object);
        w->start = now(); /* under the stripe lock: ordered with the resets */
        entry *e = find(s, (uintptr_t)object, true);
        if (e) {
            e->n++;
            e->sum += w->start;
            w->seq = e->seq;
            w->lock = (uintptr_t)object;
            atomic_fetch_add_explicit(&waiting, 1, RELAXED);
        }
        stripe_unlock(s, caller);
        if (!e)
            count(C_UNREGISTERED, 1);
    }
    w->token = cb_trace_wait_begin(reason, object);
}

/* What the unlock that let a waiter in is charged with. */
typedef struct ending {
    note by;       /* its note; by.seq 0: none */
    int64_t delay; /* the waiting of every waiter since the last reset */
} ending;

/* Leaves the table, and returns when (under the stripe's lock, so that
 * every waiter's end and every reset are in one order: no waiter is
 * charged past its own end). A waiter that `acquired` charges the latest
 * note made since it registered (in *ch) with the waiting of all the
 * lock's waiters, and resets their starts. */
static int64_t deregister(const wait *w, bool acquired, ending *ch, uintptr_t caller)
{
    struct stripe *s = stripe_lock(w->lock);
    int64_t t = now();
    entry *e = find(s, w->lock, false);
    *ch = (ending){{0}, 0};
    if (e) {
        const note *by = NULL;
        for (int i = 0; acquired && i < 2; i++)
            if (e->notes[i].seq > w->seq && (!by || e->notes[i].seq > by->seq))
                by = &e->notes[i];
        if (by) {
            ch->by = *by;
            ch->delay = e->n * t - e->sum;
            e->sum = e->n * t;
            e->reset = t;
            e->waker = NULL; /* the next unlock makes a new wake mark */
        }
        e->sum -= w->start > e->reset ? w->start : e->reset;
        CB_CHECK(e->n > 0);
        if (--e->n == 0)
            e->lock = 0;
    }
    stripe_unlock(s, caller);
    long before = atomic_fetch_sub_explicit(&waiting, 1, RELAXED);
    CB_CHECK(before > 0);
    (void)before;
    return t;
}

/*
 * fork(): a stripe another thread holds at that moment would stay held in
 * the child forever, so all of them are guarded (stripes are never held
 * two at a time, nor while taking another lock, so taking them all cannot
 * deadlock). The child's other threads are gone, and with them every
 * registered waiter: its table starts empty. Runs with the stripes held.
 */
static void stripes_in_child(void *unused)
{
    (void)unused;
    for (int i = 0; i < STRIPES; i++)
        memset(table[i].e, 0, sizeof table[i].e);
    atomic_store_explicit(&waiting, 0, RELAXED);
}

__attribute__((constructor)) static void guard_stripes_fork(void)
{
    cb_spin_guard_fork(&table[0].busy, STRIPES, sizeof table[0], stripes_in_child, NULL);
}

/* The wait is over. `acquired`: a lock was taken (a contention); `waited`:
 * the thread did block (false for errors such as EDEADLK or EINVAL). */
static void wait_end(const wait *w, bool acquired, bool waited, uintptr_t marker)
{
    ending ch = {{0}, 0};
    int64_t delay = (w->lock ? deregister(w, acquired && waited, &ch, marker) : now()) - w->start;
    cb_trace_wait_end(w->token, w->reason, w->object, ch.by.flow);
    if (!waited)
        return;
    if (acquired) {
        count(C_CONTENTIONS, 1);
        count(C_DELAY, (uint64_t)delay);
        if (ch.by.profiled) {
            count(C_CHARGED, 1);
            count(C_CHARGED_NS, (uint64_t)ch.delay);
        }
        if (ch.by.handle)
            cb_lockprof_mutex_event(ch.by.handle, ch.delay);
        if (cb_scoperec_lock_wanted())
            cb_scoperec_wait(delay, marker);
    }
    count(C_BLOCKS, 1);
    count(C_BLOCK_NS, (uint64_t)delay);
    if (cb_lockprof_block_rate() > 0)
        cb_lockprof_block_event(delay, marker);
}

/* Trace flows: ids unique in the process (so in any trace), drawn only
 * for wake marks, a few per contended wait at most. */
static _Atomic uint64_t flows;

/* This thread, as a wake mark's maker. */
static __thread char me IE;

/* An unlock while some waiter is registered somewhere: if this lock has
 * waiters, leaves the note a waiter this unlock lets in charges (see the
 * top of the file), and the trace's wake mark. */
static NOINLINE void charge(const void *lock, cb_trace_wait_reason reason)
{
    uintptr_t marker = MARKER;
    if (cb_own_now())
        return;
    cb_own_begin();
    /* Before the stripe's lock: the walk may take locks of its own. */
    bool profiled = cb_lockprof_mutex_fraction() != 0;
    uint64_t handle = profiled ? cb_lockprof_mutex_unlock(marker) : 0;
    bool traced = cb_trace_recording();
    uint64_t flow = 0;
    struct stripe *s = stripe_lock((uintptr_t)lock);
    entry *e = find(s, (uintptr_t)lock, false);
    if (e && e->n > 0) {
        if (traced && e->waker != &me) {
            e->waker = &me;
            e->flow = flow = atomic_fetch_add_explicit(&flows, 1, RELAXED) + 1;
        }
        uint64_t seq = ++e->seq;
        e->notes[seq % 2] =
            (note){seq, .handle = handle, .flow = traced ? e->flow : 0, .profiled = profiled};
    }
    stripe_unlock(s, marker);
    if (flow)
        cb_trace_wake(reason, lock, flow);
    cb_own_end();
}

/* A macro, not an inline function: the call's return address must
 * symbolize to the public unlock function alone, the leaf of the stack. */
#define MAYBE_CHARGE(lock, reason)                                                                 \
    do {                                                                                           \
        if (__builtin_expect(atomic_load_explicit(&waiting, RELAXED) != 0, 0))                     \
            charge(lock, reason);                                                                  \
    } while (0)

/* Brackets the accounting of a slow path. */
static void enter(void)
{
    cb_own_begin();
}

static void leave(void)
{
    cb_own_end();
}

/* ---- finding the functions without an alias ----------------------------- */

static void *lookup(const char *name)
{
    cb_own_begin();
    void *f = dlsym(RTLD_NEXT, name);
    cb_own_end();
    return f;
}

#define RESOLVE(field, name)                                                                       \
    ({                                                                                             \
        __typeof(atomic_load(&real.field)) f_ = atomic_load_explicit(&real.field, RELAXED);        \
        if (!f_) {                                                                                 \
            f_ = (__typeof(f_))lookup(name);                                                       \
            atomic_store_explicit(&real.field, f_, RELAXED);                                       \
        }                                                                                          \
        f_;                                                                                        \
    })

__attribute__((constructor)) static void resolve_all(void)
{
    (void)RESOLVE(mutex_timedlock, "pthread_mutex_timedlock");
    (void)RESOLVE(rwlock_timedrdlock, "pthread_rwlock_timedrdlock");
    (void)RESOLVE(rwlock_timedwrlock, "pthread_rwlock_timedwrlock");
    (void)RESOLVE(cond_wait, "pthread_cond_wait");
    (void)RESOLVE(cond_timedwait, "pthread_cond_timedwait");
    (void)RESOLVE(sem_wait, "sem_wait");
    (void)RESOLVE(sem_timedwait, "sem_timedwait");
    (void)RESOLVE(join, "pthread_join");
}

/* ---- mutexes ------------------------------------------------------------ */

static NOINLINE int mutex_wait(pthread_mutex_t *m, const struct timespec *abstime)
{
    uintptr_t marker = MARKER;
    int (*timed)(pthread_mutex_t *, const struct timespec *) = NULL;
    if (abstime && !(timed = RESOLVE(mutex_timedlock, "pthread_mutex_timedlock")))
        return ENOSYS;
    if (cb_own_now())
        return abstime ? timed(m, abstime) : real_pthread_mutex_lock(m);
    enter();
    wait w;
    wait_begin(&w, m, CB_TRACE_WAIT_MUTEX, true, marker);
    int rc = abstime ? timed(m, abstime) : real_pthread_mutex_lock(m);
    wait_end(&w, rc == 0, rc == 0 || rc == ETIMEDOUT, marker);
    leave();
    return rc;
}

/* In a process with one thread, a mutex private to it cannot make anyone
 * wait: glibc's lock is then the cheapest way to take it, as it skips its
 * atomic instruction (a try-lock never does: ~4 ns a pair, measured).
 * A process-shared mutex may be held by another process. */
static inline bool cannot_wait(const pthread_mutex_t *m)
{
    return __libc_single_threaded && !(m->__data.__kind & 128 /* PTHREAD_MUTEX_PSHARED_BIT */);
}

API TRY_FIRST HOT int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (cannot_wait(m))
        return real_pthread_mutex_lock(m);
    int rc = real_pthread_mutex_trylock(m);
    if (__builtin_expect(rc != EBUSY, 1))
        return rc;
    rc = mutex_wait(m, NULL);
    NO_TAIL_CALL();
    return rc;
}

API TRY_FIRST int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    int rc = real_pthread_mutex_trylock(m);
    if (rc != EBUSY)
        return rc;
    rc = mutex_wait(m, abstime);
    NO_TAIL_CALL();
    return rc;
}

API HOT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    MAYBE_CHARGE(m, CB_TRACE_WAIT_MUTEX);
    return real_pthread_mutex_unlock(m);
}

/* ---- rwlocks ------------------------------------------------------------ */

enum { READ, WRITE };

static NOINLINE int rwlock_wait(pthread_rwlock_t *l, int mode, const struct timespec *abstime)
{
    uintptr_t marker = MARKER;
    int (*timed)(pthread_rwlock_t *, const struct timespec *) = NULL;
    if (abstime) {
        timed = mode == READ ? RESOLVE(rwlock_timedrdlock, "pthread_rwlock_timedrdlock")
                             : RESOLVE(rwlock_timedwrlock, "pthread_rwlock_timedwrlock");
        if (!timed)
            return ENOSYS;
    }
    int (*untimed)(pthread_rwlock_t *) =
        mode == READ ? real_pthread_rwlock_rdlock : real_pthread_rwlock_wrlock;
    if (cb_own_now())
        return abstime ? timed(l, abstime) : untimed(l);
    enter();
    wait w;
    wait_begin(&w, l, mode == READ ? CB_TRACE_WAIT_RWLOCK_READ : CB_TRACE_WAIT_RWLOCK_WRITE, true,
               marker);
    int rc = abstime ? timed(l, abstime) : untimed(l);
    wait_end(&w, rc == 0, rc == 0 || rc == ETIMEDOUT, marker);
    leave();
    return rc;
}

API TRY_FIRST HOT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    int rc = real_pthread_rwlock_tryrdlock(l);
    if (__builtin_expect(rc != EBUSY, 1))
        return rc;
    rc = rwlock_wait(l, READ, NULL);
    NO_TAIL_CALL();
    return rc;
}

API TRY_FIRST HOT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    int rc = real_pthread_rwlock_trywrlock(l);
    if (__builtin_expect(rc != EBUSY, 1))
        return rc;
    rc = rwlock_wait(l, WRITE, NULL);
    NO_TAIL_CALL();
    return rc;
}

API TRY_FIRST int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
    int rc = real_pthread_rwlock_tryrdlock(l);
    if (rc != EBUSY)
        return rc;
    rc = rwlock_wait(l, READ, abstime);
    NO_TAIL_CALL();
    return rc;
}

API TRY_FIRST int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
    int rc = real_pthread_rwlock_trywrlock(l);
    if (rc != EBUSY)
        return rc;
    rc = rwlock_wait(l, WRITE, abstime);
    NO_TAIL_CALL();
    return rc;
}

API HOT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    MAYBE_CHARGE(l, CB_TRACE_WAIT_RWLOCK);
    return real_pthread_rwlock_unlock(l);
}

/* ---- condition variables ------------------------------------------------ */

/* The time blocked counts from the call to the return, the mutex's
 * re-acquisition inside glibc included; the mutex is released inside
 * glibc too, not through pthread_mutex_unlock, so it charges no one. */
static NOINLINE int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
    uintptr_t marker = MARKER;
    int (*untimed)(pthread_cond_t *, pthread_mutex_t *) = NULL;
    int (*timed)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *) = NULL;
    if (abstime ? !(timed = RESOLVE(cond_timedwait, "pthread_cond_timedwait"))
                : !(untimed = RESOLVE(cond_wait, "pthread_cond_wait")))
        return ENOSYS;
    if (cb_own_now())
        return abstime ? timed(c, m, abstime) : untimed(c, m);
    wait w;
    enter();
    wait_begin(&w, c, CB_TRACE_WAIT_COND, false, marker);
    leave();
    int rc = abstime ? timed(c, m, abstime) : untimed(c, m);
    enter();
    wait_end(&w, false, rc == 0 || rc == ETIMEDOUT, marker);
    leave();
    return rc;
}

API int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    int rc = cond_wait(c, m, NULL);
    NO_TAIL_CALL();
    return rc;
}

API int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                               const struct timespec *abstime)
{
    int rc = cond_wait(c, m, abstime);
    NO_TAIL_CALL();
    return rc;
}

/* ---- semaphores --------------------------------------------------------- */

static NOINLINE int sem_block(sem_t *sem, const struct timespec *abstime)
{
    uintptr_t marker = MARKER;
    int (*untimed)(sem_t *) = NULL;
    int (*timed)(sem_t *, const struct timespec *) = NULL;
    if (abstime ? !(timed = RESOLVE(sem_timedwait, "sem_timedwait"))
                : !(untimed = RESOLVE(sem_wait, "sem_wait"))) {
        errno = ENOSYS;
        return -1;
    }
    if (cb_own_now())
        return abstime ? timed(sem, abstime) : untimed(sem);
    wait w;
    enter();
    wait_begin(&w, sem, CB_TRACE_WAIT_SEM, false, marker);
    leave();
    int rc = abstime ? timed(sem, abstime) : untimed(sem);
    int err = errno;
    enter();
    wait_end(&w, false, rc == 0 || err == ETIMEDOUT, marker);
    leave();
    errno = err;
    return rc;
}

API TRY_FIRST int sem_wait(sem_t *sem)
{
    if (sem_trywait(sem) == 0)
        return 0;
    if (errno != EAGAIN)
        return -1;
    int rc = sem_block(sem, NULL);
    NO_TAIL_CALL();
    return rc;
}

API TRY_FIRST int sem_timedwait(sem_t *sem, const struct timespec *abstime)
{
    if (sem_trywait(sem) == 0)
        return 0;
    if (errno != EAGAIN)
        return -1;
    int rc = sem_block(sem, abstime);
    NO_TAIL_CALL();
    return rc;
}

/* ---- joins -------------------------------------------------------------- */

static NOINLINE int join_wait(pthread_t t, void **ret)
{
    uintptr_t marker = MARKER;
    int (*join)(pthread_t, void **) = RESOLVE(join, "pthread_join");
    if (!join)
        return ENOSYS;
    if (cb_own_now())
        return join(t, ret);
    wait w;
    enter();
    wait_begin(&w, (const void *)t, CB_TRACE_WAIT_JOIN, false, marker);
    leave();
    int rc = join(t, ret);
    enter();
    wait_end(&w, false, rc == 0, marker);
    leave();
    return rc;
}

API TRY_FIRST int pthread_join(pthread_t t, void **ret)
{
    int rc = pthread_tryjoin_np(t, ret);
    if (rc != EBUSY)
        return rc;
    rc = join_wait(t, ret);
    NO_TAIL_CALL();
    return rc;
}

/* ---- CPU samples of the try-first step ---------------------------------- */

/* glibc's try functions, [lo, hi), found in user context before a CPU
 * profile starts, read by the signal handler. */
typedef struct range {
    uintptr_t lo, hi;
} range;

enum { TRY_FUNCTIONS = 5 };
static range tries[TRY_FUNCTIONS];
static _Atomic int ntries;

extern const char __start_cb_lock_try_first[] __attribute__((weak, visibility("hidden")));
extern const char __stop_cb_lock_try_first[] __attribute__((weak, visibility("hidden")));

void cb_lock_prepare_fold(void)
{
    if (atomic_load(&ntries))
        return;
    void *const fns[TRY_FUNCTIONS] = {
        (void *)real_pthread_mutex_trylock, (void *)real_pthread_rwlock_tryrdlock,
        (void *)real_pthread_rwlock_trywrlock, (void *)sem_trywait, (void *)pthread_tryjoin_np,
    };
    int n = 0;
    cb_own_begin();
    for (int i = 0; i < TRY_FUNCTIONS; i++) {
        Dl_info info;
        const ElfW(Sym) *sym = NULL;
        if (dladdr1(fns[i], &info, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_size)
            tries[n++] = (range){(uintptr_t)fns[i], (uintptr_t)fns[i] + sym->st_size};
    }
    cb_own_end();
    atomic_store(&ntries, n);
}

/* Async-signal-safe: plain loads of what cb_lock_prepare_fold wrote. */
int cb_lock_fold_try(uint64_t *pcs, int n)
{
    if (n < 2 || pcs[1] <= (uintptr_t)__start_cb_lock_try_first ||
        pcs[1] > (uintptr_t)__stop_cb_lock_try_first)
        return n;
    int k = atomic_load_explicit(&ntries, memory_order_acquire);
    for (int i = 0; i < k; i++) {
        if (pcs[0] >= tries[i].lo && pcs[0] < tries[i].hi) {
            memmove(pcs, pcs + 1, (size_t)(n - 1) * sizeof *pcs);
            return n - 1;
        }
    }
    return n;
}

#else /* CB_NO_LOCK_INTERPOSE */

void cb_lock_prepare_fold(void)
{
}

int cb_lock_fold_try(uint64_t *pcs, int n)
{
    (void)pcs;
    return n;
}

#endif /* CB_NO_LOCK_INTERPOSE */

/* ---- counters ----------------------------------------------------------- */

void cb_lock_read(cb_lock_counts *c)
{
    uint64_t v[NC];
    cb_thread_list_lock(&totals.list);
    for (int i = 0; i < NC; i++)
        v[i] = atomic_load_explicit(&totals.v[i], RELAXED);
    for (const cb_thread_node *n = totals.list.head; n; n = n->next)
        for (int i = 0; i < NC; i++)
            v[i] +=
                atomic_load_explicit(&CB_THREAD_NODE_OWNER(n, thread_counts, node)->v[i], RELAXED);
    cb_thread_list_unlock(&totals.list);
    *c = (cb_lock_counts){
        .contentions = v[C_CONTENTIONS],
        .delay_ns = v[C_DELAY],
        .blocks = v[C_BLOCKS],
        .block_ns = v[C_BLOCK_NS],
        .charged = v[C_CHARGED],
        .charged_ns = v[C_CHARGED_NS],
        .unregistered = v[C_UNREGISTERED],
    };
}

void cb_lock_scope_begin(cb_lock_scope *s)
{
    cb_lock_read(&s->start);
}

void cb_lock_scope_end(const cb_lock_scope *s, cb_lock_counts *d)
{
    cb_lock_counts now_;
    cb_lock_read(&now_);
    d->contentions = now_.contentions - s->start.contentions;
    d->delay_ns = now_.delay_ns - s->start.delay_ns;
    d->blocks = now_.blocks - s->start.blocks;
    d->block_ns = now_.block_ns - s->start.block_ns;
    d->charged = now_.charged - s->start.charged;
    d->charged_ns = now_.charged_ns - s->start.charged_ns;
    d->unregistered = now_.unregistered - s->start.unregistered;
}
