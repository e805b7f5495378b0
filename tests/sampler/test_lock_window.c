/*
 * A lock window (the span of one test) holds exactly the waits recorded
 * inside it: a contention before the window is absent from the window's
 * mutex and block profiles but still in the whole-process ones, and a
 * new window forgets the previous one's. Fraction and rate 1 record
 * every wait.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cbench.h"
#include "lock_contend.h"
#include "lockprof.h"
#include "profile_reader.h"

enum { CONTENTIONS, DELAY };

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *waits_before_window(void *arg)
{
    return lock_contend_wait(arg);
}

static void *waits_in_window(void *arg)
{
    return lock_contend_wait(arg);
}

__attribute__((noinline)) static void holds_before_window(void)
{
    pthread_t t = lock_contend_hold(&m, waits_before_window);
    lock_contend_release(&m, t, 5);
}

__attribute__((noinline)) static void holds_in_window(void)
{
    pthread_t t = lock_contend_hold(&m, waits_in_window);
    lock_contend_release(&m, t, 5);
}

static pb_profile *write_profile(const char *name, bool window)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    if (window)
        assert_int_equal(cb_lockprof_write_window(name, f, 0), 0);
    else
        assert_int_equal(cbench_write_profile(name, f, 0), 0);
    pb_profile *p = read_profile_stream(f);
    fclose(f);
    assert_non_null(p);
    return p;
}

static void window_holds_only_its_own_waits(void **state)
{
    (void)state;
    cbench_set_mutex_profile_fraction(1);
    cbench_set_block_profile_rate(1);
    holds_before_window();
    cb_lockprof_window_begin();
    holds_in_window();

    pb_profile *mutex = write_profile("mutex", true);
    assert_int_equal(cum_value(mutex, CONTENTIONS, "holds_before_window"), 0);
    assert_int_equal(cum_value(mutex, CONTENTIONS, "holds_in_window"), 1);
    assert_true(cum_value(mutex, DELAY, "holds_in_window") > 0);
    free_profile(mutex);

    pb_profile *block = write_profile("block", true);
    assert_int_equal(cum_value(block, CONTENTIONS, "waits_before_window"), 0);
    assert_int_equal(cum_value(block, CONTENTIONS, "waits_in_window"), 1);
    assert_true(cum_value(block, DELAY, "waits_in_window") > 0);
    free_profile(block);

    /* The whole-process profiles keep both. */
    pb_profile *all = write_profile("mutex", false);
    assert_int_equal(cum_value(all, CONTENTIONS, "holds_before_window"), 1);
    assert_int_equal(cum_value(all, CONTENTIONS, "holds_in_window"), 1);
    free_profile(all);
    all = write_profile("block", false);
    assert_int_equal(cum_value(all, CONTENTIONS, "waits_before_window"), 1);
    assert_int_equal(cum_value(all, CONTENTIONS, "waits_in_window"), 1);
    free_profile(all);

    /* A new window starts empty. */
    cb_lockprof_window_begin();
    mutex = write_profile("mutex", true);
    assert_int_equal(total_value(mutex, CONTENTIONS), 0);
    assert_int_equal(total_value(mutex, DELAY), 0);
    free_profile(mutex);
}

static void write_window_refuses_other_profiles(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(cb_lockprof_write_window("heap", f, 0), -1);
    assert_int_equal(cb_lockprof_write_window("mutex", NULL, 0), -1);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(window_holds_only_its_own_waits),
        cmocka_unit_test(write_window_refuses_other_profiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
