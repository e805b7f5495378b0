/*
 * Result records (see record.h): copying, freeing, and the few questions
 * every writer asks of one.
 *
 * A copy owns every string it holds, so the producer may free or reuse
 * its own record at once. This runs in ordinary context (never from a
 * signal handler), so allocating is fine; it goes through the fault
 * countdown (sampler/base/fault.h) so tests can fail any copy.
 */
#include "formats/record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"

const char *cb_record_kind_name(cb_kind kind)
{
    return kind == CB_KIND_BENCH ? "bench" : "test";
}

const char *cb_record_status_name(cb_status status)
{
    switch (status) {
    case CB_FAIL: return "fail";
    case CB_SKIP: return "skip";
    default: return "pass";
    }
}

void cb_record_free(cb_record *rec)
{
    free(rec->binary);
    free(rec->name);
    free(rec->message);
    free(rec->output);
    rec->binary = rec->name = rec->message = rec->output = NULL;
    for (int i = 0; i < rec->nartifacts && i < CB_MAX_ARTIFACTS; i++) {
        free(rec->artifacts[i].path);
        rec->artifacts[i].path = NULL;
    }
    rec->nartifacts = 0;
}

static bool limit_breached(const cb_record *rec)
{
    for (int i = 0; i < rec->nlimits && i < CB_MAX_LIMITS; i++)
        if (rec->limits[i].breached)
            return true;
    return false;
}

const cb_artifact *cb_record_artifact(const cb_record *rec, const char *kind)
{
    for (int i = 0; i < rec->nartifacts && i < CB_MAX_ARTIFACTS; i++)
        if (strcmp(rec->artifacts[i].kind, kind) == 0 && rec->artifacts[i].path)
            return &rec->artifacts[i];
    return NULL;
}

bool cb_record_has_result(const cb_record *rec)
{
    if (rec->kind != CB_KIND_BENCH)
        return false;
    if (rec->status != CB_PASS && !(rec->status == CB_FAIL && limit_breached(rec)))
        return false;
    for (int i = 0; i < rec->nmetrics && i < CB_MAX_METRICS; i++)
        if (rec->metrics[i].unit[0])
            return true;
    return false;
}

/* strdup that keeps NULL as NULL; false only when allocation failed. */
static bool dup_str(char **dst, const char *src)
{
    *dst = src ? cb_fault_strdup(src) : NULL;
    return !src || *dst;
}

static int clamp(int n, int max)
{
    return n < 0 ? 0 : n > max ? max : n;
}

int cb_record_copy(cb_record *dst, const cb_record *src)
{
    *dst = *src;
    dst->binary = dst->name = dst->message = dst->output = NULL;
    dst->nmetrics = clamp(dst->nmetrics, CB_MAX_METRICS);
    dst->nlimits = clamp(dst->nlimits, CB_MAX_LIMITS);
    dst->nartifacts = clamp(dst->nartifacts, CB_MAX_ARTIFACTS);
    for (int i = 0; i < CB_MAX_ARTIFACTS; i++)
        dst->artifacts[i].path = NULL;
    /* Fixed-size fields might lack their NUL in a careless producer's
     * record; every reader of a copy relies on it. */
    for (int i = 0; i < dst->nmetrics; i++)
        dst->metrics[i].unit[sizeof dst->metrics[i].unit - 1] = '\0';
    for (int i = 0; i < dst->nlimits; i++)
        dst->limits[i].unit[sizeof dst->limits[i].unit - 1] = '\0';
    bool ok = dup_str(&dst->binary, src->binary) && dup_str(&dst->name, src->name) &&
              dup_str(&dst->message, src->message) && dup_str(&dst->output, src->output);
    for (int i = 0; ok && i < dst->nartifacts; i++) {
        dst->artifacts[i].kind[sizeof dst->artifacts[i].kind - 1] = '\0';
        ok = dup_str(&dst->artifacts[i].path, src->artifacts[i].path);
    }
    if (!ok) {
        cb_record_free(dst);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}
