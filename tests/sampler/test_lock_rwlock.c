/*
 * rwlocks in the mutex and block profiles, against waits the test makes
 * and knows.
 *
 * Counts: each round, a writer holds the lock while READERS readers are
 * seen blocked on it (glibc's reader count in the lock), then unlocks:
 * one unlock lets READERS waits end. Then the readers hold it while a
 * writer is seen blocked (glibc's WRLOCKED bit), and unlock one by one:
 * READERS unlocks, of which only the last lets the writer in. So a round
 * makes READERS + 1 waits, and the mutex profile must count exactly
 * those: READERS on the writer's unlock, one on the readers' unlock
 * (the unlocks that let no one in count nothing), and the block profile
 * READERS + 1.
 *
 * CPU samples: readers hammering an rwlock spend their time in the lock
 * functions; the interposer tries glibc's tryrdlock first, and a sample
 * taken there must show pthread_rwlock_rdlock, the function the program
 * called, and no try function.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbench/profile.h"
#include "interpose/lock.h"
#include "profile_reader.h"

enum { READERS = 3, ROUNDS = 20 };

/* glibc 2.36's pthread_rwlock_t.__readers: the state bits, then the
 * readers (those that hold the lock or are about to block) from bit 3. */
enum { WRLOCKED = 2, READER_SHIFT = 3 };

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int phase, holding, released;
/* The threads end only once the counts are read: a thread's exit runs
 * libraries' destructors, which may take (and contend on) locks too. */
static atomic_int counted;

static unsigned readers_word(void)
{
    return atomic_load((atomic_uint *)&rw.__data.__readers);
}

static void wait_for(atomic_int *v, int want)
{
    while (atomic_load(v) != want)
        sched_yield();
}

/* Each reader: blocks behind the writer, then holds until released. */
/* Not a tail call: the function must stay in the unlock's stack; and
 * not the same code as writer_unlocks, which the compiler would fold. */
static atomic_int reader_unlocked, writer_unlocked;

static __attribute__((noinline)) void reader_unlocks(void)
{
    pthread_rwlock_unlock(&rw);
    atomic_fetch_add(&reader_unlocked, 1);
}

static void *reader(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        wait_for(&phase, 2 * r + 1);
        pthread_rwlock_rdlock(&rw); /* blocked: the writer holds it */
        atomic_fetch_add(&holding, 1);
        /* Released in order, so the last unlock is known. */
        wait_for(&released, r * READERS + id + 1);
        reader_unlocks();
        atomic_fetch_add(&released, 1);
    }
    wait_for(&counted, 1);
    return NULL;
}

static __attribute__((noinline)) void writer_unlocks(void)
{
    pthread_rwlock_unlock(&rw);
    atomic_fetch_add(&writer_unlocked, 2);
}

static atomic_int writer_in;

static void *late_writer(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        wait_for(&phase, 2 * r + 2);
        pthread_rwlock_wrlock(&rw); /* blocked: the readers hold it */
        pthread_rwlock_unlock(&rw);
        atomic_store(&writer_in, r + 1);
    }
    wait_for(&counted, 1);
    return NULL;
}

static void test_n_known_rwlock_waits_are_n_contentions_in_both_profiles(void **state)
{
    (void)state;
    cbench_set_mutex_profile_fraction(1);
    cbench_set_block_profile_rate(1);
    pb_profile *m0 = write_and_read_profile("mutex"), *b0 = write_and_read_profile("block");
    assert_non_null(m0);
    assert_non_null(b0);
    cb_lock_counts c0, c1;
    cb_lock_read(&c0);

    pthread_t readers[READERS], writer;
    for (intptr_t i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&readers[i], NULL, reader, (void *)i), 0);
    assert_int_equal(pthread_create(&writer, NULL, late_writer, NULL), 0);
    for (int r = 0; r < ROUNDS; r++) {
        /* The writer holds; every reader blocks behind it. */
        pthread_rwlock_wrlock(&rw);
        atomic_store(&holding, 0);
        atomic_store(&phase, 2 * r + 1);
        while ((readers_word() >> READER_SHIFT) != READERS)
            sched_yield();
        writer_unlocks(); /* lets READERS waits end */
        wait_for(&holding, READERS);
        /* The readers hold; the late writer blocks behind them. */
        atomic_store(&phase, 2 * r + 2);
        while (!(readers_word() & WRLOCKED))
            sched_yield();
        atomic_fetch_add(&released, 1); /* the readers unlock in turn */
        wait_for(&writer_in, r + 1);
        atomic_fetch_sub(&released, 1); /* back to r * READERS + READERS */
        wait_for(&released, (r + 1) * READERS);
    }
    cb_lock_read(&c1);
    pb_profile *m1 = write_and_read_profile("mutex"), *b1 = write_and_read_profile("block");
    atomic_store(&counted, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(readers[i], NULL);
    pthread_join(writer, NULL);
    assert_non_null(m1);
    assert_non_null(b1);
    cbench_set_mutex_profile_fraction(0);
    cbench_set_block_profile_rate(0);

    int64_t waits = ROUNDS * (READERS + 1);
    int64_t by_writer = cum_value(m1, 0, "writer_unlocks") - cum_value(m0, 0, "writer_unlocks");
    int64_t by_readers = cum_value(m1, 0, "reader_unlocks") - cum_value(m0, 0, "reader_unlocks");
    printf("waits %lld: contentions %llu; mutex profile %lld (writer's unlock %lld, readers' %lld),"
           " block profile %lld\n",
           (long long)waits, (unsigned long long)(c1.contentions - c0.contentions),
           (long long)(total_value(m1, 0) - total_value(m0, 0)), (long long)by_writer,
           (long long)by_readers, (long long)(total_value(b1, 0) - total_value(b0, 0)));
    assert_int_equal(c1.contentions - c0.contentions, waits);
    assert_int_equal(total_value(m1, 0) - total_value(m0, 0), waits);
    assert_int_equal(by_writer, ROUNDS * READERS);
    assert_int_equal(by_readers, ROUNDS);
    assert_int_equal(total_value(b1, 0) - total_value(b0, 0), waits);
    /* The delay went to the same unlocks, and no more than was waited. */
    int64_t delay = total_value(m1, 1) - total_value(m0, 1);
    assert_true(delay > 0 && delay <= (int64_t)(c1.delay_ns - c0.delay_ns));
    free_profile(m0);
    free_profile(m1);
    free_profile(b0);
    free_profile(b1);
}

/* ---- CPU samples of the try-first step ------------------------------------ */

static atomic_int stop_readers;

static __attribute__((noinline)) void hammer_read_lock(void)
{
    static volatile int shared;
    while (!atomic_load_explicit(&stop_readers, memory_order_relaxed)) {
        pthread_rwlock_rdlock(&rw);
        (void)shared;
        pthread_rwlock_unlock(&rw);
    }
}

static void *hammer(void *arg)
{
    (void)arg;
    hammer_read_lock();
    return NULL;
}

static bool has_try_function(const pb_profile *p, const char **which)
{
    for (size_t i = 0; i < p->n_function; i++) {
        const char *name = pstr(p, p->function[i]->name);
        if (strstr(name, "trylock") || strstr(name, "trywait") || strstr(name, "tryjoin")) {
            *which = name;
            return true;
        }
    }
    return false;
}

static void test_cpu_samples_in_the_try_first_step_show_the_function_the_program_called(
    void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    cbench_set_cpu_profile_rate(1000);
    assert_int_equal(cbench_start_cpu_profile(f), 0);
    pthread_t t[2];
    atomic_store(&stop_readers, 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
    struct timespec ts = {0, 400 * 1000000L};
    nanosleep(&ts, NULL);
    atomic_store(&stop_readers, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    pb_profile *p = read_profile_stream(f);
    assert_non_null(p);
    const char *which = NULL;
    int64_t in_rdlock = cum_value(p, 0, "pthread_rwlock_rdlock");
    printf("samples %lld, in pthread_rwlock_rdlock %lld\n", (long long)total_value(p, 0),
           (long long)in_rdlock);
    assert_true(total_value(p, 0) > 50);
    assert_true(in_rdlock > 0);
    if (has_try_function(p, &which))
        fail_msg("a function the program never called is in the profile: %s", which);
    free_profile(p);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_n_known_rwlock_waits_are_n_contentions_in_both_profiles),
        cmocka_unit_test(test_cpu_samples_in_the_try_first_step_show_the_function_the_program_called),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
