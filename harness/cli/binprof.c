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

const char *const cb_binprof_kinds[] = {"cpu", "heap", "allocs", "mutex", "block"};
const size_t cb_binprof_nkinds = sizeof cb_binprof_kinds / sizeof cb_binprof_kinds[0];

static const char *artifact(const cb_record *rec, const char *kind)
{
    for (int i = 0; i < rec->nartifacts; i++)
        if (strcmp(rec->artifacts[i].kind, kind) == 0 && rec->artifacts[i].path)
            return rec->artifacts[i].path;
    return NULL;
}

/* The path of rec's profile of `kind`, unless a record of [first, i)
 * lists the same file: repeated runs merged into one folder (`cbench
 * merge --runs`) share their per-test profiles, each added up once. */
static const char *first_listing(const cb_results *r, size_t first, size_t i, const char *kind)
{
    const char *path = artifact(&r->v[i], kind);
    for (size_t j = first; path && j < i; j++) {
        const char *other = artifact(&r->v[j], kind);
        if (other && strcmp(other, path) == 0)
            return NULL;
    }
    return path;
}

/* One kind: 0 (also when there is nothing of it), or -1 (printed). */
static int write_kind(const char *outdir, const cb_results *r, size_t first, const char *binary,
                      const char *kind, FILE *err)
{
    size_t n = 0;
    for (size_t i = first; i < r->n; i++)
        n += first_listing(r, first, i, kind) != NULL;
    if (n == 0)
        return 0;
    char **paths = cb_fault_calloc(n, sizeof paths[0]);
    char *out_path = NULL;
    size_t k = 0;
    int rc = -1;
    bool ok = paths && cb_fault_asprintf(&out_path, "%s/%s/%s.pb.gz", outdir, binary, kind) >= 0;
    for (size_t i = first; ok && i < r->n; i++) {
        const char *rel = first_listing(r, first, i, kind);
        ok = !rel || cb_fault_asprintf(&paths[k++], "%s/%s", outdir, rel) >= 0;
    }
    if (!ok)
        fprintf(err, "cbench: out of memory adding up the %s profiles of %s\n", kind, binary);
    else if ((rc = cb_pprof_merge_files((const char *const *)paths, n, out_path)) != 0)
        fprintf(err, "cbench: no %s profile for %s: %s\n", kind, binary, cbench_last_error());
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
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
