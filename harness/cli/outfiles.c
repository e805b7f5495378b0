/*
 * The command's output folder and the result files in it, shared by a
 * run and by `cbench merge`: the folder made and proved writable before
 * anything runs, folders for artifacts, and the result files, each
 * written whole through a temporary name and a rename (the writers'),
 * each attempted whatever happened to the others.
 */
#include "outfiles.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fault.h"
#include "cbench/profile.h"
#include "formats/benchtxt.h"
#include "formats/junit.h"
#include "formats/results_json.h"
#include "formats/trackers.h"

/* mkdir -p: each missing component of path. */
static int make_folders(const char *path)
{
    char *copy = cb_fault_strdup(path);
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
int cb_outfiles_check_folder(const char *dir, const char *what)
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
    if (cb_fault_asprintf(&probe, "%s/.cbench-probe-XXXXXX", dir) < 0) {
        fprintf(stderr, "cbench: out of memory checking the folders\n");
        return -1;
    }
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

/* mkdir -p for the folders of rel under outdir. */
int cb_outfiles_make_parents(const char *outdir, const char *rel)
{
    char *path;
    if (cb_fault_asprintf(&path, "%s/%s", outdir, rel) < 0)
        return -1;
    for (char *p = path + strlen(outdir) + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            free(path);
            return -1;
        }
        *p = '/';
    }
    free(path);
    return 0;
}

/* One result file at <outdir>/<name>, or at `path` when given. */
static int write_file(int (*writer)(const cb_results *, const char *), const cb_results *res,
                      const char *outdir, const char *name, const char *path)
{
    char *mine = NULL;
    if (!path && cb_fault_asprintf(&mine, "%s/%s", outdir, name) < 0) {
        fprintf(stderr, "cbench: out of memory writing %s\n", name);
        return -1;
    }
    int rc = writer(res, path ? path : mine);
    if (rc != 0)
        fprintf(stderr, "cbench: %s\n", cbench_last_error());
    free(mine);
    return rc;
}

/* The result files, each attempted whatever happened to the others. */
int cb_outfiles_write_results(const cb_results *res, const char *outdir, const char *junit)
{
    int rc = 0;
    rc |= write_file(cb_results_json_write, res, outdir, "results.json", NULL);
    rc |= write_file(cb_benchtxt_write, res, outdir, "bench.txt", NULL);
    rc |= write_file(cb_junit_write, res, outdir, "junit.xml", junit);
    if (cb_benchmark_files_write(res, outdir) != 0) {
        fprintf(stderr, "cbench: %s\n", cbench_last_error());
        rc = -1;
    }
    return rc;
}
