/*
 * Volume and loss. Tens of millions of events go through a buffer of
 * 4 MiB: memory stays within the buffer's bound (resident memory
 * measured, and the tracer's own accounting), and when the producer
 * never outruns the writer (it waits for the writer after each burst
 * smaller than the buffer) nothing is lost. When the writer is held,
 * what does not fit is dropped and counted exactly: every event the test
 * made is either in the file or in the drop counts the file reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cbench/trace.h"
#include "trace/buffer.h"
#include "trace/tracer.h"
#include "trace_reader.h"

enum { BUFFER = 4 << 20 };

/* Resident pages of this process, bytes. */
static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

/* Counts the events a volume run leaves, without loading the whole file
 * into a JSON tree: one event per line. */
static void count_lines(const char *path, uint64_t *b, uint64_t *e, uint64_t *dropped_total)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    *b = *e = *dropped_total = 0;
    while (fgets(line, sizeof line, f)) {
        /* Ends the tracer wrote itself (a span whose end fell into a
         * gap, closed where the gap began) are not the program's. */
        if (strstr(line, "\"name\":\"v\"") && !strstr(line, "\"cbench\":")) {
            *b += strstr(line, "\"ph\":\"B\"") != NULL;
            *e += strstr(line, "\"ph\":\"E\"") != NULL;
        }
        const char *d = strstr(line, "\"cbench: events dropped (total)\"");
        if (d) {
            const char *n = strstr(line, "\"dropped\":");
            assert_non_null(n);
            *dropped_total += strtoull(n + 10, NULL, 10);
        }
    }
    fclose(f);
}

static void test_tens_of_millions_of_events_stay_within_the_bound_and_none_is_lost(void **state)
{
    (void)state;
    char path[] = "/tmp/cbench-trace-volume-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    cb_trace_set_buffer_size(BUFFER);
    assert_int_equal(cbench_start_trace_path(path), 0);
    long rss_before = rss_bytes();
    long rss_peak = rss_before;
    /* 16 bytes a record: a burst of a quarter of the buffer. */
    const uint64_t burst = BUFFER / 16 / 4 / 2, pairs = 10 * 1000 * 1000;
    for (uint64_t done = 0; done < pairs; done += burst) {
        for (uint64_t i = 0; i < burst; i++) {
            cbench_region_begin("v");
            cbench_region_end();
        }
        cb_trace_writer_sync();
        long r = rss_bytes();
        if (r > rss_peak)
            rss_peak = r;
    }
    assert_int_equal(cbench_stop_trace(), 0);
    cb_trace_stats st;
    cb_trace_last_stats(&st);
    cb_trace_set_buffer_size(0);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(st.buffer_bytes, BUFFER);
    uint64_t b, e, dropped;
    count_lines(path, &b, &e, &dropped);
    unlink(path);
    uint64_t total = (pairs + burst - 1) / burst * burst;
    assert_int_equal(b, total);
    assert_int_equal(e, total);
    assert_int_equal(dropped, 0);
    /* Resident memory grew by less than the buffer plus the writer's
     * output buffer (1 MiB) and its slack; 20 million events of 16 bytes
     * are 305 MiB. */
    long growth = rss_peak - rss_before;
    if (growth > BUFFER + (4 << 20))
        fail_msg("resident memory grew by %ld bytes for a %d-byte buffer", growth, BUFFER);
}

typedef struct producer {
    uint64_t made;
    int64_t tid;
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    p->tid = (int64_t)syscall(SYS_gettid);
    for (int i = 0; i < 400000; i++) {
        cbench_region_begin("v");
        cbench_region_end();
        p->made += 2;
    }
    return NULL;
}

static void test_with_the_writer_held_losses_are_counted_exactly(void **state)
{
    (void)state;
    char path[] = "/tmp/cbench-trace-loss-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    cb_trace_set_buffer_size(1 << 20);
    assert_int_equal(cbench_start_trace_path(path), 0);
    cb_trace_writer_hold(true);
    producer p[3] = {{0}};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, produce, &p[i]), 0);
    /* Not pthread_join, whose wait the trace records on this thread: its
     * events, dropped or not, would be ones the count below ignores. */
    for (int i = 0; i < 3; i++)
        while (pthread_tryjoin_np(th[i], NULL) == EBUSY)
            sched_yield();
    cb_trace_writer_hold(false);
    assert_int_equal(cbench_stop_trace(), 0);
    cb_trace_stats st;
    cb_trace_last_stats(&st);
    cb_trace_set_buffer_size(0);
    uint64_t made = p[0].made + p[1].made + p[2].made;
    uint64_t b, e, dropped;
    count_lines(path, &b, &e, &dropped);
    /* 2.4 million events of 16 bytes cannot fit in 1 MiB. */
    assert_true(dropped > 0);
    assert_int_equal(dropped, st.dropped);
    /* Loaded properly: the file still nests (spans cut by a gap are
     * closed where the gap began) and each gap is marked on its thread. */
    tr_trace t;
    assert_int_equal(tr_load(path, &t), 0);
    const char *bad = tr_check(&t);
    if (bad)
        fail_msg("%s", bad);
    assert_int_equal(b, tr_count(&t, 'B', "v", -1));
    /* Each thread also made two events of its own, its start and exit
     * marks: in the file, or among the drops. */
    for (int i = 0; i < 3; i++) {
        assert_non_null(tr_find(&t, 'i', "cbench: events dropped (total)", p[i].tid, 0));
        made += tr_count(&t, 'i', "thread start", p[i].tid) == 0;
        made += tr_count(&t, 'i', "thread exit", p[i].tid) == 0;
    }
    assert_int_equal(b + e + dropped, made);
    tr_free(&t);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tens_of_millions_of_events_stay_within_the_bound_and_none_is_lost),
        cmocka_unit_test(test_with_the_writer_held_losses_are_counted_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
