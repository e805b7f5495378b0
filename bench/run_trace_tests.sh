#!/usr/bin/env bash
# run_trace_tests.sh: what --trace and --trace-on-failure cost a suite of
# short tests: the `cbench` command over the examples' test binaries
# (examples/, tests only), with no flag, --trace, and --trace-on-failure,
# REPS rounds interleaved; the median wall time of a run, and the added
# time per test against the run without a flag in the same round.
#
# Environment (defaults in brackets):
#   BUILD_DIR [/tmp/build-bench]  CMake build folder, configured if needed
#   OUT       [mktemp -d]         raw results (results.txt), outdirs
#   REPS      [9]                 rounds
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-/tmp/build-bench}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/cbench-trace-tests.XXXXXX")}
REPS=${REPS:-9}
mkdir -p "$OUT"
RAW=$OUT/results.txt

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCBENCH_BUILD_TESTS=OFF -DCBENCH_BUILD_BENCH=ON >"$OUT/build.log"
fi
make -C "$BUILD_DIR" cbench_cli wordcount_test workqueue_test wordcount_resources \
    >>"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
CBENCH=$BUILD_DIR/cbench
BINS=$BUILD_DIR/examples

now() { date +%s.%N; }
: >"$RAW"
CONFIGS=(none trace trace-on-failure)
for ((r = 0; r < REPS; r++)); do
    for c in "${CONFIGS[@]}"; do
        flags=()
        [ "$c" = none ] || flags=("--$c")
        rm -rf "$OUT/out"
        t0=$(now)
        "$CBENCH" --outdir "$OUT/out" "${flags[@]}" "$BINS" >"$OUT/run.log" 2>&1 ||
            { cat "$OUT/run.log"; exit 1; }
        t1=$(now)
        tests=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["tests"])' \
            "$OUT/out/results.json")
        echo "$r $c $(echo "$t1 - $t0" | bc -l) $tests" >>"$RAW"
    done
done

python3 - "$RAW" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for r, c, t, n in rows:
    by.setdefault(c, {})[int(r)] = (float(t), int(n))
tests = by["none"][0][1]
print(f"| flags | run, median (s) | added per test, median (range), ms |")
print("|---|---:|---:|")
for c in ("none", "trace", "trace-on-failure"):
    runs = [by[c][r][0] for r in sorted(by[c])]
    if c == "none":
        print(f"| (none) | {statistics.median(runs):.3f} | |")
        continue
    added = sorted((by[c][r][0] - by["none"][r][0]) / tests * 1e3 for r in sorted(by[c]))
    print(f"| --{c} | {statistics.median(runs):.3f} | {statistics.median(added):.2f} "
          f"({added[0]:.2f} .. {added[-1]:.2f}) |")
print(f"\n{tests} tests in {len(by['none'])} rounds; raw results in {sys.argv[1]}")
EOF
