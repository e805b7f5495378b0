/*
 * The full per-record text form (fulltext.h). Records are kept in the
 * order they were added (builder.c appends), so record i is the i-th
 * distinct stack and label set the caller added.
 */
#include "fulltext.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "base/error.h"
#include "model.h"

static void print_frames(const cb_resolved *r, const uint64_t *locs, int n, FILE *out)
{
    for (int i = 0; i < n; i++) {
        const cb_rloc *loc = &r->locs[locs[i] - 1];
        if (loc->nlines == 0) {
            fprintf(out, "%#" PRIx64 "\n", loc->address);
            continue;
        }
        for (int j = 0; j < loc->nlines; j++) {
            const cb_rfunc *f = &r->funcs[loc->lines[j].function_id - 1];
            fprintf(out, "%s\n", r->strings[f->name]);
            if (f->filename)
                fprintf(out, "\t%s:%" PRId64 " %#" PRIx64 "\n", r->strings[f->filename],
                        loc->lines[j].line, loc->address);
            else
                fprintf(out, "\t%#" PRIx64 "\n", loc->address);
        }
    }
}

int cb_profile_write_each(cb_profile *p, FILE *out, void (*head)(FILE *, size_t, void *), void *arg)
{
    cb_resolved r;
    if (cb_resolve(p, &r) < 0)
        return -1;
    for (size_t i = 0; i < p->nrecs; i++) {
        head(out, i, arg);
        print_frames(&r, r.rec_locs[i], r.rec_nlocs[i], out);
        fputc('\n', out);
    }
    cb_resolved_free(&r);
    if (fflush(out) != 0 || ferror(out)) {
        int err = errno ? errno : EIO;
        return cb_error(err, "writing the %s profile: %s", p->spec.name, strerror(err));
    }
    return 0;
}
