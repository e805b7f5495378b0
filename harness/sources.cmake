# The harness's sources by room (docs/ARCHITECTURE.md).

# The in-process runner: cbench_main, the cmocka plugin, per-test capture,
# the flags.
set(CBENCH_RUNNER_SOURCES
  harness/capture.c
  harness/cmocka_plugin.c
  harness/main.c
  harness/options.c)

# The benchmark loop: calibration, timers, sub-benchmarks, parallel runs,
# limits, name matching.
set(CBENCH_BENCH_SOURCES
  harness/bench/limits.c
  harness/bench/match.c
  harness/bench/names.c
  harness/bench/parallel.c
  harness/bench/run.c
  harness/bench/timer.c)

# Result records and the files and events they are written to.
set(CBENCH_FORMATS_SOURCES
  harness/formats/event.c
  harness/formats/event_parse.c
  harness/formats/json_buf.c
  harness/formats/json_parse.c
  harness/formats/json_record.c
  harness/formats/junit.c
  harness/formats/results.c
  harness/formats/results_benchline.c
  harness/formats/results_benchtxt.c
  harness/formats/results_file.c
  harness/formats/results_json.c
  harness/formats/results_safename.c)

set(CBENCH_HARNESS_SOURCES ${CBENCH_RUNNER_SOURCES} ${CBENCH_BENCH_SOURCES}
    ${CBENCH_FORMATS_SOURCES})

# The `cbench` command.
set(CBENCH_CLI_SOURCES
  harness/cli/child.c
  harness/cli/compare.c
  harness/cli/console.c
  harness/cli/discover.c
  harness/cli/json_stream.c
  harness/cli/main.c
  harness/cli/run.c
  harness/cli/stats.c
  harness/cli/stream.c)
