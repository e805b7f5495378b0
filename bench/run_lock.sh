#!/usr/bin/env bash
# run_lock.sh: the lock benchmark (bench/lock_bench.c), glibc's locks
# against cbench's interposed ones with profiling off, on (mutex and
# block profiles, every event), and all on (those and a trace).
#
# Builds lock_bench_glibc and lock_bench_cbench if needed, then runs the
# configurations REPS times, interleaved (each configuration once per
# round), and prints the median of each measure as a Markdown table, and
# the contended workload's time per pair against cbench-off's in the
# same round (docs/PERFORMANCE.md, "Locks", holds a run of it). Then the
# try-first step alone (bench/lock_try_first.c). About two minutes.
#
# Environment (defaults in brackets):
#   BUILD_DIR [/tmp/build-bench]  CMake build folder, configured if needed
#   OUT       [mktemp -d]         raw results (results.txt) and build log
#   REPS      [5]                 rounds
#   BEFORE    [unset]             another build folder (another commit, the
#                                 same CMake options): its lock_bench_cbench
#                                 runs too, off and on, in the same rounds
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-/tmp/build-bench}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/cbench-lock-bench.XXXXXX")}
REPS=${REPS:-5}
mkdir -p "$OUT"
RAW=$OUT/results.txt
BIN=$BUILD_DIR/bench

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCBENCH_BUILD_TESTS=OFF -DCBENCH_BUILD_BENCH=ON >"$OUT/build.log"
fi
make -C "$BUILD_DIR" lock_bench_glibc lock_bench_cbench lock_try_first >>"$OUT/build.log" 2>&1 ||
    { tail -20 "$OUT/build.log"; exit 1; }
CONFIGS=(glibc cbench-off cbench-on cbench-all)
if [ -n "${BEFORE:-}" ]; then
    make -C "$BEFORE" lock_bench_cbench >>"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
    CONFIGS+=(before-off before-on)
fi

: >"$RAW"
run() { # configuration
    case $1 in
    glibc) "$BIN/lock_bench_glibc" ;;
    cbench-*) "$BIN/lock_bench_cbench" "${1#*-}" "$OUT/trace.json" ;;
    before-*) "$BEFORE/bench/lock_bench_cbench" "${1#*-}" ;;
    esac | sed "s/^/$1 /" >>"$RAW"
}

for ((r = 0; r < REPS; r++)); do
    for c in "${CONFIGS[@]}"; do
        run "$c"
    done
done

median() { # config measure
    awk -v c="$1" -v m="$2" '$1 == c && $2 == m { print $3 }' "$RAW" | sort -g |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "| configuration | uncontended pair, one thread (ns) | uncontended pair, threaded process (ns) | contended, 2 threads (M pairs/s) |"
echo "|---|---|---|---|"
for c in "${CONFIGS[@]}"; do
    echo "| $c | $(median $c uncontended_ns_per_pair) | $(median $c uncontended_threaded_ns_per_pair) | $(median $c contended_mpairs_per_s) |"
done
echo
# Per round: ns per contended pair, each configuration over cbench-off's.
ratios() { # config
    awk -v c="$1" '$2 == "contended_mpairs_per_s" { r[$1, ++n[$1]] = $3 }
        END { for (i = 1; i <= n[c]; i++) print r["cbench-off", i] / r[c, i] }' "$RAW" | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.2f (%.2f .. %.2f)", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR] }'
}
echo "| contended time per pair, over cbench-off's in the same round | median (range) |"
echo "|---|---|"
for c in "${CONFIGS[@]}"; do
    [ "$c" = cbench-off ] || echo "| $c | $(ratios "$c") |"
done
echo
echo "median of $REPS rounds; raw results in $RAW"
echo
"$BIN/lock_try_first" "$REPS"
