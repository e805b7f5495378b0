/*
 * Per-binary profiles (see binprof.h): for each kind, every record's
 * file of that kind is read, the profiles are added up with pprof's
 * merge (pprof/merge_files.c) and the sum written atomically.
 */
#include "binprof.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "cbench/profile.h"
#include "pprof/pprof.h"

const char *const cb_binprof_kinds[] = {"cpu", "heap", "allocs", "mutex", "block", "instructions"};
const size_t cb_binprof_nkinds = sizeof cb_binprof_kinds / sizeof cb_binprof_kinds[0];

typedef struct listing {
    const char *path;
    size_t i; /* the record */
} listing;

static int by_path(const void *pa, const void *pb)
{
    const listing *a = pa, *b = pb;
    int c = strcmp(a->path, b->path);
    return c ? c : a->i < b->i ? -1 : a->i > b->i;
}

static int by_record(const void *pa, const void *pb)
{
    const listing *a = pa, *b = pb;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* The files of `kind` that records [first, r->n) list, each once, in
 * record order: repeated runs merged into one folder (`cbench merge
 * --runs`) share their per-test profiles, each added up once. Sorted,
 * not compared pairwise: a binary of 10,000 tests costs n log n. NULL
 * on ENOMEM; *n 0 when there is none. */
static listing *files_of(const cb_results *r, size_t first, const char *kind, size_t *n)
{
    size_t m = 0;
    listing *v = cb_fault_calloc(r->n - first + 1, sizeof v[0]);
    if (!v)
        return NULL;
    for (size_t i = first; i < r->n; i++) {
        const cb_artifact *a = cb_record_artifact(&r->v[i], kind);
        if (a)
            v[m++] = (listing){.path = a->path, .i = i};
    }
    qsort(v, m, sizeof v[0], by_path);
    size_t k = 0;
    for (size_t j = 0; j < m; j++)
        if (k == 0 || strcmp(v[j].path, v[k - 1].path) != 0)
            v[k++] = v[j];
    qsort(v, k, sizeof v[0], by_record);
    *n = k;
    return v;
}

/* One kind: 0 (also when there is nothing of it), or -1 (printed). */
static int write_kind(const char *outdir, const cb_results *r, size_t first, const char *binary,
                      const char *kind, FILE *err)
{
    size_t n = 0;
    listing *files = files_of(r, first, kind, &n);
    if (files && n == 0) {
        free(files);
        return 0;
    }
    char **paths = files ? cb_fault_calloc(n, sizeof paths[0]) : NULL;
    char *out_path = NULL;
    int rc = -1;
    bool ok = paths && cb_fault_asprintf(&out_path, "%s/%s/%s.pb.gz", outdir, binary, kind) >= 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = cb_fault_asprintf(&paths[i], "%s/%s", outdir, files[i].path) >= 0;
    if (!ok)
        fprintf(err, "cbench: out of memory adding up the %s profiles of %s\n", kind, binary);
    else if ((rc = cb_pprof_merge_files((const char *const *)paths, n, out_path)) != 0)
        fprintf(err, "cbench: no %s profile for %s: %s\n", kind, binary, cbench_last_error());
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
    free(files);
    free(out_path);
    return rc;
}

int cb_binprof_write(const char *outdir, const cb_results *r, size_t first, const char *binary,
                     FILE *err)
{
    int rc = 0;
    for (size_t k = 0; k < cb_binprof_nkinds; k++)
        rc |= write_kind(outdir, r, first, binary, cb_binprof_kinds[k], err);
    return rc;
}
