/*
 * A byte-keyed hash map with uint64 values, for interning while a profile
 * is built: strings to string-table indices, addresses to location ids,
 * stacks to sample slots.
 *
 * Open addressing with linear probing; keys are copied into an arena owned
 * by the map, so callers may pass temporaries.
 *
 * It allocates with malloc and takes no lock, so never in a signal
 * handler. The interposers' slow paths do reach it, through the tables of
 * records by stack (records.c) that the producers keep: there the thread
 * is doing cbench's own work (base/own.h), so the map's memory comes from
 * cbench's pool, is not counted, and allocating cannot re-enter the
 * interposer's slow path. Besides that, profile writing and the harness.
 */
#ifndef CB_PROFILE_HMAP_H
#define CB_PROFILE_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cb_hmap_slot {
    uint64_t hash;
    const void *key; /* NULL: empty slot */
    size_t len;
    uint64_t value;
} cb_hmap_slot;

typedef struct cb_hmap {
    cb_hmap_slot *slots;
    size_t cap;   /* power of two */
    size_t count;
    char **chunks; /* key arena */
    size_t nchunks, chunk_used, chunk_cap;
} cb_hmap;

void cb_hmap_init(cb_hmap *m);

/* The value slot for `key`, inserted with value 0 (and *inserted = true)
 * when absent. NULL when memory runs out. The stored copy of the key is
 * returned in *stored_key when that is non-NULL. */
uint64_t *cb_hmap_put(cb_hmap *m, const void *key, size_t len, bool *inserted,
                      const void **stored_key);

/* The value slot for `key`, or NULL when absent. */
uint64_t *cb_hmap_get(const cb_hmap *m, const void *key, size_t len);

void cb_hmap_free(cb_hmap *m);

uint64_t cb_hash_bytes(const void *key, size_t len);

#endif
