# The sampler's sources, layer by layer (docs/ARCHITECTURE.md). Listed by
# hand, not globbed, so that a file's layer is a decision made here.

# The ground floor, which every layer above uses and which uses nothing
# of theirs: the spinlock and the deferral of CPU samples, cbench's own
# work, per-thread counter lists, invariant checks, the error message.
set(CBENCH_BASE_SOURCES
  sampler/base/check.c
  sampler/base/defer.c
  sampler/base/error.c
  sampler/base/own.c
  sampler/base/spinlock.c
  sampler/base/thread_list.c)

# Stack capture: signal-context and user-context walkers, call-frame
# rules, the table of sampled stacks.
set(CBENCH_STACK_SOURCES
  sampler/stack/cfi.c
  sampler/stack/stacktab.c
  sampler/stack/stackwalk.c
  sampler/stack/unwind.c)

# Interposers: the event sources (malloc family, pthread locks and waits,
# thread start and exit, the loader's object list).
set(CBENCH_INTERPOSE_SOURCES
  sampler/interpose/heap.c
  sampler/interpose/heap_pool.c
  sampler/interpose/loader.c
  sampler/interpose/lock.c
  sampler/interpose/threads.c)

# Producers: the profiles, built from the events and stacks above, with
# the records by stack they share.
set(CBENCH_PRODUCER_SOURCES
  sampler/cpu.c
  sampler/env.c
  sampler/heapprof.c
  sampler/labels.c
  sampler/lockprof.c
  sampler/profiles.c
  sampler/records.c
  sampler/scoperec.c
  sampler/threadprof.c)

# The pprof writer: aggregation, symbols, mappings, encoding, files.
set(CBENCH_PROFILE_SOURCES
  sampler/profile/builder.c
  sampler/profile/encode.c
  sampler/profile/fulltext.c
  sampler/profile/gzip.c
  sampler/profile/hmap.c
  sampler/profile/mappings.c
  sampler/profile/output.c
  sampler/profile/plt.c
  sampler/profile/resolve.c
  sampler/profile/symbolize.c
  sampler/profile/symcache.c
  sampler/profile/text.c)

# The execution tracer: per-thread buffers, the writer thread, the JSON
# it writes, the flight recorder (docs/TRACING.md).
set(CBENCH_TRACE_SOURCES
  sampler/trace/buffer.c
  sampler/trace/clock.c
  sampler/trace/convert.c
  sampler/trace/events.c
  sampler/trace/flight.c
  sampler/trace/names.c
  sampler/trace/samples.c
  sampler/trace/sink.c
  sampler/trace/tasks.c
  sampler/trace/trace.c
  sampler/trace/trace_env.c
  sampler/trace/writer.c)

set(CBENCH_SAMPLER_SOURCES ${CBENCH_BASE_SOURCES} ${CBENCH_STACK_SOURCES}
    ${CBENCH_INTERPOSE_SOURCES} ${CBENCH_PRODUCER_SOURCES} ${CBENCH_PROFILE_SOURCES}
    ${CBENCH_TRACE_SOURCES})
