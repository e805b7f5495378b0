/*
 * The assertion recorder: every allocation and every contended lock
 * acquisition, with its stack, while an assertion scope asks for them.
 * The model is at the top of scoperec.c. heap.c and lock.c call in here
 * from their slow paths only, and only while recording is on: those calls,
 * and the counts of scopes recording (cb_scoperec_heap_on,
 * cb_scoperec_lock_on) that they read, are the interposers' events,
 * declared with the interposers.
 */
#ifndef CB_SCOPEREC_H
#define CB_SCOPEREC_H

#include <stdbool.h>
#include <stdint.h>

#include "interpose/heap_events.h"
#include "interpose/lock_events.h"

enum { CB_REC_HEAP = 1, CB_REC_LOCK = 2 };

/* Where a scope's events start in the logs. */
typedef struct cb_scoperec_mark {
    uint64_t heap, lock;
    uint64_t heap_lost, lock_lost; /* events the full logs had dropped by then */
    uint64_t heap_end, lock_end;   /* where they end (cb_scoperec_stop) */
} cb_scoperec_mark;

/* Turns recording of `what` (CB_REC_* bits) on for one more scope and
 * notes where its events start. Must come before cb_heap_scope_begin,
 * whose new peak epoch sends every thread to the allocator's slow path,
 * where recording is switched on per thread. User context. */
void cb_scoperec_begin(unsigned what, cb_scoperec_mark *m);

/* Notes where the scope's events end: what other threads record after
 * this is not the scope's. */
void cb_scoperec_stop(cb_scoperec_mark *m);

/* The scope no longer needs `what`; when no scope does, the logs are
 * emptied and their memory given back. Call after the last query. */
void cb_scoperec_end(unsigned what);

/* ---- queries, at a scope's end ------------------------------------------- */

enum { CB_SCOPEREC_DEPTH = 16 };

/* One call site: what it did in the scope, and its stack (return
 * addresses, the leaf first: the function that called the allocator or
 * the lock). */
typedef struct cb_site {
    uint64_t count; /* allocations, blocks or contentions */
    uint64_t value; /* bytes or nanoseconds */
    int depth;
    uint64_t pcs[CB_SCOPEREC_DEPTH];
} cb_site;

/* What a query ranks sites by. */
typedef enum cb_rank {
    CB_RANK_ALLOCS, /* allocations made */
    CB_RANK_BYTES,  /* bytes requested */
    CB_RANK_PEAK,   /* bytes live at the scope's highest point */
    CB_RANK_LEAKS,  /* bytes still live now */
    CB_RANK_DELAY,  /* lock waiting time */
    CB_RANK_WAITS,  /* contended acquisitions */
} cb_rank;

/* Totals over the events a query looked at. */
typedef struct cb_rec_totals {
    uint64_t events;  /* events recorded since the mark */
    uint64_t count;   /* sum of the sites' counts (all sites, not just the top) */
    uint64_t value;   /* sum of their values */
    uint64_t lost;    /* events dropped since the mark: the logs were full */
    uint64_t nsites;  /* distinct stacks */
} cb_rec_totals;

/* Fills out[0..max) with the top sites between the start and the stop
 * of `m` (cb_scoperec_stop was called), largest first, and returns how
 * many. User context; allocates as cbench's own. */
int cb_scoperec_top(const cb_scoperec_mark *m, cb_rank rank, cb_site *out, int max,
                    cb_rec_totals *totals);

#endif
