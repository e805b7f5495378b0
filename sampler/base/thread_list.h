/*
 * Per-thread counters in a list: the mechanism behind the exact counters
 * (the allocator's, heap.c, and the lock interposer's, lock.c).
 *
 * Each thread updates its own counters in initial-exec TLS with plain
 * loads and stores: no atomic read-modify-write, no cache line shared
 * with another thread. They are declared atomic only so that a reader on
 * another thread may load them (relaxed). A reader sums the list of the
 * threads' blocks and the totals of the threads that have exited.
 *
 * A thread's node goes through three states, in two bits of its state
 * word. NEW: in TLS, before the thread's first count. LISTED: joined at
 * that first count (the state the owner's fast path looks for, so both
 * bits are 0). FOLDED: at the thread's exit, its counts were added to the
 * totals ("folded") and the node left the list; a count that comes later
 * (a destructor freeing memory late in the thread's exit) goes to the
 * totals with atomics, which the owner does. The word's low 16 bits are
 * the owner's: the allocator mirrors its own-work depth there
 * (base/own.h), so that its fast path tests one word for both.
 *
 * Exit: joining sets a pthread key whose destructor calls the owner's
 * `at_exit` (NULL: fold) on the exiting thread; an owner that learns of
 * the exit earlier folds then (threads.c's exit hook, for threads cbench
 * started), and the destructor finds the node folded.
 *
 * fork: the child has one thread, but the list still links the others'
 * TLS, which glibc reclaims in the child. With the list guarded
 * (cb_thread_list_guard_fork, from a constructor), the child folds every
 * node but the forking thread's while that memory is still there.
 *
 * The list's lock is a deferring spinlock (spinlock.h), taken at a
 * thread's first count and at its exit, by readers, and around fork;
 * never by the owner's fast path, and never in a signal handler.
 */
#ifndef CB_BASE_THREAD_LIST_H
#define CB_BASE_THREAD_LIST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/spinlock.h"

enum {
    CB_THREAD_OWNER_BITS = 0xffff,
    CB_THREAD_NEW = 1 << 16,
    CB_THREAD_FOLDED = 1 << 17,
    CB_THREAD_LIFE = CB_THREAD_NEW | CB_THREAD_FOLDED, /* 0: listed */
};

typedef struct cb_thread_node {
    uint32_t state; /* the life bits, and the owner's; only the owning thread stores it */
    struct cb_thread_node *next, *prev;
    struct cb_thread_list *list;
    pthread_t thread;
} cb_thread_node;

/* A node in TLS starts NEW: a zeroed node would pass for a listed one. */
#define CB_THREAD_NODE_INIT {.state = CB_THREAD_NEW}

static inline __attribute__((always_inline)) uint32_t cb_thread_life(const cb_thread_node *n)
{
    return n->state & CB_THREAD_LIFE;
}

typedef struct cb_thread_list {
    cb_spinlock lock;
    cb_thread_node *head;
    /* The owner's: adds n's counts to its totals (lock held). */
    void (*fold)(cb_thread_node *n);
    /* The owner's, on the exiting thread (NULL: cb_thread_list_leave). */
    void (*at_exit)(cb_thread_node *n);
    pthread_key_t key;
    bool has_key;
} cb_thread_list;

#define CB_THREAD_LIST_INIT(fold_fn, at_exit_fn)                                                   \
    {.lock = CB_SPINLOCK_INIT, .fold = (fold_fn), .at_exit = (at_exit_fn)}

/* The block of type `type` whose member `member` is node n. */
#define CB_THREAD_NODE_OWNER(n, type, member) ((type *)((char *)(n) - offsetof(type, member)))

/* The calling thread's first count: n (its node, NEW) joins the list and
 * the exit key is set for it. Runs as cbench's own work (the key may
 * allocate). */
void cb_thread_list_join(cb_thread_list *l, cb_thread_node *n);

/* Folds n (LISTED) into the totals and unlinks it. Lock held. */
void cb_thread_list_fold_locked(cb_thread_list *l, cb_thread_node *n);

/* Folds n if it is listed: the exit of its thread. */
void cb_thread_list_leave(cb_thread_list *l, cb_thread_node *n);

void cb_thread_list_lock(cb_thread_list *l);
void cb_thread_list_unlock(cb_thread_list *l);

/* From a constructor: fork leaves the lock free, and the child folds
 * every node but its own thread's. */
void cb_thread_list_guard_fork(cb_thread_list *l);

/* The intrusive list alone, for a list that another lock guards (the
 * heap profiler's threads): link at the head, unlink. */
static inline void cb_thread_node_link(cb_thread_node **head, cb_thread_node *n)
{
    n->prev = NULL;
    n->next = *head;
    if (*head)
        (*head)->prev = n;
    *head = n;
}

static inline void cb_thread_node_unlink(cb_thread_node **head, cb_thread_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        *head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    n->next = n->prev = NULL;
}

#endif
