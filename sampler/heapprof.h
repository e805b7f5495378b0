/*
 * Heap sampling: which allocations are sampled, the stacks they were made
 * from, and the "heap" and "allocs" profiles. The model is at the top of
 * heapprof.c; what the allocator tells it (a sampled allocation, its free,
 * a thread's exit) are the allocator's events, interpose/heap_events.h.
 */
#ifndef CB_HEAPPROF_H
#define CB_HEAPPROF_H

#include <stdio.h>

/*
 * Windows: the heap and allocs profiles of one span of time (a test).
 * After cb_heapprof_window_begin(), cb_heapprof_write_window() writes
 * what was sampled since: allocations made in the window, and those of
 * them still live. Blocks allocated before the window do not appear, even
 * when freed inside it. Same errors as cbench_write_profile().
 */
void cb_heapprof_window_begin(void);
/* The whole-process "heap" or "allocs" profile (cbench_write_profile). */
int cb_heapprof_write(const char *name, FILE *out, int debug);
int cb_heapprof_write_window(const char *name, FILE *out, int debug);

#endif
