/*
 * The allocation side of the sampler: interposed malloc family and exact
 * counters. The model is described at the top of heap.c.
 */
#ifndef CB_HEAP_H
#define CB_HEAP_H

#include <stdint.h>

#include "base/own.h"
#include "cbench/profile.h"

/* Folds the exiting thread's counters into the process totals (threads.c
 * calls it; the list's exit key does for threads it did not start). */
void cb_heap_thread_exit(void);

/* Starts this thread's countdown to its next sample afresh (the heap
 * profiler calls it after a rate change). */
void cb_heap_reset_sampling(void);

/* Exact deltas over a region of code, process-wide. Scopes nest: an inner
 * scope's peak still counts for the outer one. Entering or leaving reads
 * every thread's counters, which is one read when one thread exists. */
typedef struct cb_heap_scope {
    cbench_memstats start;
    uint64_t outer_peak; /* the peak before this scope, restored at its end */
} cb_heap_scope;

typedef struct cb_heap_delta {
    uint64_t mallocs, frees, bytes;   /* calls and bytes requested in the scope */
    int64_t live_bytes, live_objects; /* growth of live bytes and blocks */
    uint64_t peak_growth;             /* highest live bytes above the start */
} cb_heap_delta;

void cb_heap_scope_begin(cb_heap_scope *s);
void cb_heap_scope_end(cb_heap_scope *s, cb_heap_delta *d);

#endif
