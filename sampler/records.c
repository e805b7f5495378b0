/*
 * Records by stack (model in records.h).
 */
#include "records.h"

#include <stdlib.h>
#include <string.h>

#include "base/own.h"

void cb_records_lock(cb_records *t)
{
    cb_spin_lock_deferring(&t->lock);
}

/* Not inlined: its return address, in the owner's function, is where a
 * CPU sample deferred meanwhile continues (base/defer.h). */
__attribute__((noinline)) void cb_records_unlock(cb_records *t)
{
    cb_spin_unlock_deferring(&t->lock, (uintptr_t)__builtin_return_address(0));
}

uint64_t cb_records_hash(const uint64_t *pcs, int depth)
{
    uint64_t h = 0x84222325cbf29ce4ULL ^ (uint64_t)depth;
    for (int i = 0; i < depth; i++)
        h = (h ^ pcs[i]) * 0x100000001b3ULL;
    return h ^ (h >> 29);
}

bool cb_records_holds(const cb_stack_record *r, const uint64_t *pcs, int depth, uint64_t hash)
{
    return r->hash == hash && r->depth == depth &&
           memcmp(r->pcs, pcs, (size_t)depth * sizeof *pcs) == 0;
}

/* Room for one more record pointer. */
static bool reserve(cb_records *t)
{
    if (t->n < t->cap)
        return true;
    size_t cap = t->cap ? t->cap * 2 : 64;
    cb_stack_record **v = realloc(t->v, cap * sizeof *v);
    if (!v)
        return false;
    t->v = v;
    t->cap = cap;
    return true;
}

long cb_records_find_locked(cb_records *t, const uint64_t *pcs, int depth)
{
    CB_CHECK(cb_own_now() && cb_spin_held(&t->lock));
    CB_CHECK(depth >= 0 && depth <= CB_MAX_STACK);
    CB_CHECK(t->size >= sizeof(cb_stack_record));
    /* A slot still 0 (new, or left so by a find that ran out of memory)
     * has no record yet. */
    uint64_t *slot = cb_hmap_put(&t->by_stack, pcs, (size_t)depth * sizeof *pcs, NULL, NULL);
    if (!slot)
        return -1;
    if (*slot) {
        CB_CHECK(*slot <= t->n);
        return (long)*slot - 1;
    }
    cb_stack_record *r = reserve(t) ? calloc(1, t->size) : NULL;
    if (!r)
        return -1; /* the slot stays 0: a later find makes the record */
    r->hash = cb_records_hash(pcs, depth);
    r->depth = depth;
    memcpy(r->pcs, pcs, (size_t)depth * sizeof *pcs);
    t->v[t->n] = r;
    *slot = ++t->n;
    return (long)t->n - 1;
}

void cb_records_clear_locked(cb_records *t)
{
    CB_CHECK(cb_own_now() && cb_spin_held(&t->lock));
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
    cb_hmap_free(&t->by_stack);
}

void cb_records_guard_fork(cb_records *t, void (*in_child)(void *arg), void *arg)
{
    cb_spin_guard_fork(&t->lock, 1, 0, in_child, arg);
}
