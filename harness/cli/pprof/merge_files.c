/*
 * Profile files added up into one file (see pprof.h): what the per-binary
 * sums and `cbench merge` both do. The inputs are read together: per-test
 * profiles are small (a few KiB each), so even a binary of 400 tests
 * holds a few MiB of them at once.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/fault.h"
#include "pprof.h"

int cb_pprof_merge_files(const char *const *paths, size_t n, const char *out_path)
{
    cb_pprof *p = cb_fault_calloc(n ? n : 1, sizeof p[0]);
    const cb_pprof **in = cb_fault_calloc(n ? n : 1, sizeof in[0]);
    size_t nread = 0;
    int rc = -1;
    if (!p || !in) {
        cb_error(ENOMEM, "out of memory adding up profiles into %s", out_path);
        goto out;
    }
    for (; nread < n; nread++) {
        if (cb_pprof_read(&p[nread], paths[nread]) != 0)
            goto out; /* the reader's message names the file */
        in[nread] = &p[nread];
    }
    cb_pprof sum;
    if (cb_pprof_merge(&sum, in, n, paths) != 0)
        goto out;
    rc = cb_pprof_write(&sum, out_path);
    cb_pprof_free(&sum);
out:
    for (size_t i = 0; i < nread; i++)
        cb_pprof_free(&p[i]);
    free(p);
    free(in);
    return rc;
}
