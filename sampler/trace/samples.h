/*
 * CPU samples in the trace, as the viewers render them.
 *
 * Chrome's JSON has two ways to carry samples. The top-level
 * "stackFrames"/"samples" arrays need the object form (so no tolerance
 * of a missing end after a crash), and Perfetto's JSON importer ignores
 * them. The V8 CPU profile events do travel in the array form: per
 * thread one "P" event named "Profile" (an id, the start time) and "P"
 * events named "ProfileChunk" with new call-tree nodes ({id, parent,
 * callFrame: {functionName, url, lineNumber}}), the samples (node ids)
 * and their time deltas in whole microseconds. Perfetto imports these as
 * CPU profile samples on the thread (its legacy V8 profile importer), and
 * speedscope's importer opens a file holding them as a sampled profile,
 * one per thread (it then shows the samples rather than the regions;
 * without samples it shows the regions as flame charts).
 *
 * The writer collects each thread's samples while converting a batch,
 * then symbolizes them with the shared symbol cache (symcache.h; inline
 * chains become several nodes, the innermost deepest) and writes one
 * chunk event per thread. Nodes are kept per thread (a tree keyed by
 * parent and PC) so that each is written once. Writer thread only.
 */
#ifndef CB_TRACE_SAMPLES_H
#define CB_TRACE_SAMPLES_H

#include <stdint.h>

#include "trace/convert.h"

/* The converter's sample hook: keeps the sample for the batch's end. */
void cb_trace_samples_note(cb_trace_conv *c, cb_trace_thread *t, uint64_t ns, const uint64_t *pcs,
                           int n);

/* Writes the samples kept since the last call, for every thread. */
void cb_trace_samples_flush(cb_trace_conv *c);

/* Frees every thread's sample state (after the trace). */
void cb_trace_samples_free(void);

#endif
