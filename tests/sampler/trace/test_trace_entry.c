/*
 * The entry points the interposers, the CPU profiler and the harness will
 * call (tracer.h), called directly: region lengths against times this
 * test measures, wait spans and the flows that link the waking thread to
 * the waiter, CPU samples symbolized into V8 profile events, counters,
 * spans with arguments, names given to other threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cbench/trace.h"
#include "trace/tracer.h"
#include "trace_reader.h"

static char path[] = "/tmp/cbench-trace-entry-XXXXXX.json";

static void start(void)
{
    assert_int_equal(cbench_start_trace_path(path), 0);
}

static void stop_and_load(tr_trace *t)
{
    assert_int_equal(cbench_stop_trace(), 0);
    assert_int_equal(tr_load(path, t), 0);
    const char *bad = tr_check(t);
    if (bad)
        fail_msg("%s", bad);
}

/*
 * A region around work whose length the test measures itself, from
 * outside (before begin, after end) and inside (after begin, before
 * end): the traced length must lie between the two. The allowance is
 * the clock's documented error (clock.h): two conversions of 10 ns each
 * plus the rate's error over the length, 1e-5 of it at most here.
 */
static void check_known_lengths(void)
{
    static const int lengths_us[] = {50, 2000, 30000, 120000};
    start();
    double inner[4], outer[4];
    for (int i = 0; i < 4; i++) {
        double a = tr_now_us();
        cbench_region_begin("measured");
        double b = tr_now_us();
        if (i % 2) {
            usleep((useconds_t)lengths_us[i]);
        } else {
            while (tr_now_us() - b < lengths_us[i])
                ; /* busy */
        }
        double c = tr_now_us();
        cbench_region_end();
        double d = tr_now_us();
        inner[i] = c - b;
        outer[i] = d - a;
    }
    tr_trace t;
    stop_and_load(&t);
    for (int i = 0; i < 4; i++) {
        double traced = tr_span_us(&t, "measured", tr_gettid(), (size_t)i);
        double slack = 0.02 + 1e-5 * outer[i];
        if (traced < inner[i] - slack || traced > outer[i] + slack)
            fail_msg("region %d: traced %.3f us, measured between %.3f and %.3f us", i, traced,
                     inner[i], outer[i]);
    }
    tr_free(&t);
}

static void test_a_region_lasts_as_long_as_the_test_measured(void **state)
{
    (void)state;
    check_known_lengths();
    /* Again, now that the process knows the clock's rate from the first
     * trace: the second trace converts from its start. */
    check_known_lengths();
}

typedef struct waiter_args {
    pthread_mutex_t *m;
    _Atomic uint64_t flow;   /* what the waking thread hands over */
    _Atomic int waiting;
    int64_t tid;
} waiter_args;

static int object;

static void *waiter(void *arg)
{
    waiter_args *w = arg;
    w->tid = tr_gettid();
    uint64_t token = cb_trace_wait_begin(CB_TRACE_WAIT_MUTEX, &object);
    assert_true(token != 0);
    atomic_store(&w->waiting, 1);
    uint64_t flow;
    while (!(flow = atomic_load(&w->flow)))
        usleep(100);
    cb_trace_wait_end(token, CB_TRACE_WAIT_MUTEX, &object, flow);
    /* A wait that nothing woke (no flow). */
    token = cb_trace_wait_begin(CB_TRACE_WAIT_SEM, &object);
    cb_trace_wait_end(token, CB_TRACE_WAIT_SEM, &object, 0);
    return NULL;
}

static void test_a_wait_is_a_span_on_the_waiter_linked_to_the_thread_that_woke_it(void **state)
{
    (void)state;
    start();
    waiter_args w = {0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, waiter, &w), 0);
    while (!atomic_load(&w.waiting))
        usleep(100);
    usleep(2000);
    cbench_region_begin("unlocking");
    uint64_t flow = 0x5eed; /* the interposer's ids are its own */
    cb_trace_wake(CB_TRACE_WAIT_MUTEX, &object, flow);
    cbench_region_end();
    atomic_store(&w.flow, flow);
    pthread_join(th, NULL);
    tr_trace t;
    stop_and_load(&t);

    char obj[32];
    snprintf(obj, sizeof obj, "0x%lx", (unsigned long)(uintptr_t)&object);
    const tr_event *b = tr_find(&t, 'B', "wait: mutex", w.tid, 0);
    const tr_event *e = tr_find(&t, 'E', "wait: mutex", w.tid, 0);
    assert_non_null(b);
    assert_non_null(e);
    assert_string_equal(b->cat, "wait");
    assert_string_equal(tr_arg_str(b, "reason"), "mutex");
    assert_string_equal(tr_arg_str(b, "object"), obj);
    assert_true(e->ts - b->ts >= 2000);
    /* The wake on this thread starts the flow, the waiter ends it. */
    const tr_event *out = tr_find(&t, 'X', "wake: mutex", tr_gettid(), 0);
    const tr_event *in = tr_find(&t, 'X', "woken", w.tid, 0);
    assert_non_null(out);
    assert_non_null(in);
    assert_true(out->flow_out);
    assert_true(in->flow_in);
    assert_string_equal(out->bind_id, in->bind_id);
    assert_string_equal(tr_arg_str(out, "object"), obj);
    /* The woken mark sits inside the wait, after the wake. */
    assert_true(in->ts >= out->ts && in->ts >= b->ts && in->ts <= e->ts);
    const tr_event *sem = tr_find(&t, 'B', "wait: sem", w.tid, 0);
    assert_non_null(sem);
    assert_int_equal(tr_count(&t, 'X', "woken", w.tid), 1);
    tr_free(&t);
}

__attribute__((noinline)) static void sampled_function(void)
{
    uint64_t pcs[3];
    pcs[0] = (uint64_t)(uintptr_t)&sampled_function + 4; /* a PC inside it, as a leaf */
    pcs[1] = (uint64_t)(uintptr_t)__builtin_return_address(0);
    pcs[2] = 0x10; /* an address nothing names */
    for (int i = 0; i < 5; i++)
        cb_trace_sample(pcs, 3);
}

static void test_samples_become_v8_profile_events_with_symbols(void **state)
{
    (void)state;
    start();
    sampled_function();
    tr_trace t;
    stop_and_load(&t);
    int64_t me = tr_gettid();
    const tr_event *prof = tr_find(&t, 'P', "Profile", me, 0);
    const tr_event *chunk = tr_find(&t, 'P', "ProfileChunk", me, 0);
    assert_non_null(prof);
    assert_non_null(chunk);
    assert_string_equal(prof->id, chunk->id);
    const json_t *data = json_object_get(chunk->args, "data");
    const json_t *cpu = json_object_get(data, "cpuProfile");
    const json_t *nodes = json_object_get(cpu, "nodes");
    const json_t *samples = json_object_get(cpu, "samples");
    const json_t *deltas = json_object_get(data, "timeDeltas");
    assert_true(json_is_array(nodes));
    assert_true(json_is_array(samples));
    assert_true(json_is_array(deltas));
    assert_int_equal(json_array_size(samples), 5);
    assert_int_equal(json_array_size(deltas), 5);
    /* The leaf node is the sampled function, its parent chain ends at
     * the root; the unnamed address keeps its hex form. */
    bool named = false, unnamed = false, root = false;
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        const json_t *frame = json_object_get(json_array_get(nodes, i), "callFrame");
        const char *fn = json_string_value(json_object_get(frame, "functionName"));
        assert_non_null(fn);
        named |= strcmp(fn, "sampled_function") == 0;
        unnamed |= strcmp(fn, "0x10") == 0;
        root |= strcmp(fn, "(root)") == 0;
    }
    assert_true(named);
    assert_true(unnamed);
    assert_true(root);
    json_int_t leaf = json_integer_value(json_array_get(samples, 0));
    for (size_t i = 1; i < json_array_size(samples); i++)
        assert_int_equal(json_integer_value(json_array_get(samples, i)), leaf);
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        const json_t *n = json_array_get(nodes, i);
        if (json_integer_value(json_object_get(n, "id")) != leaf)
            continue;
        const json_t *frame = json_object_get(n, "callFrame");
        assert_string_equal(json_string_value(json_object_get(frame, "functionName")),
                            "sampled_function");
    }
    tr_free(&t);
}

static _Atomic int64_t other_tid;
static _Atomic int other_done;

static void *rename_me(void *arg)
{
    (void)arg;
    cbench_region_begin("renamed thread's region");
    cbench_region_end();
    atomic_store(&other_tid, tr_gettid());
    while (!atomic_load(&other_done))
        usleep(1000);
    return NULL;
}

static void test_counters_spans_with_arguments_and_names_of_other_threads(void **state)
{
    (void)state;
    start();
    cb_trace_counter("queue length", 3);
    cb_trace_counter("queue length", -7);
    cb_trace_span_begin("bench", "BenchmarkX/round-1");
    cbench_region_begin("inside the round");
    cbench_region_end();
    cb_trace_arg args[2] = {{"iterations", 1000000}, {"ns/op", 12.5}};
    cb_trace_span_end(args, 2);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rename_me, NULL), 0);
    while (!atomic_load(&other_tid))
        usleep(1000);
    /* Names given through cbench (pthread_setname_np's interposer, from
     * any thread) win over what /proc says. */
    cb_trace_thread_named((pid_t)tr_gettid(), "main-renamed");
    cb_trace_thread_named((pid_t)atomic_load(&other_tid), "other-renamed");
    atomic_store(&other_done, 1);
    pthread_join(th, NULL);
    tr_trace t;
    stop_and_load(&t);
    int64_t me = tr_gettid();
    const tr_event *c0 = tr_find(&t, 'C', "queue length", me, 0);
    const tr_event *c1 = tr_find(&t, 'C', "queue length", me, 1);
    assert_non_null(c0);
    assert_non_null(c1);
    assert_int_equal((int)tr_arg_num(c0, "value"), 3);
    assert_int_equal((int)tr_arg_num(c1, "value"), -7);
    const tr_event *b = tr_find(&t, 'B', "BenchmarkX/round-1", me, 0);
    const tr_event *e = tr_find(&t, 'E', "BenchmarkX/round-1", me, 0);
    assert_non_null(b);
    assert_non_null(e);
    assert_string_equal(b->cat, "bench");
    assert_true(tr_arg_num(e, "iterations") == 1000000);
    assert_true(tr_arg_num(e, "ns/op") == 12.5);
    assert_string_equal(tr_thread_name(&t, me), "main-renamed");
    assert_string_equal(tr_thread_name(&t, atomic_load(&other_tid)), "other-renamed");
    tr_free(&t);
}

static int setup(void **state)
{
    (void)state;
    int fd = mkstemps(path, 5);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_region_lasts_as_long_as_the_test_measured),
        cmocka_unit_test(test_a_wait_is_a_span_on_the_waiter_linked_to_the_thread_that_woke_it),
        cmocka_unit_test(test_samples_become_v8_profile_events_with_symbols),
        cmocka_unit_test(test_counters_spans_with_arguments_and_names_of_other_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
