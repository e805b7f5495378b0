/*
 * cbench's own work: what a thread does for cbench rather than for the
 * program.
 *
 * Between cb_own_begin and cb_own_end, the events this thread makes are
 * cbench's, not the program's: its allocations come from cbench's pool
 * and are neither counted nor sampled (heap.c), and the pthread locks it
 * takes go straight to glibc, neither timed nor profiled (lock.c), so
 * that recording an event can never wait for itself or count itself.
 * Writing a profile, a stack walk that allocates its memo, libunwind's
 * own locks, the interposers' slow paths: all run inside. Spans nest;
 * each thread keeps its depth in initial-exec TLS, so begin and end are
 * an increment, safe in a signal handler. Invariant: the depth never
 * goes below zero.
 *
 * Everything but the allocator tests the depth on slow paths only. The
 * allocator's fast path (heap.c) must know it from the word it tests
 * anyway, in its own per-thread block: a second TLS variable costs a
 * second TLS address, 0.2 ns a malloc/free pair (measured). So a thread
 * may give one word of its own to keep the depth in (cb_own_mirror_to);
 * begin and end then count there only, which keeps the allocator's
 * sampling path (own work at every sample) as cheap as its own counter
 * was.
 *
 * cbench's own code can also sit inside the program's stacks (the thread
 * start trampoline, between glibc's start_thread and the thread's
 * function): such a function is marked CB_HIDDEN, which puts it in a
 * section of its own whose frames every profile leaves out (the profile
 * builder, builder.c), as Go leaves out its runtime's.
 */
#ifndef CB_BASE_OWN_H
#define CB_BASE_OWN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/check.h"

/* The depth, while no word mirrors it. */
extern __thread unsigned cb_own_depth __attribute__((tls_model("initial-exec")));

/* The word whose low 16 bits hold the depth instead, or NULL. */
extern __thread uint32_t *cb_own_mirror __attribute__((tls_model("initial-exec")));

/* From now on, this thread's depth is kept in the low 16 bits of *word (a
 * word of the thread's own, whose low bits are 0 until then), where its
 * owner's fast path reads it. Once per thread; the allocator's, as it
 * registers the thread. */
void cb_own_mirror_to(uint32_t *word);

static inline __attribute__((always_inline)) void cb_own_begin(void)
{
    uint32_t *m = cb_own_mirror;
    if (m)
        ++*m;
    else
        cb_own_depth++;
}

static inline __attribute__((always_inline)) void cb_own_end(void)
{
    uint32_t *m = cb_own_mirror;
    if (m) {
        CB_CHECK((*m & 0xffff) != 0);
        --*m;
    } else {
        CB_CHECK(cb_own_depth > 0);
        cb_own_depth--;
    }
}

/* Whether this thread is doing cbench's own work. Async-signal-safe. */
static inline __attribute__((always_inline)) bool cb_own_now(void)
{
    uint32_t *m = cb_own_mirror;
    return m ? (*m & 0xffff) != 0 : cb_own_depth != 0;
}

#define CB_HIDDEN_SECTION "cb_hidden_text"
#define CB_HIDDEN __attribute__((section(CB_HIDDEN_SECTION), noinline))

#endif
