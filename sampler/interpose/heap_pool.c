/*
 * cbench's own memory: a small allocator beside glibc's.
 *
 * Allocations cbench makes for itself (sampled stacks and their tables,
 * symbols, profile writing) used to come from glibc's heap, in between
 * the program's blocks. That changed how glibc lays out and reuses the
 * program's memory: with heap sampling at 512 KiB, a malloc/free loop ran
 * about 70 % slower than with glibc alone, against 35 % when only
 * counting, and the difference was inside glibc (bench/heap_overhead;
 * the sampling itself costs about 1 ns a pair). So they come from here
 * instead, and the program's heap looks as it would without cbench.
 *
 * Blocks are powers of two from 32 B to 32 KiB, carved from 256 KiB
 * mappings and kept on one free list per size once freed; memory of the
 * small sizes is reused but not returned to the system. Larger blocks
 * are mappings of their own, unmapped when freed.
 *
 * One plain spinlock (base/spinlock.h) guards the lists. It is taken only
 * inside heap.c's allocator calls, never in a signal handler (a CPU sample
 * unwound while a thread holds it waits for nothing that thread holds).
 * Other locks are held while it is taken (cbench's own allocations under
 * the samplers' locks), never the reverse: it is guarded across fork
 * first, so that fork takes it last and releases it first, and the
 * child's handlers, which free memory, find it free and the lists whole.
 */
#include "interpose/heap_pool.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "base/spinlock.h"

enum {
    MIN_SHIFT = 5,  /* 32 B */
    MAX_SHIFT = 15, /* 32 KiB */
    SIZES = MAX_SHIFT - MIN_SHIFT + 1,
    CHUNK = 256 << 10,
    PAGE = 4096,
};

typedef struct free_block {
    struct free_block *next;
} free_block;

static struct {
    cb_spinlock lock;
    free_block *free[SIZES];
    char *next, *end; /* the unused part of the newest chunk */
} pool = {.lock = CB_SPINLOCK_INIT};

static void lock(void)
{
    cb_spin_lock(&pool.lock);
}

static void unlock(void)
{
    cb_spin_unlock(&pool.lock);
}

static void *map(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    return p;
}

/* The size class of n <= 32 KiB: 0 for up to 32 B, 1 for up to 64 B... */
static int size_class(size_t n)
{
    if (n <= (1u << MIN_SHIFT))
        return 0;
    return (int)(64 - __builtin_clzll((unsigned long long)n - 1)) - MIN_SHIFT;
}

static size_t mapped_size(size_t n)
{
    return (n + PAGE - 1) & ~(size_t)(PAGE - 1);
}

static void *carve(size_t size)
{
    if ((size_t)(pool.end - pool.next) < size) {
        /* The rest of the old chunk, smaller than one block, is left. */
        char *chunk = map(CHUNK);
        if (!chunk)
            return NULL;
        pool.next = chunk;
        pool.end = chunk + CHUNK;
    }
    void *p = pool.next;
    pool.next += size;
    return p;
}

void *cb_heap_pool_alloc(size_t n)
{
    if (n > (1u << MAX_SHIFT))
        return n > SIZE_MAX - PAGE ? (errno = ENOMEM, NULL) : map(mapped_size(n));
    int c = size_class(n);
    lock();
    free_block *b = pool.free[c];
    if (b)
        pool.free[c] = b->next;
    else
        b = carve((size_t)1 << (c + MIN_SHIFT));
    unlock();
    return b;
}

void cb_heap_pool_free(void *p, size_t n)
{
    if (n > (1u << MAX_SHIFT)) {
        munmap(p, mapped_size(n));
        return;
    }
    int c = size_class(n);
    free_block *b = p;
    lock();
    b->next = pool.free[c];
    pool.free[c] = b;
    unlock();
}

size_t cb_heap_pool_capacity(size_t n)
{
    return n > (1u << MAX_SHIFT) ? mapped_size(n) : (size_t)1 << (size_class(n) + MIN_SHIFT);
}

/* Guarded before cbench's other locks (a constructor of higher
 * priority), so that fork takes it after theirs, and releases it first in
 * the child, where their handlers free memory (heapprof.c frees the other
 * threads' state, cpu.c closes the parent's profile file). */
__attribute__((constructor(101))) static void guard_fork(void)
{
    cb_spin_guard_fork(&pool.lock, 1, 0, NULL, NULL);
}
