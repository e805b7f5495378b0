#!/usr/bin/env bash
# run_pprof_tools.sh: `cbench top` and `cbench flamegraph` beside
# `go tool pprof -top` and `go tool pprof -svg` on one large profile.
#
# The profile comes from pprof_gen (bench/pprof_gen.c; SAMPLES random
# stacks 8 to 64 frames deep over 4,000 functions and 60,000 locations,
# a fifth of them inlined chains, every fourth sample labelled): with the
# default 640,000 samples, 48 MB gzipped, 72 MB of protobuf. Random
# stacks share little, which is the hard case for a flame graph (almost
# every sample is its own path) and for pprof's graph alike. Each tool
# runs REPS times, interleaved (one round runs the four); the median wall
# time and the median peak resident set size (GNU time's %M) are printed
# as a Markdown table, each with the smallest and largest round. `go tool
# pprof -svg` needs Graphviz's dot.
#
# Environment (defaults in brackets):
#   BUILD_DIR [build]        a configured build folder (with tests: pprof_gen)
#   OUT [mktemp -d]          the profile, the outputs, raw timings
#   SAMPLES [640000] REPS [3]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/cbench-pprof-tools.XXXXXX")}
SAMPLES=${SAMPLES:-640000}
REPS=${REPS:-3}
mkdir -p "$OUT"
command -v dot >/dev/null || { echo "run_pprof_tools: dot is missing (apt-get install graphviz)" >&2; exit 1; }
command -v go >/dev/null || { echo "run_pprof_tools: go is missing (apt-get install golang-go)" >&2; exit 1; }
cmake --build "$BUILD_DIR" -j 2 --target cbench_cli pprof_gen >/dev/null
cbench=$BUILD_DIR/cbench
"$BUILD_DIR/tests/pprof_gen" "$OUT/big.pb.gz" "$SAMPLES" 3
export HOME=$OUT GOCACHE=$OUT/gocache
RAW=$OUT/raw.txt
: >"$RAW"
tools=("cbench top" "go tool pprof -top" "cbench flamegraph" "go tool pprof -svg")
run() { # name, command...: one timed run, "name wall_s rss_kb" into RAW
    local name=$1
    shift
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >"$OUT/out.txt" 2>"$OUT/err.txt" ||
        { echo "run_pprof_tools: $name failed:" >&2; cat "$OUT/err.txt" >&2; exit 1; }
    echo "$name $(cat "$OUT/time.txt")" >>"$RAW"
}
for r in $(seq "$REPS"); do
    run "cbench_top" "$cbench" top "$OUT/big.pb.gz"
    run "pprof_top" go tool pprof -top "$OUT/big.pb.gz"
    run "cbench_flamegraph" "$cbench" flamegraph -o "$OUT/cbench.svg" "$OUT/big.pb.gz"
    run "pprof_svg" go tool pprof -svg -output "$OUT/pprof.svg" "$OUT/big.pb.gz"
    echo "round $r done" >&2
done
python3 - "$RAW" "$OUT/big.pb.gz" <<'PY'
import os, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, wall, rss = line.split()
    rows.setdefault(name, []).append((float(wall), int(rss) / 1024))
print(f"profile: {os.path.getsize(sys.argv[2]) / 1e6:.1f} MB gzipped\n")
print("| tool | wall (s), median (min..max) | peak RSS (MB), median (min..max) |")
print("|---|---:|---:|")
names = {"cbench_top": "`cbench top`", "pprof_top": "`go tool pprof -top`",
         "cbench_flamegraph": "`cbench flamegraph -o f.svg`", "pprof_svg": "`go tool pprof -svg`"}
for key, label in names.items():
    w = [x[0] for x in rows[key]]; m = [x[1] for x in rows[key]]
    print(f"| {label} | {statistics.median(w):.2f} ({min(w):.2f}..{max(w):.2f}) "
          f"| {statistics.median(m):.0f} ({min(m):.0f}..{max(m):.0f}) |")
PY
echo "outputs in $OUT" >&2
