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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags_round_trip_through_the_parser),
        cmocka_unit_test(test_default_flags_carry_benchtime_as_a_duration),
        cmocka_unit_test(test_signals_are_named_and_described),
        cmocka_unit_test(test_only_temporaries_of_the_killed_test_are_removed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
