/*
 * Heap sampling: which allocations are sampled, the stacks they were made
 * from, and the "heap" and "allocs" profiles. The model is at the top of
 * heapprof.c; heap.c calls in here from its slow paths only.
 */
#ifndef CB_HEAPPROF_H
#define CB_HEAPPROF_H

#include <stdint.h>
#include <stdio.h>

/* Bytes until this thread's next sample: exponentially distributed with
 * mean MemProfileRate, 0 at rate 1, INT64_MAX when sampling is off.
 * `rng` is the thread's generator state. */
int64_t cb_heapprof_next_distance(uint64_t *rng);

/* What a sampled block carries, in the 16 bytes before its header
 * (heap.c): its stack's record and the window it was allocated in. */
typedef struct cb_heapprof_tag {
    uint32_t record;
    uint32_t window;
    uint64_t reserved;
} cb_heapprof_tag;

/* A sampled allocation: counts it in its stack's record (the stack from
 * the allocator's caller on) and fills its tag. Called inside the
 * allocator with cbench's own allocations flagged; takes a lock only for
 * a stack this thread has not sampled recently. -1 when memory runs out
 * (the block is then not sampled). */
int cb_heapprof_record_alloc(uint64_t size, uintptr_t caller, cb_heapprof_tag *tag);

/* A sampled block is freed (or moved by realloc). */
void cb_heapprof_record_free(const cb_heapprof_tag *tag, uint64_t size);

/* The thread is ending: its counts go to the records. */
void cb_heapprof_thread_exit(void);

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

/* heap.c: starts this thread's countdown afresh (after a rate change). */
void cb_heap_reset_sampling(void);

#endif
