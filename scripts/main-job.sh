#!/usr/bin/env bash
# The main job: builds cbench, its command and the examples, then runs
# `cbench` over the examples with benchmarks and per-test profiles:
#
#   scripts/main-job.sh [EXTRA CBENCH FLAGS...]
#
# It prints go-test-style results and benchmark lines, and leaves in
# cbench-out/: results.json, bench.txt (benchstat reads it), junit.xml,
# benchmarks.json, index.html (the run on one page, with flame graphs),
# <binary>/{cpu,...}.pb.gz (each binary's tests added up) and
# <binary>/<test>/{cpu,heap,allocs,mutex,block}.pb.gz for every test and
# benchmark, symbolized in-process so `go tool pprof` needs no binary to
# read them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"

build_dir=${CBENCH_BUILD_DIR:-build}
jobs=${CBENCH_JOBS:-2}
out_dir=cbench-out

scripts/install-deps.sh

echo "==> configure ($build_dir)"
cmake -S . -B "$build_dir"
echo "==> build the library, the cbench command and the examples (-j$jobs)"
cmake --build "$build_dir" -j "$jobs" --target cbench_cli wordcount_test workqueue_test busyloop

flags=(--bench . --benchmem --cpuprofile --memprofile --mutexprofile --blockprofile --trace --report)
echo "==> $build_dir/cbench $build_dir/examples ${flags[*]} --outdir $out_dir $*"
rm -rf "$out_dir"
status=0
"$build_dir/cbench" "$build_dir/examples" "${flags[@]}" --outdir "$out_dir" "$@" || status=$?

profile=$out_dir/wordcount_test/BenchmarkCount_text%2F64KiB/cpu.pb.gz
if [[ -s $profile ]]; then
    echo
    echo "==> $build_dir/cbench top -n 12 '$profile'   (as go tool pprof -top, from the benchmark)"
    "$build_dir/cbench" top -n 12 "$profile"
fi
# The classic contention case: four threads counting words into one map
# behind one lock. The mutex profile names the critical section that made
# the others wait (add_shared, under pthread_mutex_unlock), in total delay.
mutex=$out_dir/wordcount_test/BenchmarkCount_shared%2Fthreads=4/mutex.pb.gz
if [[ -s $mutex ]]; then
    echo
    echo "==> $build_dir/cbench top -n 8 '$mutex'"
    "$build_dir/cbench" top -n 8 "$mutex"
fi
echo
echo "Artifacts: $root/$out_dir (results.json, bench.txt, junit.xml, per-test profiles and trace.json)"
echo "The run on one page, with flame graphs: $root/$out_dir/index.html"
echo "More: go tool pprof -http=: '$profile'"
exit "$status"
