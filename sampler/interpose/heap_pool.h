/*
 * Memory for cbench's own allocations, kept out of the program's heap.
 * The model is at the top of heap_pool.c.
 */
#ifndef CB_HEAP_POOL_H
#define CB_HEAP_POOL_H

#include <stddef.h>

/* A block of at least n bytes, 32-byte aligned; NULL with errno ENOMEM
 * when the system has no memory. Called by heap.c only, for cbench's own
 * allocations (base/own.h): it takes a spinlock, so never in a signal
 * handler. */
void *cb_heap_pool_alloc(size_t n);

/* Gives back a block; n is what it was allocated with. */
void cb_heap_pool_free(void *p, size_t n);

/* How many bytes a block allocated with n holds. */
size_t cb_heap_pool_capacity(size_t n);

#endif
