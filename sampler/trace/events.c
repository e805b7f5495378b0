/*
 * Recording events: the public annotations (regions, tasks, logs) and the
 * entry points of tracer.h, each appending one record to the thread's
 * buffer (buffer.h).
 *
 * Spans (regions, waits, categorized spans) keep the thread's depth, as
 * the program sees it, so that an end with nothing open is dropped and
 * counted rather than closing someone else's span, and an end whose
 * begin was dropped (no buffer space) is dropped too: the file never
 * holds an end without its begin. Spans nested deeper than
 * CB_TRACE_MAX_DEPTH are not recorded, begin or end.
 *
 * Measured cost of a traced region begin/end pair: see
 * docs/PERFORMANCE.md, "Tracer" (two timestamps are most of it).
 */
#include "trace/tracer.h"

#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>

#include "trace/buffer.h"
#include "trace/clock.h"
#include "trace/names.h"
#include "trace/record.h"

static uint16_t region_category(void)
{
    static _Atomic uint16_t id;
    uint16_t v = atomic_load_explicit(&id, memory_order_relaxed);
    if (!v)
        atomic_store_explicit(&id, v = cb_trace_name_id("region"), memory_order_relaxed);
    return v;
}

/* Appends header + timestamp + `n` more words. False when dropped. */
static inline __attribute__((always_inline)) bool put(cb_trace_thread *t, cb_trace_rtype type, uint64_t aux, uint64_t ticks,
                const uint64_t *more, unsigned n)
{
    uint64_t *p = cb_trace_reserve(t, 2 + n);
    if (!p)
        return false;
    p[0] = cb_rec_header(type, 2 + n, aux);
    p[1] = ticks;
    for (unsigned i = 0; i < n; i++)
        p[2 + i] = more[i];
    cb_trace_commit(t, p + 2 + n);
    return true;
}

static void lost_set(cb_trace_thread *t, uint32_t level, bool lost)
{
    uint64_t bit = 1ull << (level % 64);
    if (lost)
        t->lost[level / 64] |= bit;
    else
        t->lost[level / 64] &= ~bit;
}

static inline __attribute__((always_inline)) void span_open(cb_trace_thread *t, cb_trace_rtype type, uint64_t aux, const uint64_t *more,
                      unsigned n)
{
    uint32_t level = t->depth++;
    if (level >= CB_TRACE_MAX_DEPTH) {
        t->too_deep++;
        return;
    }
    /* The bits of the levels from depth up are 0 (span_close clears the
     * one it finds set): only a lost begin writes one. */
    if (__builtin_expect(!put(t, type, aux, cb_trace_ticks(), more, n), 0))
        lost_set(t, level, true);
}

/* Whether the span being closed should be written (its begin was). */
static inline __attribute__((always_inline)) bool span_close(cb_trace_thread *t)
{
    if (!t->depth) {
        t->unmatched_ends++;
        return false;
    }
    uint32_t level = --t->depth;
    if (level >= CB_TRACE_MAX_DEPTH)
        return false;
    if (t->lost[level / 64] >> (level % 64) & 1) {
        lost_set(t, level, false);
        t->dropped++; /* the end of a span whose begin was lost */
        return false;
    }
    return true;
}

static inline __attribute__((always_inline)) void span_end(cb_trace_thread *t, cb_trace_rtype type, uint64_t aux, const uint64_t *more,
                     unsigned n)
{
    if (!span_close(t))
        return;
    if (!put(t, type, aux, cb_trace_ticks(), more, n)) {
        /* Stays open in the file until the gap's record closes it. */
        return;
    }
}

/* ---- the public annotations ----------------------------------------------- */

void cbench_region_begin_traced_(const char *name)
{
    uint64_t aux = cb_trace_name_id(name) | (uint64_t)region_category() << 16;
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return;
    span_open(t, CB_REC_REGION_BEGIN, aux, NULL, 0);
    cb_trace_leave(t);
}

void cbench_region_end_traced_(void)
{
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return;
    span_end(t, CB_REC_REGION_END, 0, NULL, 0);
    cb_trace_leave(t);
}

/* A task handle: bit 63 set when the begin was dropped; bits 56-62 the
 * trace generation; 40-55 the name; 0-39 the id (the slot and a count,
 * so that ids are unique in a trace without a shared counter). */
enum { TASK_ID_BITS = 40, TASK_COUNT_BITS = 27 };

cbench_task *cbench_task_begin_traced_(const char *name)
{
    uint16_t id = cb_trace_name_id(name);
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return NULL;
    uint64_t task = (uint64_t)(t->index + 1) << TASK_COUNT_BITS |
                    (++t->next_id & ((1ull << TASK_COUNT_BITS) - 1));
    bool ok = put(t, CB_REC_TASK_BEGIN, id, cb_trace_ticks(), &task, 1);
    uint64_t gen = atomic_load_explicit(&t->gen, memory_order_relaxed) & 0x7f;
    cb_trace_leave(t);
    uint64_t handle = task | (uint64_t)id << TASK_ID_BITS | gen << 56 | (uint64_t)!ok << 63;
    return (cbench_task *)(uintptr_t)handle;
}

void cbench_task_end_traced_(cbench_task *task)
{
    uint64_t h = (uint64_t)(uintptr_t)task;
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return;
    uint64_t gen = atomic_load_explicit(&t->gen, memory_order_relaxed) & 0x7f;
    if ((h >> 56 & 0x7f) == gen) {
        uint64_t id = h & ((1ull << TASK_ID_BITS) - 1);
        if (h >> 63)
            t->dropped++; /* its begin was lost */
        else
            put(t, CB_REC_TASK_END, h >> TASK_ID_BITS & 0xffff, cb_trace_ticks(), &id, 1);
    }
    cb_trace_leave(t);
}

/* The exported definitions, for callers that take the address or do not
 * use the header's inline versions. */
void cbench_region_begin(const char *name)
{
    if (cb_trace_on())
        cbench_region_begin_traced_(name);
}

void cbench_region_end(void)
{
    if (cb_trace_on())
        cbench_region_end_traced_();
}

cbench_task *cbench_task_begin(const char *name)
{
    return cb_trace_on() ? cbench_task_begin_traced_(name) : NULL;
}

void cbench_task_end(cbench_task *task)
{
    if (task)
        cbench_task_end_traced_(task);
}

/* Cuts n bytes to at most max at a UTF-8 character boundary. */
static size_t cut_utf8(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    return max;
}

void cbench_trace_log(const char *category, const char *fmt, ...)
{
    if (!cb_trace_on())
        return;
    /* Formatted before the append: vsnprintf is slow and may not run in
     * a busy slot (stop waits for busy slots). */
    uint64_t words[2 + (CB_TRACE_LOG_MAX + 1 + 7) / 8];
    char *msg = (char *)&words[1];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt ? vsnprintf(msg, CB_TRACE_LOG_MAX + 2, fmt, ap) : 0;
    va_end(ap);
    if (n < 0)
        n = 0;
    bool cut = n > CB_TRACE_LOG_MAX;
    size_t len = cut ? cut_utf8(msg, (size_t)n, CB_TRACE_LOG_MAX) : (size_t)n;
    words[0] = (uint64_t)len | (uint64_t)cut << 32;
    uint16_t cat = cb_trace_name_id(category ? category : "log");
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return;
    put(t, CB_REC_LOG, cat, cb_trace_ticks(), words, 1 + (unsigned)((len + 7) / 8));
    cb_trace_leave(t);
}

/* ---- threads ---------------------------------------------------------------- */

void cb_trace_thread_start(void)
{
    if (!cb_trace_on())
        return;
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return;
    put(t, CB_REC_THREAD_START, 0, cb_trace_ticks(), NULL, 0);
    cb_trace_leave(t);
}

static void name_words(const char *name, uint64_t w[2])
{
    memset(w, 0, 16);
    if (name)
        memcpy(w, name, strnlen(name, 15));
}

void cb_trace_thread_named(pid_t tid, const char *name)
{
    if (!cb_trace_on())
        return;
    uint64_t w[3];
    w[0] = (uint64_t)(uint32_t)tid;
    name_words(name, w + 1);
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return;
    put(t, CB_REC_THREAD_NAME, 0, cb_trace_ticks(), w, 3);
    cb_trace_leave(t);
}

/* A thread leaves (the exit key's destructor, or cb_trace_thread_exit):
 * its name, taken now while the kernel still has it, goes with the exit
 * record, and its partly filled chunk is published. */
void cb_trace_thread_gone_hook(cb_trace_thread *t)
{
    atomic_store_explicit(&t->busy, 1, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    if (cb_trace_on() && cb_trace_slot_current(t)) {
        char name[16] = {0};
        prctl(PR_GET_NAME, name);
        uint64_t w[3];
        w[0] = (uint64_t)(uint32_t)t->tid;
        name_words(name, w + 1);
        put(t, CB_REC_THREAD_EXIT, 0, cb_trace_ticks(), w, 3);
        cb_trace_publish_current(t);
    }
    atomic_signal_fence(memory_order_seq_cst);
    atomic_store_explicit(&t->busy, 0, memory_order_relaxed);
    cb_trace_thread_detach(t);
}

void cb_trace_thread_exit(void)
{
    cb_trace_thread *t = cb_trace_self();
    if (!t)
        return;
    cb_trace_self_forget();
    cb_trace_thread_gone_hook(t);
}

/* ---- waits and flows -------------------------------------------------------- */

uint64_t cb_trace_wait_begin(cb_trace_wait_reason reason, const void *object)
{
    if (!cb_trace_on())
        return 0;
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return 0;
    uint64_t obj = (uint64_t)(uintptr_t)object;
    span_open(t, CB_REC_WAIT_BEGIN, (uint64_t)reason, &obj, 1);
    uint64_t token = (uint64_t)atomic_load_explicit(&t->gen, memory_order_relaxed) << 1 | 1;
    cb_trace_leave(t);
    return token;
}

void cb_trace_wait_end(uint64_t token, cb_trace_wait_reason reason, const void *object,
                       uint64_t flow)
{
    if (!token)
        return;
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return;
    if (atomic_load_explicit(&t->gen, memory_order_relaxed) == token >> 1) {
        uint64_t more[2] = {(uint64_t)(uintptr_t)object, flow};
        span_end(t, CB_REC_WAIT_END, (uint64_t)reason, more, 2);
    }
    cb_trace_leave(t);
}

void cb_trace_wake(cb_trace_wait_reason reason, const void *object, uint64_t flow)
{
    if (!cb_trace_on())
        return;
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return;
    uint64_t more[2] = {(uint64_t)(uintptr_t)object, flow};
    put(t, CB_REC_WAKE, (uint64_t)reason, cb_trace_ticks(), more, 2);
    cb_trace_leave(t);
}

/* ---- samples, counters, spans ------------------------------------------------ */

void cb_trace_sample(const uint64_t *pcs, int n)
{
    if (!cb_trace_on() || n <= 0)
        return;
    if (n > CB_TRACE_STACK_MAX)
        n = CB_TRACE_STACK_MAX;
    uint64_t now = cb_trace_ticks();
    cb_trace_thread *t = cb_trace_self();
    if (t && atomic_load_explicit(&t->busy, memory_order_relaxed)) {
        /* This signal interrupted the thread's own append: leave the
         * sample for cb_trace_leave to append. */
        if (atomic_load_explicit(&t->pending_n, memory_order_relaxed)) {
            t->pending_lost++;
            t->dropped++;
            return;
        }
        memcpy(t->pending_pcs, pcs, (size_t)n * sizeof *pcs);
        t->pending_ticks = now;
        atomic_signal_fence(memory_order_seq_cst);
        atomic_store_explicit(&t->pending_n, n, memory_order_relaxed);
        return;
    }
    if (!(t = cb_trace_enter(false)))
        return;
    put(t, CB_REC_SAMPLE, (uint64_t)n, now, pcs, (unsigned)n);
    cb_trace_leave(t);
}

void cb_trace_counter(const char *name, int64_t value)
{
    if (!cb_trace_on())
        return;
    uint16_t id = cb_trace_name_id(name);
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return;
    uint64_t v = (uint64_t)value;
    put(t, CB_REC_COUNTER, id, cb_trace_ticks(), &v, 1);
    cb_trace_leave(t);
}

void cb_trace_span_begin(const char *category, const char *name)
{
    if (!cb_trace_on())
        return;
    uint64_t aux = cb_trace_name_id(name) | (uint64_t)cb_trace_name_id(category) << 16;
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return;
    span_open(t, CB_REC_REGION_BEGIN, aux, NULL, 0);
    cb_trace_leave(t);
}

void cb_trace_span_end(const cb_trace_arg *args, int nargs)
{
    if (!cb_trace_on())
        return;
    if (nargs < 0)
        nargs = 0;
    if (nargs > CB_REC_ARGS_MAX)
        nargs = CB_REC_ARGS_MAX;
    uint64_t more[2 * CB_REC_ARGS_MAX];
    for (int i = 0; i < nargs; i++) {
        more[2 * i] = cb_trace_name_id(args[i].key);
        memcpy(&more[2 * i + 1], &args[i].value, sizeof(double));
    }
    cb_trace_thread *t = cb_trace_enter(true);
    if (!t)
        return;
    span_end(t, CB_REC_REGION_END_ARGS, (uint64_t)nargs, more, 2 * (unsigned)nargs);
    cb_trace_leave(t);
}
