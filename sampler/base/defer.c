/*
 * The deferral's state and its flush (model in defer.h).
 */
#include "base/defer.h"

#include <stdatomic.h>

__thread int cb_defer_depth __attribute__((tls_model("initial-exec")));
__thread int cb_defer_pending __attribute__((tls_model("initial-exec")));

static _Atomic(cb_defer_flush_fn) flush_fn;

void cb_defer_set_flush(cb_defer_flush_fn fn)
{
    atomic_store_explicit(&flush_fn, fn, memory_order_release);
}

void cb_defer_flush(uintptr_t caller)
{
    CB_CHECK(cb_defer_depth == 0);
    cb_defer_pending = 0; /* the depth is 0: a signal from here on is not deferred */
    cb_defer_flush_fn fn = atomic_load_explicit(&flush_fn, memory_order_acquire);
    if (fn)
        fn(caller);
}
