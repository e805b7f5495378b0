/*
 * The trace API as a program uses it: errors, what a trace holds
 * (regions, tasks across threads, logs, thread names including threads
 * that existed before the start), limits (cut names and messages),
 * spans left open or closed twice, restarts, threads exiting mid-trace,
 * path-based traces appearing only when complete, fork.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbench/profile.h"
#include "cbench/trace.h"
#include "trace/tracer.h"
#include "trace_reader.h"

static char dir[] = "/tmp/cbench-trace-api-XXXXXX";

static const char *path_of(const char *name)
{
    static char p[4][256];
    static int k;
    char *s = p[k++ % 4];
    snprintf(s, 256, "%s/%s", dir, name);
    return s;
}

static void load_checked(const char *path, tr_trace *t)
{
    assert_int_equal(tr_load(path, t), 0);
    assert_true(t->complete);
    const char *bad = tr_check(t);
    if (bad)
        fail_msg("%s: %s", path, bad);
}

static void test_bad_arguments_fail_before_any_work(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(cbench_start_trace(NULL), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(cbench_last_error(), "NULL"));
    errno = 0;
    assert_int_equal(cbench_start_trace_path(NULL), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(cbench_start_trace_path(""), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(cbench_start_trace_path("/nonexistent-dir/trace.json"), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(cbench_last_error(), "nonexistent-dir"));
    errno = 0;
    assert_int_equal(cbench_stop_trace(), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(cbench_last_error(), "no trace"));
    /* Nothing is recorded while no trace runs. */
    cbench_region_begin("nothing");
    cbench_region_end();
    assert_null(cbench_task_begin("nothing"));
    cbench_task_end(NULL);
}

static void test_start_while_running_is_ebusy_and_leaves_the_second_stream_alone(void **state)
{
    (void)state;
    FILE *first = fopen(path_of("first.json"), "w"), *second = tmpfile();
    assert_int_equal(cbench_start_trace(first), 0);
    errno = 0;
    assert_int_equal(cbench_start_trace(second), -1);
    assert_int_equal(errno, EBUSY);
    assert_int_equal(cbench_start_trace_path(path_of("never.json")), -1);
    assert_int_equal(errno, EBUSY);
    assert_int_equal(cb_trace_flight_start(0), -1);
    assert_int_equal(errno, EBUSY);
    cbench_region_begin("in first");
    cbench_region_end();
    assert_int_equal(cbench_stop_trace(), 0);
    fclose(first);
    assert_int_equal(ftell(second), 0);
    fclose(second);
    assert_int_equal(access(path_of("never.json"), F_OK), -1);
    tr_trace t;
    load_checked(path_of("first.json"), &t);
    assert_int_equal(tr_count(&t, 'B', "in first", tr_gettid()), 1);
    tr_free(&t);
}

static void test_full_disk_surfaces_at_stop(void **state)
{
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    assert_non_null(full);
    assert_int_equal(cbench_start_trace(full), 0);
    for (int i = 0; i < 1000; i++) {
        cbench_region_begin("r");
        cbench_region_end();
    }
    errno = 0;
    assert_int_equal(cbench_stop_trace(), -1);
    assert_int_equal(errno, ENOSPC);
    assert_non_null(strstr(cbench_last_error(), "writing the trace"));
    fclose(full);
    /* And the tracer works again afterwards. */
    FILE *ok = tmpfile();
    assert_int_equal(cbench_start_trace(ok), 0);
    assert_int_equal(cbench_stop_trace(), 0);
    fclose(ok);
}

typedef struct task_pass {
    cbench_task *task;
    int64_t tid;
} task_pass;

static void *end_task(void *arg)
{
    task_pass *p = arg;
    p->tid = tr_gettid();
    pthread_setname_np(pthread_self(), "task-ender");
    cbench_region_begin("ender work");
    cbench_task_end(p->task);
    cbench_region_end();
    return NULL;
}

static void *idle_thread(void *arg)
{
    int *fd = arg;
    char c;
    read(fd[0], &c, 1); /* parked until the test is done */
    return NULL;
}

static void test_a_trace_holds_what_was_written(void **state)
{
    (void)state;
    /* A thread that exists before the start and records nothing. */
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pthread_t idle;
    assert_int_equal(pthread_create(&idle, NULL, idle_thread, fd), 0);
    pthread_setname_np(idle, "old-idler");
    usleep(10000);

    const char *path = path_of("holds.json");
    assert_int_equal(cbench_start_trace_path(path), 0);
    /* Under its temporary name until complete. */
    assert_int_equal(access(path, F_OK), -1);
    cbench_region_begin("outer");
    cbench_region_begin("inner \"quoted\" \\ and\nnewline");
    cbench_trace_log("net", "sent %d bytes to %s", 42, "host");
    cbench_trace_log(NULL, "no category");
    cbench_region_end();
    task_pass p = {.task = cbench_task_begin("request")};
    assert_non_null(p.task);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, end_task, &p), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    cbench_region_end();
    assert_int_equal(cbench_stop_trace(), 0);
    assert_int_equal(write(fd[1], "x", 1), 1);
    pthread_join(idle, NULL);

    tr_trace t;
    load_checked(path, &t);
    int64_t me = tr_gettid();
    assert_int_equal(tr_count(&t, 'B', "outer", me), 1);
    assert_int_equal(tr_count(&t, 'E', "outer", me), 1);
    assert_int_equal(tr_count(&t, 'B', "inner \"quoted\" \\ and\nnewline", me), 1);
    const tr_event *log = tr_find(&t, 'i', "sent 42 bytes to host", me, 0);
    assert_non_null(log);
    assert_string_equal(log->cat, "net");
    log = tr_find(&t, 'i', "no category", me, 0);
    assert_non_null(log);
    assert_string_equal(log->cat, "log");
    /* The task began here and ended on the other thread, under one id. */
    const tr_event *b = tr_find(&t, 'b', "request", me, 0);
    const tr_event *e = tr_find(&t, 'e', "request", p.tid, 0);
    assert_non_null(b);
    assert_non_null(e);
    assert_string_equal(b->id, e->id);
    assert_string_equal(b->cat, "task");
    assert_true(e->ts >= b->ts);
    assert_int_equal(tr_count(&t, 'B', "ender work", p.tid), 1);
    /* Names: the process, this thread, the one that ended the task, and
     * the idle thread that existed before the start. */
    assert_non_null(tr_find(&t, 'M', "process_name", -1, 0));
    assert_string_equal(tr_thread_name(&t, p.tid), "task-ender");
    assert_true(strlen(tr_thread_name(&t, me)) > 0);
    bool idler = false;
    for (size_t i = 0; i < t.n; i++) {
        const tr_event *m = &t.ev[i];
        const char *v = m->ph == 'M' ? tr_arg_str(m, "name") : NULL;
        idler |= v && strcmp(v, "old-idler") == 0;
    }
    assert_true(idler);
    assert_non_null(tr_find(&t, 'i', "cbench: trace end", -1, 0));
    tr_free(&t);
}

/* Names are interned by content: one buffer reused with other contents
 * (shorter, longer, one byte changed, at the end of a page) gives each
 * its own name. */
static void test_a_reused_name_buffer_names_each_region_by_its_content(void **state)
{
    (void)state;
    static const char *const names[] = {"abc", "abd", "ab", "", "abcdefg", "abcdefgh", "abc"};
    enum { N = sizeof names / sizeof names[0] };
    static char page[2 * 4096] __attribute__((aligned(4096)));
    char stack_buf[16];
    char *at_page_end = page + 4096 - 8; /* the name's 8 bytes end the page */
    const char *path = path_of("names.json");
    assert_int_equal(cbench_start_trace_path(path), 0);
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < N; i++) {
            char *buf = k && strlen(names[i]) < 8 ? at_page_end : stack_buf;
            strcpy(buf, names[i]);
            cbench_region_begin(buf);
            cbench_region_end();
        }
    }
    assert_int_equal(cbench_stop_trace(), 0);
    tr_trace t;
    load_checked(path, &t);
    int64_t me = tr_gettid();
    assert_int_equal(tr_count(&t, 'B', "abc", me), 4);
    assert_int_equal(tr_count(&t, 'B', "abd", me), 2);
    assert_int_equal(tr_count(&t, 'B', "ab", me), 2);
    assert_int_equal(tr_count(&t, 'B', "", me), 2);
    assert_int_equal(tr_count(&t, 'B', "abcdefg", me), 2);
    assert_int_equal(tr_count(&t, 'B', "abcdefgh", me), 2);
    tr_free(&t);
}

static void test_long_names_and_messages_are_cut_and_marked(void **state)
{
    (void)state;
    char name[400], msg[3000];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    /* A two-byte character straddling the cut must not be split. */
    memcpy(name + 126, "\xc3\xa9", 2);
    memset(msg, 'm', sizeof msg - 1);
    msg[sizeof msg - 1] = 0;
    FILE *f = fopen(path_of("cut.json"), "w");
    assert_int_equal(cbench_start_trace(f), 0);
    cbench_region_begin(name);
    cbench_region_end();
    cbench_trace_log("long", "%s", msg);
    cbench_trace_log("bad utf-8", "a\xff\xfe b");
    assert_int_equal(cbench_stop_trace(), 0);
    fclose(f);
    tr_trace t;
    load_checked(path_of("cut.json"), &t);
    const tr_event *b = tr_find(&t, 'B', NULL, tr_gettid(), 0);
    assert_non_null(b);
    size_t n = strlen(b->name);
    assert_true(n <= 127 + 3);
    assert_string_equal(b->name + n - 3, "\xe2\x80\xa6"); /* "…" */
    assert_int_equal(strncmp(b->name, name, 126), 0);
    assert_int_equal(n, 126 + 3); /* cut before the é, not through it */
    const tr_event *l = tr_find(&t, 'i', NULL, tr_gettid(), 0);
    assert_non_null(l);
    assert_string_equal(l->cat, "long");
    assert_int_equal(strlen(l->name), 1023 + 3);
    assert_true(json_is_true(json_object_get(l->args, "cut")));
    const tr_event *u = tr_find(&t, 'i', "a\xef\xbf\xbd\xef\xbf\xbd b", tr_gettid(), 0);
    assert_non_null(u); /* invalid bytes became U+FFFD */
    tr_free(&t);
}

static void test_open_spans_close_at_stop_and_stray_ends_are_counted(void **state)
{
    (void)state;
    FILE *f = fopen(path_of("open.json"), "w");
    assert_int_equal(cbench_start_trace(f), 0);
    cbench_region_end(); /* nothing open */
    cbench_region_begin("left open");
    cbench_region_begin("also open");
    cbench_task_begin("task left open");
    assert_int_equal(cbench_stop_trace(), 0);
    cbench_region_end(); /* after stop: nothing recorded, nothing breaks */
    cbench_region_end();
    fclose(f);
    tr_trace t;
    load_checked(path_of("open.json"), &t);
    int64_t me = tr_gettid();
    const tr_event *e = tr_find(&t, 'E', "left open", me, 0);
    assert_non_null(e);
    assert_string_equal(tr_arg_str(e, "cbench"), "open at stop");
    assert_non_null(tr_find(&t, 'E', "also open", me, 0));
    const tr_event *te = tr_find(&t, 'e', "task left open", -1, 0);
    assert_non_null(te);
    assert_string_equal(tr_arg_str(te, "cbench"), "open at stop");
    const tr_event *note = tr_find(&t, 'i', "cbench: region ends without a begin (dropped)", me, 0);
    assert_non_null(note);
    assert_int_equal((int)tr_arg_num(note, "count"), 1);
    const tr_event *end = tr_find(&t, 'i', "cbench: trace end", -1, 0);
    assert_int_equal((int)tr_arg_num(end, "unmatched_ends"), 1);
    tr_free(&t);
}

static void *short_lived(void *arg)
{
    int k = *(int *)arg;
    char name[16];
    snprintf(name, sizeof name, "short-%d", k);
    pthread_setname_np(pthread_self(), name);
    cbench_region_begin(name);
    cbench_region_end();
    return NULL;
}

static void test_threads_that_exit_mid_trace_are_written_and_named(void **state)
{
    (void)state;
    FILE *f = fopen(path_of("exit.json"), "w");
    assert_int_equal(cbench_start_trace(f), 0);
    int ids[20];
    for (int i = 0; i < 20; i++) {
        pthread_t th;
        ids[i] = i;
        assert_int_equal(pthread_create(&th, NULL, short_lived, &ids[i]), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
    }
    assert_int_equal(cbench_stop_trace(), 0);
    fclose(f);
    tr_trace t;
    load_checked(path_of("exit.json"), &t);
    for (int i = 0; i < 20; i++) {
        char name[16];
        snprintf(name, sizeof name, "short-%d", i);
        const tr_event *b = tr_find(&t, 'B', name, -1, 0);
        assert_non_null(b);
        assert_string_equal(tr_thread_name(&t, b->tid), name);
        assert_non_null(tr_find(&t, 'i', "thread exit", b->tid, 0));
    }
    tr_free(&t);
}

static void test_repeated_start_stop_gives_separate_complete_traces(void **state)
{
    (void)state;
    for (int round = 0; round < 30; round++) {
        char name[32];
        snprintf(name, sizeof name, "round %d", round);
        const char *path = path_of("round.json");
        assert_int_equal(cbench_start_trace_path(path), 0);
        cbench_region_begin(name);
        cbench_task_end(cbench_task_begin(name));
        cbench_region_end();
        assert_int_equal(cbench_stop_trace(), 0);
        tr_trace t;
        load_checked(path, &t);
        assert_int_equal(tr_count(&t, 'B', NULL, tr_gettid()), 1);
        assert_int_equal(tr_count(&t, 'B', name, tr_gettid()), 1);
        assert_int_equal(tr_count(&t, 'b', name, -1), 1);
        tr_free(&t);
    }
}

static void test_a_task_from_an_earlier_trace_is_ignored(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_int_equal(cbench_start_trace(f), 0);
    cbench_task *old = cbench_task_begin("old");
    assert_int_equal(cbench_stop_trace(), 0);
    fclose(f);
    f = fopen(path_of("old.json"), "w");
    assert_int_equal(cbench_start_trace(f), 0);
    cbench_task_end(old);
    assert_int_equal(cbench_stop_trace(), 0);
    fclose(f);
    tr_trace t;
    load_checked(path_of("old.json"), &t);
    assert_int_equal(tr_count(&t, 'e', "old", -1), 0);
    tr_free(&t);
}

static void test_fork_while_tracing_leaves_the_child_untraced(void **state)
{
    (void)state;
    const char *path = path_of("fork.json");
    assert_int_equal(cbench_start_trace_path(path), 0);
    cbench_region_begin("before fork");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The child records nothing into the parent's trace, has no
         * trace to stop, and may start one of its own. */
        cbench_region_end();
        cbench_region_begin("in child");
        cbench_region_end();
        int ok = cbench_stop_trace() == -1 && errno == EINVAL;
        ok &= cbench_start_trace_path(path_of("child.json")) == 0;
        cbench_region_begin("child's own");
        cbench_region_end();
        ok &= cbench_stop_trace() == 0;
        exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    cbench_region_end();
    assert_int_equal(cbench_stop_trace(), 0);
    tr_trace t;
    load_checked(path, &t);
    assert_int_equal(tr_count(&t, 'B', "before fork", -1), 1);
    assert_int_equal(tr_count(&t, 'B', "in child", -1), 0);
    assert_int_equal(tr_count(&t, 'B', "child's own", -1), 0);
    for (size_t i = 0; i < t.n; i++)
        if (t.ev[i].ph != 'M')
            assert_int_equal(t.ev[i].pid, getpid());
    tr_free(&t);
    load_checked(path_of("child.json"), &t);
    const tr_event *b = tr_find(&t, 'B', "child's own", -1, 0);
    assert_non_null(b);
    assert_int_equal(b->pid, pid);
    assert_int_equal(tr_count(&t, 'B', "before fork", -1), 0);
    tr_free(&t);
}

static void test_heap_counters_are_a_counter_track(void **state)
{
    (void)state;
    FILE *f = fopen(path_of("heap.json"), "w");
    assert_int_equal(cbench_start_trace(f), 0);
    assert_int_equal(cbench_stop_trace(), 0);
    fclose(f);
    tr_trace t;
    load_checked(path_of("heap.json"), &t);
    const tr_event *c = tr_find(&t, 'C', "heap", -1, 0);
    assert_non_null(c);
    assert_false(isnan(tr_arg_num(c, "alloc_bytes")));
    assert_false(isnan(tr_arg_num(c, "heap_objects")));
    tr_free(&t);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_arguments_fail_before_any_work),
        cmocka_unit_test(test_start_while_running_is_ebusy_and_leaves_the_second_stream_alone),
        cmocka_unit_test(test_full_disk_surfaces_at_stop),
        cmocka_unit_test(test_a_trace_holds_what_was_written),
        cmocka_unit_test(test_a_reused_name_buffer_names_each_region_by_its_content),
        cmocka_unit_test(test_long_names_and_messages_are_cut_and_marked),
        cmocka_unit_test(test_open_spans_close_at_stop_and_stray_ends_are_counted),
        cmocka_unit_test(test_threads_that_exit_mid_trace_are_written_and_named),
        cmocka_unit_test(test_repeated_start_stop_gives_separate_complete_traces),
        cmocka_unit_test(test_a_task_from_an_earlier_trace_is_ignored),
        cmocka_unit_test(test_fork_while_tracing_leaves_the_child_untraced),
        cmocka_unit_test(test_heap_counters_are_a_counter_track),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
