/*
 * cbench/trace.h: execution traces, in the manner of Go's runtime/trace.
 *
 * While a trace runs, each thread records timestamped events into its own
 * buffer: regions (nested spans on one thread), tasks (spans that may end
 * on another thread), log messages, thread names, and the heap counters
 * (sampled by the trace's writer thread). The writer thread exists only
 * while a trace runs; it turns full buffers into Chrome Trace Event
 * Format JSON as the trace goes, so memory stays bounded however long
 * the trace is. Open the file in ui.perfetto.dev, chrome://tracing or
 * speedscope. docs/TRACING.md describes the model, the file and the
 * limits.
 *
 * With no trace running, an annotation costs one load of a global flag
 * and a branch (inline, below). Names are interned by content: any
 * string may be passed, and it need not outlive the call.
 *
 * CBENCH_TRACE=path in the environment traces a whole program, linked
 * with libcbench or with it preloaded, from start to exit.
 *
 * Functions returning int return 0 on success and -1 on failure, with
 * errno set and a message in cbench_last_error(). None of them aborts.
 */
#ifndef CBENCH_TRACE_H
#define CBENCH_TRACE_H

#include <stdio.h>

#include "cbench/profile.h" /* cbench_last_error() */

#ifndef CBENCH_API
#define CBENCH_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A task in flight: a handle, never dereferenced. NULL when no trace ran
 * at its begin; cbench_task_end accepts NULL. */
typedef struct cbench_task cbench_task;

/*
 * Starts tracing the whole process into `out`, which cbench writes from
 * its writer thread until cbench_stop_trace(); do not write to it
 * meanwhile. The stream is not closed by cbench.
 * Errors: EINVAL (out is NULL), EBUSY (a trace, or a flight recording,
 * is running), ENOMEM (no memory for the buffers), or the errno of
 * starting the writer thread.
 */
CBENCH_API int cbench_start_trace(FILE *out);

/*
 * Like cbench_start_trace(), into a file at `path`, written under a
 * temporary name beside it and renamed when the trace stops complete:
 * a failed or unfinished trace never appears under `path`.
 * Errors: those of cbench_start_trace(), EINVAL for an empty path, and
 * those of creating the temporary file (EACCES, ENOENT, ...).
 */
CBENCH_API int cbench_start_trace_path(const char *path);

/*
 * Stops tracing: every thread's events are written, those of threads
 * that have exited too; regions and tasks still open are closed at this
 * moment and marked so. Tracing is stopped in every case.
 * Errors: EINVAL (no trace is running, for example in the child of a
 * fork), or the errno of a failed write or flush (ENOSPC, EIO, ...),
 * with the reason in cbench_last_error().
 */
CBENCH_API int cbench_stop_trace(void);

/* An async span, which any thread may end. NULL when no trace runs. */
CBENCH_API cbench_task *cbench_task_begin(const char *name);
CBENCH_API void cbench_task_end(cbench_task *task);

/* A span on this thread; regions nest. An end with no region open on
 * this thread is dropped (and counted in the trace). */
CBENCH_API void cbench_region_begin(const char *name);
CBENCH_API void cbench_region_end(void);

/* A message on this thread's track, under `category` (NULL: "log").
 * printf-style; long messages are cut (docs/TRACING.md). */
CBENCH_API void cbench_trace_log(const char *category, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- the inline fast paths ---------------------------------------------
 * Non-zero while a trace records. Read by the inline wrappers below so
 * that an annotation with no trace running costs one load and a branch;
 * the exported functions above do the same for callers that take their
 * address. Not part of the API: do not write it. */
CBENCH_API extern int cbench_trace_active_;
CBENCH_API void cbench_region_begin_traced_(const char *name);
CBENCH_API void cbench_region_end_traced_(void);
CBENCH_API cbench_task *cbench_task_begin_traced_(const char *name);
CBENCH_API void cbench_task_end_traced_(cbench_task *task);

#ifndef CBENCH_TRACE_NO_INLINE
#define CBENCH_TRACE_INLINE_ extern __inline__ __attribute__((__gnu_inline__, __always_inline__))
#define CBENCH_TRACE_ON_() __builtin_expect(__atomic_load_n(&cbench_trace_active_, __ATOMIC_RELAXED), 0)

CBENCH_TRACE_INLINE_ void cbench_region_begin(const char *name)
{
    if (CBENCH_TRACE_ON_())
        cbench_region_begin_traced_(name);
}

CBENCH_TRACE_INLINE_ void cbench_region_end(void)
{
    if (CBENCH_TRACE_ON_())
        cbench_region_end_traced_();
}

CBENCH_TRACE_INLINE_ cbench_task *cbench_task_begin(const char *name)
{
    if (CBENCH_TRACE_ON_())
        return cbench_task_begin_traced_(name);
    return 0;
}

CBENCH_TRACE_INLINE_ void cbench_task_end(cbench_task *task)
{
    if (task)
        cbench_task_end_traced_(task);
}
#endif

#ifdef __cplusplus
}
#endif

#endif
