/*
 * Per-binary profiles (see binprof.h): for each kind, every record's
 * file of that kind is read, the profiles are added up with pprof's
 * merge (pprof/merge.c) and the sum written atomically. The profiles of
 * one binary are read together: per-test profiles are small (a few KiB
 * each; a binary of 400 tests holds a few MiB of them).
 */
#include "binprof.h"

#include <errno.h>
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
    cb_pprof *profiles = cb_fault_calloc(n, sizeof profiles[0]);
    const cb_pprof **in = cb_fault_calloc(n, sizeof in[0]);
    char **paths = cb_fault_calloc(n, sizeof paths[0]);
    char *out_path = NULL;
    size_t nread = 0;
    int rc = -1;
    if (!profiles || !in || !paths) {
        fprintf(err, "cbench: out of memory adding up the %s profiles of %s\n", kind, binary);
        goto out;
    }
    for (size_t i = first; i < r->n; i++) {
        const char *rel = first_listing(r, first, i, kind);
        if (!rel)
            continue;
        if (cb_fault_asprintf(&paths[nread], "%s/%s", outdir, rel) < 0) {
            fprintf(err, "cbench: out of memory adding up the %s profiles of %s\n", kind, binary);
            goto out;
        }
        if (cb_pprof_read(&profiles[nread], paths[nread]) != 0) {
            fprintf(err, "cbench: no %s profile for %s: %s\n", kind, binary, cbench_last_error());
            free(paths[nread]);
            paths[nread] = NULL;
            goto out;
        }
        in[nread] = &profiles[nread];
        nread++;
    }
    cb_pprof sum;
    if (cb_pprof_merge(&sum, in, nread, (const char *const *)paths) != 0) {
        fprintf(err, "cbench: no %s profile for %s: %s\n", kind, binary, cbench_last_error());
        goto out;
    }
    if (cb_fault_asprintf(&out_path, "%s/%s/%s.pb.gz", outdir, binary, kind) < 0)
        fprintf(err, "cbench: out of memory adding up the %s profiles of %s\n", kind, binary);
    else if (cb_pprof_write(&sum, out_path) != 0)
        fprintf(err, "cbench: %s\n", cbench_last_error());
    else
        rc = 0;
    cb_pprof_free(&sum);
out:
    for (size_t i = 0; i < nread; i++)
        cb_pprof_free(&profiles[i]);
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
    free(profiles);
    free(in);
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
