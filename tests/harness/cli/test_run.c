/*
 * Pieces of running a binary that the end-to-end test cannot pin down
 * exactly: the CBENCH_FLAGS text (which the binary parses back with the
 * shared parser), the wording for signals, and which leftover files of
 * a killed test are removed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/child.h"
#include "options.h"
#include "formats/safename.h"
#include "run.h"

static void test_flags_round_trip_through_the_parser(void **state)
{
    (void)state;
    cb_options o, back;
    char err[256];
    char *args[] = {"cbench",
                    "--run",
                    "a b|c",
                    "--bench=.",
                    "--benchtime=500x",
                    "--count=3",
                    "--cpu=1,4",
                    "--benchmem",
                    "--cpuprofile",
                    "--memprofilerate=0",
                    "--mutexprofile",
                    "--blockprofilerate=250",
                    "--outdir=rel",
                    "-v",
                    "--json",
                    "--timeout=1s",
                    NULL};
    cb_options_init(&o);
    int nops;
    assert_int_equal(cb_options_parse(&o, 16, args, 1, &nops, err, sizeof err), 0);
    char *flags = cb_run_flags(&o, "/abs/out dir");
    assert_non_null(flags);
    /* One flag per line; the outdir replaced; flags of the command only are not passed. */
    assert_non_null(strstr(flags, "--run=a b|c\n"));
    assert_non_null(strstr(flags, "--outdir=/abs/out dir\n"));
    assert_null(strstr(flags, "rel"));
    assert_null(strstr(flags, "--json"));
    assert_null(strstr(flags, "--timeout"));
    assert_null(strstr(flags, "-v"));
    char **argv;
    int argc;
    assert_int_equal(cb_options_split(flags, &argv, &argc), 0);
    cb_options_init(&back);
    assert_int_equal(cb_options_parse(&back, argc, argv, 1, NULL, err, sizeof err), 0);
    assert_string_equal(back.run, "a b|c");
    assert_string_equal(back.bench, ".");
    assert_int_equal(back.benchtime_n, 500);
    assert_int_equal(back.count, 3);
    assert_int_equal(back.ncpus, 2);
    assert_int_equal(back.cpus[1], 4);
    assert_true(back.benchmem && back.cpuprofile);
    assert_false(back.memprofile || back.list);
    assert_int_equal(back.memprofilerate, 0);
    /* A rate goes with its profile only: the block rate stays behind. */
    assert_true(back.mutexprofile);
    assert_int_equal(back.mutexprofilefraction, 1);
    assert_false(back.blockprofile);
    assert_null(strstr(flags, "--blockprofilerate"));
    assert_string_equal(back.outdir, "/abs/out dir");
    free(argv);
    free(flags);
}

static void test_default_flags_carry_benchtime_as_a_duration(void **state)
{
    (void)state;
    cb_options o;
    cb_options_init(&o);
    o.benchtime_s = 1.5;
    char *flags = cb_run_flags(&o, "/o");
    assert_non_null(strstr(flags, "--benchtime=1.5s\n"));
    assert_null(strstr(flags, "--run"));
    assert_null(strstr(flags, "--memprofilerate"));
    assert_null(strstr(flags, "profilefraction"));
    assert_null(strstr(flags, "--blockprofile"));
    free(flags);
}

static void test_signals_are_named_and_described(void **state)
{
    (void)state;
    char buf[128];
    cb_run_describe_signal(SIGSEGV, buf, sizeof buf);
    assert_string_equal(buf, "killed by SIGSEGV (Segmentation fault)");
    cb_run_describe_signal(SIGKILL, buf, sizeof buf);
    assert_string_equal(buf, "killed by SIGKILL (Killed)");
}

static void touch(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

static bool exists(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void test_only_temporaries_of_the_killed_test_are_removed(void **state)
{
    (void)state;
    char root[] = "/tmp/cbench-run-XXXXXX";
    assert_non_null(mkdtemp(root));
    char bin[100], t[200], t4[200], other[200];
    snprintf(bin, sizeof bin, "%s/bin", root);
    snprintf(t, sizeof t, "%s/test%%2Fa", bin); /* cb_safename_encode("test/a") */
    snprintf(t4, sizeof t4, "%s/test%%2Fa-4", bin);
    snprintf(other, sizeof other, "%s/test%%2Fab", bin);
    mkdir(bin, 0777);
    mkdir(t, 0777);
    mkdir(t4, 0777);
    mkdir(other, 0777);
    touch(t, "cpu.pb.gz");
    touch(t, "cpu.pb.gz.tmp.123.0");
    touch(t, ".heap.pb.gz.tmp");
    touch(t, "notes.tmp.txt");
    touch(t4, "trace.json.tmp.9.12");
    touch(other, "cpu.pb.gz.tmp.1.0");
    assert_int_equal(cb_run_remove_temporaries(root, "bin", "test/a"), 3);
    assert_true(exists(t, "cpu.pb.gz"));
    assert_false(exists(t, "cpu.pb.gz.tmp.123.0"));
    assert_false(exists(t, ".heap.pb.gz.tmp"));
    assert_true(exists(t, "notes.tmp.txt"));
    assert_false(exists(t4, "trace.json.tmp.9.12"));
    /* Another test's folder that merely starts with the same name is left alone. */
    assert_true(exists(other, "cpu.pb.gz.tmp.1.0"));
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}


/* A shell script at a fresh path, for cb_child_run to execute. */
static char *script(const char *body)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/cbench-child-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    chmod(path, 0755);
    return path;
}

static void collect(void *arg, const char *data, size_t len)
{
    char *out = arg;
    size_t n = strlen(out);
    if (n + len < 4096) {
        memcpy(out + n, data, len);
        out[n + len] = '\0';
    }
}

extern char **environ;

/* The loop waits on the pipe and on the exit at once: a binary that
 * closes its pipe long before it exits, or whose exit comes while a
 * grandchild holds the pipe open, is seen without any wait running out.
 * The loop that polled with a cap woke up every 1-100 ms meanwhile (and
 * noticed such an exit up to 100 ms late): each wake-up with nothing to
 * do is counted. */
static void test_an_exit_is_waited_for_not_polled(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "echo closing; exec >&- 2>&-; sleep 0.4; exit 3",
        "echo forking; (sleep 0.4) & exit 3",
    };
    for (size_t i = 0; i < 2; i++) {
        char *path = script(bodies[i]);
        char out[4096] = "", err[256];
        cb_child_exit ex;
        assert_int_equal(cb_child_run(path, environ, 0, collect, out, &ex, err, sizeof err), 0);
        unlink(path);
        assert_true(ex.exited);
        assert_int_equal(ex.status, 3);
        assert_non_null(strstr(out, i ? "forking" : "closing"));
        assert_int_equal(ex.idle_wakeups, 0);
    }
}

static bool running(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool alive = fgets(line, sizeof line, f) && !strstr(line, ") Z ");
    fclose(f);
    return alive;
}

/* A test that leaves the process group (setsid) and forks again, once
 * holding the pipe and once as a daemon that closed it, is not reached by
 * the group's kill: as the subreaper, the command gets the orphans and
 * kills them when the binary is done. */
static void test_nothing_the_binary_started_outlives_it(void **state)
{
    (void)state;
    static const char *const orphans[] = {
        "sleep 60 & echo $! >> %s",                            /* holds the pipe */
        "exec >&- 2>&- </dev/null; sleep 60 & echo $! >> %s", /* a daemon */
    };
    cb_child_become_subreaper();
    for (size_t i = 0; i < 2; i++) {
        char pids[] = "/tmp/cbench-orphans-XXXXXX";
        int fd = mkstemp(pids);
        assert_true(fd >= 0);
        close(fd);
        char orphan[256], body[512];
        snprintf(orphan, sizeof orphan, orphans[i], pids);
        snprintf(body, sizeof body, "setsid sh -c '%s' &\nwait; exit 0", orphan);
        char *path = script(body);
        char out[4096] = "", err[256];
        cb_child_exit ex;
        assert_int_equal(cb_child_run(path, environ, 0, collect, out, &ex, err, sizeof err), 0);
        unlink(path);
        assert_true(ex.exited);
        FILE *f = fopen(pids, "r");
        assert_non_null(f);
        int pid = 0;
        assert_int_equal(fscanf(f, "%d", &pid), 1);
        fclose(f);
        unlink(pids);
        assert_false(running(pid));
        assert_int_equal(ex.leftovers_killed, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags_round_trip_through_the_parser),
        cmocka_unit_test(test_default_flags_carry_benchtime_as_a_duration),
        cmocka_unit_test(test_signals_are_named_and_described),
        cmocka_unit_test(test_only_temporaries_of_the_killed_test_are_removed),
        cmocka_unit_test(test_an_exit_is_waited_for_not_polled),
        cmocka_unit_test(test_nothing_the_binary_started_outlives_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
