/*
 * The writer thread: it exists only while a trace runs (an idle thread
 * would cost every lock in the program: glibc's uncontended lock pair is
 * ~4 ns with one thread, ~11 ns once a second exists; DESIGN.md).
 *
 * It sleeps on a futex for at most 10 ms at a time, woken early when a
 * quarter of the buffer chunks are full. Each round it takes the full
 * chunks, oldest first, converts them (convert.c) into its 1 MiB output
 * buffer, symbolizes the batch's CPU samples, writes the buffer to the
 * stream and flushes it, so a crash leaves what was written readable.
 * Every CB_TRACE_COUNTER_PERIOD_NS it also reads the heap counters
 * (cbench_read_memstats, which needs no hook on malloc) and writes a
 * counter event when they changed. It converts nothing before the trace
 * clock is calibrated (clock.h: 50 ms, or sooner when the trace stops
 * or half the chunks are full).
 *
 * It is cbench's own thread: made with glibc's pthread_create directly
 * (not through cbench's interposer, so it is no thread of the program's
 * in thread counts and leak checks), its allocations are cbench's
 * and its locks go straight to glibc (own work, base/own.h), and it
 * blocks every signal.
 */
#include "trace/session.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "base/own.h"
#include "trace/buffer.h"
#include "trace/names.h"
#include "trace/samples.h"

enum { BATCH = 64, WAKE_NS = 10 * 1000 * 1000 };

/* A stream with a file descriptor gets each batch as one write(2), so a
 * crash leaves the file ending between two events (stdio would split a
 * large fwrite at its block size, inside an event). Others (memory
 * streams) go through stdio. start flushed what the stream held before. */
int cb_trace_flush_stream(cb_trace_sink *s)
{
    cb_trace_session *S = s->arg;
    while (atomic_flag_test_and_set_explicit(&S->out_lock, memory_order_acquire))
        sched_yield();
    int rc = 0, fd = fileno(S->out);
    if (fd >= 0) {
        const char *p = s->buf;
        size_t left = s->len;
        while (left && rc == 0) {
            ssize_t w = write(fd, p, left);
            if (w > 0)
                p += w, left -= (size_t)w;
            else if (w < 0 && errno != EINTR)
                rc = -1;
            else if (w == 0)
                rc = -1, errno = EIO;
        }
    } else if (fwrite(s->buf, 1, s->len, S->out) != s->len || fflush(S->out) != 0) {
        rc = -1;
        if (!errno)
            errno = EIO;
    }
    atomic_flag_clear_explicit(&S->out_lock, memory_order_release);
    return rc;
}

void cb_trace_convert_chunk(cb_trace_conv *c, uint32_t index)
{
    cb_trace_chunk *ch = cb_trace_pool_chunk(index);
    cb_trace_thread *t = cb_trace_slot(ch->owner);
    if (ch->gen == atomic_load(&cb_trace_gen) && cb_trace_slot_current(t))
        cb_trace_convert(c, t, ch->data, ch->words);
}

static void task_note(cb_trace_conv *c, bool begin, uint64_t id, uint16_t name, pid_t tid)
{
    cb_trace_tasks_note(&((cb_trace_session *)c->arg)->tasks, begin, id, name, tid);
}

/* Converts up to everything waiting; false when there was nothing. */
static bool drain(cb_trace_session *S)
{
    uint32_t got[BATCH];
    size_t n, total = 0;
    while ((n = cb_trace_pool_take(got, BATCH)) > 0) {
        for (size_t i = 0; i < n; i++) {
            cb_trace_convert_chunk(&S->conv, got[i]);
            cb_trace_pool_release(got[i]);
        }
        total += n;
        S->chunks += n;
    }
    cb_trace_samples_flush(&S->conv);
    cb_sink_flush(&S->sink);
    /* Counted once written, for cb_trace_writer_sync. */
    atomic_fetch_add(&S->converted, total);
    return total > 0;
}

static uint64_t now_ns(cb_trace_session *S)
{
    return cb_trace_clock_ns(&S->clock, cb_trace_ticks());
}

static void sample_heap(cb_trace_session *S, bool force, uint64_t ns)
{
    if (!force && ns - S->last_mem_ns < CB_TRACE_COUNTER_PERIOD_NS)
        return;
    S->last_mem_ns = ns;
    cbench_memstats ms;
    cbench_read_memstats(&ms);
    if (!force && ms.alloc == S->last_mem.alloc && ms.heap_objects == S->last_mem.heap_objects)
        return;
    S->last_mem = ms;
    cb_trace_event_head(&S->conv, 'C', S->conv.pid, ns);
    cb_sink_lit(&S->sink, ",\"cat\":\"memory\",\"name\":\"heap\",\"args\":{\"alloc_bytes\":");
    cb_sink_u64(&S->sink, ms.alloc);
    cb_sink_lit(&S->sink, ",\"heap_objects\":");
    cb_sink_u64(&S->sink, ms.heap_objects);
    cb_sink_lit(&S->sink, "}");
    cb_sink_event_end(&S->sink);
}

typedef struct task_closer {
    cb_trace_conv *c;
    uint64_t ns;
} task_closer;

static void close_open_task(void *arg, const cb_trace_task_entry *e)
{
    task_closer *k = arg;
    size_t len;
    bool cut;
    const char *name = cb_trace_name(e->name, &len, &cut);
    cb_trace_event_head(k->c, 'e', e->tid, k->ns);
    cb_sink_lit(k->c->sink, ",\"cat\":\"task\",\"name\":");
    cb_sink_str(k->c->sink, name, len, cut ? "\xe2\x80\xa6" : NULL);
    cb_sink_lit(k->c->sink, ",\"id\":");
    cb_sink_hex(k->c->sink, e->id);
    cb_sink_lit(k->c->sink, ",\"args\":{\"cbench\":\"open at stop\"}");
    cb_sink_event_end(k->c->sink);
}

void cb_trace_finish_threads(cb_trace_conv *c, uint64_t ns, const char *why,
                             cb_trace_tasks *tasks)
{
    uint32_t used = cb_trace_slots_used();
    for (uint32_t i = 0; i < used; i++) {
        cb_trace_thread *t = cb_trace_slot(i);
        if (!cb_trace_slot_current(t))
            continue;
        if (t->chunk)
            cb_trace_convert(c, t, t->chunk->data, (size_t)(t->pos - t->chunk->data));
        int pending = atomic_load(&t->pending_n);
        if (pending > 0 && pending <= CB_TRACE_STACK_MAX) {
            uint64_t rec[2 + CB_TRACE_STACK_MAX];
            rec[0] = cb_rec_header(CB_REC_SAMPLE, 2 + (unsigned)pending, (uint64_t)pending);
            rec[1] = t->pending_ticks;
            memcpy(rec + 2, t->pending_pcs, (size_t)pending * sizeof *rec);
            cb_trace_convert(c, t, rec, 2 + (size_t)pending);
        }
    }
    if (c->on_sample)
        cb_trace_samples_flush(c);
    for (uint32_t i = 0; i < used; i++) {
        cb_trace_thread *t = cb_trace_slot(i);
        if (!cb_trace_slot_current(t))
            continue;
        if (!t->w.seen) {
            /* A thread none of whose events made it (all dropped). */
            t->w.seen = true;
            cb_trace_name_thread(c, t, NULL);
        }
        /* Ends lost in a gap that lasted to the end close where it began. */
        uint64_t open = cb_trace_recorded_open(t);
        if (t->dropped_pending && open < t->w.depth) {
            uint64_t at = cb_trace_clock_ns(c->clock, t->first_drop_ticks);
            cb_trace_close_spans(c, t, (uint32_t)open, at < t->w.last_ns ? t->w.last_ns : at,
                                 "end lost");
        }
        /* An append under way when stop was called may end after it. */
        uint64_t at = ns > t->w.last_ns ? ns : t->w.last_ns;
        cb_trace_close_spans(c, t, 0, at, why);
        if (t->dropped)
            cb_trace_emit_note(c, t->tid, at, "cbench: events dropped (total)", "dropped",
                               t->dropped);
        if (t->unmatched_ends)
            cb_trace_emit_note(c, t->tid, at, "cbench: region ends without a begin (dropped)",
                               "count", t->unmatched_ends);
        if (t->too_deep)
            cb_trace_emit_note(c, t->tid, at, "cbench: spans nested too deep (dropped)", "count",
                               t->too_deep);
        if (atomic_load(&t->state) == CB_SLOT_LIVE)
            cb_trace_name_thread(c, t, NULL);
    }
    if (tasks) {
        task_closer k = {c, ns};
        cb_trace_tasks_drain(tasks, close_open_task, &k);
    }
}

/* Names the threads that existed when the trace started, recorded or
 * not, so that every track in the viewer has its name. */
void cb_trace_write_preamble(cb_trace_conv *c)
{
    cb_trace_emit_process(c);
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0)
            continue;
        char name[16];
        cb_trace_read_comm(tid, name);
        if (name[0])
            cb_trace_emit_thread_name(c, tid, name);
    }
    closedir(d);
}

static void writer_cpu(cb_trace_session *S)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
        S->stats.writer_cpu_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *writer_main(void *arg)
{
    cb_trace_session *S = arg;
    cb_own_begin();
    int seen = atomic_load(&cb_trace_pool_wake);
    for (;;) {
        bool stopping = atomic_load(&S->stopping);
        if (!stopping) {
            cb_trace_pool_wait(seen, WAKE_NS);
            seen = atomic_load(&cb_trace_pool_wake);
            stopping = atomic_load(&S->stopping);
        }
        if (!S->clock.calibrated) {
            bool pressed = cb_trace_pool_pending() >= cb_trace_pool_chunks() / 2;
            cb_trace_clock_calibrate(&S->clock, cb_trace_clock_read(), stopping || pressed);
        }
        if (!stopping && atomic_load(&S->hold)) {
            atomic_store(&S->held, 1);
            continue;
        }
        atomic_store(&S->held, 0);
        if (S->clock.calibrated) {
            drain(S);
            sample_heap(S, false, now_ns(S));
        }
        if (stopping)
            break;
    }
    /* The appends are quiesced (stop did that before setting stopping). */
    uint64_t end = cb_trace_clock_ns(&S->clock, S->stop_ticks);
    cb_trace_finish_threads(&S->conv, end, "open at stop", &S->tasks);
    sample_heap(S, true, end);
    writer_cpu(S);
    cb_sink_flush(&S->sink);
    cb_own_end();
    return NULL;
}

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

/* glibc's pthread_create, past cbench's interposer (its trampoline would
 * count the writer as one of the program's threads). Under ASan the
 * sanitizer's own must run, so the usual one is taken. */
static create_fn real_create(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return pthread_create;
#else
    static create_fn f;
    if (!f)
        f = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
    return f ? f : pthread_create;
#endif
}

int cb_trace_writer_start(void)
{
    cb_trace_session *S = &cb_trace_s;
    S->conv.on_task = task_note;
    S->conv.on_sample = cb_trace_samples_note;
    S->conv.arg = S;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited: the writer takes no signal */
    int err = real_create()(&S->writer, NULL, writer_main, S);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        return errno = err, -1;
    S->writer_running = true;
    return 0;
}

void cb_trace_writer_join(void)
{
    cb_trace_session *S = &cb_trace_s;
    if (!S->writer_running)
        return;
    atomic_store(&S->stopping, 1);
    cb_trace_pool_kick();
    pthread_join(S->writer, NULL);
    S->writer_running = false;
}

void cb_trace_writer_hold(bool hold)
{
    cb_trace_session *S = &cb_trace_s;
    atomic_store(&S->hold, hold);
    cb_trace_pool_kick();
    /* Returns once the writer is between rounds and idle. */
    while (hold && S->writer_running && !atomic_load(&S->held))
        usleep(1000);
}
