/*
 * The `cbench` command: `cbench [flags] [PATH...]` runs test binaries and
 * writes results.json, bench.txt and junit.xml; `cbench compare OLD NEW`
 * compares two result sets.
 *
 * Everything that can be wrong with the command line (flags, paths,
 * the output folder) is found before the first binary runs, and ends the
 * command with status 2. Once binaries run, the files are written
 * whatever happens to them: status 1 says that something failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fault.h"
#include "cbench/profile.h"
#include "child.h"
#include "compare.h"
#include "console.h"
#include "discover.h"
#include "formats/benchtxt.h"
#include "formats/junit.h"
#include "formats/results.h"
#include "formats/results_json.h"
#include "options.h"
#include "run.h"
#include "test2json.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

static int usage_error(const char *msg)
{
    fprintf(stderr, "cbench: %s\n\n", msg);
    cb_options_usage(stderr, "cbench", true);
    return EXIT_USAGE;
}

/* mkdir -p: each missing component of path. */
static int make_folders(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
            free(copy);
            return -1;
        }
        *p = '/';
    }
    int rc = mkdir(copy, 0777) != 0 && errno != EEXIST ? -1 : 0;
    free(copy);
    return rc;
}

/* Creates dir if needed and proves that a file can be written there. */
static int check_folder(const char *dir, const char *what)
{
    struct stat st;
    if (make_folders(dir) != 0 || stat(dir, &st) != 0) {
        fprintf(stderr, "cbench: cannot create %s %s: %s\n", what, dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "cbench: %s %s is not a folder\n", what, dir);
        return -1;
    }
    char *probe;
    if (asprintf(&probe, "%s/.cbench-probe-XXXXXX", dir) < 0)
        return -1;
    int fd = mkstemp(probe);
    if (fd < 0) {
        fprintf(stderr, "cbench: cannot write in %s %s: %s\n", what, dir, strerror(errno));
        free(probe);
        return -1;
    }
    close(fd);
    unlink(probe);
    free(probe);
    return 0;
}

static char *absolute(const char *path)
{
    char *abs = realpath(path, NULL);
    if (!abs)
        fprintf(stderr, "cbench: %s: %s\n", path, strerror(errno));
    return abs;
}

/* The junit file's folder, checked like the outdir. */
static int check_junit(const char *junit)
{
    const char *slash = strrchr(junit, '/');
    if (!slash)
        return check_folder(".", "folder of --junit");
    char *dir = strndup(junit, (size_t)(slash - junit));
    if (!dir)
        return -1;
    int rc = check_folder(*dir ? dir : "/", "folder of --junit");
    free(dir);
    return rc;
}

static int report_write(int rc)
{
    if (rc != 0)
        fprintf(stderr, "cbench: %s\n", cbench_last_error());
    return rc;
}

/* All three files, each attempted whatever happened to the others. */
static int write_files(const cb_results *res, const char *outdir, const char *junit)
{
    int rc = 0;
    char *path;
    if (asprintf(&path, "%s/results.json", outdir) < 0)
        return -1;
    rc |= report_write(cb_results_json_write(res, path));
    free(path);
    if (asprintf(&path, "%s/bench.txt", outdir) < 0)
        return -1;
    rc |= report_write(cb_benchtxt_write(res, path));
    free(path);
    rc |= report_write(cb_junit_write(res, junit));
    return rc;
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
    char *outdir = NULL, *junit = NULL;
    int status = EXIT_USAGE;
    if (check_folder(o.outdir, "output folder") != 0 || !(outdir = absolute(o.outdir)))
        goto out;
    if (o.junit ? check_junit(o.junit) != 0 : false)
        goto out;
    if (o.junit ? !(junit = strdup(o.junit)) : asprintf(&junit, "%s/junit.xml", outdir) < 0)
        goto out;

    cb_results res;
    cb_results_init(&res);
    /* No pkg prefix: bench.txt names each binary by its artifact name. */
    cb_reporter rep;
    if (o.json)
        cb_test2json_init(&rep, stdout, &res);
    else
        cb_console_init(&rep, stdout, o.verbose, isatty(STDOUT_FILENO), &res);
    cb_child_catch_interrupts();

    bool all_passed = true;
    cb_run_config cfg = {.o = &o, .outdir = outdir, .rep = &rep, .results = &res};
    for (size_t i = 0; i < bins.n && !cb_child_interrupted(); i++)
        all_passed &= cb_run_binary(&cfg, &bins.v[i]);
    if (cb_child_interrupted()) {
        fprintf(stderr, "cbench: interrupted\n");
        all_passed = false;
    }
    status = all_passed ? 0 : EXIT_FAILED;
    if (!o.list && write_files(&res, outdir, junit) != 0)
        status = EXIT_FAILED;
    cb_reporter_free(&rep);
    cb_results_free(&res);
out:
    free(outdir);
    free(junit);
    cb_discover_free(&bins);
    return status;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "compare") == 0)
        return cb_compare_main(argc - 2, argv + 2);
    return run_command(argc, argv);
}
