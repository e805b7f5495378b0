#include "hmap.h"

#include <stdlib.h>
#include <string.h>

enum { CHUNK_MIN = 64 * 1024 };

/* FNV-1a over 8-byte words where possible: keys are mostly address
 * arrays, and this is only used while writing, not while sampling. */
uint64_t cb_hash_bytes(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325ULL;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    while (len--)
        h = (h ^ *p++) * 0x100000001b3ULL;
    return h ^ (h >> 32);
}

void cb_hmap_init(cb_hmap *m)
{
    memset(m, 0, sizeof *m);
}

static void *arena_copy(cb_hmap *m, const void *key, size_t len)
{
    /* A zero-length key still needs a non-NULL pointer to mark its slot. */
    size_t need = ((len ? len : 1) + 7) & ~(size_t)7;
    if (m->nchunks == 0 || m->chunk_used + need > m->chunk_cap) {
        size_t cap = need > CHUNK_MIN ? need : CHUNK_MIN;
        char **chunks = realloc(m->chunks, (m->nchunks + 1) * sizeof *chunks);
        if (!chunks)
            return NULL;
        m->chunks = chunks;
        if (!(chunks[m->nchunks] = malloc(cap)))
            return NULL;
        m->nchunks++;
        m->chunk_used = 0;
        m->chunk_cap = cap;
    }
    char *dst = m->chunks[m->nchunks - 1] + m->chunk_used;
    m->chunk_used += need;
    if (len)
        memcpy(dst, key, len);
    return dst;
}

static cb_hmap_slot *probe(const cb_hmap_slot *slots, size_t cap, uint64_t hash, const void *key,
                           size_t len)
{
    for (size_t i = hash & (cap - 1);; i = (i + 1) & (cap - 1)) {
        const cb_hmap_slot *s = &slots[i];
        if (!s->key)
            return (cb_hmap_slot *)s;
        if (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0)
            return (cb_hmap_slot *)s;
    }
}

static int grow(cb_hmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    cb_hmap_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        cb_hmap_slot *s = &m->slots[i];
        if (s->key)
            *probe(slots, cap, s->hash, s->key, s->len) = *s;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

uint64_t *cb_hmap_put(cb_hmap *m, const void *key, size_t len, bool *inserted,
                      const void **stored_key)
{
    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) < 0)
        return NULL;
    uint64_t hash = cb_hash_bytes(key, len);
    cb_hmap_slot *s = probe(m->slots, m->cap, hash, key, len);
    if (inserted)
        *inserted = !s->key;
    if (!s->key) {
        const void *copy = arena_copy(m, key, len);
        if (!copy)
            return NULL;
        s->key = copy;
        s->len = len;
        s->hash = hash;
        s->value = 0;
        m->count++;
    }
    if (stored_key)
        *stored_key = s->key;
    return &s->value;
}

uint64_t *cb_hmap_get(const cb_hmap *m, const void *key, size_t len)
{
    if (!m->cap)
        return NULL;
    cb_hmap_slot *s = probe(m->slots, m->cap, cb_hash_bytes(key, len), key, len);
    return s->key ? &s->value : NULL;
}

void cb_hmap_free(cb_hmap *m)
{
    for (size_t i = 0; i < m->nchunks; i++)
        free(m->chunks[i]);
    free(m->chunks);
    free(m->slots);
    cb_hmap_init(m);
}
