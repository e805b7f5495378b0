/*
 * A program for the lock profile tests: waits of known length, each one
 * certain, in functions named for what they do, then the mutex and block
 * profiles (fraction 1, rate 1).
 *
 *   holds_lock / waits_for_lock   the holder keeps a mutex ROUND_MS after
 *                                 the waiter is seen blocked on it (glibc
 *                                 marks a mutex with waiters: __lock == 2)
 *   writes_under_rwlock / reads_after_writer    the same with an rwlock
 *                                 (a reader seen waiting by glibc's count)
 *   waits_on_cond                 signalled ROUND_MS after it is in the wait
 *   waits_on_sem                  posted ROUND_MS after it is seen waiting
 *                                 (glibc's waiter count in the semaphore)
 *   joins_sleeper                 joins a thread that exits ROUND_MS after
 *                                 the join starts
 *
 * Waiting loops yield, so that on a busy machine the thread waited for
 * gets the CPU it needs to reach its blocking call.
 *
 * usage: lock_prog OUTDIR  (writes mutex.pb.gz block.pb.gz mutex.txt
 * block.txt and truth.txt: "kind held waited" lines, nanoseconds: the sum
 * of the rounds as the releasing thread measured them, from the moment the
 * waiter is known to wait to the release (a lower bound of the wait), and
 * the sum of the blocking calls' durations as the waiter measured them)
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cbench/profile.h"

enum { ROUNDS = 5, ROUND_MS = 40 };

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static sem_t sem;
static atomic_int go, in_join;
static int cond_ready;

/* The known waits, as the threads that make them measure them. */
enum { MUTEX, RWLOCK, COND, SEM, JOIN, KINDS };
static const char *const kind_names[KINDS] = {"mutex", "rwlock", "cond", "sem", "join"};
static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static _Atomic int64_t known[KINDS];  /* by the releasing thread: a lower bound */
static _Atomic int64_t waited[KINDS]; /* by the waiter, around its blocking call */

/* The waiter times its own blocking call: the truth for the block profile,
 * and an upper bound for what the unlocker can be charged with. */
#define TIMED(kind, call)                                                                          \
    do {                                                                                           \
        int64_t t0_ = now_ns();                                                                    \
        call;                                                                                      \
        atomic_fetch_add(&waited[kind], now_ns() - t0_);                                           \
    } while (0)

/* Sleeps a round, which starts when the other thread is known to wait,
 * and adds how long it really lasted (a loaded machine oversleeps). */
static void sleep_round(int kind, int64_t since)
{
    struct timespec ts = {0, ROUND_MS * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    atomic_fetch_add(&known[kind], now_ns() - since);
}

static pthread_t start(void *(*fn)(void *))
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, NULL) != 0)
        exit(2);
    return t;
}

/* ---- mutex -------------------------------------------------------------- */

static __attribute__((noinline)) void *waits_for_lock(void *unused)
{
    (void)unused;
    for (int i = 0; i < ROUNDS; i++) {
        while (atomic_load(&go) != 2 * i + 1)
            sched_yield();
        TIMED(MUTEX, pthread_mutex_lock(&mutex));
        pthread_mutex_unlock(&mutex);
        atomic_store(&go, 2 * i + 2);
    }
    return NULL;
}

static __attribute__((noinline)) void holds_lock(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&mutex);
        atomic_store(&go, 2 * i + 1);
        while (atomic_load((atomic_int *)&mutex.__data.__lock) != 2)
            sched_yield(); /* the waiter is in the kernel's queue, or about to be */
        sleep_round(MUTEX, now_ns());
        pthread_mutex_unlock(&mutex);
        while (atomic_load(&go) != 2 * i + 2)
            sched_yield();
    }
}

/* ---- rwlock ------------------------------------------------------------- */

static __attribute__((noinline)) void *reads_after_writer(void *unused)
{
    (void)unused;
    for (int i = 0; i < ROUNDS; i++) {
        while (atomic_load(&go) != 2 * i + 1)
            sched_yield();
        TIMED(RWLOCK, pthread_rwlock_rdlock(&rwlock));
        pthread_rwlock_unlock(&rwlock);
        atomic_store(&go, 2 * i + 2);
    }
    return NULL;
}

static __attribute__((noinline)) void writes_under_rwlock(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        pthread_rwlock_wrlock(&rwlock);
        atomic_store(&go, 2 * i + 1);
        /* glibc's __readers counts a reader that found the writer (above
         * the state bits): it is about to block. */
        while ((atomic_load((atomic_uint *)&rwlock.__data.__readers) >> 3) == 0)
            sched_yield();
        sleep_round(RWLOCK, now_ns());
        pthread_rwlock_unlock(&rwlock);
        while (atomic_load(&go) != 2 * i + 2)
            sched_yield();
    }
}

/* ---- condition variable, semaphore, join -------------------------------- */

static __attribute__((noinline)) void *waits_on_cond(void *unused)
{
    (void)unused;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&cond_mutex);
        atomic_store(&go, 2 * i + 1);
        while (cond_ready == i)
            TIMED(COND, pthread_cond_wait(&cond, &cond_mutex));
        pthread_mutex_unlock(&cond_mutex);
    }
    return NULL;
}

static void signals_cond(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        while (atomic_load(&go) != 2 * i + 1)
            sched_yield();
        pthread_mutex_lock(&cond_mutex); /* the waiter has released it: it waits */
        int64_t since = now_ns();
        pthread_mutex_unlock(&cond_mutex);
        sleep_round(COND, since);
        pthread_mutex_lock(&cond_mutex);
        cond_ready = i + 1;
        pthread_cond_signal(&cond);
        pthread_mutex_unlock(&cond_mutex);
    }
}

static __attribute__((noinline)) void *waits_on_sem(void *unused)
{
    (void)unused;
    for (int i = 0; i < ROUNDS; i++) {
        TIMED(SEM, sem_wait(&sem));
        atomic_store(&go, i + 1);
    }
    return NULL;
}

static void posts_sem(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        /* glibc keeps the number of waiters in the upper half. */
        while ((atomic_load((_Atomic uint64_t *)&sem) >> 32) == 0)
            sched_yield();
        sleep_round(SEM, now_ns());
        sem_post(&sem);
        while (atomic_load(&go) != i + 1)
            sched_yield();
    }
}

static void *sleeper(void *unused)
{
    (void)unused;
    atomic_store(&in_join, 1);
    while (atomic_load(&in_join) != 2)
        sched_yield();
    sleep_round(JOIN, now_ns());
    return NULL;
}

static __attribute__((noinline)) void joins_sleeper(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        atomic_store(&in_join, 0);
        pthread_t t = start(sleeper);
        while (atomic_load(&in_join) != 1)
            sched_yield(); /* the sleeper runs: its start is not part of the wait */
        atomic_store(&in_join, 2);
        TIMED(JOIN, pthread_join(t, NULL));
    }
}

static int write_profile(const char *dir, const char *name, const char *ext, int debug)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "w");
    if (!f || cbench_write_profile(name, f, debug) != 0) {
        fprintf(stderr, "lock_prog: %s: %s\n", path, cbench_last_error());
        return -1;
    }
    return fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: lock_prog OUTDIR\n");
        return 2;
    }
    cbench_set_mutex_profile_fraction(1);
    cbench_set_block_profile_rate(1);
    sem_init(&sem, 0, 0);

    pthread_t t = start(waits_for_lock);
    holds_lock();
    pthread_join(t, NULL);
    atomic_store(&go, 0);
    t = start(reads_after_writer);
    writes_under_rwlock();
    pthread_join(t, NULL);
    atomic_store(&go, 0);
    t = start(waits_on_cond);
    signals_cond();
    pthread_join(t, NULL);
    atomic_store(&go, 0);
    t = start(waits_on_sem);
    posts_sem();
    pthread_join(t, NULL);
    joins_sleeper();

    char path[4096];
    snprintf(path, sizeof path, "%s/truth.txt", argv[1]);
    FILE *truth = fopen(path, "w");
    if (!truth)
        return 1;
    for (int k = 0; k < KINDS; k++)
        fprintf(truth, "%s %lld %lld\n", kind_names[k], (long long)atomic_load(&known[k]),
                (long long)atomic_load(&waited[k]));
    fclose(truth);
    if (write_profile(argv[1], "mutex", "pb.gz", 0) ||
        write_profile(argv[1], "block", "pb.gz", 0) || write_profile(argv[1], "mutex", "txt", 1) ||
        write_profile(argv[1], "block", "txt", 1))
        return 1;
    return 0;
}
