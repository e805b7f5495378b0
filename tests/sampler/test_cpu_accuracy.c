/*
 * CPU profile accuracy against a ground truth the test makes: CPU time
 * split 3:1 between two functions on one thread, and 2:1 between two
 * threads running at once, each measured with the thread's CPU clock.
 * The profile's split must match within 5 percentage points and its total
 * must be within 15% of the process CPU time used while it ran, at 100 Hz
 * and at 1 kHz, with each unwinder, with a foreign ITIMER_PROF raising
 * SIGPROFs that must not be counted; the setitimer fallback promises the
 * total only. Under load the kernel reports fewer timer expiries than
 * periods used (sampler/cpu.c): a profile's total (its samples and its
 * cbench_unsampled_cpu) must still be the CPU its thread used.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbench/profile.h"
#include "cpu.h"
#include "cpu_burn.h"
#include "profile_reader.h"
#include "stack/unwind.h"

static volatile int64_t keep;

/* Never tail calls, so each stays on the stack while burn_cpu runs; the
 * bodies differ so that identical-code folding cannot merge them. */
static __attribute__((noinline)) int64_t spend_in_alpha(int64_t ns)
{
    int64_t used = burn_cpu(ns);
    keep += used;
    return used;
}

static __attribute__((noinline)) int64_t spend_in_beta(int64_t ns)
{
    int64_t used = burn_cpu(ns);
    keep -= used;
    return used;
}

static uint64_t rng = 88172645463325252ULL;

/* Chunks of irregular length, so the work pattern cannot beat in step
 * with the kernel tick that drives the timers. */
static int64_t chunk_ns(int64_t mean)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return mean / 4 + (int64_t)(rng % (uint64_t)(mean * 3 / 2));
}

typedef struct measured {
    int64_t alpha, beta, process;
    pb_profile *profile;
} measured;

static double share(int64_t a, int64_t b)
{
    return (double)a / (double)(a + b);
}

/* The profile's split must be within `tolerance` of the truth. */
static void check_within(const measured *m, double tolerance)
{
    int64_t pa = cum_value(m->profile, 1, "spend_in_alpha");
    int64_t pb = cum_value(m->profile, 1, "spend_in_beta");
    int64_t total = total_value(m->profile, 1);
    double truth = share(m->alpha, m->beta), got = share(pa, pb);
    printf("  truth %.3f profile %.3f (alpha %ld ns, beta %ld ns); total %ld ns vs process %ld ns\n",
           truth, got, (long)pa, (long)pb, (long)total, (long)m->process);
    assert_true(pa > 0 && pb > 0);
    assert_true(got > truth - tolerance && got < truth + tolerance);
    assert_true((double)total > 0.85 * (double)m->process);
    assert_true((double)total < 1.15 * (double)m->process);
}

static void check(const measured *m)
{
    check_within(m, 0.05);
}

static FILE *start_profile(int hz)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    cbench_set_cpu_profile_rate(hz);
    assert_int_equal(cbench_start_cpu_profile(f), 0);
    return f;
}

static pb_profile *stop_profile(FILE *f)
{
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    pb_profile *p = read_profile_stream(f);
    fclose(f);
    assert_non_null(p);
    return p;
}

static measured one_thread_three_to_one(int hz, int64_t total_ns)
{
    measured m = {0};
    FILE *f = start_profile(hz);
    int64_t p0 = process_cpu_ns();
    while (m.alpha + m.beta < total_ns) {
        m.alpha += spend_in_alpha(chunk_ns(3000000));
        m.beta += spend_in_beta(chunk_ns(1000000));
    }
    m.process = process_cpu_ns() - p0;
    m.profile = stop_profile(f);
    return m;
}

static void *alpha_thread(void *arg)
{
    int64_t *used = arg;
    while (*used < 1600000000)
        *used += spend_in_alpha(chunk_ns(2000000));
    return NULL;
}

static void *beta_thread(void *arg)
{
    int64_t *used = arg;
    while (*used < 800000000)
        *used += spend_in_beta(chunk_ns(2000000));
    return NULL;
}

static measured two_threads_two_to_one(int hz)
{
    measured m = {0};
    FILE *f = start_profile(hz);
    int64_t p0 = process_cpu_ns();
    pthread_t a, b;
    assert_int_equal(pthread_create(&a, NULL, alpha_thread, &m.alpha), 0);
    assert_int_equal(pthread_create(&b, NULL, beta_thread, &m.beta), 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    m.process = process_cpu_ns() - p0;
    m.profile = stop_profile(f);
    return m;
}

/* Attribution within one thread is a sampling estimate: with n samples its
 * standard error is sqrt(p(1-p)/n). 4 s at 1 kHz gives ~1000 signals even
 * where the kernel tick caps them at 250/s, so 5 points is > 3.5 sigma. */
static void test_one_thread_split_3_to_1_at_1khz(void **state)
{
    (void)state;
    measured m = one_thread_three_to_one(1000, 4000000000);
    check(&m);
    free_profile(m.profile);
}

/* Between threads, attribution is exact per sample, so the default rate
 * is enough. */
static void test_two_threads_split_2_to_1_at_100hz(void **state)
{
    (void)state;
    measured m = two_threads_two_to_one(100);
    check(&m);
    free_profile(m.profile);
}

static void test_two_threads_split_2_to_1_at_1khz(void **state)
{
    (void)state;
    measured m = two_threads_two_to_one(1000);
    check(&m);
    free_profile(m.profile);
}

static void test_frame_pointer_unwinder_gives_the_same_split(void **state)
{
    (void)state;
    cb_unwind_set_mode(CB_UNWIND_FRAME_POINTER);
    measured m = two_threads_two_to_one(1000);
    cb_unwind_set_mode(CB_UNWIND_LIBUNWIND);
    check(&m);
    free_profile(m.profile);
}

/* With the process itimer the kernel picks which running thread gets each
 * signal, so the split between threads is not promised (that is why
 * per-thread timers are the default; the CI runs saw 0.78 for a true
 * 0.67). What the fallback does promise: the profile's total is the CPU
 * the process used, and both threads appear. */
static void test_itimer_fallback_counts_the_process_cpu(void **state)
{
    (void)state;
    cb_cpu_force_itimer(true);
    measured m = two_threads_two_to_one(100);
    assert_true(cb_cpu_using_itimer());
    cb_cpu_force_itimer(false);
    check_within(&m, 1.0);
    free_profile(m.profile);
}

/* Load: children that keep both cores busy in short bursts (1.3 ms of CPU,
 * then a 0.3 ms nap), so that wakeups preempt the profiled thread between
 * scheduler ticks, where the kernel checks no CPU timer. */
static pid_t load[2];

static void start_load(void)
{
    for (int i = 0; i < 2; i++) {
        load[i] = fork();
        assert_true(load[i] >= 0);
        if (load[i] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            for (;;) {
                burn_cpu(1300000);
                usleep(300);
            }
        }
    }
}

static void stop_load(void)
{
    for (int i = 0; i < 2; i++) {
        kill(load[i], SIGKILL);
        waitpid(load[i], NULL, 0);
    }
}

/* 20 ms of one thread's CPU at 1 kHz, 50 times, beside the load: with a
 * bare timer_create the kernel reported 18% fewer expiries than periods,
 * and none at all in some runs. Each profile's total must be the thread's
 * CPU between start and stop (the thread's own clock), to two periods:
 * the unsampled part is there as cbench_unsampled_cpu. */
static void test_the_total_is_the_cpu_used_even_under_load(void **state)
{
    (void)state;
    start_load();
    int with_unsampled = 0;
    for (int r = 0; r < 50; r++) {
        FILE *f = start_profile(1000);
        int64_t c0 = thread_cpu_ns();
        spend_in_alpha(20000000);
        int64_t used = thread_cpu_ns() - c0;
        pb_profile *p = stop_profile(f);
        int64_t total = total_value(p, 1), period = 1000000;
        with_unsampled += flat_value(p, 1, "cbench_unsampled_cpu") > 0;
        if (total < used - 2 * period || total > used + 2 * period) {
            stop_load();
            fail_msg("run %d: the profile holds %ld ns, the thread used %ld ns", r, (long)total,
                     (long)used);
        }
        free_profile(p);
    }
    stop_load();
    printf("  %d of 50 profiles had CPU no signal reported\n", with_unsampled);
}

/* Another ITIMER_PROF in the process (someone else's) raises SIGPROF with
 * SI_KERNEL; per-thread timers must not count those as samples. */
static void test_foreign_itimer_signals_are_not_counted(void **state)
{
    (void)state;
    struct itimerval it = {{0, 2000}, {0, 2000}};
    assert_int_equal(setitimer(ITIMER_PROF, &it, NULL), 0);
    measured m = two_threads_two_to_one(100);
    struct itimerval zero = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &zero, NULL);
    assert_false(cb_cpu_using_itimer());
    check(&m);
    free_profile(m.profile);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_thread_split_3_to_1_at_1khz),
        cmocka_unit_test(test_two_threads_split_2_to_1_at_100hz),
        cmocka_unit_test(test_two_threads_split_2_to_1_at_1khz),
        cmocka_unit_test(test_frame_pointer_unwinder_gives_the_same_split),
        cmocka_unit_test(test_itimer_fallback_counts_the_process_cpu),
        cmocka_unit_test(test_the_total_is_the_cpu_used_even_under_load),
        cmocka_unit_test(test_foreign_itimer_signals_are_not_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
