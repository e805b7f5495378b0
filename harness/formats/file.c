/*
 * Writing a finished result file. Each file is built whole in memory
 * first, so an out-of-memory failure never touches the disk; then it is
 * written to a temporary name beside the final one and renamed over it
 * (cb_atomic_open/finish, sampler/profile/output.c), so a reader sees the
 * old file or the new one, never a part of either.
 */
#include "formats/file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "profile/profile.h"

int cb_file_write(const cb_buf *b, const char *path, const char *what)
{
    if (b->failed)
        return cb_error(ENOMEM, "out of memory building %s", what);
    if (!path || !*path)
        return cb_error(EINVAL, "no path given for %s", what);
    cb_atomic_file a;
    if (cb_atomic_open(&a, path) != 0)
        return cb_error(errno, "cannot write %s at %s: %s", what, path, strerror(errno));
    int rc = 0;
    if (b->n > 0 && fwrite(b->p, 1, b->n, a.f) != b->n) {
        int err = errno ? errno : EIO;
        rc = cb_error(err, "writing %s: %s", path, strerror(err));
    }
    return cb_atomic_finish(&a, rc);
}
