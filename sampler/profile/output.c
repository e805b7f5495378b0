/*
 * Atomic profile files: a profile is written to "<path>.tmp.<pid>.<n>" in
 * the same folder, closed with its errors checked, then renamed over
 * `path`. A reader never sees a half-written profile under the final
 * name, and a failed write leaves whatever was at `path` untouched. The
 * temporary file is created first, so a bad folder is reported before
 * any profiling happens.
 */
#include "profile.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fault.h"
#include "cbench/profile.h"
#include "base/error.h"

int cb_atomic_open(cb_atomic_file *a, const char *path)
{
    static atomic_uint counter;
    memset(a, 0, sizeof a[0]);
    if (!path || !*path)
        return cb_error(EINVAL, "profile path is empty");
    int n = snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%d.%u", path, (int)getpid(),
                     atomic_fetch_add(&counter, 1));
    if (n < 0 || (size_t)n >= sizeof a->tmp)
        return cb_error(ENAMETOOLONG, "profile path is too long: %s", path);
    if (!(a->path = cb_fault_strdup(path)))
        return cb_error(ENOMEM, "out of memory");
    if (!(a->f = fopen(a->tmp, "wb"))) {
        int err = errno;
        free(a->path);
        a->path = NULL;
        return cb_error(err, "cannot create %s: %s", a->tmp, strerror(err));
    }
    return 0;
}

int cb_atomic_finish(cb_atomic_file *a, int rc)
{
    int err = errno;
    if (!a->f)
        return cb_error(EINVAL, "profile file is not open");
    if (fclose(a->f) != 0 && rc == 0) {
        err = errno;
        rc = cb_error(err, "writing %s: %s", a->tmp, strerror(err));
    }
    a->f = NULL;
    if (rc == 0 && rename(a->tmp, a->path) != 0) {
        err = errno;
        rc = cb_error(err, "cannot rename %s to %s: %s", a->tmp, a->path, strerror(err));
    }
    if (rc != 0)
        unlink(a->tmp);
    free(a->path);
    a->path = NULL;
    errno = err;
    return rc;
}

void cb_atomic_abandon(cb_atomic_file *a)
{
    if (a->f) {
        fclose(a->f);
        unlink(a->tmp);
    }
    free(a->path);
    memset(a, 0, sizeof a[0]);
}

int cb_write_file_atomic(const char *path, int (*emit)(FILE *out, void *arg), void *arg)
{
    cb_atomic_file a;
    if (cb_atomic_open(&a, path) != 0)
        return -1;
    return cb_atomic_finish(&a, emit(a.f, arg));
}
