/*
 * CPU profiler errors and lifecycle: bad arguments, double start, stop
 * without start, write failures, bad paths, fork while profiling, rate
 * and labels.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbench/profile.h"
#include "cpu.h"
#include "cpu_burn.h"
#include "profile_reader.h"

static void test_null_stream_is_einval(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(cbench_start_cpu_profile(NULL), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(cbench_last_error(), "NULL"));
    assert_int_equal(cbench_start_cpu_profile_path(NULL), -1);
    assert_int_equal(errno, EINVAL);
}

static void test_start_while_running_is_ebusy_and_keeps_the_first(void **state)
{
    (void)state;
    FILE *first = tmpfile(), *second = tmpfile();
    assert_int_equal(cbench_start_cpu_profile(first), 0);
    errno = 0;
    assert_int_equal(cbench_start_cpu_profile(second), -1);
    assert_int_equal(errno, EBUSY);
    burn_cpu(50000000);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    pb_profile *p = read_profile_stream(first);
    assert_non_null(p);
    assert_true(total_value(p, 1) > 0);
    free_profile(p);
    assert_int_equal(ftell(second), 0); /* nothing went to the rejected stream */
    fclose(first);
    fclose(second);
}

static void test_stop_when_not_running_is_einval(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(cbench_stop_cpu_profile(), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(cbench_last_error(), "no CPU profile"));
}

static void test_full_stream_fails_stop_and_profiler_can_restart(void **state)
{
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    assert_non_null(full);
    assert_int_equal(cbench_start_cpu_profile(full), 0);
    burn_cpu(20000000);
    errno = 0;
    assert_int_equal(cbench_stop_cpu_profile(), -1);
    assert_int_equal(errno, ENOSPC);
    fclose(full);
    FILE *ok = tmpfile();
    assert_int_equal(cbench_start_cpu_profile(ok), 0);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    fclose(ok);
}

static void test_stream_with_closed_descriptor_fails_stop(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_int_equal(cbench_start_cpu_profile(f), 0);
    burn_cpu(20000000);
    close(fileno(f));
    errno = 0;
    assert_int_equal(cbench_stop_cpu_profile(), -1);
    assert_int_equal(errno, EBADF);
    fclose(f);
}

static void test_path_in_missing_folder_fails_at_start(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(cbench_start_cpu_profile_path("/nonexistent-cbench/x/cpu.pb.gz"), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(cbench_last_error(), "/nonexistent-cbench/x"));
    /* Nothing is left running. */
    assert_int_equal(cbench_stop_cpu_profile(), -1);
}

static void test_path_profile_appears_only_when_complete(void **state)
{
    (void)state;
    char dir[] = "/tmp/cbench-cpu-XXXXXX", path[128], cmd[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/cpu.pb.gz", dir);
    assert_int_equal(cbench_start_cpu_profile_path(path), 0);
    assert_int_equal(access(path, F_OK), -1); /* not under its name yet */
    burn_cpu(30000000);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    pb_profile *p = read_profile_file(path);
    assert_non_null(p);
    free_profile(p);
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1 && rm -rf %s", dir, dir);
    assert_int_equal(system(cmd), 0);
}

static void *exit_from_thread(void *arg)
{
    (void)arg;
    exit(0);
}

/* A program that exits (from another thread, even) without stopping a
 * profile to a path finds it finished: the file holds its samples, and no
 * temporary file is left. Before, an empty "<path>.tmp.<pid>.<n>" was. */
static void test_a_profile_left_running_is_finished_at_exit(void **state)
{
    (void)state;
    char dir[] = "/tmp/cbench-cpu-XXXXXX", path[128], cmd[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/cpu.pb.gz", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (cbench_start_cpu_profile_path(path) != 0)
            _exit(1);
        burn_cpu(50000000);
        pthread_t t;
        pthread_create(&t, NULL, exit_from_thread, NULL);
        pthread_join(t, NULL);
        _exit(2);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    pb_profile *p = read_profile_file(path);
    assert_non_null(p);
    assert_true(total_value(p, 0) > 0);
    free_profile(p);
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1 && rm -rf %s", dir, dir);
    assert_int_equal(system(cmd), 0);
}

/* The child of a fork holds no profile: it cannot stop (or write) the
 * parent's, it can run its own, and the parent's profile is intact. */
static void test_fork_while_profiling_leaves_parent_profile_intact(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_int_equal(cbench_start_cpu_profile(f), 0);
    burn_cpu(30000000);
    fflush(f);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        burn_cpu(30000000);
        int code = 0;
        if (cbench_stop_cpu_profile() != -1 || errno != EINVAL)
            code |= 1;
        FILE *own = tmpfile();
        if (cbench_start_cpu_profile(own) != 0)
            code |= 2;
        burn_cpu(30000000);
        if (cbench_stop_cpu_profile() != 0)
            code |= 4;
        pb_profile *p = read_profile_stream(own);
        if (!p || total_value(p, 1) <= 0)
            code |= 8;
        free_profile(p);
        _exit(code);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    burn_cpu(30000000);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    pb_profile *p = read_profile_stream(f);
    assert_non_null(p);
    assert_true(total_value(p, 1) > 0);
    free_profile(p);
    fclose(f);
}

static void test_rate_sets_the_period_and_zero_restores_default(void **state)
{
    (void)state;
    const int rates[][2] = {{1000, 1000000}, {0, 10000000}, {-5, 10000000}, {250, 4000000}};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        cbench_set_cpu_profile_rate(rates[i][0]);
        FILE *f = tmpfile();
        assert_int_equal(cbench_start_cpu_profile(f), 0);
        assert_int_equal(cbench_stop_cpu_profile(), 0);
        pb_profile *p = read_profile_stream(f);
        assert_non_null(p);
        assert_int_equal(p->period, rates[i][1]);
        assert_true(p->duration_nanos > 0);
        assert_true(p->time_nanos > 1700000000000000000);
        free_profile(p);
        fclose(f);
    }
    cbench_set_cpu_profile_rate(100);
}

static __attribute__((noinline)) void labelled_work(void)
{
    burn_cpu(150000000);
}

static void test_labels_mark_samples_and_inner_key_hides_outer(void **state)
{
    (void)state;
    cbench_set_cpu_profile_rate(1000);
    FILE *f = tmpfile();
    assert_int_equal(cbench_start_cpu_profile(f), 0);
    cbench_label_push("phase", "outer");
    cbench_label_push("user", "ann");
    labelled_work();
    cbench_label_push("phase", "inner");
    labelled_work();
    cbench_label_pop();
    cbench_label_pop();
    cbench_label_pop();
    cbench_label_pop(); /* one too many: ignored */
    labelled_work();
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    cbench_set_cpu_profile_rate(100);
    pb_profile *p = read_profile_stream(f);
    assert_non_null(p);
    int64_t outer = label_value(p, 1, "phase", "outer");
    int64_t inner = label_value(p, 1, "phase", "inner");
    int64_t ann = label_value(p, 1, "user", "ann");
    int64_t total = total_value(p, 1);
    assert_true(outer > 0 && inner > 0);
    assert_int_equal(ann, outer + inner); /* both phases ran as ann */
    assert_true(total > ann);             /* the last run had no labels */
    /* No sample carries phase twice. */
    for (size_t i = 0; i < p->n_sample; i++) {
        int phases = 0;
        for (size_t j = 0; j < p->sample[i]->n_label; j++)
            phases += strcmp(pstr(p, p->sample[i]->label[j]->key), "phase") == 0;
        assert_true(phases <= 1);
    }
    free_profile(p);
    fclose(f);
}

static int count_lines(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    int n = 0;
    if (p && fscanf(p, "%d", &n) != 1)
        n = -1;
    if (p)
        pclose(p);
    return n;
}

/* Thousands of cycles leave no descriptor, mapping or timer behind. */
static void test_thousands_of_cycles_leak_nothing(void **state)
{
    (void)state;
    char fds[64], maps[64], timers[64];
    snprintf(fds, sizeof fds, "ls /proc/%d/fd | wc -l", (int)getpid());
    snprintf(maps, sizeof maps, "wc -l < /proc/%d/maps", (int)getpid());
    snprintf(timers, sizeof timers, "wc -l < /proc/%d/timers", (int)getpid());
    FILE *f = fopen("/dev/null", "w");
    assert_non_null(f);
    /* One cycle first, so that lazily loaded state (debug info, and what
     * the unwinder opens the first time it walks a stack, such as
     * libunwind's memory-validation pipe) is in: it burns enough CPU for
     * several samples (50 ms at 100 Hz; the first comes within 10 ms). */
    assert_int_equal(cbench_start_cpu_profile(f), 0);
    burn_cpu(50 * 1000 * 1000);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    int fd0 = count_lines(fds), maps0 = count_lines(maps), timers0 = count_lines(timers);
    assert_true(fd0 > 0 && maps0 > 0 && timers0 >= 0);
    /* The timer count does see a running profile's timers. */
    assert_int_equal(cbench_start_cpu_profile(f), 0);
    assert_true(count_lines(timers) > timers0);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(cbench_start_cpu_profile(f), 0);
        assert_int_equal(cbench_stop_cpu_profile(), 0);
    }
    /* The symbolizer keeps one descriptor per object file it has read
     * (cached across writes); a sample landing in an object no earlier
     * profile touched opens one more. A descriptor leaked per cycle would
     * add thousands. */
    assert_true(count_lines(fds) <= fd0 + 8);
    assert_int_equal(count_lines(timers), timers0);
    /* The allocator may map a region or two more (ASan's does); a mapping
     * leaked per cycle would add thousands. */
    assert_true(count_lines(maps) <= maps0 + 16);
    fclose(f);
}

static volatile int64_t depth_sink;

/* A different stack for each depth, so a small table overflows. */
static __attribute__((noinline)) void recurse_then_burn(int depth)
{
    if (depth > 0) {
        recurse_then_burn(depth - 1);
        depth_sink++;
        return;
    }
    burn_cpu(3000000);
}

/* Samples that find no room are not dropped silently: they are reported
 * under cbench_lost_samples, and the total still matches the CPU used. */
static void test_samples_that_do_not_fit_are_reported_as_lost(void **state)
{
    (void)state;
    cb_cpu_set_table_size(4, 64);
    cbench_set_cpu_profile_rate(1000);
    FILE *f = tmpfile();
    assert_int_equal(cbench_start_cpu_profile(f), 0);
    int64_t p0 = process_cpu_ns();
    for (int i = 0; i < 200; i++)
        recurse_then_burn(i % 40);
    int64_t used = process_cpu_ns() - p0;
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    cb_cpu_set_table_size(0, 0);
    cbench_set_cpu_profile_rate(100);
    pb_profile *p = read_profile_stream(f);
    assert_non_null(p);
    int64_t lost = flat_value(p, 1, "cbench_lost_samples"), total = total_value(p, 1);
    assert_true(lost > 0);
    assert_true(lost < total);
    assert_true((double)total > 0.85 * (double)used && (double)total < 1.15 * (double)used);
    free_profile(p);
    fclose(f);
}

/* A thread interning new labels (which takes the labels' lock and
 * allocates under it) while the main thread forks: each child must be
 * able to push a label of its own, so fork never leaves that lock held. */
static atomic_int pushing;

static void *push_new_labels(void *arg)
{
    (void)arg;
    char value[32];
    for (unsigned i = 0; atomic_load(&pushing); i++) {
        snprintf(value, sizeof value, "v%u", i);
        cbench_label_push("k", value);
        cbench_label_pop();
    }
    return NULL;
}

static void test_fork_while_another_thread_interns_labels_leaves_labels_usable(void **state)
{
    (void)state;
    atomic_store(&pushing, 1);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, push_new_labels, NULL), 0);
    int hung = 0;
    for (int i = 0; i < 300 && !hung; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            cbench_label_push("child", "yes");
            _exit(0);
        }
        /* A child that cannot take the lock never exits: give it 10 s. */
        int status = -1;
        for (int ms = 0; ms < 10000 && waitpid(pid, &status, WNOHANG) == 0; ms++)
            usleep(1000);
        if (status == -1) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            hung = 1;
        }
    }
    atomic_store(&pushing, 0);
    pthread_join(t, NULL);
    assert_int_equal(hung, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_stream_is_einval),
        cmocka_unit_test(test_start_while_running_is_ebusy_and_keeps_the_first),
        cmocka_unit_test(test_stop_when_not_running_is_einval),
        cmocka_unit_test(test_full_stream_fails_stop_and_profiler_can_restart),
        cmocka_unit_test(test_stream_with_closed_descriptor_fails_stop),
        cmocka_unit_test(test_path_in_missing_folder_fails_at_start),
        cmocka_unit_test(test_path_profile_appears_only_when_complete),
        cmocka_unit_test(test_fork_while_profiling_leaves_parent_profile_intact),
        cmocka_unit_test(test_a_profile_left_running_is_finished_at_exit),
        cmocka_unit_test(test_rate_sets_the_period_and_zero_restores_default),
        cmocka_unit_test(test_labels_mark_samples_and_inner_key_hides_outer),
        cmocka_unit_test(test_fork_while_another_thread_interns_labels_leaves_labels_usable),
        cmocka_unit_test(test_thousands_of_cycles_leak_nothing),
        cmocka_unit_test(test_samples_that_do_not_fit_are_reported_as_lost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
