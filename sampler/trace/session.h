/*
 * The running trace, shared by its start/stop (trace.c), its writer
 * thread (writer.c) and the flight recorder (flight.c).
 */
#ifndef CB_TRACE_SESSION_H
#define CB_TRACE_SESSION_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "cbench/profile.h"
#include "profile/profile.h"
#include "trace/clock.h"
#include "trace/convert.h"
#include "trace/sink.h"
#include "trace/tasks.h"
#include "trace/tracer.h"

enum { CB_TRACE_MODE_NONE, CB_TRACE_MODE_STREAM, CB_TRACE_MODE_FLIGHT };

typedef struct cb_trace_session {
    atomic_flag lock;   /* start, stop, dump: one at a time */
    int mode;
    pid_t owner;        /* the process that started it (not a forked child) */
    FILE *out;
    cb_atomic_file file;
    bool to_file;
    cb_trace_clock clock;
    cb_trace_conv conv;
    cb_trace_sink sink;
    char *buf;
    size_t buf_size;
    atomic_flag out_lock; /* held while bytes go to `out` (fork waits for it) */
    pthread_t writer;
    bool writer_running;
    _Atomic int stopping, hold, held;
    _Atomic uint64_t converted; /* chunks the writer has converted */
    _Atomic uint64_t published_goal;
    uint64_t stop_ticks;
    cb_trace_tasks tasks;
    uint64_t chunks;
    cbench_memstats last_mem;
    uint64_t last_mem_ns;
    cb_trace_stats stats;
} cb_trace_session;

extern cb_trace_session cb_trace_s;

/* Start, stop and dumps, one at a time (user context; a spinlock, since
 * cbench interposes pthread mutexes). */
static inline void cb_trace_session_lock(void)
{
    while (atomic_flag_test_and_set_explicit(&cb_trace_s.lock, memory_order_acquire))
        sched_yield();
}

static inline void cb_trace_session_unlock(void)
{
    atomic_flag_clear_explicit(&cb_trace_s.lock, memory_order_release);
}

/* What start and the flight recorder share: slots, pool, clock (0, or
 * -1 with the message set); then opening a new generation to record. */
int cb_trace_session_prepare(size_t bytes, bool ring);
void cb_trace_session_open(int mode);

/* The writer thread: started by start, joined by stop (which sets
 * `stopping` after the appends are quiesced). */
int cb_trace_writer_start(void);
void cb_trace_writer_join(void);

/* Converts one full chunk and gives it back. */
void cb_trace_convert_chunk(cb_trace_conv *c, uint32_t index);

/* The end of a trace or dump: converts every thread's current chunk and
 * pending sample, closes what is open at `ns` (or the thread's last
 * event, if later) with args {"cbench": why}, notes the losses, and
 * writes the final names. `tasks`: close open tasks too. */
void cb_trace_finish_threads(cb_trace_conv *c, uint64_t ns, const char *why,
                             cb_trace_tasks *tasks);

/* The file's first events (process and existing threads' names). */
void cb_trace_write_preamble(cb_trace_conv *c);

/* Flush function writing to the session's stream under out_lock. */
int cb_trace_flush_stream(cb_trace_sink *s);

#endif
