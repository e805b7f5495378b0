/*
 * What test_heap_lifetime_prog and its library do at each stage of the
 * process's life, and how they report it to test_heap_lifetime.
 *
 * Each stage makes the same allocations (lifetime_allocate), reads
 * cbench_read_memstats before and after, and writes the difference as one
 * line to the file descriptor named by LIFETIME_FD:
 *     <stage> mallocs=N frees=N bytes=N live=N objects=N
 * (a single value is reported in the mallocs field).
 */
#ifndef TEST_HEAP_LIFETIME_H
#define TEST_HEAP_LIFETIME_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbench/profile.h"

typedef struct lifetime_delta {
    long long mallocs, frees, bytes, live, objects;
} lifetime_delta;

/* lifetime_allocate: malloc 100, calloc 3 x 100, realloc the first to
 * 200, free the calloc'ed one, malloc 50. Kept: the 200 and the 50. */
enum {
    LIFETIME_MALLOCS = 4,
    LIFETIME_FREES = 2,
    LIFETIME_BYTES = 100 + 300 + 200 + 50,
    LIFETIME_KEPT_BYTES = 200 + 50,
    LIFETIME_KEPT = 2,
};

static inline void lifetime_allocate(void **kept)
{
    char *a = malloc(100);
    char *b = calloc(3, 100);
    a[99] = 1;
    b[299] = 2;
    kept[0] = realloc(a, 200);
    free(b);
    kept[1] = malloc(50);
}

static inline void lifetime_diff(const cbench_memstats *a, const cbench_memstats *b,
                                 lifetime_delta *d)
{
    d->mallocs = (long long)(b->mallocs - a->mallocs);
    d->frees = (long long)(b->frees - a->frees);
    d->bytes = (long long)(b->total_alloc - a->total_alloc);
    d->live = (long long)b->alloc - (long long)a->alloc;
    d->objects = (long long)b->heap_objects - (long long)a->heap_objects;
}

static inline void lifetime_report(const char *stage, const lifetime_delta *d)
{
    const char *fd = getenv("LIFETIME_FD");
    if (!fd)
        return;
    char line[256];
    int n = snprintf(line, sizeof line,
                     "%s mallocs=%lld frees=%lld bytes=%lld live=%lld objects=%lld\n", stage,
                     d->mallocs, d->frees, d->bytes, d->live, d->objects);
    /* write(2): no stream to flush or allocate, whatever stage of exit. */
    if (write(atoi(fd), line, (size_t)n) != n)
        abort();
}

/* waitpid, but a child still running after `seconds` (stuck in a fork
 * handler, where no alarm of its own can help) is killed. */
static inline int lifetime_wait(pid_t pid, int seconds)
{
    int status = -1;
    for (int i = 0; i < seconds * 100; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return status;
}

static inline void lifetime_report_value(const char *name, long long value)
{
    lifetime_delta d = {.mallocs = value};
    lifetime_report(name, &d);
}

#endif
