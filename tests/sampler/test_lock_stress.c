/*
 * Stress: 8 threads hammering mutexes, an rwlock and a condition variable
 * (a bounded queue) with the mutex and block profiles at fraction and rate
 * 1 and the CPU profiler at 1 kHz, while the main thread writes both
 * profiles again and again. Nothing may crash or hang, and at the end the
 * profiles agree with the exact counters: at fraction and rate 1 every
 * event is recorded, so the totals are equal (the mutex profile's
 * contentions are the waits charged to the unlock that ended them); the
 * waiting charged to unlockers is part of the waiting measured by
 * waiters. Then the same
 * threads contend while the main thread forks: each child, whose copies
 * of cbench's tables were taken at any moment, must be able to contend,
 * count and write a profile.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cbench/profile.h"
#include "interpose/lock.h"
#include "profile_reader.h"

enum { THREADS = 8, ROUNDS = 20000, LOCKS = 3, QUEUE = 4 };

static pthread_mutex_t locks[LOCKS] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                       PTHREAD_MUTEX_INITIALIZER};
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static uint64_t shared[LOCKS], table_value;

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static int queued;
static atomic_int running;

static void put(void)
{
    pthread_mutex_lock(&queue_lock);
    while (queued == QUEUE)
        pthread_cond_wait(&not_full, &queue_lock);
    queued++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&queue_lock);
}

static void take(void)
{
    pthread_mutex_lock(&queue_lock);
    while (queued == 0)
        pthread_cond_wait(&not_empty, &queue_lock);
    queued--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&queue_lock);
}

static void *hammer(void *arg)
{
    uintptr_t id = (uintptr_t)arg;
    uint64_t x = id * 0x9e3779b97f4a7c15ULL + 1;
    for (int i = 0; i < ROUNDS; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int k = (int)(x % LOCKS);
        pthread_mutex_lock(&locks[k]);
        for (int j = 0; j < 50; j++)
            shared[k] += x >> j;
        pthread_mutex_unlock(&locks[k]);
        if (x % 8 == 0) {
            pthread_rwlock_wrlock(&rwlock);
            table_value++;
            pthread_rwlock_unlock(&rwlock);
        } else if (x % 8 == 1) {
            pthread_rwlock_rdlock(&rwlock);
            (void)*(volatile uint64_t *)&table_value;
            pthread_rwlock_unlock(&rwlock);
        }
        if (i % 16 == 0)
            id % 2 ? put() : take(); /* as many puts as takes in all */
    }
    atomic_fetch_sub(&running, 1);
    return NULL;
}

static pb_profile *write_and_read(const char *name)
{
    pb_profile *p = write_and_read_profile(name);
    assert_non_null(p);
    return p;
}

static void test_profiles_agree_with_counters_under_stress(void **state)
{
    (void)state;
    cbench_set_mutex_profile_fraction(1);
    cbench_set_block_profile_rate(1);
    cbench_set_cpu_profile_rate(1000);
    FILE *cpu = tmpfile();
    assert_non_null(cpu);
    assert_int_equal(cbench_start_cpu_profile(cpu), 0);

    pthread_t t[THREADS];
    atomic_store(&running, THREADS);
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)i), 0);
    while (atomic_load(&running) > 0) {
        FILE *f = tmpfile();
        assert_non_null(f);
        assert_int_equal(cbench_write_profile("mutex", f, 0), 0);
        assert_int_equal(cbench_write_profile("block", f, 1), 0);
        fclose(f);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    fclose(cpu);
    cbench_set_mutex_profile_fraction(0);
    cbench_set_block_profile_rate(0);

    cb_lock_counts c;
    cb_lock_read(&c);
    pb_profile *mutex = write_and_read("mutex");
    pb_profile *block = write_and_read("block");
    printf("contentions %llu (%llu ns), blocks %llu (%llu ns), charged %llu (%llu ns)\n",
           (unsigned long long)c.contentions, (unsigned long long)c.delay_ns,
           (unsigned long long)c.blocks, (unsigned long long)c.block_ns,
           (unsigned long long)c.charged, (unsigned long long)c.charged_ns);

    assert_true(c.contentions > 0);        /* the stress did contend */
    assert_true(c.blocks > c.contentions); /* condition waits and joins too */
    assert_true(c.charged > 0);
    assert_true(c.charged_ns <= c.delay_ns);
    assert_true(c.charged <= c.contentions);
    assert_int_equal(c.unregistered, 0);

    assert_int_equal(total_value(mutex, 0), c.charged);
    assert_int_equal(total_value(mutex, 1), c.charged_ns);
    assert_int_equal(total_value(block, 0), c.blocks);
    /* A wait measured as 0 ns is recorded as 1 ns. */
    int64_t diff = total_value(block, 1) - (int64_t)c.block_ns;
    assert_true(diff >= 0 && diff <= (int64_t)c.blocks);
    free_profile(mutex);
    free_profile(block);
}

/* In a forked child: two threads contend on the parent's (re-initialised)
 * locks, so the stripes the parent's threads were using are used again. */
static void *child_contender(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&locks[i % LOCKS]);
        shared[i % LOCKS]++;
        pthread_mutex_unlock(&locks[i % LOCKS]);
    }
    return NULL;
}

static void child_after_fork(void)
{
    signal(SIGSEGV, SIG_DFL); /* a crash shows in the wait status, not as cmocka output */
    for (int k = 0; k < LOCKS; k++)
        pthread_mutex_init(&locks[k], NULL);
    pthread_t a, b;
    if (pthread_create(&a, NULL, child_contender, NULL) != 0 ||
        pthread_create(&b, NULL, child_contender, NULL) != 0)
        _exit(3);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    FILE *f = fopen("/dev/null", "w");
    _exit(f && cbench_write_profile("mutex", f, 0) == 0 ? 0 : 4);
}

/* `pid`'s wait status, or -1 if it has not ended within a generous bound:
 * a hang is what this detects, not slowness. */
static int child_status(pid_t pid)
{
    for (int i = 0; i < 6000; i++) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    if (getenv("CB_TEST_KEEP_HUNG"))
        pause(); /* left for a debugger */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void test_children_forked_while_threads_contend_do_not_hang(void **state)
{
    (void)state;
    cbench_set_mutex_profile_fraction(1);
    cbench_set_block_profile_rate(1);
    pthread_t t[THREADS];
    atomic_store(&running, THREADS);
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)i), 0);
    int forks = 0;
    while (atomic_load(&running) > 0 && forks < 200) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            child_after_fork();
        int status = child_status(pid);
        if (status == -1)
            fail_msg("child %d of a fork hung", forks);
        if (status != 0)
            fail_msg("child %d of a fork ended with wait status %#x", forks, status);
        forks++;
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    cbench_set_mutex_profile_fraction(0);
    cbench_set_block_profile_rate(0);
    printf("%d children\n", forks);
    assert_true(forks > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profiles_agree_with_counters_under_stress),
        cmocka_unit_test(test_children_forked_while_threads_contend_do_not_hang),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
