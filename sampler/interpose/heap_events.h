/*
 * The allocator's events: what heap.c tells the heap profiler and the
 * assertion recorder, and who listens.
 *
 * The interposer is an event source: it declares here the functions it
 * calls, and the producers named beside each define them. The linker
 * binds the calls, so nothing is registered at run time: the first
 * allocation of the process, before any constructor, already finds them,
 * and a call is a direct call, as it was when heap.c called the producers
 * by their headers. The interposer includes no producer's header; a
 * producer implements an event by including this one.
 *
 * Every event is on a slow path: a sampled or recorded allocation, its
 * free, a thread's first allocation or its exit. The fast paths (an
 * unsampled malloc or free) call nothing here and read nothing from here.
 * Each event runs with the thread's allocations marked as cbench's own
 * (base/own.h), so what it allocates comes from the pool and is neither
 * counted nor sampled.
 */
#ifndef CB_INTERPOSE_HEAP_EVENTS_H
#define CB_INTERPOSE_HEAP_EVENTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* What a sampled block carries in the 16 bytes before its header: the
 * heap profiler's, which the interposer keeps and copies (realloc) but
 * never reads. */
typedef struct cb_heap_tag {
    uint32_t record; /* the record of the allocating stack (heapprof.c) */
    uint32_t window; /* the window it was allocated in */
    uint64_t reserved;
} cb_heap_tag;

_Static_assert(sizeof(cb_heap_tag) == 16, "the tag fills the room left before a header");

/* ---- heapprof.c ---------------------------------------------------------- */

/* Bytes until this thread's next sample: exponentially distributed with
 * mean MemProfileRate, 0 at rate 1, INT64_MAX when sampling is off.
 * `rng` is the thread's generator state. Also called at a thread's first
 * allocation. */
int64_t cb_heapprof_next_distance(uint64_t *rng);

/* A sampled allocation: counts it in its stack's record (the stack from
 * the allocator's caller on) and fills its tag. -1 when memory runs out
 * (the block is then not sampled). */
int cb_heapprof_record_alloc(uint64_t size, uintptr_t caller, cb_heap_tag *tag);

/* A sampled block is freed (or moved by realloc). */
void cb_heapprof_record_free(const cb_heap_tag *tag, uint64_t size);

/* The thread is ending: its counts go to the records. */
void cb_heapprof_thread_exit(void);

/* ---- scoperec.c ---------------------------------------------------------- */

/* How many assertion scopes want every allocation recorded. Read (never
 * written) by the interposer on the path a thread's first allocation
 * after a scope began takes anyway (a new peak epoch), and on the sampling
 * slow path. */
extern _Atomic int cb_scoperec_heap_on;

static inline bool cb_scoperec_heap_wanted(void)
{
    return atomic_load(&cb_scoperec_heap_on) != 0;
}

/* A new block at p, while a scope records: true when it was recorded (the
 * interposer then flags its header so that its free comes here too). */
bool cb_scoperec_alloc(void *p, uint64_t size, uintptr_t caller);

/* A recorded block is released. */
void cb_scoperec_free(void *p);

#endif
