/*
 * The legacy text form (debug=1), as Go prints its count profiles: a
 * header line, then one record per distinct stack, largest first, as
 * "values @ addresses", each followed by one "#" line per frame (inlined
 * frames included) with address, function and file:line. The addresses
 * after "@" are the sampled ones (return addresses for callers), which is
 * what pprof's legacy parsers expect.
 */
#include "model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const cb_profile *sort_profile;

static int by_first_value_desc(const void *a, const void *b)
{
    const cb_record *ra = &sort_profile->recs[*(const size_t *)a];
    const cb_record *rb = &sort_profile->recs[*(const size_t *)b];
    if (ra->values[0] != rb->values[0])
        return ra->values[0] > rb->values[0] ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void print_frames(const cb_resolved *r, const uint64_t *locs, int n, FILE *out)
{
    for (int i = 0; i < n; i++) {
        const cb_rloc *loc = &r->locs[locs[i] - 1];
        if (loc->nlines == 0) {
            fprintf(out, "#\t%#" PRIx64 "\n", loc->address);
            continue;
        }
        for (int j = 0; j < loc->nlines; j++) {
            const cb_rfunc *f = &r->funcs[loc->lines[j].function_id - 1];
            fprintf(out, "#\t%#" PRIx64 "\t%s", loc->address, r->strings[f->name]);
            if (f->filename)
                fprintf(out, "\t%s:%" PRId64, r->strings[f->filename], loc->lines[j].line);
            fputc('\n', out);
        }
    }
}

int cb_encode_text(const cb_profile *p, const cb_resolved *r, FILE *out)
{
    size_t *order = malloc((p->nrecs ? p->nrecs : 1) * sizeof *order);
    if (!order)
        return cb_error(ENOMEM, "out of memory writing the %s profile", p->spec.name);
    int64_t total = 0;
    for (size_t i = 0; i < p->nrecs; i++) {
        order[i] = i;
        total += p->recs[i].values[0];
    }
    /* qsort has no context argument; writes are serialized by their callers. */
    sort_profile = p;
    qsort(order, p->nrecs, sizeof *order, by_first_value_desc);
    fprintf(out, "%s profile: total %" PRId64 "\n", p->spec.name, total);
    for (size_t k = 0; k < p->nrecs; k++) {
        size_t i = order[k];
        const cb_record *rec = &p->recs[i];
        for (int v = 0; v < p->spec.ntypes; v++)
            fprintf(out, v ? " %" PRId64 : "%" PRId64, rec->values[v]);
        fputs(" @", out);
        for (int j = 0; j < rec->depth; j++)
            fprintf(out, " %#" PRIx64, rec->pcs[j]);
        fputc('\n', out);
        print_frames(r, r->rec_locs[i], r->rec_nlocs[i], out);
        fputc('\n', out);
    }
    free(order);
    if (ferror(out)) {
        int err = errno ? errno : EIO;
        return cb_error(err, "writing the %s profile: %s", p->spec.name, strerror(err));
    }
    return 0;
}
