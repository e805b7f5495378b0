/*
 * Sampling of the mutex and block profiles against events the test makes
 * itself, counted exactly by cbench's counters (which test_lock_profile
 * checks against independent clocks):
 *  - mutex fraction n: about 1 in n contended unlocks is recorded and
 *    scaled by n, so the profile's contentions are a multiple of n and
 *    their total estimates the exact count; fraction 0 records nothing;
 *  - block rate r: a wait shorter than r is recorded with probability
 *    wait/r and counts r/wait events and r ns, so the profile's delay
 *    estimates the exact waiting time; waits longer than r are exact.
 * Bounds are five standard deviations of the sampling, computed from the
 * exact counts, so that a correct sampler fails about once in 1.7 million
 * runs while a sampler off by the sampling factor fails every time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cbench/profile.h"
#include "interpose/lock.h"
#include "profile_reader.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static sem_t ready, go;

static void spin_ns(int64_t ns)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec) < ns);
}

static void sleep_ns(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

/* Takes the mutex after the holder has it: one contention per round
 * when the holder keeps it long enough for this thread to block. */
static void *contender(void *arg)
{
    int rounds = (int)(intptr_t)arg;
    for (int i = 0; i < rounds; i++) {
        sem_wait(&go);
        pthread_mutex_lock(&mu);
        pthread_mutex_unlock(&mu);
        sem_post(&ready);
    }
    return NULL;
}

/* `rounds` rounds of: lock, let the contender block on it, unlock. */
static void contend(int rounds)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, contender, (void *)(intptr_t)rounds), 0);
    for (int i = 0; i < rounds; i++) {
        pthread_mutex_lock(&mu);
        sem_post(&go);
        sleep_ns(200000); /* the contender blocks meanwhile */
        pthread_mutex_unlock(&mu);
        sem_wait(&ready);
    }
    assert_int_equal(pthread_join(t, NULL), 0);
}

static pb_profile *profile(const char *name)
{
    pb_profile *p = write_and_read_profile(name);
    assert_non_null(p);
    return p;
}

/* Profile totals (value vi) now, for deltas: the profiles are cumulative. */
static int64_t total_of(const char *name, size_t vi)
{
    pb_profile *p = profile(name);
    int64_t v = total_value(p, vi);
    free_profile(p);
    return v;
}

static void test_mutex_fraction_records_one_in_n_scaled_by_n(void **state)
{
    (void)state;
    enum { N = 8, ROUNDS = 3000 };
    int64_t before = total_of("mutex", 0), before_ns = total_of("mutex", 1);
    cb_lock_counts c0, c1;
    cbench_set_mutex_profile_fraction(N);
    cb_lock_read(&c0);
    contend(ROUNDS);
    cb_lock_read(&c1);
    cbench_set_mutex_profile_fraction(0);
    /* Each round's unlock ends one wait, charged to it. */
    int64_t events = (int64_t)(c1.charged - c0.charged);
    int64_t got = total_of("mutex", 0) - before;
    int64_t got_ns = total_of("mutex", 1) - before_ns;
    /* Recorded events ~ Binomial(events, 1/N), each counting N. */
    double sd = N * sqrt(events * (1.0 / N) * (1 - 1.0 / N));
    printf("%lld waits charged to their unlock; profile: %lld contentions, %lld ns (exact %llu ns)\n",
           (long long)events, (long long)got, (long long)got_ns,
           (unsigned long long)(c1.charged_ns - c0.charged_ns));
    assert_true(events > ROUNDS / 2); /* the rounds did contend */
    assert_int_equal(got % N, 0);     /* every record counts N */
    assert_true(fabs((double)(got - events)) <= 5 * sd);
}

static void test_mutex_fraction_zero_records_nothing(void **state)
{
    (void)state;
    int64_t before = total_of("mutex", 0);
    cbench_set_mutex_profile_fraction(0);
    cb_lock_counts c0, c1;
    cb_lock_read(&c0);
    contend(200);
    cb_lock_read(&c1);
    assert_true(c1.contentions > c0.contentions); /* counted exactly all the same */
    assert_int_equal(total_of("mutex", 0) - before, 0);
}

/* A thread that waits on a semaphore the main thread posts after a
 * pause: one blocking wait of about `pause` ns per round. */
static void *waiter(void *arg)
{
    int rounds = (int)(intptr_t)arg;
    for (int i = 0; i < rounds; i++) {
        sem_wait(&go);
        sem_post(&ready);
    }
    return NULL;
}

static void block(int rounds, long pause)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waiter, (void *)(intptr_t)rounds), 0);
    for (int i = 0; i < rounds; i++) {
        spin_ns(pause);
        sem_post(&go);
        sem_wait(&ready);
    }
    assert_int_equal(pthread_join(t, NULL), 0);
}

static void test_block_rate_samples_short_waits_by_duration_unbiased(void **state)
{
    (void)state;
    enum { ROUNDS = 4000 };
    const long rate = 1000000; /* 1 ms, longer than most waits here */
    int64_t before_ns = total_of("block", 1);
    cb_lock_counts c0, c1;
    cbench_set_block_profile_rate(rate);
    cb_lock_read(&c0);
    block(ROUNDS, 60000);
    cb_lock_read(&c1);
    cbench_set_block_profile_rate(0);
    int64_t waits = (int64_t)(c1.blocks - c0.blocks);
    double exact_ns = (double)(c1.block_ns - c0.block_ns);
    int64_t got_ns = total_of("block", 1) - before_ns;
    /* Each wait d < rate adds rate with probability d/rate: variance
     * rate*d - d^2 <= rate*d, so the total's variance is at most
     * rate * exact_ns. Waits of rate or longer are exact. */
    double sd = sqrt((double)rate * exact_ns);
    printf("%lld waits, %.0f ns exact; profile %lld ns (sd %.0f)\n", (long long)waits,
           exact_ns, (long long)got_ns, sd);
    assert_true(waits >= ROUNDS);
    /* On average shorter than the rate, so sampling was at work (on a
     * loaded machine some waits take longer, and those are exact). */
    assert_true(exact_ns < (double)rate * waits);
    assert_true(fabs((double)got_ns - exact_ns) <= 5 * sd);
}

static void test_block_waits_longer_than_rate_are_all_recorded(void **state)
{
    (void)state;
    enum { ROUNDS = 20 };
    int64_t before = total_of("block", 0), before_ns = total_of("block", 1);
    cb_lock_counts c0, c1;
    cbench_set_block_profile_rate(1000); /* 1 us: every wait here is longer */
    cb_lock_read(&c0);
    block(ROUNDS, 3000000);
    cb_lock_read(&c1);
    cbench_set_block_profile_rate(0);
    /* Every wait of the phase was at least 1 us except, perhaps, the
     * handshakes; those are sampled. The long ones alone carry almost
     * all of the time, so the profile's time equals the exact time to
     * within the short waits' sampling. */
    double exact_ns = (double)(c1.block_ns - c0.block_ns);
    int64_t got_ns = total_of("block", 1) - before_ns;
    int64_t got = total_of("block", 0) - before;
    printf("%llu waits, %.0f ns exact; profile %lld waits, %lld ns\n",
           (unsigned long long)(c1.blocks - c0.blocks), exact_ns, (long long)got,
           (long long)got_ns);
    assert_true(got >= ROUNDS);
    assert_true(fabs((double)got_ns - exact_ns) <= 0.01 * exact_ns);
}

int main(void)
{
    sem_init(&ready, 0, 0);
    sem_init(&go, 0, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutex_fraction_records_one_in_n_scaled_by_n),
        cmocka_unit_test(test_mutex_fraction_zero_records_nothing),
        cmocka_unit_test(test_block_rate_samples_short_waits_by_duration_unbiased),
        cmocka_unit_test(test_block_waits_longer_than_rate_are_all_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
