/*
 * `cbench merge DIR... --outdir OUT [--runs]` (see merge.h): the output
 * folders of shards, or of repeated runs, made one, as if one run had
 * written it: results.json, bench.txt, junit.xml, benchmarks.json and the
 * trackers' files hold every record of every input; per-test artifacts
 * are brought over (merge_artifacts.c); per-binary profiles are added up
 * again from the merged per-test ones (binprof.c).
 *
 * Records are grouped by binary, binaries in order of first appearance,
 * each binary's records in input order, so that each binary is one block
 * of bench.txt and one testsuite of junit.xml. The header is the first
 * input's, with the earliest start; the merged file names no shard.
 *
 * Exit status: 0; 1 when a file could not be written: an artifact
 * missing or unreadable in its input, or not written, stops the merge
 * before the result files (which would list it); a per-binary profile
 * or a result file that cannot be written is reported and the others
 * are still tried. 2 for a bad command line or inputs refused
 * (merge_check.c), before anything is written.
 */
#include "merge.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "binprof.h"
#include "cbench/profile.h"
#include "formats/results_json.h"
#include "outfiles.h"
#include "readfile.h"
#include "results_read.h"
#include "subargs.h"

static int usage(const char *why)
{
    if (why)
        fprintf(stderr, "cbench merge: %s\n", why);
    fprintf(
        why ? stderr : stdout,
        "usage: cbench merge DIR... --outdir OUT [--runs]\n"
        "  DIR        an output folder of cbench (--outdir of a run): shards, or repeated runs\n"
        "  --outdir   where the merged folder goes (created if missing; not one of the DIRs)\n"
        "  --runs     the DIRs are repeated runs: keep every repetition of a test, add up\n"
        "             their profiles (without it, a test in two DIRs is an error)\n");
    return why ? 2 : 0;
}

static int read_input(cb_merge_input *in)
{
    char *path = NULL, *text = NULL;
    size_t len = 0;
    int rc = -1;
    if (cb_fault_asprintf(&path, "%s/results.json", in->dir) < 0)
        fprintf(stderr, "cbench merge: out of memory reading %s\n", in->dir);
    else if (!(text = cb_read_file(path, &len)))
        fprintf(stderr, "cbench merge: %s: %s\n", path, strerror(errno));
    else if (cb_results_read(&in->res, text, len, path) != 0)
        fprintf(stderr, "cbench merge: %s\n", cbench_last_error());
    else
        rc = 0;
    free(text);
    free(path);
    return rc;
}

/* OUT must not be an input: the merge would overwrite what it reads. */
static int check_outdir(const char *outdir, const cb_merge_input *in, size_t n)
{
    char out[PATH_MAX], dir[PATH_MAX];
    if (!realpath(outdir, out))
        return 0; /* not there yet: not an input */
    for (size_t i = 0; i < n; i++) {
        if (realpath(in[i].dir, dir) && strcmp(dir, out) == 0) {
            fprintf(stderr, "cbench merge: --outdir %s is the input %s: choose another folder\n",
                    outdir, in[i].dir);
            return -1;
        }
    }
    return 0;
}

static int replace(char **field, const char *value)
{
    char *copy = cb_fault_strdup(value ? value : "");
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

static int add_binary_once(cb_results *out, const cb_results_binary *b)
{
    for (size_t i = 0; i < out->nbinaries; i++)
        if (strcmp(out->binaries[i].name, b->name) == 0)
            return 0;
    return cb_results_add_binary(out, b->name, b->build_id);
}

static int header(cb_results *out, const cb_merge_input *in, size_t n)
{
    const cb_results *first = &in[0].res;
    if (replace(&out->goos, first->goos) != 0 || replace(&out->goarch, first->goarch) != 0 ||
        replace(&out->cpu, first->cpu) != 0 ||
        replace(&out->cbench_version, first->cbench_version) != 0 ||
        (first->pkg && replace(&out->pkg, first->pkg) != 0))
        return -1;
    out->started_ns = first->started_ns;
    for (size_t i = 0; i < n; i++) {
        if (in[i].res.started_ns && in[i].res.started_ns < out->started_ns)
            out->started_ns = in[i].res.started_ns;
        for (size_t j = 0; j < in[i].res.nbinaries; j++)
            if (add_binary_once(out, &in[i].res.binaries[j]) != 0)
                return -1;
    }
    return 0;
}

static const char *binary_of(const cb_record *rec)
{
    return rec->binary ? rec->binary : "";
}

/* The records of binary `name`, from every input in order. */
static int take_binary(cb_results *out, size_t *origin, const cb_merge_input *in, size_t n,
                       const char *name)
{
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < in[a].res.n; b++) {
            if (strcmp(binary_of(&in[a].res.v[b]), name) != 0)
                continue;
            origin[out->n] = a;
            if (cb_results_add(out, &in[a].res.v[b]) != 0)
                return -1;
        }
    return 0;
}

/* Binary by binary, in order of first appearance: n records times the
 * number of binaries, not n squared. */
static int records(cb_results *out, size_t *origin, const cb_merge_input *in, size_t n,
                   size_t total)
{
    const char **taken = cb_fault_calloc(total ? total : 1, sizeof taken[0]);
    size_t ntaken = 0;
    int rc = taken ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++)
        for (size_t j = 0; j < in[i].res.n && rc == 0; j++) {
            const char *name = binary_of(&in[i].res.v[j]);
            size_t k = 0;
            while (k < ntaken && strcmp(taken[k], name) != 0)
                k++;
            if (k < ntaken)
                continue;
            taken[ntaken++] = name;
            rc = take_binary(out, origin, in, n, name);
        }
    free(taken);
    return rc;
}

/* The per-binary profiles, from the merged records of each binary. */
static int binary_profiles(const cb_results *out, const char *outdir)
{
    int rc = 0;
    for (size_t i = 0, j; i < out->n; i = j) {
        const char *name = binary_of(&out->v[i]);
        for (j = i + 1; j < out->n && strcmp(binary_of(&out->v[j]), name) == 0; j++)
            ;
        cb_results part = *out;
        part.n = j; /* records [i, j) */
        rc |= cb_binprof_write(outdir, &part, i, name, stderr);
    }
    return rc;
}

static int merge(const cb_merge_input *in, size_t n, const char *outdir)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += in[i].res.n;
    cb_results out;
    size_t *origin = NULL;
    if (cb_results_init(&out) != 0) {
        fprintf(stderr, "cbench merge: out of memory\n");
        return 1;
    }
    int status = 1;
    if (!(origin = cb_fault_calloc(total ? total : 1, sizeof origin[0])) ||
        header(&out, in, n) != 0 || records(&out, origin, in, n, total) != 0) {
        fprintf(stderr, "cbench merge: out of memory: nothing was written\n");
        goto out;
    }
    /* Result files that list an artifact the folder lacks would mislead:
     * without every artifact, none is written (what OUT held stays). */
    if (cb_merge_artifacts(&out, origin, in, outdir, stderr) != 0) {
        fprintf(stderr, "cbench merge: the result files were not written\n");
        goto out;
    }
    status = 0;
    if (binary_profiles(&out, outdir) != 0)
        status = 1;
    if (cb_outfiles_write_results(&out, outdir, NULL) != 0)
        status = 1;
    cb_summary s;
    cb_results_summary(&out, &s);
    printf("merged %zu folder%s into %s: %zu tests, %zu benchmarks, %zu failed\n", n,
           n == 1 ? "" : "s", outdir, s.tests, s.benchmarks, s.failed);
out:
    free(origin);
    cb_results_free(&out);
    return status;
}

int cb_merge_main(int argc, char **argv)
{
    const char *outdir = NULL;
    bool runs = false, help = false;
    cb_subarg specs[] = {
        {"outdir", &outdir, NULL, NULL, NULL},
        {"runs", NULL, &runs, NULL, NULL},
        {"h", NULL, &help, NULL, NULL},
        {"help", NULL, &help, NULL, NULL},
    };
    char err[1024];
    int nops = 0;
    if (cb_subargs_parse(argc, argv, specs, sizeof specs / sizeof specs[0], &nops, err,
                         sizeof err) != 0)
        return usage(err);
    if (help)
        return usage(NULL);
    if (nops == 0)
        return usage("which folders? (the --outdir of each shard or run)");
    if (!outdir)
        return usage("--outdir OUT is required");
    cb_merge_input *in = cb_fault_calloc((size_t)nops, sizeof in[0]);
    if (!in) {
        fprintf(stderr, "cbench merge: out of memory\n");
        return 2;
    }
    int status = 2;
    size_t n = 0;
    for (; n < (size_t)nops; n++) {
        in[n].dir = argv[n];
        if (read_input(&in[n]) != 0) {
            n++;
            goto out;
        }
    }
    if (check_outdir(outdir, in, n) != 0)
        goto out;
    if (cb_merge_check(in, n, runs, stderr, err, sizeof err) != 0) {
        fprintf(stderr, "cbench merge: %s\n", err);
        goto out;
    }
    if (cb_outfiles_check_folder(outdir, "output folder") != 0)
        goto out;
    status = merge(in, n, outdir);
out:
    for (size_t i = 0; i < n; i++)
        cb_results_free(&in[i].res);
    free(in);
    return status;
}
