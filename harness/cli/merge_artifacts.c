/*
 * The artifacts of a merge (see merge.h). Every artifact a record lists
 * is a path relative to its input folder, and keeps that path in the
 * output. Shards never share one (a test is in one shard), so each is
 * copied. Repeated runs (--runs) share the paths of their common tests:
 * profiles of one path are added up with pprof's merge (samples of equal
 * stacks and labels summed), which is what the repetitions' per-test
 * profile means; other files of one path (a trace, threads.txt) cannot
 * be added up and are kept apart, each later input's under a name with
 * its number ("trace.2.json"). Files go through a temporary name and a
 * rename (cb_file_write, cb_pprof_write): an interrupted merge leaves
 * no partial file.
 *
 * The artifacts are sorted by path once, so each path is handled once
 * however many records list it.
 */
#include "merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "cbench/profile.h"
#include "formats/file.h"
#include "outfiles.h"
#include "pprof/pprof.h"
#include "readfile.h"

typedef struct ref {
    cb_artifact *a;
    size_t input;
} ref;

static int by_path(const void *pa, const void *pb)
{
    const ref *a = pa, *b = pb;
    int c = strcmp(a->a->path, b->a->path);
    return c ? c : a->input < b->input ? -1 : a->input > b->input;
}

static bool is_profile(const char *path)
{
    size_t n = strlen(path);
    return n > 6 && strcmp(path + n - 6, ".pb.gz") == 0;
}

static int copy_file(const char *from_dir, const char *rel, const char *to_rel, const char *outdir,
                     FILE *err)
{
    char *src = NULL, *dst = NULL, *text = NULL;
    size_t len = 0;
    int rc = -1;
    if (cb_fault_asprintf(&src, "%s/%s", from_dir, rel) < 0 ||
        cb_fault_asprintf(&dst, "%s/%s", outdir, to_rel) < 0) {
        fprintf(err, "cbench merge: out of memory copying %s\n", rel);
    } else if (!(text = cb_read_file(src, &len))) {
        fprintf(err, "cbench merge: %s: %s\n", src, strerror(errno));
    } else if (cb_outfiles_make_parents(outdir, to_rel) != 0) {
        fprintf(err, "cbench merge: cannot create the folder of %s: %s\n", dst, strerror(errno));
    } else {
        cb_buf b = {.p = text, .n = len, .cap = len + 1};
        rc = cb_file_write(&b, dst, rel);
        if (rc != 0)
            fprintf(err, "cbench merge: %s\n", cbench_last_error());
    }
    free(text);
    free(src);
    free(dst);
    return rc;
}

/* Profiles of one path in several inputs, added up. */
static int add_profiles(const ref *r, size_t n, const cb_merge_input *in, const char *outdir,
                        FILE *err)
{
    const char *rel = r[0].a->path;
    char **names = cb_fault_calloc(n, sizeof names[0]);
    char *dst = NULL;
    bool ok = names && cb_fault_asprintf(&dst, "%s/%s", outdir, rel) >= 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = cb_fault_asprintf(&names[i], "%s/%s", in[r[i].input].dir, rel) >= 0;
    int rc = -1;
    if (!ok)
        fprintf(err, "cbench merge: out of memory adding up %s\n", rel);
    else if (cb_outfiles_make_parents(outdir, rel) != 0)
        fprintf(err, "cbench merge: cannot create the folder of %s: %s\n", dst, strerror(errno));
    else if ((rc = cb_pprof_merge_files((const char *const *)names, n, dst)) != 0)
        fprintf(err, "cbench merge: %s\n", cbench_last_error());
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    free(dst);
    return rc;
}

/* "b/t/trace.json" of input k (0-based) as "b/t/trace.<k+1>.json". */
static char *numbered(const char *rel, size_t k)
{
    const char *slash = strrchr(rel, '/'), *dot = strrchr(rel, '.');
    if (!dot || (slash && dot < slash))
        dot = rel + strlen(rel);
    char *out;
    if (cb_fault_asprintf(&out, "%.*s.%zu%s", (int)(dot - rel), rel, k + 1, dot) < 0)
        return NULL;
    return out;
}

/* Other files of one path in several inputs: the first keeps the path,
 * the others are numbered; every record of an input points at its copy. */
static int keep_apart(ref *r, size_t n, const cb_merge_input *in, const char *outdir, FILE *err)
{
    int rc = 0;
    char *rel = cb_fault_strdup(r[0].a->path);
    if (!rel) {
        fprintf(err, "cbench merge: out of memory copying %s\n", r[0].a->path);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        bool first_of_input = i == 0 || r[i].input != r[i - 1].input;
        bool renamed = r[i].input != r[0].input;
        char *to = renamed ? numbered(rel, r[i].input) : NULL;
        if (renamed && !to) {
            fprintf(err, "cbench merge: out of memory copying %s\n", rel);
            rc = -1;
            continue;
        }
        if (first_of_input && copy_file(in[r[i].input].dir, rel, to ? to : rel, outdir, err) != 0)
            rc = -1;
        if (to) {
            free(r[i].a->path);
            r[i].a->path = to;
        }
    }
    free(rel);
    return rc;
}

/* Each path once: r[0..n) share it; how many inputs have it decides. */
static int bring(ref *r, size_t n, const cb_merge_input *in, const char *outdir, FILE *err)
{
    size_t inputs = 1;
    for (size_t i = 1; i < n; i++)
        inputs += r[i].input != r[i - 1].input;
    if (inputs == 1)
        return copy_file(in[r[0].input].dir, r[0].a->path, r[0].a->path, outdir, err);
    if (!is_profile(r[0].a->path))
        return keep_apart(r, n, in, outdir, err);
    /* One per input: pprof adds each input's file once. */
    ref *one = cb_fault_calloc(inputs, sizeof one[0]);
    if (!one) {
        fprintf(err, "cbench merge: out of memory adding up %s\n", r[0].a->path);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || r[i].input != r[i - 1].input)
            one[k++] = r[i];
    int rc = add_profiles(one, inputs, in, outdir, err);
    free(one);
    return rc;
}

int cb_merge_artifacts(cb_results *out, const size_t *origin, const cb_merge_input *in,
                       const char *outdir, FILE *err)
{
    size_t total = 0;
    for (size_t i = 0; i < out->n; i++)
        total += (size_t)out->v[i].nartifacts;
    ref *refs = cb_fault_calloc(total ? total : 1, sizeof refs[0]);
    if (!refs) {
        fprintf(err, "cbench merge: out of memory listing the artifacts\n");
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < out->n; i++)
        for (int j = 0; j < out->v[i].nartifacts; j++)
            if (out->v[i].artifacts[j].path)
                refs[m++] = (ref){&out->v[i].artifacts[j], origin[i]};
    qsort(refs, m, sizeof refs[0], by_path);
    int rc = 0;
    for (size_t i = 0, j; i < m; i = j) {
        for (j = i + 1; j < m && strcmp(refs[j].a->path, refs[i].a->path) == 0; j++)
            ;
        rc |= bring(refs + i, j - i, in, outdir, err);
    }
    free(refs);
    return rc;
}
