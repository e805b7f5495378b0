/*
 * The legacy text form (debug=1), as Go prints its count, heap, mutex and
 * contention profiles: a header, then one record per distinct stack, largest
 * first, as "values @ addresses", each followed by one "#" line per frame (inlined
 * frames included) with address, function and file:line. The addresses
 * after "@" are the sampled ones (return addresses for callers), which is
 * what pprof's legacy parsers expect.
 */
#include "model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fault.h"

/* Records are printed largest first by the value Go sorts on: the first
 * one, or in-use bytes for heap profiles. */
static int sort_value(const cb_profile *p)
{
    if (p->spec.text == CB_TEXT_HEAP)
        return 3;
    return p->spec.text == CB_TEXT_COUNT ? 0 : 1;
}

static int by_value_desc(const void *a, const void *b, void *arg)
{
    const cb_profile *p = arg;
    int v = sort_value(p);
    const cb_record *ra = &p->recs[*(const size_t *)a];
    const cb_record *rb = &p->recs[*(const size_t *)b];
    if (ra->values[v] != rb->values[v])
        return ra->values[v] > rb->values[v] ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Heap records print in-use first, as Go does: "io: ib [ao: ab]". */
static void print_heap_values(const int64_t *v, FILE *out)
{
    fprintf(out, "%" PRId64 ": %" PRId64 " [%" PRId64 ": %" PRId64 "]", v[2], v[3], v[0], v[1]);
}

static void print_header(const cb_profile *p, FILE *out)
{
    int64_t total[CB_PROFILE_MAX_TYPES] = {0};
    for (size_t i = 0; i < p->nrecs; i++)
        for (int v = 0; v < p->spec.ntypes; v++)
            total[v] += p->recs[i].values[v];
    if (p->spec.text == CB_TEXT_HEAP) {
        fputs("heap profile: ", out);
        print_heap_values(total, out);
        fprintf(out, " @ heap/%" PRId64 "\n", 2 * p->spec.period);
        return;
    }
    if (p->spec.text != CB_TEXT_COUNT) {
        /* Delays are nanoseconds: one "cycle" per nanosecond. */
        bool mutex = p->spec.text == CB_TEXT_MUTEX;
        fprintf(out, "--- %s:\ncycles/second=1000000000\n", mutex ? "mutex" : "contention");
        if (mutex)
            fprintf(out, "sampling period=%" PRId64 "\n", p->spec.period);
        return;
    }
    fprintf(out, "%s profile: total %" PRId64 "\n", p->spec.name, total[0]);
}

static void print_values(const cb_profile *p, const int64_t *v, FILE *out)
{
    if (p->spec.text == CB_TEXT_HEAP) {
        print_heap_values(v, out);
        return;
    }
    if (p->spec.text != CB_TEXT_COUNT) {
        fprintf(out, "%" PRId64 " %" PRId64, v[1], v[0]); /* delay, then count */
        return;
    }
    for (int i = 0; i < p->spec.ntypes; i++)
        fprintf(out, i ? " %" PRId64 : "%" PRId64, v[i]);
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
    size_t *order = cb_fault_malloc((p->nrecs ? p->nrecs : 1) * sizeof *order);
    if (!order)
        return cb_error(ENOMEM, "out of memory writing the %s profile", p->spec.name);
    for (size_t i = 0; i < p->nrecs; i++)
        order[i] = i;
    qsort_r(order, p->nrecs, sizeof *order, by_value_desc, (void *)p);
    print_header(p, out);
    for (size_t k = 0; k < p->nrecs; k++) {
        size_t i = order[k];
        const cb_record *rec = &p->recs[i];
        print_values(p, rec->values, out);
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

int cb_profile_write_maps(FILE *out, const char *heading)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps)
        return 0;
    fputs(heading, out);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, maps)) > 0)
        fwrite(buf, 1, n, out);
    fclose(maps);
    if (fflush(out) != 0 || ferror(out)) {
        int err = errno ? errno : EIO;
        return cb_error(err, "writing the mappings of a text profile: %s", strerror(err));
    }
    return 0;
}
