/*
 * The arena (see arena.h). Chunks grow from 64 KiB to 4 MiB as the arena
 * does, so a small profile costs little and a large one a few hundred
 * chunks; a request larger than a quarter chunk gets a chunk of its own
 * and leaves the current one in use.
 */
#include "pprof/arena.h"

#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"

#define CHUNK_MIN ((size_t)64 << 10)
#define CHUNK_MAX ((size_t)4 << 20)
/* protobuf-c's structs and the model hold nothing wider than 8 bytes. */
#define ALIGN ((size_t)8)

struct cb_arena_chunk {
    cb_arena_chunk *next;
    alignas(max_align_t) char data[];
};

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) & ~(ALIGN - 1);
}

static void *new_chunk(cb_arena *a, size_t size, bool current)
{
    if (size > SIZE_MAX - sizeof(cb_arena_chunk)) {
        a->failed = true;
        errno = ENOMEM;
        return NULL;
    }
    cb_arena_chunk *c = cb_fault_malloc(sizeof *c + size);
    if (!c) {
        a->failed = true;
        return NULL;
    }
    a->total += sizeof *c + size;
    if (current || !a->chunks) {
        c->next = a->chunks;
        a->chunks = c;
        if (current) {
            a->next = c->data;
            a->end = c->data + size;
        }
    } else {
        /* A large block: behind the newest chunk, whose free space stays. */
        c->next = a->chunks->next;
        a->chunks->next = c;
    }
    return c->data;
}

void *cb_arena_alloc(cb_arena *a, size_t size)
{
    if (size > SIZE_MAX - ALIGN) {
        a->failed = true;
        errno = ENOMEM;
        return NULL;
    }
    size = round_up(size ? size : 1);
    if ((size_t)(a->end - a->next) >= size) {
        void *p = a->next;
        a->next += size;
        return p;
    }
    size_t chunk = a->total < CHUNK_MIN ? CHUNK_MIN : a->total < CHUNK_MAX ? a->total : CHUNK_MAX;
    if (size > chunk / 4)
        return new_chunk(a, size, false);
    char *p = new_chunk(a, chunk, true);
    if (!p)
        return NULL;
    a->next = p + size;
    return p;
}

void *cb_arena_calloc(cb_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        a->failed = true;
        errno = ENOMEM;
        return NULL;
    }
    void *p = cb_arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *cb_arena_strdup(cb_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = cb_arena_alloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void cb_arena_free(cb_arena *a)
{
    for (cb_arena_chunk *c = a->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    memset(a, 0, sizeof a[0]);
}

static void *pb_alloc(void *data, size_t size)
{
    return cb_arena_alloc(data, size);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    (void)p;
}

void cb_arena_protobuf_allocator(cb_arena *a, ProtobufCAllocator *out)
{
    out->alloc = pb_alloc;
    out->free = pb_free;
    out->allocator_data = a;
}
