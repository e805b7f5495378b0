/*
 * The threads and threadcreate profiles against threads the test parks in
 * a known function under known names (test_threads_park.c), and the
 * exact thread counters of a scope.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cbench.h"
#include "profile_reader.h"
#include "test_threads_park.h"
#include "threadprof.h"
#include "interpose/threads.h"
#include "stack/unwind.h"

typedef Perftools__Profiles__Sample pb_sample;

void threads_test_spawn(park *p, const char *prefix);

static const char *sample_label(const pb_profile *p, const pb_sample *s, const char *key)
{
    for (size_t i = 0; i < s->n_label; i++)
        if (strcmp(pstr(p, s->label[i]->key), key) == 0)
            return pstr(p, s->label[i]->str);
    return NULL;
}

static bool sample_has(const pb_profile *p, const pb_sample *s, const char *function)
{
    for (size_t i = 0; i < s->n_location_id; i++) {
        const Perftools__Profiles__Location *loc = find_location(p, s->location_id[i]);
        for (size_t j = 0; loc && j < loc->n_line; j++) {
            const Perftools__Profiles__Function *f = find_function(p, loc->line[j]->function_id);
            if (f && strcmp(pstr(p, f->name), function) == 0)
                return true;
        }
    }
    return false;
}

/* The samples labelled thread=name, and whether each has the function. */
static int named_with(const pb_profile *p, const char *name, const char *function)
{
    int n = 0;
    for (size_t i = 0; i < p->n_sample; i++) {
        const char *l = sample_label(p, p->sample[i], "thread");
        if (l && strcmp(l, name) == 0 && sample_has(p, p->sample[i], function))
            n++;
    }
    return n;
}

static pb_profile *write_and_read(const char *name)
{
    pb_profile *p = write_and_read_profile(name);
    assert_non_null(p);
    return p;
}

static char *write_text(const char *name, int debug)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    if (cbench_write_profile(name, f, debug) != 0)
        fail_msg("cbench_write_profile(%s, %d): %s", name, debug, cbench_last_error());
    fclose(f);
    return buf;
}

static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *s = text; (s = strstr(s, needle)); s += strlen(needle))
        n++;
    return n;
}

static int threads_now(void)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "ls /proc/%d/task | wc -l", (int)getpid());
    FILE *f = popen(cmd, "r");
    int n = 0;
    if (!f || fscanf(f, "%d", &n) != 1)
        n = -1;
    if (f)
        pclose(f);
    return n;
}

static void program_handler(int sig)
{
    (void)sig;
}

static void test_threads_signal_the_program_handles_is_not_taken(void **state)
{
    (void)state;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = program_handler;
    assert_int_equal(sigaction(CB_THREADS_SIGNAL, &sa, &old), 0);
    FILE *f = tmpfile();
    assert_int_equal(cbench_write_profile("threads", f, 0), -1);
    assert_int_equal(errno, EBUSY);
    assert_non_null(strstr(cbench_last_error(), "signal"));
    struct sigaction now;
    sigaction(CB_THREADS_SIGNAL, NULL, &now);
    assert_ptr_equal(now.sa_handler, program_handler); /* still the program's */
    sa.sa_handler = SIG_DFL;
    sigaction(CB_THREADS_SIGNAL, &sa, NULL);
    fclose(f);
}

static void test_threads_named_parked_threads_all_appear(void **state)
{
    (void)state;
    park pk;
    park_start(&pk, 4, "parked", false);
    int alive = threads_now();
    pb_profile *p = write_and_read("threads");
    assert_string_equal(pstr(p, p->sample_type[0]->type), "threads");
    assert_string_equal(pstr(p, p->sample_type[0]->unit), "count");
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "parked-%d", i);
        if (named_with(p, name, "threads_test_parked") != 1)
            fail_msg("thread %s is not in the profile, parked in threads_test_parked", name);
    }
    assert_int_equal(total_value(p, 0), alive);
    assert_int_equal(cum_value(p, 0, "threads_test_parked"), 4);
    /* The writing thread is there too, with its caller. */
    assert_int_equal(cum_value(p, 0, "write_and_read"), 1);
    free_profile(p);
    park_release(&pk);
}

static void test_threads_thread_blocking_the_signal_is_reported(void **state)
{
    (void)state;
    park pk, deaf;
    park_start(&pk, 2, "hearing", false);
    park_start(&deaf, 1, "deaf", true);
    cb_threadprof_set_timeout_ms(50);
    pb_profile *p = write_and_read("threads");
    assert_int_equal(flat_value(p, 0, "[thread did not answer]"), 1);
    assert_int_equal(named_with(p, "hearing-0", "threads_test_parked"), 1);
    assert_int_equal(named_with(p, "hearing-1", "threads_test_parked"), 1);
    bool noted = false;
    for (size_t i = 0; i < p->n_comment; i++)
        noted |= strstr(pstr(p, p->comment[i]), "\"deaf-0\" did not answer") != NULL;
    assert_true(noted);
    free_profile(p);
    char *text = write_text("threads", 2);
    assert_non_null(strstr(text, "\"deaf-0\": did not answer"));
    free(text);
    cb_threadprof_set_timeout_ms(0);
    park_release(&deaf);
    park_release(&pk);
}

static void *nothing(void *arg)
{
    return arg;
}

__attribute__((noinline)) static void threads_test_create_three(void)
{
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, nothing, NULL), 0);
        pthread_join(t, NULL);
    }
    __asm__ volatile("" ::: "memory");
}

static void test_threadcreate_shows_the_creating_function(void **state)
{
    (void)state;
    assert_true(cb_threads_interposed());
    pb_profile *before = write_and_read("threadcreate");
    assert_int_equal(cum_value(before, 0, "threads_test_create_three"), 0);
    free_profile(before);
    threads_test_create_three();
    pb_profile *p = write_and_read("threadcreate");
    assert_string_equal(pstr(p, p->sample_type[0]->type), "threadcreate");
    assert_int_equal(cum_value(p, 0, "threads_test_create_three"), 3);
    /* The leaf is pthread_create, as the program called it. */
    int64_t leaf = flat_value(p, 0, "pthread_create") + flat_value(p, 0, "cb_pthread_create");
    assert_int_equal(leaf, total_value(p, 0));
    free_profile(p);
}

static void test_threads_debug1_groups_identical_stacks(void **state)
{
    (void)state;
    park pk;
    park_start(&pk, 4, "group", false);
    char *text = write_text("threads", 1);
    assert_true(strncmp(text, "threads profile: total ", 23) == 0);
    /* The four parked threads share one stack: one record counting 4. */
    char *rec = strstr(text, "\n4 @ 0x");
    assert_non_null(rec);
    char *frame = strstr(rec, "\tthreads_test_parked\t");
    char *next = strstr(rec + 1, "\n\n");
    assert_non_null(frame);
    assert_true(next == NULL || frame < next);
    free(text);
    park_release(&pk);
}

static void test_threads_debug2_prints_every_thread(void **state)
{
    (void)state;
    park pk;
    park_start(&pk, 3, "full", false);
    char *text = write_text("threads", 2);
    for (int i = 0; i < 3; i++) {
        char head[64];
        snprintf(head, sizeof head, "%d \"full-%d\":\n", (int)atomic_load(&pk.tids[i]), i);
        char *block = strstr(text, head);
        if (!block)
            fail_msg("no block for full-%d:\n%s", i, text);
        char *end = strstr(block, "\n\n");
        char *frame = strstr(block, "\nthreads_test_parked\n\t");
        assert_non_null(frame);
        assert_true(end == NULL || frame < end);
        assert_non_null(strstr(frame, "test_threads_park.c:"));
    }
    assert_int_equal(count_of(text, "\nthreads_test_parked\n"), 3);
    free(text);
    park_release(&pk);
}

static void test_threads_scope_counts_threads_left_running(void **state)
{
    (void)state;
    assert_true(cb_threads_interposed());
    cb_threads_scope scope;
    cb_threads_delta d;
    cb_threads_scope_begin(&scope);
    park pk;
    park_start(&pk, 3, "leak", false);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, nothing, NULL), 0);
    pthread_join(t, NULL);
    cb_threads_scope_end(&scope, &d);
    assert_int_equal(d.started, 4);
    assert_int_equal(d.alive, 3);
    uint64_t pcs[CB_MAX_STACK];
    int depth = cb_threadprof_create_stack(d.leaked_stack, pcs, CB_MAX_STACK);
    assert_true(depth >= 2);
    /* Frame 1 is the call in threads_test_spawn. */
    uintptr_t spawn = (uintptr_t)threads_test_spawn;
    assert_true(pcs[1] > spawn && pcs[1] < spawn + 512);
    /* Printed for a message: the creating function with its file. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(cb_threadprof_print_create_stack(d.leaked_stack, f), 0);
    fclose(f);
    assert_true(strncmp(text, "threads_test_spawn\n\t", 20) == 0);
    assert_non_null(strstr(text, "test_threads_park.c:"));
    free(text);
    park_release(&pk);
    cb_threads_scope_end(&scope, &d);
    assert_int_equal(d.started, 4);
    assert_int_equal(d.alive, 0);
    assert_int_equal(d.leaked_stack, 0);
}

static void test_threads_profile_while_cpu_profiling_at_1khz(void **state)
{
    (void)state;
    park pk;
    park_start(&pk, 3, "cpu", false);
    FILE *cpu = tmpfile();
    cbench_set_cpu_profile_rate(1000);
    assert_int_equal(cbench_start_cpu_profile(cpu), 0);
    for (int k = 0; k < 20; k++) {
        pb_profile *p = write_and_read("threads");
        assert_int_equal(cum_value(p, 0, "threads_test_parked"), 3);
        free_profile(p);
    }
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    cbench_set_cpu_profile_rate(0);
    pb_profile *c = read_profile_stream(cpu);
    assert_non_null(c);
    free_profile(c);
    fclose(cpu);
    park_release(&pk);
}

static _Atomic int churning;

static void *churn(void *arg)
{
    (void)arg;
    while (atomic_load(&churning)) {
        pthread_t t;
        if (pthread_create(&t, NULL, nothing, NULL) == 0)
            pthread_join(t, NULL);
    }
    return NULL;
}

static void test_threads_profile_while_threads_exit(void **state)
{
    (void)state;
    park pk;
    park_start(&pk, 2, "steady", false);
    atomic_store(&churning, 1);
    pthread_t churners[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&churners[i], NULL, churn, NULL), 0);
    for (int k = 0; k < 50; k++) {
        pb_profile *p = write_and_read("threads");
        assert_int_equal(named_with(p, "steady-0", "threads_test_parked"), 1);
        assert_int_equal(named_with(p, "steady-1", "threads_test_parked"), 1);
        free_profile(p);
    }
    atomic_store(&churning, 0);
    for (int i = 0; i < 2; i++)
        pthread_join(churners[i], NULL);
    park_release(&pk);
}

static void *exits_early(void *arg)
{
    pthread_exit(arg);
}

static void test_threads_scope_sees_pthread_exit(void **state)
{
    (void)state;
    assert_true(cb_threads_interposed());
    cb_threads_scope scope;
    cb_threads_delta d;
    cb_threads_scope_begin(&scope);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, exits_early, NULL), 0);
    pthread_join(t, NULL);
    cb_threads_scope_end(&scope, &d);
    assert_int_equal(d.started, 1);
    assert_int_equal(d.alive, 0);
}

static void test_threads_profile_in_a_forked_child(void **state)
{
    (void)state;
    park pk;
    park_start(&pk, 2, "forked", false);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* The child has one thread: its own. */
        FILE *f = tmpfile();
        int ok = f && cbench_write_profile("threads", f, 0) == 0;
        pb_profile *p = ok ? read_profile_stream(f) : NULL;
        _exit(p && total_value(p, 0) == 1 && cum_value(p, 0, "threads_test_parked") == 0 ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    park_release(&pk);
}

/* After cbench installed its handler: the program's replaces it, and the
 * profile refuses rather than report every thread as silent. */
static void test_threads_handler_the_program_sets_later_is_kept(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_int_equal(cbench_write_profile("threads", f, 0), 0);
    test_threads_signal_the_program_handles_is_not_taken(state);
    rewind(f);
    assert_int_equal(cbench_write_profile("threads", f, 0), 0);
    fclose(f);
}

static void test_threads_bad_debug_level_is_refused(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_int_equal(cbench_write_profile("threads", f, 3), -1);
    assert_int_equal(errno, EINVAL);
    fclose(f);
}

/* Tests that need cbench's pthread_create: left out of the ASan build
 * (tests/sampler/CMakeLists.txt says why), never skipped. */
#ifdef CB_TEST_THREADS_INTERPOSED
#define INTERPOSED(test) cmocka_unit_test(test),
#else
#define INTERPOSED(test)
#endif

int main(void)
{
#ifndef CB_TEST_THREADS_INTERPOSED
    (void)test_threadcreate_shows_the_creating_function;
    (void)test_threads_scope_counts_threads_left_running;
    (void)test_threads_scope_sees_pthread_exit;
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_signal_the_program_handles_is_not_taken),
        cmocka_unit_test(test_threads_named_parked_threads_all_appear),
        cmocka_unit_test(test_threads_thread_blocking_the_signal_is_reported),
INTERPOSED(test_threadcreate_shows_the_creating_function)
        cmocka_unit_test(test_threads_debug1_groups_identical_stacks),
        cmocka_unit_test(test_threads_debug2_prints_every_thread),
INTERPOSED(test_threads_scope_counts_threads_left_running)
        cmocka_unit_test(test_threads_profile_while_cpu_profiling_at_1khz),
        cmocka_unit_test(test_threads_profile_while_threads_exit),
INTERPOSED(test_threads_scope_sees_pthread_exit)
        cmocka_unit_test(test_threads_profile_in_a_forked_child),
        cmocka_unit_test(test_threads_handler_the_program_sets_later_is_kept),
        cmocka_unit_test(test_threads_bad_debug_level_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
