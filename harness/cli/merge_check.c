/*
 * What `cbench merge` refuses (see merge.h), before it writes anything.
 *
 * Results of two cbench versions may count or name things differently,
 * and the same binary name built twice is two programs whose timings and
 * profiles do not add up: both are refused outright. A test or benchmark
 * in two inputs is a sign of shards that overlap (a folder given twice, a
 * binary that ignored the shard, two splits mixed); it is refused unless
 * --runs says the inputs are repetitions, which keep every record. The
 * duplicate search sorts keys (binary, kind, name, procs, input), so it
 * costs n log n over all records: 30,000 records are a few ms.
 */
#include "merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"

#define BINARY_RECORD_NAME "(binary)" /* a binary's own failure (run.c) */

static int versions(const cb_merge_input *in, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = in[i].res.cbench_version;
        if (!v || !*v) {
            snprintf(err, errlen,
                     "%s/results.json does not say which cbench wrote it (an older cbench): "
                     "run it again with this one",
                     in[i].dir);
            return -1;
        }
        if (strcmp(v, in[0].res.cbench_version) != 0) {
            snprintf(err, errlen,
                     "%s was written by cbench %s, %s by cbench %s: merge runs of one "
                     "cbench version",
                     in[0].dir, in[0].res.cbench_version, in[i].dir, v);
            return -1;
        }
    }
    return 0;
}

static int builds(const cb_merge_input *in, size_t n, char *err, size_t errlen)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < in[i].res.nbinaries; j++)
            for (size_t k = 0; k < i; k++)
                for (size_t m = 0; m < in[k].res.nbinaries; m++) {
                    const cb_results_binary *a = &in[k].res.binaries[m],
                                            *b = &in[i].res.binaries[j];
                    if (strcmp(a->name, b->name) != 0 || strcmp(a->build_id, b->build_id) == 0)
                        continue;
                    snprintf(err, errlen,
                             "%s is not the same build in %s (build ID %s) and %s (build ID %s): "
                             "merge runs of one build",
                             a->name, in[k].dir, *a->build_id ? a->build_id : "none", in[i].dir,
                             *b->build_id ? b->build_id : "none");
                    return -1;
                }
    return 0;
}

static int shards(const cb_merge_input *in, size_t n, FILE *notes, char *err, size_t errlen)
{
    int total = 0;
    char *seen = NULL;
    for (size_t i = 0; i < n; i++) {
        int k, t;
        const char *s = in[i].res.shard;
        if (!s || sscanf(s, "%d/%d", &k, &t) != 2 || k < 1 || k > t)
            continue;
        for (size_t j = 0; j < i; j++) {
            const char *o = in[j].res.shard;
            if (o && strcmp(o, s) == 0) {
                snprintf(err, errlen,
                         "%s and %s are both shard %s: to merge repeated runs, use --runs",
                         in[j].dir, in[i].dir, s);
                free(seen);
                return -1;
            }
        }
        if (total && t != total) {
            snprintf(err, errlen,
                     "%s is shard %s, another input is a shard of %d: shards of "
                     "different splits overlap",
                     in[i].dir, s, total);
            free(seen);
            return -1;
        }
        if (!total && !(seen = cb_fault_calloc((size_t)t + 1, 1))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        total = t;
        seen[k] = 1;
    }
    for (int k = 1; k <= total && notes; k++)
        if (!seen[k])
            fprintf(notes,
                    "cbench merge: note: shard %d/%d is not among the inputs: its tests "
                    "are not in the merged results\n",
                    k, total);
    free(seen);
    return 0;
}

typedef struct key {
    const cb_record *rec;
    size_t input;
} key;

static int by_key(const void *pa, const void *pb)
{
    const key *a = pa, *b = pb;
    const cb_record *x = a->rec, *y = b->rec;
    int c = strcmp(x->binary ? x->binary : "", y->binary ? y->binary : "");
    if (!c)
        c = (int)x->kind - (int)y->kind;
    if (!c)
        c = strcmp(x->name, y->name);
    if (!c)
        c = x->procs - y->procs;
    if (!c)
        c = a->input < b->input ? -1 : a->input > b->input;
    return c;
}

static bool same_test(const cb_record *x, const cb_record *y)
{
    return strcmp(x->binary ? x->binary : "", y->binary ? y->binary : "") == 0 &&
           x->kind == y->kind && strcmp(x->name, y->name) == 0 && x->procs == y->procs;
}

static int duplicates(const cb_merge_input *in, size_t n, char *err, size_t errlen)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += in[i].res.n;
    key *keys = cb_fault_calloc(total ? total : 1, sizeof keys[0]);
    if (!keys) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < in[i].res.n; j++)
            if (strcmp(in[i].res.v[j].name, BINARY_RECORD_NAME) != 0)
                keys[m++] = (key){&in[i].res.v[j], i};
    qsort(keys, m, sizeof keys[0], by_key);
    int rc = 0;
    for (size_t i = 1; i < m && rc == 0; i++) {
        if (keys[i].input == keys[i - 1].input || !same_test(keys[i].rec, keys[i - 1].rec))
            continue;
        const cb_record *r = keys[i].rec;
        char procs[16] = "";
        if (r->procs > 1)
            snprintf(procs, sizeof procs, "-%d", r->procs);
        snprintf(err, errlen,
                 "%s %s%s of %s is in both %s and %s: shards hold each test once; to merge "
                 "repeated runs, use --runs",
                 r->kind == CB_KIND_BENCH ? "benchmark" : "test", r->name, procs,
                 r->binary ? r->binary : "?", in[keys[i - 1].input].dir, in[keys[i].input].dir);
        rc = -1;
    }
    free(keys);
    return rc;
}

int cb_merge_check(const cb_merge_input *in, size_t n, bool runs, FILE *notes, char *err,
                   size_t errlen)
{
    if (versions(in, n, err, errlen) != 0 || builds(in, n, err, errlen) != 0)
        return -1;
    if (runs)
        return 0;
    if (shards(in, n, notes, err, errlen) != 0)
        return -1;
    return duplicates(in, n, err, errlen);
}
