#!/usr/bin/env bash
# run_merge.sh: the time `cbench merge` takes on three shards, beside its
# floors: copying the three folders (`cp -r`, what a merge of shards must
# at least do with the per-test files) and pprof's own merge of the
# per-binary profiles (`go tool pprof -proto` over the three shards'
# <binary>/cpu.pb.gz, <binary>/allocs.pb.gz).
#
# The suite: the test suite's shard_prog (30 tests, 3 benchmarks) run in
# three shards with --cpuprofile --memprofile --memprofilerate 1 --bench .
# --benchtime 100x --cpu 1, so each shard folder holds ~11 tests' and a
# benchmark's cpu, heap and allocs profiles. Each tool runs REPS times,
# interleaved; the median wall time, with the smallest and the largest,
# is printed as a Markdown table.
#
# Environment (defaults in brackets):
#   BUILD_DIR [build]   a configured build folder with the tests
#   OUT [mktemp -d]     the shards, the merged folders, raw timings
#   REPS [21]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/cbench-merge.XXXXXX")}
REPS=${REPS:-21}
mkdir -p "$OUT"
command -v go >/dev/null || { echo "run_merge: go is missing (apt-get install golang-go)" >&2; exit 1; }
cmake --build "$BUILD_DIR" -j 2 --target cbench_cli shard_prog >/dev/null
cbench=$BUILD_DIR/cbench
prog=$BUILD_DIR/tests/harness/shard_prog
bin=$(basename "$prog")
cd "$OUT"
for k in 1 2 3; do
    rm -rf "s$k"
    "$cbench" --shard "$k/3" --cpuprofile --memprofile --memprofilerate 1 --bench . \
        --benchtime 100x --cpu 1 --outdir "s$k" "$prog" >/dev/null
done
echo "shard folders: $(find s1 s2 s3 -type f | wc -l) files, $(du -sch s1 s2 s3 | tail -1 | cut -f1)"

now() { date +%s.%N; }
: >times.txt
for ((r = 0; r < REPS; r++)); do
    rm -rf m c
    t0=$(now); "$cbench" merge s1 s2 s3 --outdir m >/dev/null; t1=$(now)
    mkdir c; cp -r s1 s2 s3 c/; t2=$(now)
    go tool pprof -proto s1/$bin/cpu.pb.gz s2/$bin/cpu.pb.gz s3/$bin/cpu.pb.gz >cpu.pb.gz 2>/dev/null
    go tool pprof -proto s1/$bin/allocs.pb.gz s2/$bin/allocs.pb.gz s3/$bin/allocs.pb.gz \
        >allocs.pb.gz 2>/dev/null
    t3=$(now)
    echo "$t0 $t1 $t2 $t3" >>times.txt
done
python3 - times.txt <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
cols = {"cbench merge s1 s2 s3": [r[1] - r[0] for r in rows],
        "cp -r s1 s2 s3": [r[2] - r[1] for r in rows],
        "go tool pprof -proto (cpu + allocs sums)": [r[3] - r[2] for r in rows]}
print("| what | median ms | min | max |\n|:--|--:|--:|--:|")
for k, v in cols.items():
    print(f"| {k} | {statistics.median(v) * 1e3:.1f} | {min(v) * 1e3:.1f} | {max(v) * 1e3:.1f} |")
PY
