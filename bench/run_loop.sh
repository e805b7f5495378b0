#!/usr/bin/env bash
# run_loop.sh: cbench's benchmark loop against Google Benchmark.
#
# The functions of loop_work.c (an empty body, a CBENCH_KEEP/DoNotOptimize
# of a counter, a hash of 64 bytes, a sort of 100 ints, a malloc/free
# pair) are timed by cbench (loop_cbench) and by Google Benchmark
# (loop_gbench), each tool in its own process for all functions, REPS
# times, interleaved: each round runs both tools, the first one
# alternating between rounds, so that slow drift of the machine hits both
# alike. Both run each function for at least BENCHTIME seconds and report
# wall time per iteration (cbench's ns/op, GB's real_time).
#
# Printed, as a Markdown table per function: the median ns/op of each
# tool, their ratio (cbench / GB), the median of the per-round ratios, and
# each tool's spread over the rounds, (max - min) / median. Then the loop
# overhead: ns per iteration of the empty and keep bodies; how quiet the
# machine was; the same table over the quiet rounds only, when there are
# at least 3; and the targets: ns/op within 3 %, cbench's spread no larger
# than GB's.
#
# Environment (defaults in brackets):
#   BUILD_DIR [/tmp/build-bench-loop]  CMake build folder, configured if needed
#   OUT       [mktemp -d]              raw outputs (results.txt) and logs
#   REPS [10]  BENCHTIME [1]           rounds, and seconds per function
#   QUIET [0.1]                        other load (CPUs) below which a round is quiet
# A full run takes about 2 x REPS x 5 x BENCHTIME x 1.5 s (~3 minutes).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-/tmp/build-bench-loop}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/cbench-loop-bench.XXXXXX")}
REPS=${REPS:-10}
BENCHTIME=${BENCHTIME:-1}
mkdir -p "$OUT"
RAW=$OUT/results.txt
BIN=$BUILD_DIR/bench

# --- build ----------------------------------------------------------------
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCBENCH_BUILD_TESTS=OFF -DCBENCH_BUILD_EXAMPLES=OFF \
        >"$OUT/build.log"
fi
make -C "$BUILD_DIR" loop_cbench >>"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
if ! make -C "$BUILD_DIR" loop_gbench >>"$OUT/build.log" 2>&1; then
    echo "loop_gbench was not built: is libbenchmark-dev installed? (scripts/install-deps.sh)" >&2
    exit 1
fi

# --- runs -----------------------------------------------------------------
# Each run appends "tool=T round=R name=N ns=V" lines to $RAW, and to
# $RAW.share its CPU share (user + system time over wall time: below 1, the
# run waited for a CPU) and the other load (CPUs busy with anything else
# during the run, from /proc/stat): how quiet the machine was.
busy_seconds() { awk '$1 == "cpu" { print ($2 + $3 + $4 + $7 + $8 + $9) / 100 }' /proc/stat; }

timed() { # tool round output command...
    local tool=$1 round=$2 out=$3 t b0 b1; shift 3
    b0=$(busy_seconds)
    t=$( { TIMEFORMAT='%R %U %S'; time "$@" >"$out" 2>>"$OUT/stderr.log"; } 2>&1 ) || {
        echo "$tool failed in round $round, see $OUT" >&2; exit 1; }
    b1=$(busy_seconds)
    awk -v t="$tool" -v r="$round" -v b="$b0 $b1" -v times="$t" 'BEGIN {
        split(times, x, " "); split(b, y, " "); own = x[2] + x[3]
        printf "tool=%s round=%s share=%.3f other=%.3f\n", t, r, own / x[1],
            (y[2] - y[1] - own) / x[1] }' >>"$RAW.share"
}

run_cbench() { # round
    timed cbench "$1" "$OUT/cbench.$1.txt" \
        "$BIN/loop_cbench" --bench . --benchtime "${BENCHTIME}s" --cpu 1
    awk -v r="$1" '/^Benchmark/ { for (i = 3; i <= NF; i++) if ($i == "ns/op")
        print "tool=cbench round=" r " name=" $1 " ns=" $(i - 1) }' "$OUT/cbench.$1.txt" >>"$RAW"
}

run_gbench() { # round
    timed gbench "$1" "$OUT/gbench.$1.csv" \
        "$BIN/loop_gbench" --benchmark_min_time="$BENCHTIME" --benchmark_format=csv
    # name,iterations,real_time,cpu_time,time_unit,...
    awk -F, -v r="$1" '$1 ~ /^"Benchmark/ { gsub(/"/, "", $1); gsub(/"/, "", $5)
        if ($5 != "ns") { print "unexpected time unit " $5 > "/dev/stderr"; exit 1 }
        print "tool=gbench round=" r " name=" $1 " ns=" $3 }' "$OUT/gbench.$1.csv" >>"$RAW"
}

: >"$RAW"
: >"$RAW.share"
for ((r = 1; r <= REPS; r++)); do
    if ((r % 2)); then run_cbench "$r"; run_gbench "$r"; else run_gbench "$r"; run_cbench "$r"; fi
    printf '.' >&2
done
echo >&2

# --- aggregation ----------------------------------------------------------
field() { awk -v f="$1" '{ for (i = 1; i <= NF; i++) { split($i, kv, "=");
    if (kv[1] == f) print substr($i, length(f) + 2) } }'; }
values() { # tool name -> one ns value per round
    grep "tool=$1 " "$RAW" | grep " name=$2 " | field ns; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan";
    else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
spread() { sort -g | awk '{ a[NR] = $1 } END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    if (m > 0) printf "%.1f", (a[NR] - a[1]) / m * 100; else print "-" }'; }
ratios() { # name -> cbench/GB per round
    awk -v n="$1" '{ delete v; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        if (v["name"] != n) next
        if (v["tool"] == "cbench") c[v["round"]] = v["ns"]; else g[v["round"]] = v["ns"] }
        END { for (r in c) if ((r in g) && g[r] > 0.001) print c[r] / g[r] }' "$RAW"; }
fmt() { awk -v v="$1" -v p="$2" 'BEGIN { if (v == "nan" || v == "" || v == "-") print "-"; else printf "%." p "f", v }'; }
# No ratio to a loop the compiler removed (GB's empty loop measures 0.000).
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0.001) print a / b; else print "nan" }'; }

names=$(field name <"$RAW" | awk '!seen[$0]++')
echo
echo "| function | cbench ns/op | GB ns/op | ratio of medians | median of round ratios | cbench spread | GB spread |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for n in $names; do
    c=$(values cbench "$n" | median); g=$(values gbench "$n" | median)
    echo "| ${n#Benchmark} | $(fmt "$c" 3) | $(fmt "$g" 3) | $(fmt "$(div "$c" "$g")" 3) |" \
         "$(fmt "$(ratios "$n" | median)" 3) | $(values cbench "$n" | spread) % |" \
         "$(values gbench "$n" | spread) % |"
done

echo
echo "Loop overhead per iteration (median ns/op): empty body: cbench" \
     "$(fmt "$(values cbench BenchmarkEmpty | median)" 3), GB" \
     "$(fmt "$(values gbench BenchmarkEmpty | median)" 3);" \
     "CBENCH_KEEP / DoNotOptimize of a counter: cbench" \
     "$(fmt "$(values cbench BenchmarkKeep | median)" 3), GB" \
     "$(fmt "$(values gbench BenchmarkKeep | median)" 3)."

echo
for t in cbench gbench; do
    echo "Quiet? $t runs: CPU share (1 = never waited) min" \
         "$(grep "tool=$t " "$RAW.share" | field share | sort -g | head -1); other load" \
         "(CPUs busy with other work) median $(grep "tool=$t " "$RAW.share" | field other | median)," \
         "max $(grep "tool=$t " "$RAW.share" | field other | sort -g | tail -1)"
done

# Rounds where both runs had the machine to themselves (other load below
# QUIET CPUs): the same comparison without the disturbed rounds.
quiet_rounds=$(awk -v q="${QUIET:-0.1}" '{ delete v; for (i = 1; i <= NF; i++) { split($i, kv, "=");
    v[kv[1]] = kv[2] } if (v["other"] >= q) bad[v["round"]] = 1; all[v["round"]] = 1 }
    END { for (r in all) if (!(r in bad)) print r }' "$RAW.share" | sort -n | tr '\n' ' ')
nquiet=$(echo "$quiet_rounds" | wc -w)
echo
echo "Quiet rounds (other load below ${QUIET:-0.1} CPU in both runs): $nquiet of $REPS (${quiet_rounds:-none})"
if ((nquiet >= 3)); then
    qvalues() { # tool name
        for r in $quiet_rounds; do grep "tool=$1 round=$r name=$2 " "$RAW" | field ns; done; }
    echo
    echo "| function (quiet rounds) | cbench ns/op | GB ns/op | ratio of medians | cbench spread | GB spread |"
    echo "|---|---:|---:|---:|---:|---:|"
    for n in $names; do
        c=$(qvalues cbench "$n" | median); g=$(qvalues gbench "$n" | median)
        echo "| ${n#Benchmark} | $(fmt "$c" 3) | $(fmt "$g" 3) | $(fmt "$(div "$c" "$g")" 3) |" \
             "$(qvalues cbench "$n" | spread) % | $(qvalues gbench "$n" | spread) % |"
    done
fi

echo
echo "Targets (all rounds), for the functions with work (hash64, sort100, malloc_free):"
for n in BenchmarkHash64 BenchmarkSort100 BenchmarkMalloc_free; do
    c=$(values cbench "$n" | median); g=$(values gbench "$n" | median)
    awk -v n="${n#Benchmark}" -v c="$c" -v g="$g" -v sc="$(values cbench "$n" | spread)" \
        -v sg="$(values gbench "$n" | spread)" 'BEGIN {
        d = (c / g - 1) * 100
        printf "- %s: ns/op differ by %+.1f %% (%s); spread %s %% vs %s %% (%s)\n", n, d,
            (d <= 3 && d >= -3) ? "within 3 %" : "MISSED: over 3 %", sc, sg,
            (sc + 0 <= sg + 0) ? "no larger" : "MISSED: larger" }'
done
echo
echo "raw results: $RAW"
