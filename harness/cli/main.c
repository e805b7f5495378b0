/*
 * The `cbench` command: `cbench [flags] [PATH...]` runs test binaries and
 * writes results.json, bench.txt and junit.xml; `cbench compare OLD NEW`
 * compares two result sets; `cbench trace stats TRACE` summarizes a
 * trace (trace_stats.h).
 *
 * Everything that can be wrong with the command line (flags, paths,
 * the output folder) is found before the first binary runs, and ends the
 * command with status 2. Once binaries run, the files are written
 * whatever happens to them: status 1 says that something failed. Running
 * out of memory is an error wherever it happens, with a message: before
 * the run, status 2; during it, the run stops, status 1, and no result
 * file is written, since it would lack a part of the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fault.h"
#include "binprof.h"
#include "cbench/profile.h"
#include "child.h"
#include "compare.h"
#include "counting.h"
#include "trace_stats.h"
#include "console.h"
#include "discover.h"
#include "flamegraph_cmd.h"
#include "formats/benchtxt.h"
#include "formats/trackers.h"
#include "formats/junit.h"
#include "formats/results.h"
#include "formats/results_json.h"
#include "merge.h"
#include "options.h"
#include "outfiles.h"
#include "report.h"
#include "run.h"
#include "test2json.h"
#include "top_cmd.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

static void out_of_memory(const char *doing)
{
    fprintf(stderr, "cbench: out of memory %s\n", doing);
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "cbench: %s\n\n", msg);
    cb_options_usage(stderr, "cbench", true);
    return EXIT_USAGE;
}

static char *absolute(const char *path)
{
    /* realpath allocates the answer: the countdown may fail it as it would. */
    char *abs = cb_fault_check() ? (errno = ENOMEM, NULL) : realpath(path, NULL);
    if (!abs)
        fprintf(stderr, "cbench: %s: %s\n", path, strerror(errno));
    return abs;
}

/* The junit file's folder, checked like the outdir. */
static int check_junit(const char *junit)
{
    const char *slash = strrchr(junit, '/');
    if (!slash)
        return cb_outfiles_check_folder(".", "folder of --junit");
    char *dir = cb_fault_strndup(junit, (size_t)(slash - junit));
    if (!dir) {
        out_of_memory("checking the folders");
        return -1;
    }
    int rc = cb_outfiles_check_folder(*dir ? dir : "/", "folder of --junit");
    free(dir);
    return rc;
}

/* --report: index.html and the flame graphs, after the result files. */
static int write_report(const cb_options *o, const char *outdir, const cb_results *res,
                        const struct timespec *t0, bool passed)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cb_report_config c = {
        .outdir = outdir,
        .results = res,
        .baseline = o->baseline,
        .elapsed_s = (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) * 1e-9,
        .passed = passed,
    };
    return cb_report_write(&c, stderr);
}

/* Bazel's XML_OUTPUT_FILE, when the command runs as a test under it:
 * the whole run's JUnit report there too, as a binary writes its own. */
static int write_xml_output_file(const cb_results *res)
{
    const char *xml = getenv("XML_OUTPUT_FILE");
    if (!xml || !*xml || cb_junit_write(res, xml) == 0)
        return 0;
    fprintf(stderr, "cbench: XML_OUTPUT_FILE: %s\n", cbench_last_error());
    return -1;
}

/* What `cbench merge` checks before it adds runs up: the shard, and each
 * binary's build (the cbench version is the results' own). */
static int describe_run(cb_results *res, const cb_options *o, const cb_binaries *bins)
{
    if (o->shard_total &&
        cb_fault_asprintf(&res->shard, "%d/%d", o->shard_index, o->shard_total) < 0)
        return -1;
    for (size_t i = 0; i < bins->n; i++) {
        char id[130];
        cb_discover_build_id(bins->v[i].path, id, sizeof id);
        if (cb_results_add_binary(res, bins->v[i].name, id) != 0)
            return -1;
    }
    return 0;
}

static int run_command(int argc, char **argv)
{
    cb_options o;
    char err[512];
    int nops = 0;
    cb_options_init(&o);
    if (cb_options_parse(&o, argc, argv, 1, &nops, err, sizeof err) != 0)
        return usage_error(err);
    if (o.help) {
        cb_options_usage(stdout, "cbench", true);
        return 0;
    }
    if (o.version) {
        printf("cbench version %s linux/amd64\n", CBENCH_VERSION_STRING);
        return 0;
    }
    if (cb_counting_check(&o, err, sizeof err) != 0) {
        fprintf(stderr, "cbench: %s\n", err);
        return EXIT_USAGE;
    }
    static char dot[] = ".";
    static char *default_ops[] = {dot};
    char **ops = argv + 1;
    if (nops == 0) {
        ops = default_ops;
        nops = 1;
    }

    cb_binaries bins;
    if (cb_discover(ops, nops, o.verbose ? stderr : NULL, &bins, err, sizeof err) != 0) {
        fprintf(stderr, "cbench: %s\n", err);
        return EXIT_USAGE;
    }
    if (bins.n == 0) {
        fprintf(stderr, "cbench: no cbench test binaries in %s\n",
                nops == 1 ? ops[0] : "the paths given");
        cb_discover_free(&bins);
        return EXIT_FAILED;
    }
    char *outdir = NULL;
    int status = EXIT_USAGE;
    if (cb_outfiles_check_folder(o.outdir, "output folder") != 0 || !(outdir = absolute(o.outdir)))
        goto out;
    if (o.junit && check_junit(o.junit) != 0)
        goto out;
    if (o.baseline && cb_report_check_baseline(o.baseline, err, sizeof err) != 0) {
        fprintf(stderr, "cbench: --baseline: %s\n", err);
        goto out;
    }
    cb_results res;
    if (cb_results_init(&res) != 0) {
        out_of_memory("before the run");
        goto out;
    }
    if (describe_run(&res, &o, &bins) != 0) {
        out_of_memory("before the run");
        cb_results_free(&res);
        goto out;
    }
    /* No pkg prefix: bench.txt names each binary by its artifact name. */
    cb_reporter rep;
    if (o.json)
        cb_test2json_init(&rep, stdout, &res);
    else
        cb_console_init(&rep, stdout, o.verbose, isatty(STDOUT_FILENO), &res);
    cb_child_catch_interrupts();
    cb_child_become_subreaper();

    bool all_passed = true, complete = true;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cb_run_config cfg = {.o = &o, .outdir = outdir, .rep = &rep, .results = &res};
    bool files_ok = true;
    for (size_t i = 0; i < bins.n && complete && !cb_child_interrupted(); i++) {
        size_t first = res.n;
        cb_run_result r = cb_run_binary(&cfg, &bins.v[i]);
        all_passed &= r == CB_RUN_PASSED;
        complete = r != CB_RUN_OUT_OF_MEMORY && !rep.out_of_memory;
        if (complete && !o.list)
            files_ok &= cb_binprof_write(outdir, &res, first, bins.v[i].name, stderr) == 0;
    }
    if (cb_child_interrupted()) {
        fprintf(stderr, "cbench: interrupted\n");
        all_passed = false;
    }
    status = all_passed ? 0 : EXIT_FAILED;
    if (!complete) {
        out_of_memory("during the run: it stopped, and its result files were not written");
        status = EXIT_FAILED;
    } else if (!o.list && (cb_outfiles_write_results(&res, outdir, o.junit) != 0 || !files_ok ||
                           write_xml_output_file(&res) != 0)) {
        status = EXIT_FAILED;
    }
    if (complete && !o.list && (o.report || o.baseline) &&
        write_report(&o, outdir, &res, &t0, status == 0) != 0)
        status = EXIT_FAILED;
    cb_reporter_free(&rep);
    cb_results_free(&res);
out:
    free(outdir);
    cb_discover_free(&bins);
    return status;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "compare") == 0)
        return cb_compare_main(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "top") == 0)
        return cb_top_main(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "flamegraph") == 0)
        return cb_flamegraph_main(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "merge") == 0)
        return cb_merge_main(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "trace") == 0)
        return cb_trace_stats_main(argc - 2, argv + 2);
    return run_command(argc, argv);
}
