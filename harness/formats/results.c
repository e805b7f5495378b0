/*
 * Result records and the list that gathers them for the result files.
 *
 * A list owns deep copies: every string of a record in it was allocated
 * here, so the producer may free or reuse its own record at once. This
 * runs in ordinary context (never from a signal handler), so plain
 * malloc is fine. The list also carries what the files' headers say
 * about the machine: goos and goarch as Go names this build's target,
 * and the CPU model as /proc/cpuinfo names it (Go reads the same brand
 * string from CPUID).
 */
#include "formats/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#define CB_GOARCH "amd64"
#elif defined(__aarch64__)
#define CB_GOARCH "arm64"
#elif defined(__i386__)
#define CB_GOARCH "386"
#elif defined(__arm__)
#define CB_GOARCH "arm"
#elif defined(__riscv) && __riscv_xlen == 64
#define CB_GOARCH "riscv64"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CB_GOARCH "ppc64le"
#elif defined(__s390x__)
#define CB_GOARCH "s390x"
#else
#define CB_GOARCH "unknown"
#endif

/* The first "model name" of /proc/cpuinfo, trimmed; "" when there is none
 * (some architectures do not name the model). NULL on ENOMEM. */
static char *cpu_model(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    char *model = NULL;
    while (f && !model && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        char *v = strchr(line, ':');
        if (!v)
            continue;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t n = strcspn(v, "\n");
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        model = strndup(v, n);
        break;
    }
    if (f)
        fclose(f);
    return model ? model : strdup("");
}

void cb_results_init(cb_results *r)
{
    memset(r, 0, sizeof r[0]);
    r->goos = strdup("linux");
    r->goarch = strdup(CB_GOARCH);
    r->cpu = cpu_model();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r->started_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void cb_results_free(cb_results *r)
{
    for (size_t i = 0; i < r->n; i++)
        cb_record_free(&r->v[i]);
    free(r->v);
    free(r->goos);
    free(r->goarch);
    free(r->cpu);
    free(r->pkg);
    memset(r, 0, sizeof r[0]);
}

int cb_results_add(cb_results *r, const cb_record *rec)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        cb_record *v = realloc(r->v, cap * sizeof v[0]);
        if (!v) {
            errno = ENOMEM;
            return -1;
        }
        r->v = v;
        r->cap = cap;
    }
    if (cb_record_copy(&r->v[r->n], rec) != 0)
        return -1;
    r->n++;
    return 0;
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
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

int cb_record_copy(cb_record *dst, const cb_record *src)
{
    *dst = *src;
    dst->binary = dst->name = dst->message = dst->output = NULL;
    if (dst->nmetrics < 0)
        dst->nmetrics = 0;
    if (dst->nmetrics > CB_MAX_METRICS)
        dst->nmetrics = CB_MAX_METRICS;
    if (dst->nlimits < 0)
        dst->nlimits = 0;
    if (dst->nlimits > CB_MAX_LIMITS)
        dst->nlimits = CB_MAX_LIMITS;
    if (dst->nartifacts < 0)
        dst->nartifacts = 0;
    if (dst->nartifacts > CB_MAX_ARTIFACTS)
        dst->nartifacts = CB_MAX_ARTIFACTS;
    for (int i = 0; i < CB_MAX_ARTIFACTS; i++)
        dst->artifacts[i].path = NULL;
    /* Fixed-size fields might lack their NUL in a careless producer's
     * record; every reader of a copy relies on it. */
    for (int i = 0; i < dst->nmetrics; i++)
        dst->metrics[i].unit[sizeof dst->metrics[i].unit - 1] = '\0';
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

void cb_results_summary(const cb_results *r, cb_summary *s)
{
    memset(s, 0, sizeof s[0]);
    for (size_t i = 0; i < r->n; i++) {
        const cb_record *rec = &r->v[i];
        if (rec->kind == CB_KIND_BENCH)
            s->benchmarks++;
        else
            s->tests++;
        if (rec->status == CB_FAIL)
            s->failed++;
        else if (rec->status == CB_SKIP)
            s->skipped++;
        else
            s->passed++;
    }
}
