/*
 * The flight recorder in user context: a ring that keeps the most recent
 * events, dumped as a complete trace (symbolized samples, open spans
 * closed at the dump) while recording goes on; errors. The dump from a
 * fatal signal is in test_trace_crash.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cbench/trace.h"
#include "trace/tracer.h"
#include "trace_reader.h"

static char path[] = "/tmp/cbench-trace-flight-XXXXXX.json";

static void load_checked(tr_trace *t)
{
    assert_int_equal(tr_load(path, t), 0);
    assert_true(t->complete);
    const char *bad = tr_check(t);
    if (bad)
        fail_msg("%s", bad);
}

static void test_the_ring_keeps_the_latest_events_and_goes_on_after_a_dump(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(cb_trace_flight_stop(), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(cb_trace_flight_dump_path(path), -1);
    assert_int_equal(cb_trace_flight_start(1 << 20), 0);
    errno = 0;
    assert_int_equal(cbench_start_trace(stdout), -1);
    assert_int_equal(errno, EBUSY);
    cbench_region_begin("open across the dump");
    for (int i = 0; i < 200000; i++) {
        cbench_region_begin("event");
        cbench_region_end();
        if (i % 1000 == 0)
            cbench_trace_log("flight", "log %d", i);
    }
    assert_int_equal(cb_trace_flight_dump_path(path), 0);
    tr_trace t;
    load_checked(&t);
    int64_t me = (int64_t)syscall(SYS_gettid);
    /* 400000 events of 16 bytes do not fit in 1 MiB: the oldest are gone,
     * the newest are there. */
    assert_int_equal(tr_count(&t, 'i', "log 0", me), 0);
    assert_int_equal(tr_count(&t, 'i', "log 199000", me), 1);
    assert_true(tr_count(&t, 'B', "event", me) < 100000);
    assert_non_null(tr_find(&t, 'i', "cbench: flight recorder dump", -1, 0));
    /* The span open across the dump lost its begin to the ring. */
    assert_int_equal(tr_count(&t, 'B', "open across the dump", me), 0);
    tr_free(&t);
    /* Recording goes on after the dump. */
    cbench_region_begin("after the dump");
    cbench_region_end();
    cbench_region_begin("still open");
    assert_int_equal(cb_trace_flight_dump_path(path), 0);
    load_checked(&t);
    assert_int_equal(tr_count(&t, 'B', "after the dump", me), 1);
    const tr_event *e = tr_find(&t, 'E', "still open", me, 0);
    assert_non_null(e);
    assert_string_equal(tr_arg_str(e, "cbench"), "open at dump");
    tr_free(&t);
    cbench_region_end();
    cbench_region_end();
    assert_int_equal(cb_trace_flight_stop(), 0);
    cbench_region_begin("after the stop");
    cbench_region_end();
    /* And a streaming trace can start again. */
    FILE *f = tmpfile();
    assert_int_equal(cbench_start_trace(f), 0);
    assert_int_equal(cbench_stop_trace(), 0);
    fclose(f);
}

int main(void)
{
    int fd = mkstemps(path, 5);
    if (fd < 0)
        return 1;
    close(fd);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_ring_keeps_the_latest_events_and_goes_on_after_a_dump),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(path);
    return rc;
}
