/*
 * Records by stack: a table in which each distinct stack has one record,
 * the mechanism every producer that aggregates by stack shares (the heap
 * profiler, the mutex and block profiles, the threadcreate profile, the
 * assertion recorder).
 *
 * A record begins with its stack (cb_stack_record); the rest is the
 * owner's, zeroed when the record is made: the owner's record type has a
 * cb_stack_record as its first member, and the table is made for that
 * type's size. A stack finds its record through a hash map on the stack's
 * bytes (profile/hmap.h); records are numbered from 0 in the order they
 * were made, are never moved nor freed while the table lives (a pointer to
 * one stays valid), and go all at once (cb_records_clear_locked).
 *
 * One deferring spinlock (base/spinlock.h) guards a table, and whatever
 * else its owner keeps with it (the owner says what, in its file). A
 * producer called from an interposer's slow path takes it there, so it is
 * held briefly: the stack is captured before, outside. Making a record
 * allocates: callers run as cbench's own work (base/own.h), which is
 * checked. Not for signal handlers.
 *
 * fork: cb_records_guard_fork (from a constructor) keeps fork from
 * leaving the lock held; the owner's `in_child`, if any, runs in the
 * child with the lock held.
 */
#ifndef CB_RECORDS_H
#define CB_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/check.h"
#include "base/spinlock.h"
#include "profile/hmap.h"
#include "stack/unwind.h"

typedef struct cb_stack_record {
    uint64_t hash; /* cb_records_hash of the stack */
    int depth;
    uint64_t pcs[CB_MAX_STACK]; /* leaf first */
} cb_stack_record;

typedef struct cb_records {
    cb_spinlock lock;
    size_t size;      /* of a record: the owner's type */
    cb_hmap by_stack; /* stack bytes -> 1 + record id */
    cb_stack_record **v;
    size_t n, cap;
} cb_records;

/* A table of records of type `type` (which begins with a cb_stack_record). */
#define CB_RECORDS_INIT(type) {.lock = CB_SPINLOCK_INIT, .size = sizeof(type)}

void cb_records_lock(cb_records *t);
void cb_records_unlock(cb_records *t);

/* The id of the record of this stack (depth <= CB_MAX_STACK), made if
 * new; -1 when memory runs out. Lock held, as cbench's own work. */
long cb_records_find_locked(cb_records *t, const uint64_t *pcs, int depth);

/* How many records there are. Lock held. */
static inline size_t cb_records_count(const cb_records *t)
{
    return t->n;
}

/* Record `id` (< count); cast it to the owner's type. Lock held (the
 * array of records may grow meanwhile; the record itself does not move). */
static inline void *cb_records_at(const cb_records *t, size_t id)
{
    CB_CHECK(id < t->n);
    return t->v[id];
}

/* Forgets every record and gives their memory back. Lock held, as
 * cbench's own work. */
void cb_records_clear_locked(cb_records *t);

/* The hash a record keeps of its stack, for an owner's cache. */
uint64_t cb_records_hash(const uint64_t *pcs, int depth);

/* Whether record r holds this stack, whose hash is `hash`. */
bool cb_records_holds(const cb_stack_record *r, const uint64_t *pcs, int depth, uint64_t hash);

/* From a constructor: fork leaves the lock free; `in_child(arg)` (may be
 * NULL) runs in the child with the lock held. */
void cb_records_guard_fork(cb_records *t, void (*in_child)(void *arg), void *arg);

#endif
