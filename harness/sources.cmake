# The harness's sources by room (docs/ARCHITECTURE.md), listed by hand so
# that a file's room is a decision made here.

# The in-process runner: cbench_main, the cmocka plugin, per-test capture.
set(CBENCH_RUNNER_SOURCES
  harness/capture.c
  harness/diagnose.c
  harness/main.c
  harness/plugin.c
  harness/shard.c)

# The benchmark loop: calibration, timers, sub-benchmarks, parallel runs,
# limits, name matching.
set(CBENCH_BENCH_SOURCES
  harness/bench/counters.c
  harness/bench/limits.c
  harness/bench/match.c
  harness/bench/names.c
  harness/bench/parallel.c
  harness/bench/run.c
  harness/bench/timer.c)

# Result records and the files and events they are written to.
set(CBENCH_FORMATS_SOURCES
  harness/formats/benchline.c
  harness/formats/benchtxt.c
  harness/formats/buf.c
  harness/formats/event.c
  harness/formats/file.c
  harness/formats/gbench_json.c
  harness/formats/json.c
  harness/formats/junit.c
  harness/formats/record.c
  harness/formats/record_json.c
  harness/formats/results.c
  harness/formats/results_json.c
  harness/formats/safename.c
  harness/formats/trackers.c
  harness/formats/utf8.c
  harness/formats/xml.c)

# What the sampler lends the writers: the error message behind
# cbench_last_error() and atomic files. The top-level CMakeLists.txt takes
# them out of the sampler's list, so each is built once.
set(CBENCH_WRITER_SAMPLER_SOURCES
  sampler/base/error.c
  sampler/profile/gzip.c
  sampler/profile/hmap.c
  sampler/profile/output.c)

# The writers: what libcbench and the `cbench` command share (the flags,
# the result files, the events), built once as the object library
# cbench_writers. Nothing here interposes, profiles or knows cmocka, so
# the command links these and not libcbench.
set(CBENCH_WRITER_SOURCES
  harness/duration.c
  harness/options.c
  harness/perfctr.c
  harness/valgrind.c
  ${CBENCH_FORMATS_SOURCES}
  ${CBENCH_WRITER_SAMPLER_SOURCES})

# The allocation-failure countdown (sampler/base/fault.h), compiled on its
# own: as shipped, and again with CB_FAULTS for the tests' fault walks.
set(CBENCH_FAULT_SOURCES
  sampler/base/fault.c)

# libcbench's own part of the harness.
set(CBENCH_HARNESS_SOURCES ${CBENCH_RUNNER_SOURCES} ${CBENCH_BENCH_SOURCES})

# The pprof reader, writer and merge the command's top, flamegraph,
# report and per-binary profiles share (harness/cli/pprof/).
set(CBENCH_PPROF_SOURCES
  harness/cli/pprof/arena.c
  harness/cli/pprof/flame.c
  harness/cli/pprof/flame_js.c
  harness/cli/pprof/merge.c
  harness/cli/pprof/merge_files.c
  harness/cli/pprof/read.c
  harness/cli/pprof/stacks.c
  harness/cli/pprof/top.c
  harness/cli/pprof/units.c
  harness/cli/pprof/write.c)

# The `cbench` command, and the readers only it needs.
set(CBENCH_CLI_SOURCES
  ${CBENCH_PPROF_SOURCES}
  harness/cli/binprof.c
  harness/cli/callgrind.c
  harness/cli/child.c
  harness/cli/compare.c
  harness/cli/counting.c
  harness/cli/compare_format.c
  harness/cli/compare_read.c
  harness/cli/console.c
  harness/cli/ctest.c
  harness/cli/discover.c
  harness/cli/flamegraph_cmd.c
  harness/cli/event_read.c
  harness/cli/json_load.c
  harness/cli/kept.c
  harness/cli/main.c
  harness/cli/merge_artifacts.c
  harness/cli/merge_check.c
  harness/cli/merge_cmd.c
  harness/cli/outfiles.c
  harness/cli/readfile.c
  harness/cli/record_read.c
  harness/cli/report.c
  harness/cli/report_html.c
  harness/cli/reporter.c
  harness/cli/results_read.c
  harness/cli/run.c
  harness/cli/stats.c
  harness/cli/stream.c
  harness/cli/subargs.c
  harness/cli/test2json.c
  harness/cli/top_cmd.c
  harness/cli/trace_read.c
  harness/cli/trace_stats.c)
