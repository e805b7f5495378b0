/*
 * The flight recorder: a trace that keeps only its most recent events
 * and writes them only when asked (a failing, crashing or timed-out
 * test).
 *
 * Threads record exactly as for a streaming trace, into a pool of
 * CB_TRACE_DEFAULT_RING bytes (4 MiB, settable) with no writer thread:
 * when no chunk is free, the thread takes back the oldest full chunk of
 * any thread (buffer.h), so the pool always holds the last few MiB of
 * the process's events, and nothing is ever dropped for want of space.
 *
 * A dump pauses recording (the same quiescence as stop), converts the
 * full chunks oldest first and then each thread's current chunk, closes
 * what is open at the dump ("open at dump"), and resumes. A span whose
 * begin was overwritten loses its end too (the file stays balanced).
 *
 * From a fatal signal the dump must be async-signal-safe: the temporary
 * file is opened beforehand (cb_trace_flight_prepare_fatal, in user
 * context); the dump formats into a static buffer and writes it with
 * write(2); it waits only a bounded time for busy threads (one may be
 * the crashed thread itself, or stopped inside an append); samples are
 * written with their raw PCs (symbolizing takes locks and memory); the
 * existing-threads preamble, which needs opendir, is left out (threads
 * that recorded are named from /proc with open/read). Then the file is
 * renamed into place.
 */
#include "trace/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/own.h"
#include "trace/buffer.h"
#include "trace/samples.h"

static size_t ring_size = CB_TRACE_DEFAULT_RING;

static struct {
    int fd;
    char tmp[4096], path[4096];
} fatal = {.fd = -1};

int cb_trace_flight_start(size_t ring_bytes)
{
    cb_own_begin();
    cb_trace_session_lock();
    int rc = 0;
    if (cb_trace_s.mode != CB_TRACE_MODE_NONE) {
        rc = cb_error(EBUSY, "a trace is already running");
    } else if (cb_trace_session_prepare(ring_bytes ? ring_bytes : ring_size, true) == 0) {
        memset(&cb_trace_s.conv, 0, sizeof cb_trace_s.conv);
        cb_trace_s.conv.clock = &cb_trace_s.clock;
        cb_trace_s.conv.pid = getpid();
        cb_trace_session_open(CB_TRACE_MODE_FLIGHT);
    } else {
        rc = -1;
    }
    int err = errno;
    cb_trace_session_unlock();
    cb_own_end();
    errno = err;
    return rc;
}

static bool flight_running(void)
{
    return cb_trace_s.mode == CB_TRACE_MODE_FLIGHT && cb_trace_s.owner == getpid();
}

/* Forgets the file prepared for a fatal dump, and removes it. */
static void unprepare_fatal(void)
{
    if (fatal.fd < 0)
        return;
    close(fatal.fd);
    unlink(fatal.tmp);
    fatal.fd = -1;
}

int cb_trace_flight_stop(void)
{
    cb_trace_session_lock();
    unprepare_fatal();
    int rc = 0;
    if (!flight_running()) {
        rc = cb_error(EINVAL, "no flight recording is running");
    } else {
        cb_trace_quiesce(0);
        cb_trace_slots_reclaim();
        cb_trace_s.mode = CB_TRACE_MODE_NONE;
    }
    cb_trace_session_unlock();
    return rc;
}

/* Writes the ring through `sink`; recording is paused (the caller). */
static void dump_ring(cb_trace_conv *c, bool preamble)
{
    uint32_t used = cb_trace_slots_used();
    for (uint32_t i = 0; i < used; i++) {
        cb_trace_thread *t = cb_trace_slot(i);
        void *samples = t->w.samples;
        memset(&t->w, 0, sizeof t->w);
        t->w.samples = samples;
    }
    cb_trace_clock_calibrate(c->clock, cb_trace_clock_read(), true);
    cb_sink_raw(c->sink, "[\n", 2);
    if (preamble)
        cb_trace_write_preamble(c);
    else
        cb_trace_emit_process(c);
    static uint32_t order[1 << 16];
    size_t n = cb_trace_pool_snapshot(order, sizeof order / sizeof order[0]);
    for (size_t i = 0; i < n; i++)
        cb_trace_convert_chunk(c, order[i]);
    cb_trace_finish_threads(c, cb_trace_clock_ns(c->clock, cb_trace_ticks()), "open at dump", NULL);
    cb_trace_emit_note(c, 0, cb_trace_clock_ns(c->clock, cb_trace_ticks()),
                       "cbench: flight recorder dump", "ring_bytes",
                       cb_trace_pool_chunks() * (uint64_t)CB_TRACE_CHUNK_BYTES);
    cb_sink_raw(c->sink, "\n]\n", 3);
    cb_sink_flush(c->sink);
}

static int stream_flush(cb_trace_sink *s)
{
    FILE *f = s->arg;
    if (fwrite(s->buf, 1, s->len, f) != s->len || fflush(f) != 0)
        return errno ? -1 : (errno = EIO, -1);
    return 0;
}

static int dump(FILE *out)
{
    if (!flight_running())
        return cb_error(EINVAL, "no flight recording is running");
    enum { SIZE = 1 << 20 };
    char *buf = malloc(SIZE);
    if (!buf)
        return cb_error(ENOMEM, "out of memory for the dump's buffer");
    cb_trace_quiesce(0);
    cb_trace_sink sink;
    cb_sink_init(&sink, buf, SIZE, stream_flush, out);
    cb_trace_conv c = cb_trace_s.conv;
    c.sink = &sink;
    c.on_sample = cb_trace_samples_note;
    dump_ring(&c, true);
    cb_trace_samples_free();
    free(buf);
    cb_trace_arm(true);
    if (sink.err)
        return cb_error(sink.err, "writing the flight recorder's dump: %s", strerror(sink.err));
    return 0;
}

int cb_trace_flight_dump(FILE *out)
{
    if (!out)
        return cb_error(EINVAL, "cb_trace_flight_dump: the output stream is NULL");
    cb_own_begin();
    cb_trace_session_lock();
    int rc = dump(out);
    int err = errno;
    cb_trace_session_unlock();
    cb_own_end();
    errno = err;
    return rc;
}

static int dump_to_file(FILE *out, void *arg)
{
    (void)arg;
    return dump(out);
}

int cb_trace_flight_dump_path(const char *path)
{
    cb_own_begin();
    cb_trace_session_lock();
    int rc = cb_write_file_atomic(path, dump_to_file, NULL);
    int err = errno;
    cb_trace_session_unlock();
    cb_own_end();
    errno = err;
    return rc;
}

int cb_trace_flight_prepare_fatal(const char *path)
{
    if (!path || !*path)
        return cb_error(EINVAL, "cb_trace_flight_prepare_fatal: the path is empty");
    char tmp[sizeof fatal.tmp];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp || strlen(path) >= sizeof fatal.path)
        return cb_error(ENAMETOOLONG, "trace path is too long: %s", path);
    unprepare_fatal();
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return cb_error(errno, "cannot create %s: %s", tmp, strerror(errno));
    strcpy(fatal.tmp, tmp);
    strcpy(fatal.path, path);
    fatal.fd = fd;
    return 0;
}

/* Async-signal-safe. */
static int fd_flush(cb_trace_sink *s)
{
    const char *p = s->buf;
    size_t left = s->len;
    while (left) {
        ssize_t w = write(fatal.fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

int cb_trace_flight_dump_fatal(void)
{
    static char buf[64 * 1024];
    if (fatal.fd < 0 || cb_trace_s.mode != CB_TRACE_MODE_FLIGHT)
        return -1;
    int saved = errno;
    cb_trace_quiesce(1000);
    cb_trace_sink sink;
    cb_sink_init(&sink, buf, sizeof buf, fd_flush, NULL);
    cb_trace_conv c = cb_trace_s.conv;
    c.sink = &sink;
    c.on_sample = NULL;
    c.on_task = NULL;
    dump_ring(&c, false);
    int rc = sink.err ? -1 : 0;
    close(fatal.fd);
    fatal.fd = -1;
    if (rc == 0 && rename(fatal.tmp, fatal.path) != 0)
        rc = -1;
    if (rc != 0)
        unlink(fatal.tmp);
    errno = saved;
    return rc;
}
