/*
 * What the interposers and the CPU profiler put in a trace, against
 * waits and work the test makes and measures itself: the real
 * pthread_mutex_lock, rwlocks, condition variables, semaphores and
 * joins, thread names, CPU samples and the heap counters.
 *
 * Ground truth: a thread holds a mutex for 100 ms after the waiter is
 * known to block on it (glibc marks a mutex with waiters: __lock == 2).
 * The waiter times its own pthread_mutex_lock call (an upper bound of the
 * wait) and the holder the time from seeing the waiter blocked to its
 * unlock (a lower bound): the waiter's "wait: mutex" span must lie
 * between the two, and a flow must go from the holder's unlock ("wake:
 * mutex", on the holder's track) to the waiter's span ("woken").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cbench/profile.h"
#include "cbench/trace.h"
#include "trace_reader.h"

static char path[] = "/tmp/cbench-trace-locks-XXXXXX.json";

static void sleep_us(double us)
{
    double end = tr_now_us() + us;
    double left;
    while ((left = end - tr_now_us()) > 0) {
        struct timespec ts = {(time_t)(left / 1e6), (long)((left - (double)(time_t)(left / 1e6) * 1e6) * 1e3)};
        nanosleep(&ts, NULL);
    }
}

static void stop_and_load(tr_trace *t)
{
    assert_int_equal(cbench_stop_trace(), 0);
    assert_int_equal(tr_load(path, t), 0);
    assert_true(t->complete);
    const char *bad = tr_check(t);
    if (bad)
        fail_msg("%s", bad);
}

static const char *hex(const void *p, char *buf, size_t len)
{
    snprintf(buf, len, "0x%lx", (unsigned long)(uintptr_t)p);
    return buf;
}

/* The flow into the nth "woken" mark on `waiter` must start at a "wake:
 * <reason>" mark on `waker`, before it. */
static void assert_flow(const tr_trace *t, const char *wake, int64_t waker, int64_t waiter)
{
    const tr_event *in = tr_find(t, 'X', "woken", waiter, 0);
    assert_non_null(in);
    assert_true(in->flow_in);
    for (size_t i = 0;; i++) {
        const tr_event *out = tr_find(t, 'X', wake, waker, i);
        if (!out)
            fail_msg("no \"%s\" on tid %lld starts the flow %s", wake, (long long)waker,
                     in->bind_id);
        if (out->flow_out && strcmp(out->bind_id, in->bind_id) == 0) {
            assert_true(out->ts <= in->ts);
            return;
        }
    }
}

/* ---- a mutex held 100 ms ----------------------------------------------------- */

enum { HOLD_US = 100000 };

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static atomic_int go;

typedef struct waiter {
    int64_t tid;
    double waited_us; /* its pthread_mutex_lock call */
} waiter;

static void *waits_for_mutex(void *arg)
{
    waiter *w = arg;
    w->tid = tr_gettid();
    pthread_setname_np(pthread_self(), "mutex waiter");
    while (!atomic_load(&go))
        sched_yield();
    double t0 = tr_now_us();
    pthread_mutex_lock(&mutex);
    w->waited_us = tr_now_us() - t0;
    pthread_mutex_unlock(&mutex);
    return NULL;
}

static __attribute__((noinline)) void holder_unlocks(void)
{
    pthread_mutex_unlock(&mutex);
}

static void test_a_mutex_held_100ms_is_a_100ms_wait_with_a_flow_from_the_holder(void **state)
{
    (void)state;
    assert_int_equal(cbench_start_trace_path(path), 0);
    waiter w = {0};
    pthread_t th;
    atomic_store(&go, 0);
    pthread_mutex_lock(&mutex);
    assert_int_equal(pthread_create(&th, NULL, waits_for_mutex, &w), 0);
    atomic_store(&go, 1);
    while (atomic_load((atomic_int *)&mutex.__data.__lock) != 2)
        sched_yield(); /* the waiter is in the kernel's queue, or about to be */
    double seen = tr_now_us();
    sleep_us(HOLD_US);
    double known_us = tr_now_us() - seen;
    holder_unlocks();
    pthread_join(th, NULL);
    tr_trace t;
    stop_and_load(&t);

    char obj[32];
    double span = tr_span_us(&t, "wait: mutex", w.tid, 0);
    printf("held %.1f us after the waiter blocked; waiter's call %.1f us; traced wait %.1f us\n",
           known_us, w.waited_us, span);
    /* ts has 1 ns resolution: allow it twice. */
    if (span < known_us - 0.002 || span > w.waited_us + 0.002)
        fail_msg("the wait lasted %.3f us in the trace, %.3f to %.3f us as measured", span,
                 known_us, w.waited_us);
    assert_int_equal(tr_count(&t, 'B', "wait: mutex", w.tid), 1);
    const tr_event *b = tr_find(&t, 'B', "wait: mutex", w.tid, 0);
    assert_string_equal(b->cat, "wait");
    assert_string_equal(tr_arg_str(b, "reason"), "mutex");
    assert_string_equal(tr_arg_str(b, "object"), hex(&mutex, obj, sizeof obj));
    assert_flow(&t, "wake: mutex", tr_gettid(), w.tid);
    /* The thread's name, given with pthread_setname_np; its start and exit. */
    assert_string_equal(tr_thread_name(&t, w.tid), "mutex waiter");
    assert_non_null(tr_find(&t, 'i', "thread start", w.tid, 0));
    assert_non_null(tr_find(&t, 'i', "thread exit", w.tid, 0));
    /* The main thread waited in pthread_join. */
    assert_true(tr_count(&t, 'B', "wait: join", tr_gettid()) <= 1);
    tr_free(&t);
}

/* ---- rwlocks, condition variables, semaphores, joins --------------------------- */

static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int cond_ready;
static sem_t sem;
static atomic_int stage;

static void *reader(void *arg)
{
    *(int64_t *)arg = tr_gettid();
    while (atomic_load(&stage) != 1)
        sched_yield();
    pthread_rwlock_rdlock(&rwlock); /* the main thread writes */
    pthread_rwlock_unlock(&rwlock);
    /* A condition variable and a semaphore. */
    pthread_mutex_lock(&cond_mutex);
    atomic_store(&stage, 2);
    while (!cond_ready)
        pthread_cond_wait(&cond, &cond_mutex);
    pthread_mutex_unlock(&cond_mutex);
    sem_wait(&sem);
    usleep(20000); /* the main thread joins meanwhile */
    return NULL;
}

static void test_rwlock_cond_sem_and_join_waits_are_spans_with_their_reason_and_object(void **state)
{
    (void)state;
    sem_init(&sem, 0, 0);
    atomic_store(&stage, 0);
    assert_int_equal(cbench_start_trace_path(path), 0);
    int64_t tid = 0;
    pthread_t th;
    pthread_rwlock_wrlock(&rwlock);
    assert_int_equal(pthread_create(&th, NULL, reader, &tid), 0);
    atomic_store(&stage, 1);
    while ((atomic_load((atomic_uint *)&rwlock.__data.__readers) >> 3) == 0)
        sched_yield(); /* the reader is about to block */
    sleep_us(5000);
    pthread_rwlock_unlock(&rwlock);
    while (atomic_load(&stage) != 2)
        sched_yield();
    sleep_us(5000);
    pthread_mutex_lock(&cond_mutex);
    cond_ready = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&cond_mutex);
    sleep_us(5000);
    sem_post(&sem);
    pthread_join(th, NULL);
    tr_trace t;
    stop_and_load(&t);

    char obj[32];
    const struct {
        const char *span, *reason;
        const void *object;
        int64_t tid;
    } want[] = {
        {"wait: rwlock read", "rwlock read", &rwlock, tid},
        {"wait: cond", "cond", &cond, tid},
        {"wait: sem", "sem", &sem, tid},
        {"wait: join", "join", (const void *)th, tr_gettid()},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const tr_event *b = tr_find(&t, 'B', want[i].span, want[i].tid, 0);
        if (!b)
            fail_msg("no \"%s\" span on tid %lld", want[i].span, (long long)want[i].tid);
        assert_string_equal(tr_arg_str(b, "reason"), want[i].reason);
        assert_string_equal(tr_arg_str(b, "object"), hex(want[i].object, obj, sizeof obj));
        assert_true(tr_span_us(&t, want[i].span, want[i].tid, 0) >= 1000);
    }
    /* The writer's unlock let the reader in. */
    assert_flow(&t, "wake: rwlock", tr_gettid(), tid);
    tr_free(&t);
    sem_destroy(&sem);
}

/* ---- CPU samples and heap counters -------------------------------------------- */

static __attribute__((noinline)) double busy_for(double us)
{
    double x = 1, end = tr_now_us() + us;
    while (tr_now_us() < end)
        for (int i = 0; i < 1000; i++)
            x = x * 1.0000001 + 1e-9;
    return x;
}

static void test_cpu_samples_and_heap_counters_appear_beside_the_profile(void **state)
{
    (void)state;
    assert_int_equal(cbench_start_trace_path(path), 0);
    FILE *cpu = tmpfile();
    assert_non_null(cpu);
    cbench_set_cpu_profile_rate(1000);
    assert_int_equal(cbench_start_cpu_profile(cpu), 0);
    volatile double sink = busy_for(200000);
    (void)sink;
    void *volatile block = malloc(1 << 20);
    usleep(30000); /* the writer samples the heap every 10 ms */
    free(block);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    fclose(cpu);
    tr_trace t;
    stop_and_load(&t);
    int64_t me = tr_gettid();
    const tr_event *chunk = tr_find(&t, 'P', "ProfileChunk", me, 0);
    assert_non_null(chunk);
    /* busy_for is in the samples' call tree. */
    bool found = false;
    for (size_t i = 0; !found && i < t.n; i++) {
        const tr_event *e = &t.ev[i];
        if (e->ph != 'P' || !e->name || strcmp(e->name, "ProfileChunk") != 0 || e->tid != me)
            continue;
        const json_t *nodes = json_object_get(
            json_object_get(json_object_get(e->args, "data"), "cpuProfile"), "nodes");
        size_t k;
        const json_t *node;
        json_array_foreach(nodes, k, node)
        {
            const char *fn = json_string_value(
                json_object_get(json_object_get(node, "callFrame"), "functionName"));
            found |= fn && strcmp(fn, "busy_for") == 0;
        }
    }
    assert_true(found);
    /* The heap counters, with the 1 MiB block in use at some point. */
    bool big = false;
    for (size_t i = 0; i < t.n; i++) {
        const tr_event *e = &t.ev[i];
        if (e->ph == 'C' && e->name && strcmp(e->name, "heap") == 0)
            big |= tr_arg_num(e, "alloc_bytes") >= (1 << 20);
    }
    assert_true(big);
    tr_free(&t);
}

/* ---- stress ---------------------------------------------------------------------- */

/*
 * Eight threads contend on mutexes, an rwlock and a condition variable
 * while the mutex and block profiles record every event, the CPU
 * profiler samples at 1 kHz, short-lived threads come and go, and the
 * main thread starts and stops traces again and again and forks in the
 * middle of one: every trace must be whole and well formed and hold lock
 * waits with their flows, each child must contend and exit, and nothing
 * may hang.
 */
enum { STRESS_THREADS = 8, STRESS_TRACES = 6 };

static pthread_mutex_t stress_locks[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                          PTHREAD_MUTEX_INITIALIZER};
static pthread_rwlock_t stress_rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static int queued;
static atomic_int stress_done;
static volatile uint64_t stress_shared;

static void *short_lived(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&stress_locks[0]);
    stress_shared++;
    pthread_mutex_unlock(&stress_locks[0]);
    return NULL;
}

static void *contender(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
    for (uint64_t i = 0; !atomic_load_explicit(&stress_done, memory_order_relaxed); i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        pthread_mutex_t *m = &stress_locks[x % 3];
        pthread_mutex_lock(m);
        for (int j = 0; j < 20; j++)
            stress_shared += x >> j;
        pthread_mutex_unlock(m);
        if (x % 4 == 0) {
            pthread_rwlock_wrlock(&stress_rw);
            stress_shared++;
            pthread_rwlock_unlock(&stress_rw);
        } else if (x % 4 == 1) {
            pthread_rwlock_rdlock(&stress_rw);
            (void)stress_shared;
            pthread_rwlock_unlock(&stress_rw);
        }
        if (i % 64 == 0) { /* a queue of one slot: producers and consumers */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 1000000;
            if (until.tv_nsec >= 1000000000)
                until.tv_sec++, until.tv_nsec -= 1000000000;
            pthread_mutex_lock(&queue_lock);
            while (queued == (int)(x & 1) && pthread_cond_timedwait(&queue_cond, &queue_lock, &until) == 0)
                ;
            queued = !(x & 1);
            pthread_cond_broadcast(&queue_cond);
            pthread_mutex_unlock(&queue_lock);
        }
        if (i % 512 == 0) {
            pthread_t t;
            if (pthread_create(&t, NULL, short_lived, NULL) == 0)
                pthread_join(t, NULL);
        }
    }
    return NULL;
}

static void test_locks_profiles_and_samples_under_start_stop_forks_and_thread_churn(void **state)
{
    (void)state;
    cbench_set_mutex_profile_fraction(1);
    cbench_set_block_profile_rate(1);
    cbench_set_cpu_profile_rate(1000);
    FILE *cpu = tmpfile();
    assert_non_null(cpu);
    assert_int_equal(cbench_start_cpu_profile(cpu), 0);
    pthread_t th[STRESS_THREADS];
    atomic_store(&stress_done, 0);
    for (uintptr_t i = 0; i < STRESS_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, contender, (void *)(i + 1)), 0);
    size_t waits = 0, flows = 0;
    for (int k = 0; k < STRESS_TRACES; k++) {
        assert_int_equal(cbench_start_trace_path(path), 0);
        usleep(60000);
        if (k == STRESS_TRACES / 2) {
            pid_t pid = fork();
            if (pid == 0) {
                /* The child: its copies of cbench's tables were taken at
                 * any moment; it contends with a thread of its own and
                 * exits. Its copy of the lock may be held by a parent's
                 * thread that it does not have: a fresh one. */
                pthread_mutex_init(&stress_locks[0], NULL);
                pthread_t t;
                if (pthread_create(&t, NULL, short_lived, NULL) != 0)
                    _exit(3);
                pthread_mutex_lock(&stress_locks[0]);
                stress_shared++;
                pthread_mutex_unlock(&stress_locks[0]);
                pthread_join(t, NULL);
                _exit(cbench_stop_trace() == -1 ? 0 : 4);
            }
            assert_true(pid > 0);
            int status;
            assert_int_equal(waitpid(pid, &status, 0), pid);
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        tr_trace t;
        stop_and_load(&t);
        size_t w = tr_count(&t, 'B', "wait: mutex", -1) + tr_count(&t, 'B', "wait: rwlock read", -1) +
                   tr_count(&t, 'B', "wait: rwlock write", -1);
        waits += w;
        flows += tr_count(&t, 'X', "woken", -1);
        tr_free(&t);
    }
    atomic_store(&stress_done, 1);
    for (int i = 0; i < STRESS_THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    fclose(cpu);
    cbench_set_mutex_profile_fraction(0);
    cbench_set_block_profile_rate(0);
    printf("%zu lock waits and %zu flows in %d traces\n", waits, flows, STRESS_TRACES);
    assert_true(waits > 0);
    assert_true(flows > 0);
}

int main(void)
{
    int fd = mkstemps(path, 5);
    if (fd < 0)
        return 1;
    close(fd);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_mutex_held_100ms_is_a_100ms_wait_with_a_flow_from_the_holder),
        cmocka_unit_test(test_rwlock_cond_sem_and_join_waits_are_spans_with_their_reason_and_object),
        cmocka_unit_test(test_cpu_samples_and_heap_counters_appear_beside_the_profile),
        cmocka_unit_test(test_locks_profiles_and_samples_under_start_stop_forks_and_thread_churn),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(path);
    return rc;
}
