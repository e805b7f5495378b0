/*
 * The assertions' internals: a scope's state, its failure message and
 * how it fails. The model is at the top of assert_scope.c.
 */
#ifndef CB_ASSERTIONS_H
#define CB_ASSERTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/own.h"
#include "cbench/assert.h"
#include "interpose/heap.h"
#include "interpose/lock.h"
#include "scoperec.h"
#include "interpose/threads.h"

/* What cbench_assert_scope holds. */
typedef struct cb_assert_scope {
    int kind; /* CBENCH_ASSERT_* */
    int line;
    const char *text, *file;
    unsigned rec; /* CB_REC_* the scope records */
    bool tracked; /* in this thread's stack of open scopes */
    uint64_t canary;
    cb_scoperec_mark mark;
    union {
        cb_heap_scope heap;
        cb_lock_scope lock;
        cb_threads_scope threads;
    } u;
} cb_assert_scope;

/* What the scope measured, for its message. */
typedef struct cb_assert_result {
    uint64_t value;  /* what the limit applies to */
    int64_t limit;
    int64_t runs;    /* ASSERT_ALLOCS_PER_RUN_BELOW */
    uint64_t total;  /* per run: allocations over all runs */
    uint64_t other;  /* bytes of leaks and allocations, waiting ns, contentions, threads started */
    cb_threads_delta threads;
} cb_assert_result;

/* The thread's open scopes (assert_open.c). Push after the scope's
 * recording began; pop at its end: false when the scope was found
 * abandoned and its recording released already. */
void cb_assert_open_push(cb_assert_scope *s);
bool cb_assert_open_pop(cb_assert_scope *s);

/* Releases every scope still open on this thread: called by the cmocka
 * plugin when a test's body is over, passed or failed, since no scope
 * outlives the test it was opened in. */
void cb_assert_open_reset(void);

/* The failure message (malloc'ed as cbench's own), culprits included;
 * NULL when out of memory. */
char *cb_assert_message(const cb_assert_scope *s, const cb_assert_result *r);

/* Fails the running cmocka test with `message` at file:line, or, when no
 * cmocka test is running, prints it and aborts. Frees `message` (NULL
 * stands for a message that could not be built). */
__attribute__((noreturn)) void cb_assert_fail(const char *file, int line, char *message);

#endif
