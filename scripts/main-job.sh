#!/usr/bin/env bash
# The main job: builds cbench and its busyloop example, runs it (it profiles
# itself) and shows the CPU profile with `go tool pprof`.
#
#   scripts/main-job.sh
#
# The profile goes to cbench-out/busyloop/cpu.pb.gz. It is symbolized in the
# process that wrote it, so pprof needs no binary to read it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"

build_dir=${CBENCH_BUILD_DIR:-build}
jobs=${CBENCH_JOBS:-2}
out_dir=cbench-out/busyloop
profile=$out_dir/cpu.pb.gz

scripts/install-deps.sh

echo "==> configure ($build_dir)"
cmake -S . -B "$build_dir"
echo "==> build busyloop (-j$jobs)"
cmake --build "$build_dir" -j "$jobs" --target busyloop

echo "==> run $build_dir/examples/busyloop $profile"
mkdir -p "$out_dir"
rm -f "$profile"
"$build_dir/examples/busyloop" "$profile"
[[ -s "$profile" ]] || {
    echo "main-job: busyloop wrote no profile at $profile" >&2
    exit 1
}

echo
echo "CPU profile: $root/$profile"
echo "==> go tool pprof -top -nodecount=15 $profile"
go tool pprof -top -nodecount=15 "$profile"
echo
echo "More: go tool pprof -http=: $profile   (or -list=count_primes, -tagfocus=phase=sort, ...)"
