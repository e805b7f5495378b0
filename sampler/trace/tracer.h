/*
 * The tracer's entry points for the rest of cbench: the interposers, the
 * CPU profiler and the harness call these to put their events in the
 * trace (docs/TRACING.md lists who calls what). Each costs one load and
 * a branch when no trace records; cb_trace_on() is that test, for
 * callers that want to skip their own work too.
 *
 * Unless said otherwise they are for user context (they may intern a
 * name, which can take a lock). cb_trace_sample is async-signal-safe.
 */
#ifndef CB_TRACE_TRACER_H
#define CB_TRACE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cbench/trace.h"

static inline bool cb_trace_on(void)
{
    return __builtin_expect(__atomic_load_n(&cbench_trace_active_, __ATOMIC_RELAXED), 0);
}

/* ---- threads ------------------------------------------------------------ */

/* cb_trace_thread_start, cb_trace_thread_exit and cb_trace_thread_named
 * are the thread interposer's events (interpose/thread_events.h): a
 * thread starts (the pthread_create trampoline, in the new thread), it
 * leaves (its exit hook), it is named (pthread_setname_np, from any
 * thread). Threads that record without these calls get their slot at
 * their first event and give it up through a pthread key destructor. */
#include "interpose/thread_events.h"

/* ---- blocking waits and the flows between threads ------------------------ */

/* cb_trace_wait_begin, cb_trace_wait_end, cb_trace_wake and the reasons
 * are the lock interposer's events: declared in interpose/lock_events.h,
 * with what each means. */
#include "interpose/lock_events.h"

/* ---- CPU samples, counters, spans ----------------------------------------- */

/* A CPU sample of this thread: `n` PCs, leaf first, as the SIGPROF
 * handler captured them (at most CB_TRACE_STACK_MAX are kept). Symbolized
 * when written. Async-signal-safe: when the signal interrupted this
 * thread's own append, the sample waits in its slot until that append
 * is done. */
void cb_trace_sample(const uint64_t *pcs, int n);

/* A counter's value now (a counter track in the viewer). The writer
 * thread samples the heap counters (cbench_read_memstats) by itself. */
void cb_trace_counter(const char *name, int64_t value);

/* A span with a category on this thread (tests: "test", benchmark rounds:
 * "bench"), nested with regions; its end carries numeric arguments
 * (iterations, ns/op...), at most CB_REC_ARGS_MAX (record.h). */
typedef struct cb_trace_arg {
    const char *key;
    double value;
} cb_trace_arg;

void cb_trace_span_begin(const char *category, const char *name);
void cb_trace_span_end(const cb_trace_arg *args, int nargs);

/* ---- settings and state ------------------------------------------------ */

/* The streaming trace's buffer memory, for the next start (default
 * CB_TRACE_DEFAULT_BUFFER; 0 restores it). */
enum { CB_TRACE_DEFAULT_BUFFER = 32 << 20, CB_TRACE_DEFAULT_RING = 4 << 20 };
void cb_trace_set_buffer_size(size_t bytes);

/* How often the writer samples the heap counters, in ns (default 10 ms). */
enum { CB_TRACE_COUNTER_PERIOD_NS = 10 * 1000 * 1000 };

/* What the last trace counted (for tests and the benchmark). */
typedef struct cb_trace_stats {
    uint64_t events;         /* events written */
    uint64_t dropped;        /* events lost for want of buffer space */
    uint64_t unmatched_ends; /* region ends with no region open, dropped */
    uint64_t bytes;          /* file bytes */
    uint64_t chunks;         /* buffer chunks converted */
    uint64_t threads;        /* threads that recorded */
    uint64_t writer_cpu_ns;  /* the writer thread's CPU time */
    size_t buffer_bytes;     /* the bound: the buffer memory */
} cb_trace_stats;
void cb_trace_last_stats(cb_trace_stats *st);

/* Tests: holds the writer (it converts nothing) while `hold`, so buffers
 * fill and drops can be counted exactly; and waits until the writer has
 * written every full buffer published so far. */
void cb_trace_writer_hold(bool hold);
void cb_trace_writer_sync(void);

/* ---- the flight recorder (flight.c) ------------------------------------- */

/* Records into a ring of `ring_bytes` (0: CB_TRACE_DEFAULT_RING) and
 * writes nothing until asked. No writer thread runs. Errors as
 * cbench_start_trace (EBUSY while a trace or recording runs). */
int cb_trace_flight_start(size_t ring_bytes);

/* Ends the recording, discarding it. -1 (EINVAL) when none runs. */
int cb_trace_flight_stop(void);

/* Writes what the ring holds as a complete trace (symbolized), and goes
 * on recording. User context. */
int cb_trace_flight_dump(FILE *out);
int cb_trace_flight_dump_path(const char *path);

/* For a dump from a fatal signal: opens the temporary file beside `path`
 * now, in user context. cb_trace_flight_dump_fatal then writes the ring
 * to it with write(2) from a static buffer, no malloc and no lock,
 * samples unsymbolized (their PCs as names), and renames it to `path`.
 * Async-signal-safe; recording stops for good. 0, or -1. */
int cb_trace_flight_prepare_fatal(const char *path);
int cb_trace_flight_dump_fatal(void);

/* The process is dying (a fatal signal, or the command's timeout; the
 * harness's handler calls this): a flight recording is dumped as by
 * cb_trace_flight_dump_fatal, and a streaming trace to a path keeps what
 * its writer had written under the path itself (an array without its
 * closing bracket, which viewers load; the events not yet written are
 * lost). Once per process; async-signal-safe. 0, or -1 when there was
 * nothing to keep. cb_trace_flight_stop removes a prepared file that was
 * not used. */
int cb_trace_fatal(void);

#endif
