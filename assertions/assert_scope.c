/*
 * Assertion scopes: what each ASSERT_* macro measures and how it decides.
 *
 * A macro opens a scope on its caller's stack, runs the statement, and
 * closes the scope. The counts come from the samplers' exact scopes
 * (cb_heap_scope, cb_lock_scope, cb_threads_scope): process-wide deltas
 * that nest. Heap and lock scopes also ask the recorder (scoperec.h) for
 * every allocation or contended acquisition with its stack, so that a
 * failure can name the call sites; a scope sees only the events between
 * its own start and end, so nested scopes each report their own.
 *
 * Order matters at both ends. The recorder is switched on before the heap
 * scope begins, because the heap scope's new peak epoch is what makes
 * every thread notice it. At the end the counts are read first, then the
 * message is built (its allocations and locks are cbench's own, invisible
 * to any outer scope), and only then is recording released, since the
 * recorder empties its logs when the last scope lets go.
 *
 * A scope left by a jump out of its statement is found and released
 * later (assert_open.c).
 *
 * Leaks are the recorder's: blocks allocated by the statement and not
 * freed when it ends, which is what ASSERT_NO_LEAKS promises (a statement
 * that frees an old block and keeps a new one has leaked one block though
 * the live count did not grow). If the recorder's log overflowed, the
 * live-block growth from the counters is taken when it is larger.
 */
#include <stddef.h>
#include <stdlib.h>

#include "assertions.h"

_Static_assert(sizeof(cb_assert_scope) <= sizeof(cbench_assert_scope),
               "cbench_assert_scope holds a scope");
_Static_assert(_Alignof(cb_assert_scope) <= _Alignof(cbench_assert_scope),
               "and is aligned for it");

static bool is_heap(int kind)
{
    return kind <= CBENCH_ASSERT_NO_LEAKS_;
}

static bool is_lock(int kind)
{
    return kind == CBENCH_ASSERT_MUTEX_DELAY_ || kind == CBENCH_ASSERT_CONTENTIONS_;
}

CBENCH_API void cbench_assert_begin_(cbench_assert_scope *pub, int kind, const char *text,
                                     const char *file, int line)
{
    cb_assert_scope *s = (cb_assert_scope *)pub;
    *s = (cb_assert_scope){.kind = kind, .line = line, .text = text, .file = file};
    cb_own_begin();
    if (is_heap(kind)) {
        s->rec = CB_REC_HEAP;
        cb_scoperec_begin(s->rec, &s->mark);
        cb_heap_scope_begin(&s->u.heap);
    } else if (is_lock(kind)) {
        s->rec = CB_REC_LOCK;
        cb_scoperec_begin(s->rec, &s->mark);
        cb_lock_scope_begin(&s->u.lock);
    } else {
        cb_threads_scope_begin(&s->u.threads);
    }
    cb_assert_open_push(s);
    cb_own_end();
}

/* Blocks the statement allocated and left live, and their bytes. */
static uint64_t leaked(const cb_assert_scope *s, const cb_heap_delta *d, uint64_t *bytes)
{
    cb_site unused;
    cb_rec_totals t;
    cb_scoperec_top(&s->mark, CB_RANK_LEAKS, &unused, 0, &t);
    *bytes = t.value;
    if (t.lost && d->live_objects > 0 && (uint64_t)d->live_objects > t.count) {
        *bytes = d->live_bytes > 0 ? (uint64_t)d->live_bytes : 0;
        return (uint64_t)d->live_objects;
    }
    return t.count;
}

static void measure_heap(cb_assert_scope *s, cb_assert_result *r)
{
    cb_heap_delta d;
    cb_heap_scope_end(&s->u.heap, &d);
    cb_scoperec_stop(&s->mark);
    switch (s->kind) {
    case CBENCH_ASSERT_ALLOCS_:
    case CBENCH_ASSERT_NO_ALLOCS_:
        r->value = d.mallocs, r->other = d.bytes;
        break;
    case CBENCH_ASSERT_ALLOCS_PER_RUN_:
        r->total = d.mallocs, r->other = d.bytes;
        r->value = r->runs > 0 ? d.mallocs / (uint64_t)r->runs : 0;
        break;
    case CBENCH_ASSERT_ALLOC_BYTES_:
        r->value = d.bytes, r->other = d.mallocs;
        break;
    case CBENCH_ASSERT_PEAK_MEMORY_:
        r->value = d.peak_growth;
        break;
    default: /* CBENCH_ASSERT_NO_LEAKS_ */
        r->value = leaked(s, &d, &r->other);
        break;
    }
}

static void measure_lock(cb_assert_scope *s, cb_assert_result *r)
{
    cb_lock_counts d;
    cb_lock_scope_end(&s->u.lock, &d);
    cb_scoperec_stop(&s->mark);
    if (s->kind == CBENCH_ASSERT_MUTEX_DELAY_)
        r->value = d.delay_ns, r->other = d.contentions;
    else
        r->value = d.contentions, r->other = d.delay_ns;
}

static void measure(cb_assert_scope *s, cb_assert_result *r)
{
    if (is_heap(s->kind)) {
        measure_heap(s, r);
    } else if (is_lock(s->kind)) {
        measure_lock(s, r);
    } else {
        cb_threads_scope_end(&s->u.threads, &r->threads);
        r->value = r->threads.alive, r->other = r->threads.started;
    }
}

static bool passes(const cb_assert_scope *s, const cb_assert_result *r)
{
    if (s->kind == CBENCH_ASSERT_ALLOCS_PER_RUN_ && r->runs <= 0)
        return false;
    return r->limit > 0 && r->value < (uint64_t)r->limit;
}

CBENCH_API void cbench_assert_end_(cbench_assert_scope *pub, int64_t limit, int64_t runs)
{
    cb_assert_scope *s = (cb_assert_scope *)pub;
    cb_assert_result r = {.limit = limit, .runs = runs};
    cb_own_begin();
    measure(s, &r);
    bool ok = passes(s, &r);
    char *message = ok ? NULL : cb_assert_message(s, &r);
    if (cb_assert_open_pop(s) && s->rec)
        cb_scoperec_end(s->rec);
    cb_own_end();
    if (!ok)
        cb_assert_fail(s->file, s->line, message);
}
