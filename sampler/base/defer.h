/*
 * Deferred CPU samples: code during which the SIGPROF handler must not
 * unwind the thread it interrupted.
 *
 * Code holding one of cbench's deferring spinlocks (spinlock.h), and a
 * few other stretches (mappings.c's walk of the loader's list), runs
 * between cb_defer_enter and cb_defer_leave. A CPU sample landing there
 * is only noted by the profiler (its PC, weight and labels), which raises
 * cb_defer_pending; the outermost cb_defer_leave then calls the flush
 * function the profiler registered, in user context, once the code is
 * left, and the sample is unwound and recorded there. The stack beyond
 * the deferring code is the same then as at the signal.
 *
 * Why: a thread holding such a lock may be waited for by a thread that
 * holds the dynamic loader's lock (dlopen running constructors that
 * allocate or start threads), and unwinding in the handler could wait for
 * the loader's lock. libunwind's lookups no longer take it (loader.c), so
 * this is a second line of defence; it is kept off the allocator's fast
 * path, where it cost 1.85 ns a malloc/free pair (docs/PERFORMANCE.md).
 *
 * This module knows nothing of the profiler: the CPU profiler (cpu.c)
 * notes samples and registers the flush; the threads profile's handler
 * only reads the depth. Everything here is async-signal-safe but the
 * flush, which runs in user context by construction.
 */
#ifndef CB_BASE_DEFER_H
#define CB_BASE_DEFER_H

#include <stdint.h>

#include "base/check.h"

/* How deep this thread is in deferring code; a sample waits while > 0.
 * Invariant: never below zero (each leave matches an enter). */
extern __thread int cb_defer_depth __attribute__((tls_model("initial-exec")));

/* Non-zero when the handler noted a sample that the flush must record.
 * Set by the handler (depth > 0), cleared by cb_defer_flush. */
extern __thread int cb_defer_pending __attribute__((tls_model("initial-exec")));

/* The profiler's recording of noted samples; `caller` is the deferring
 * code's caller (0 if unknown): the recorded stack is the interrupted PC,
 * then the stack from that caller on. */
typedef void (*cb_defer_flush_fn)(uintptr_t caller);

/* Registers the flush (user context, before the handler can note a
 * sample). One profiler notes samples: a later call replaces it. */
void cb_defer_set_flush(cb_defer_flush_fn fn);

/* The slow path of cb_defer_leave: clears the pending flag and calls the
 * registered flush. User context. */
void cb_defer_flush(uintptr_t caller);

static inline __attribute__((always_inline)) void cb_defer_enter(void)
{
    cb_defer_depth++;
}

static inline __attribute__((always_inline)) void cb_defer_leave(uintptr_t caller)
{
    CB_CHECK(cb_defer_depth > 0);
    if (--cb_defer_depth == 0 && __builtin_expect(cb_defer_pending != 0, 0))
        cb_defer_flush(caller);
}

#endif
