/*
 * The list of a run's records (see results.h), and the facts about the
 * machine that the result files' headers carry: goos and goarch as Go
 * names this build's target, and the CPU model as /proc/cpuinfo names it
 * (Go reads the same brand string from CPUID).
 *
 * Ordinary context only; allocations go through the fault countdown
 * (sampler/base/fault.h).
 */
#include "formats/results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fault.h"

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

#ifndef CBENCH_VERSION_STRING
#error "CBENCH_VERSION_STRING: the build defines it from the project's version"
#endif

/* The first "model name" of /proc/cpuinfo, trimmed; "" when there is none
 * (some architectures do not name the model). NULL on ENOMEM. */
static char *cpu_model(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    const char *v = "";
    size_t n = 0;
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon)
            continue;
        v = colon + 1 + strspn(colon + 1, " \t");
        n = strcspn(v, "\n");
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        break;
    }
    char *model = cb_fault_strndup(v, n);
    if (f)
        fclose(f);
    return model;
}

int cb_results_init(cb_results *r)
{
    memset(r, 0, sizeof r[0]);
    r->goos = cb_fault_strdup("linux");
    r->goarch = cb_fault_strdup(CB_GOARCH);
    r->cpu = cpu_model();
    r->cbench_version = cb_fault_strdup(CBENCH_VERSION_STRING);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r->started_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (!r->goos || !r->goarch || !r->cpu || !r->cbench_version) {
        cb_results_free(r);
        errno = ENOMEM;
        return -1;
    }
    return 0;
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
    free(r->cbench_version);
    free(r->shard);
    for (size_t i = 0; i < r->nbinaries; i++) {
        free(r->binaries[i].name);
        free(r->binaries[i].build_id);
    }
    free(r->binaries);
    memset(r, 0, sizeof r[0]);
}

int cb_results_add_binary(cb_results *r, const char *name, const char *build_id)
{
    cb_results_binary *v = cb_fault_realloc(r->binaries, (r->nbinaries + 1) * sizeof v[0]);
    if (!v) {
        errno = ENOMEM;
        return -1;
    }
    r->binaries = v;
    char *n = cb_fault_strdup(name), *id = cb_fault_strdup(build_id ? build_id : "");
    if (!n || !id) {
        free(n);
        free(id);
        errno = ENOMEM;
        return -1;
    }
    v[r->nbinaries++] = (cb_results_binary){.name = n, .build_id = id};
    return 0;
}

int cb_results_add(cb_results *r, const cb_record *rec)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        cb_record *v = cb_fault_realloc(r->v, cap * sizeof v[0]);
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
