/*
 * Atomic profile files: write to "<path>.tmp.<pid>.<n>" in the same folder,
 * fsync-free but checked close, then rename over `path`. A reader never
 * sees a half-written profile under the final name, and a failed write
 * leaves an old file at `path` untouched.
 */
#include "profile.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cbench/profile.h"
#include "error.h"

int cb_write_file_atomic(const char *path, int (*emit)(FILE *out, void *arg), void *arg)
{
    static atomic_uint counter;
    if (!path || !*path)
        return cb_error(EINVAL, "profile path is empty");
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%d.%u", path, (int)getpid(),
                     atomic_fetch_add(&counter, 1));
    if (n < 0 || (size_t)n >= sizeof tmp)
        return cb_error(ENAMETOOLONG, "profile path is too long: %s", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return cb_error(errno, "cannot create %s: %s", tmp, strerror(errno));
    int rc = emit(f, arg);
    int saved = errno;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", cbench_last_error());
    if (fclose(f) != 0 && rc == 0) {
        saved = errno;
        rc = cb_error(saved, "writing %s: %s", tmp, strerror(saved));
        snprintf(msg, sizeof msg, "%s", cbench_last_error());
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        saved = errno;
        rc = cb_error(saved, "cannot rename %s to %s: %s", tmp, path, strerror(saved));
        snprintf(msg, sizeof msg, "%s", cbench_last_error());
    }
    if (rc != 0) {
        unlink(tmp);
        cb_error(saved, "%s", msg);
    }
    return rc;
}
