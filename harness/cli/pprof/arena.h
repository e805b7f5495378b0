/*
 * An arena: memory handed out in order from large chunks and given back
 * all at once. A profile of millions of samples is millions of small
 * objects (protobuf-c unpacks each sample, label and line on its own);
 * from an arena each costs its size and no malloc header, and freeing
 * the profile is one free per chunk.
 *
 * Chunks come from cb_fault_malloc, so the command's fault walk reaches
 * them. Not thread-safe: one arena belongs to one profile, used by one
 * thread.
 */
#ifndef CB_CLI_PPROF_ARENA_H
#define CB_CLI_PPROF_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

typedef struct cb_arena_chunk cb_arena_chunk;

typedef struct cb_arena {
    cb_arena_chunk *chunks; /* newest first */
    char *next, *end;       /* free space in the newest chunk */
    size_t total;           /* bytes obtained from malloc */
    bool failed;            /* an allocation failed (out of memory) */
} cb_arena;

/* Zero-initialise a cb_arena to begin. */

/* size bytes aligned for any object; NULL with errno ENOMEM. */
void *cb_arena_alloc(cb_arena *a, size_t size);
/* n elements of size bytes, zeroed; NULL with errno ENOMEM (also on
 * overflow). */
void *cb_arena_calloc(cb_arena *a, size_t n, size_t size);
char *cb_arena_strdup(cb_arena *a, const char *s);
void cb_arena_free(cb_arena *a);

/* An allocator for protobuf-c that takes from the arena and whose free
 * does nothing (the arena frees everything at the end). */
void cb_arena_protobuf_allocator(cb_arena *a, ProtobufCAllocator *out);

#endif
