/*
 * Records to Chrome Trace Event Format JSON, one thread's chunk at a time.
 *
 * What each record becomes (docs/TRACING.md has the full list): regions
 * and waits are "B"/"E" pairs on the thread (an "E" repeats its "B"'s
 * name, as speedscope matches them by name); tasks are async "b"/"e"
 * with an id; logs are thread-scoped instants "i"; counters "C"; thread
 * names "M"; a wake is a zero-length "X" slice that starts a flow
 * (bind_id + flow_out) and the end of the wait it ended holds a
 * zero-length "woken" slice that ends it (flow_in), which Perfetto draws
 * as an arrow between the threads.
 *
 * The converter keeps, per thread, the spans open in the file (in the
 * slot's writer state), so that an "E" gets its name, spans left open
 * can be closed at stop, and a gap (events dropped for want of buffer
 * space) closes exactly the spans whose end fell into it. It only
 * formats into a sink and reads /proc, so a fatal-signal dump uses it
 * too (async-signal-safe); the writer adds what needs memory through the
 * two hooks.
 */
#ifndef CB_TRACE_CONVERT_H
#define CB_TRACE_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "trace/buffer.h"
#include "trace/clock.h"
#include "trace/sink.h"

typedef struct cb_trace_conv cb_trace_conv;
struct cb_trace_conv {
    cb_trace_sink *sink;
    cb_trace_clock *clock;
    pid_t pid;
    /* The writer's: async spans (to close them at stop) and CPU samples
     * (symbolized in batches). NULL: tasks are not followed; samples are
     * written as instant events with their PCs. */
    void (*on_task)(cb_trace_conv *c, bool begin, uint64_t id, uint16_t name, pid_t tid);
    void (*on_sample)(cb_trace_conv *c, cb_trace_thread *t, uint64_t ns, const uint64_t *pcs,
                      int n);
    void *arg;
    uint64_t events_dropped; /* from the gap records */
    uint64_t ring_cut;       /* span ends whose begin was overwritten (flight recorder) */
};

/* Converts `words` words of t's records. Stops at the first malformed
 * record (a torn one, in a dump that did not wait for every thread). */
void cb_trace_convert(cb_trace_conv *c, cb_trace_thread *t, const uint64_t *words, size_t nwords);

/* Writes E events at `ns` for t's open spans above the first `keep`,
 * with args {"cbench": why}. */
void cb_trace_close_spans(cb_trace_conv *c, cb_trace_thread *t, uint32_t keep, uint64_t ns,
                          const char *why);

/* Metadata: the process's name, and a thread's when it differs from what
 * the file says (read from /proc when `name` is NULL). */
void cb_trace_emit_process(cb_trace_conv *c);
void cb_trace_name_thread(cb_trace_conv *c, cb_trace_thread *t, const char *name);
void cb_trace_emit_thread_name(cb_trace_conv *c, pid_t tid, const char *name);

/* An instant event on thread `tid` (scope "t"), or process-wide (tid 0:
 * scope "p"), with one integer argument. */
void cb_trace_emit_note(cb_trace_conv *c, pid_t tid, uint64_t ns, const char *name,
                        const char *key, uint64_t value);

/* The common head of an event: ph, pid, tid, ts. */
void cb_trace_event_head(cb_trace_conv *c, char ph, pid_t tid, uint64_t ns);

/* Reads /proc/self/task/<tid>/comm into name[16] ("" when gone). */
void cb_trace_read_comm(pid_t tid, char name[16]);

#endif
