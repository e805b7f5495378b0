/*
 * cbench_main: the main of a binary holding cmocka tests and benchmarks.
 *
 * Flags come from CBENCH_FLAGS (how the `cbench` command passes them) and
 * then from the command line, so a binary run by itself takes the same
 * flags as the command. Tests run first, as one cmocka group named
 * "tests"; then the benchmarks --bench selects. A binary run by itself
 * ends with go test's "PASS" or "FAIL" line and, when profiles were asked
 * for, the result files in the outdir.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/counters.h"
#include "bench/names.h"
#include "bench/run.h"
#include "capture.h"
#include "formats/event.h"
#include "main.h"
#include "options.h"
#include "plugin.h"
#include "shard.h"

static bool configured, in_main;

bool cb_main_running(void)
{
    return in_main;
}

static int parse_env(cb_options *o)
{
    const char *flags = getenv("CBENCH_FLAGS");
    if (!flags || !*flags)
        return 0;
    /* The options point into the split: it lives as long as the
     * process, held here so that it stays reachable when the flags are
     * refused (and is replaced if they are read again after that). */
    static char **argv;
    free(argv);
    argv = NULL;
    int argc;
    if (cb_options_split(flags, &argv, &argc) < 0) {
        fprintf(stderr, "cbench: CBENCH_FLAGS: %s\n",
                errno == EINVAL ? "a quote is not closed" : "out of memory");
        return -1;
    }
    char err[512];
    int rc = cb_options_parse(o, argc, argv, 1, NULL, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "cbench: CBENCH_FLAGS: %s\n", err);
    return rc;
}

/*
 * A binary of cbench_run_group_tests has no argv to read: cmocka's main
 * is the program's. Flags typed on its command line would do nothing,
 * so they are named on stderr (read from /proc/self/cmdline).
 */
static void warn_unread_flags(void)
{
    FILE *f = fopen("/proc/self/cmdline", "re");
    if (!f)
        return;
    char arg[4096];
    size_t n = 0;
    int c;
    bool first = true, warned = false;
    while ((c = getc(f)) != EOF) {
        if (c && n + 1 < sizeof arg) {
            arg[n++] = (char)c;
            continue;
        }
        if (c)
            continue;
        arg[n] = '\0';
        n = 0;
        if (first) {
            first = false;
            continue;
        }
        if (!cb_options_is_flag(arg))
            continue;
        if (!warned)
            fprintf(stderr, "cbench: warning: this binary reads cbench's flags from CBENCH_FLAGS "
                            "only (CBENCH_FLAGS='--cpuprofile --outdir out' %s), or run it with "
                            "the cbench command; ignored:",
                    program_invocation_name);
        fprintf(stderr, " %s", arg);
        warned = true;
    }
    fclose(f);
    if (warned)
        fprintf(stderr, "\n");
}

int cb_main_configure_from_env(void)
{
    if (configured)
        return 0;
    warn_unread_flags();
    cb_options o;
    cb_options_init(&o);
    if (parse_env(&o) < 0)
        return -1;
    char err[512];
    if (cb_shard_configure(&o, err, sizeof err) < 0) {
        fprintf(stderr, "cbench: %s\n", err);
        return -1;
    }
    cb_capture_configure(&o);
    configured = true;
    return 0;
}

static void on_timeout(int sig)
{
    (void)sig;
    static const char msg[] = "cbench: the binary timed out (--timeout)\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    cb_capture_crash(); /* the running test's trace, if one was asked for */
    _exit(2);
}

/* Run by itself, the binary stops itself at --timeout; under the command,
 * the command does (it also knows which test was running). */
static void arm_timeout(const cb_options *o)
{
    if (cb_capture_events() || o->timeout_s <= 0)
        return;
    signal(SIGALRM, on_timeout);
    alarm((unsigned)ceil(o->timeout_s));
}

static void list_benchmarks(const struct cbench_benchmark *bm, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char name[512];
        cb_bench_names_display(bm[i].name, name, sizeof name);
        if (!cb_shard_selects(name))
            continue;
        if (cb_capture_events())
            cb_capture_emit(cb_event_list(CB_KIND_BENCH, name));
        else
            printf("%s\n", name);
    }
}

int cbench_main_(int argc, char **argv, const struct CMUnitTest *tests, size_t ntests,
                 const struct cbench_benchmark *benchmarks, size_t nbenchmarks)
{
    cb_options o;
    cb_options_init(&o);
    char err[512];
    if (parse_env(&o) < 0)
        return 2;
    if (cb_options_parse(&o, argc, argv, 1, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        cb_options_usage(stderr, argv[0], false);
        return 2;
    }
    if (o.help) {
        cb_options_usage(stdout, argv[0], false);
        return 0;
    }
    if (cb_shard_configure(&o, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        return 2;
    }
    if (cb_counters_reexec(&o, argv) != 0)
        return 2;
    /* Counters that cannot be had stop the binary before anything runs,
     * as they stop the command (exit status 2). */
    if (o.bench && !o.list && cb_counters_configure(&o, err, sizeof err) != 0) {
        fprintf(stderr, "cbench: %s\n", err);
        return 2;
    }
    cb_capture_configure(&o);
    configured = in_main = true;
    if (o.list) {
        cb_plugin_run_group("tests", tests, ntests, NULL, NULL);
        list_benchmarks(benchmarks, nbenchmarks);
        return 0;
    }
    arm_timeout(&o);
    int failed = 0;
    if (ntests > 0)
        failed += cb_plugin_run_group("tests", tests, ntests, NULL, NULL) != 0;
    if (nbenchmarks > 0 && o.bench)
        failed += cb_bench_run_all(benchmarks, nbenchmarks, &o) != 0;
    if (cb_capture_finish() < 0)
        failed++;
    alarm(0);
    if (!cb_capture_events())
        printf("%s\n", failed ? "FAIL" : "PASS");
    in_main = false;
    return failed ? 1 : 0;
}
