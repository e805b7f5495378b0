/*
 * Starting and stopping a trace (the model of the tracer is in buffer.h,
 * writer.c and convert.h; docs/TRACING.md puts it together).
 *
 * Start checks its arguments and creates the file before anything else,
 * maps the buffers, writes the file's head (the process's and existing
 * threads' names), starts the writer thread, and only then lets threads
 * record. Stop makes every thread stop appending (buffer.h: the flag, a
 * process-wide memory barrier, the busy marks), lets the writer convert
 * what is left, closes the JSON array and reports the first write error.
 * A path-based trace is renamed into place only when all of it was
 * written (profile/output.c).
 *
 * Fork: the child does not trace, and never writes to the parent's
 * file. The trace's bytes go to the stream's descriptor with write(2),
 * never into its stdio buffer, so a child's exit has nothing of ours to
 * flush; for a stream with no descriptor (a memory stream) the fork
 * handler waits until the writer is not in the middle of a write, which
 * leaves that buffer flushed. In the child the session is reset and the
 * locks the parent's threads may have held are cleared. The child may
 * start a trace of its own.
 */
#include "trace/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/own.h"
#include "trace/buffer.h"
#include "trace/names.h"
#include "trace/samples.h"

enum { OUT_BUFFER = 1 << 20 };

/* CBENCH_TRACE's constructor (trace_env.c) comes with the tracer, also
 * when libcbench is linked statically. */
extern int cb_trace_env_hook;
__attribute__((used)) static int *const keep_env_hook = &cb_trace_env_hook;

cb_trace_session cb_trace_s = {.lock = ATOMIC_FLAG_INIT, .out_lock = ATOMIC_FLAG_INIT};
static size_t buffer_size = CB_TRACE_DEFAULT_BUFFER;
static uint64_t published_base;

/* Whether the trace's bytes pass through the stream's stdio buffer (a
 * stream with no descriptor; others get write(2), writer.c). */
static bool buffered_stream(void)
{
    return cb_trace_s.mode == CB_TRACE_MODE_STREAM && cb_trace_s.out && fileno(cb_trace_s.out) < 0;
}

static bool held_for_fork;

static void fork_prepare(void)
{
    /* Only a buffered stream can hold trace bytes a child would flush
     * again; other forks do not wait for the writer at all. */
    held_for_fork = buffered_stream();
    if (!held_for_fork)
        return;
    while (atomic_flag_test_and_set_explicit(&cb_trace_s.out_lock, memory_order_acquire))
        sched_yield();
}

static void fork_parent(void)
{
    if (held_for_fork)
        atomic_flag_clear_explicit(&cb_trace_s.out_lock, memory_order_release);
}

static void fork_child(void)
{
    cb_trace_session *S = &cb_trace_s;
    cb_trace_arm(false);
    atomic_fetch_add(&cb_trace_gen, 1);
    if (S->mode != CB_TRACE_MODE_NONE) {
        cb_own_begin();
        if (S->to_file && S->file.f)
            fclose(S->file.f); /* its buffer is empty: fork_prepare saw to it */
        free(S->file.path);
        memset(&S->file, 0, sizeof S->file);
        free(S->buf);
        S->buf = NULL;
        cb_trace_tasks_free(&S->tasks);
        cb_own_end();
    }
    S->mode = CB_TRACE_MODE_NONE;
    S->to_file = false;
    S->out = NULL;
    S->writer_running = false;
    cb_trace_slots_after_fork();
    cb_trace_names_after_fork();
    atomic_flag_clear(&S->out_lock);
    atomic_flag_clear(&S->lock);
}

static int install_fork_handlers(void)
{
    static int installed;
    if (installed)
        return 0;
    int err = pthread_atfork(fork_prepare, fork_parent, fork_child);
    if (err)
        return errno = err, -1;
    installed = 1;
    return 0;
}

/* What start and the flight recorder share: slots, pool, clock. */
int cb_trace_session_prepare(size_t bytes, bool ring)
{
    cb_trace_clock_setup();
    if (install_fork_handlers() != 0)
        return cb_error(errno, "cannot install the trace's fork handlers: %s", strerror(errno));
    if (cb_trace_slots_prepare() != 0)
        return cb_error(errno, "cannot map the trace's thread slots: %s", strerror(errno));
    cb_trace_slots_reclaim();
    if (cb_trace_pool_prepare(bytes, ring) != 0)
        return cb_error(errno, "cannot map %zu bytes of trace buffers: %s", bytes, strerror(errno));
    cb_trace_clock_begin(&cb_trace_s.clock, cb_trace_clock_read());
    published_base = cb_trace_pool_published();
    return 0;
}

/* Lets threads record into a new generation. */
void cb_trace_session_open(int mode)
{
    cb_trace_s.mode = mode;
    cb_trace_s.owner = getpid();
    atomic_fetch_add(&cb_trace_gen, 1);
    cb_trace_arm(true);
}

static void abandon(cb_trace_session *S)
{
    if (S->to_file)
        cb_atomic_abandon(&S->file);
    S->to_file = false;
    free(S->buf);
    S->buf = NULL;
    S->out = NULL;
}

static int start(FILE *out, const char *path)
{
    cb_trace_session *S = &cb_trace_s;
    if (S->mode != CB_TRACE_MODE_NONE)
        return cb_error(EBUSY, "a trace is already running");
    if (path && cb_atomic_open(&S->file, path) != 0)
        return -1;
    S->to_file = path != NULL;
    S->out = path ? S->file.f : out;
    if (cb_trace_session_prepare(buffer_size, false) != 0) {
        int err = errno;
        abandon(S);
        return errno = err, -1;
    }
    if (!(S->buf = malloc(OUT_BUFFER))) {
        abandon(S);
        return cb_error(ENOMEM, "out of memory for the trace's output buffer");
    }
    cb_sink_init(&S->sink, S->buf, OUT_BUFFER, cb_trace_flush_stream, S);
    memset(&S->conv, 0, sizeof S->conv);
    S->conv.sink = &S->sink;
    S->conv.clock = &S->clock;
    S->conv.pid = getpid();
    memset(&S->tasks, 0, sizeof S->tasks);
    memset(&S->last_mem, 0, sizeof S->last_mem);
    S->last_mem_ns = 0;
    S->chunks = 0;
    atomic_store(&S->converted, 0);
    atomic_store(&S->stopping, 0);
    atomic_store(&S->hold, 0);
    atomic_store(&S->held, 0);
    if (!path)
        fflush(out); /* what the program wrote before comes before the trace */
    cb_sink_raw(&S->sink, "[\n", 2);
    cb_trace_write_preamble(&S->conv);
    cb_sink_flush(&S->sink);
    if (cb_trace_writer_start() != 0) {
        int err = errno;
        abandon(S);
        return cb_error(err, "cannot start the trace's writer thread: %s", strerror(err));
    }
    cb_trace_session_open(CB_TRACE_MODE_STREAM);
    return 0;
}

/* Start and stop are cbench's own work: what they allocate (the file,
 * /proc reads, the symbolizer) is not the program's. */
static int start_internal(FILE *out, const char *path)
{
    cb_own_begin();
    cb_trace_session_lock();
    int rc = start(out, path);
    int err = errno;
    cb_trace_session_unlock();
    cb_own_end();
    errno = err;
    return rc;
}

int cbench_start_trace(FILE *out)
{
    if (!out)
        return cb_error(EINVAL, "cbench_start_trace: the output stream is NULL");
    return start_internal(out, NULL);
}

int cbench_start_trace_path(const char *path)
{
    if (!path || !*path)
        return cb_error(EINVAL, "cbench_start_trace_path: the path is empty");
    return start_internal(NULL, path);
}

static void summary(cb_trace_session *S, uint64_t ns)
{
    uint64_t dropped = 0, unmatched = 0, threads = 0;
    uint32_t used = cb_trace_slots_used();
    for (uint32_t i = 0; i < used; i++) {
        cb_trace_thread *t = cb_trace_slot(i);
        if (!cb_trace_slot_current(t))
            continue;
        threads++;
        dropped += t->dropped;
        unmatched += t->unmatched_ends;
    }
    cb_trace_event_head(&S->conv, 'i', S->conv.pid, ns);
    cb_sink_lit(&S->sink, ",\"s\":\"p\",\"cat\":\"cbench\",\"name\":\"cbench: trace end\","
                          "\"args\":{\"dropped\":");
    cb_sink_u64(&S->sink, dropped);
    cb_sink_lit(&S->sink, ",\"unmatched_ends\":");
    cb_sink_u64(&S->sink, unmatched);
    cb_sink_lit(&S->sink, ",\"threads\":");
    cb_sink_u64(&S->sink, threads);
    cb_sink_lit(&S->sink, ",\"buffer_bytes\":");
    cb_sink_u64(&S->sink, cb_trace_pool_chunks() * (uint64_t)CB_TRACE_CHUNK_BYTES);
    cb_sink_lit(&S->sink, "}");
    cb_sink_event_end(&S->sink);
    S->stats.dropped = dropped;
    S->stats.unmatched_ends = unmatched;
    S->stats.threads = threads;
}

static int stop(void)
{
    cb_trace_session *S = &cb_trace_s;
    if (S->mode != CB_TRACE_MODE_STREAM || S->owner != getpid())
        return cb_error(EINVAL, "no trace is running");
    /* The end's time is taken before waiting for the appends under way,
     * so a trace ends when stop was called; spans left open close at it
     * or at their thread's last event, whichever is later. */
    S->stop_ticks = cb_trace_ticks();
    cb_trace_quiesce(0);
    cb_trace_writer_join();
    summary(S, cb_trace_clock_ns(&S->clock, S->stop_ticks));
    cb_sink_raw(&S->sink, "\n]\n", 3);
    cb_sink_flush(&S->sink);
    /* The bytes went to the descriptor: bring the stream's idea of its
     * position up to date (fails harmlessly on a pipe). */
    if (fileno(S->out) >= 0)
        fseeko(S->out, 0, SEEK_CUR);
    int rc = 0, err = 0;
    if (S->sink.err) {
        err = S->sink.err;
        rc = cb_error(err, "writing the trace: %s", strerror(err));
    }
    if (S->to_file) {
        rc = cb_atomic_finish(&S->file, rc);
        err = errno;
    }
    S->stats.events = S->sink.events;
    S->stats.bytes = S->sink.bytes;
    S->stats.chunks = S->chunks;
    S->stats.buffer_bytes = cb_trace_pool_chunks() * (size_t)CB_TRACE_CHUNK_BYTES;
    free(S->buf);
    S->buf = NULL;
    S->out = NULL;
    S->to_file = false;
    cb_trace_samples_free();
    cb_trace_tasks_free(&S->tasks);
    cb_trace_slots_reclaim();
    S->mode = CB_TRACE_MODE_NONE;
    errno = err;
    return rc;
}

int cbench_stop_trace(void)
{
    cb_own_begin();
    cb_trace_session_lock();
    int rc = stop();
    int err = errno;
    cb_trace_session_unlock();
    cb_own_end();
    errno = err;
    return rc;
}

int cb_trace_fatal(void)
{
    static atomic_flag once = ATOMIC_FLAG_INIT;
    cb_trace_session *S = &cb_trace_s;
    if (S->mode == CB_TRACE_MODE_NONE || S->owner != getpid() ||
        atomic_flag_test_and_set(&once))
        return -1;
    if (S->mode == CB_TRACE_MODE_FLIGHT)
        return cb_trace_flight_dump_fatal();
    int saved = errno;
    int rc = S->to_file && rename(S->file.tmp, S->file.path) == 0 ? 0 : -1;
    errno = saved;
    return rc;
}

void cb_trace_set_buffer_size(size_t bytes)
{
    buffer_size = bytes ? bytes : CB_TRACE_DEFAULT_BUFFER;
}

void cb_trace_last_stats(cb_trace_stats *st)
{
    *st = cb_trace_s.stats;
}

void cb_trace_writer_sync(void)
{
    cb_trace_session *S = &cb_trace_s;
    uint64_t goal = cb_trace_pool_published() - published_base;
    while (S->mode == CB_TRACE_MODE_STREAM && atomic_load(&S->converted) < goal) {
        cb_trace_pool_kick();
        usleep(1000);
    }
}
