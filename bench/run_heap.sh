#!/usr/bin/env bash
# run_heap.sh: the heap profiler benchmark, cbench against gperftools and
# heaptrack.
#
# Builds the heap_overhead binaries (bench/CMakeLists.txt) if needed, runs
# every configuration in its own process, and prints the results as
# Markdown tables (docs/PERFORMANCE.md holds a run of it).
#
# The workload (heap_overhead.c) times malloc/free pairs of pseudo-random
# sizes from 16 B to 4 KiB inside the program, warm-up excluded, in four
# shapes: immediate pairs or a window of 64 live blocks, on 1 or 2
# threads. Configurations:
#
#   glibc       plain glibc malloc: the baseline of everything glibc-based
#   cb0         libcbench linked, counters only (CBENCH_MEMPROFILERATE=0)
#   cb512k      libcbench, sampling every 512 KiB on average (the default)
#   cb1         libcbench at rate 1: every allocation recorded with its stack
#   heaptrack   `heaptrack` running the glibc binary (every allocation, its
#               stack sent to heaptrack's interpreter process)
#   tcmalloc    gperftools' tcmalloc, no profiler: the baseline of ...
#   gperf       ... tcmalloc with its heap profiler (HEAPPROFILE), which
#               records every allocation with its stack. Its periodic dumps
#               (every GiB allocated) are turned off
#               (HEAP_PROFILE_ALLOCATION_INTERVAL=0), so that as for the
#               others only the final profile is written, after the timing.
#
# Rounds are interleaved (every configuration once per round, the order
# rotating between rounds) so that slow drift of the machine hits all of
# them alike. "Added" is taken within a round, against that round's
# baseline (glibc, or tcmalloc for gperf), then the median over rounds is
# reported with the smallest and largest round in brackets.
#
# The configurations that record every allocation are 10 to 500 times
# slower, so they run fewer pairs (SLOW_PAIRS, GPERF_PAIRS); ns per pair
# does not depend on the count once warmed up.
#
# Environment (defaults in brackets):
#   BUILD_DIR [/tmp/build-bench]  CMake build folder, configured if needed
#   OUT       [mktemp -d]         raw results (results.txt), profiles, logs
#   REPS [15]                     rounds
#   PAIRS [2000000]               pairs per thread, fast configurations
#   SLOW_PAIRS [200000]           pairs per thread, cb1 and heaptrack
#   GPERF_PAIRS [20000]           pairs per thread, gperf
#   WINDOW [64]                   live blocks per thread in the window shape
#   BEFORE [unset]                another build folder (another commit, the
#                                 same CMake options): its heap_overhead_cbench
#                                 runs too, as was0, was512k and was1,
#                                 interleaved with the rest, and a last table
#                                 gives this build's added time minus that
#                                 one's, round by round
# A full run takes about 1.5-2 minutes on 2 cores (a third more with
# BEFORE).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-/tmp/build-bench}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/cbench-heap-bench.XXXXXX")}
REPS=${REPS:-15}
PAIRS=${PAIRS:-2000000}
SLOW_PAIRS=${SLOW_PAIRS:-200000}
GPERF_PAIRS=${GPERF_PAIRS:-20000}
WINDOW=${WINDOW:-64}
mkdir -p "$OUT/profiles"
RAW=$OUT/results.txt
BIN=$BUILD_DIR/bench

# --- build ----------------------------------------------------------------
# Only the benchmark's targets: a broken test elsewhere must not stop it.
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCBENCH_BUILD_TESTS=OFF >"$OUT/build.log"
fi
make -C "$BUILD_DIR" heap_overhead_plain heap_overhead_cbench heap_overhead_tcmalloc \
    >>"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
if [ -n "${BEFORE:-}" ]; then
    make -C "$BEFORE" heap_overhead_cbench >>"$OUT/build.log" 2>&1 ||
        { tail -20 "$OUT/build.log"; exit 1; }
fi
command -v heaptrack >/dev/null || { echo "heaptrack is needed (Debian: heaptrack)" >&2; exit 1; }
: >"$RAW"

CONFIGS=(glibc cb0 cb512k cb1 heaptrack tcmalloc gperf)
[ -n "${BEFORE:-}" ] && CONFIGS+=(was0 was512k was1)
SHAPES=(p1 p2 w1 w2)

# --- configurations -------------------------------------------------------
# A label is config-shape: p1 = immediate pairs on 1 thread, w2 = a window
# of live blocks on 2 threads.
shape_args() { # shape -> arguments
    local s=$1 window=0
    [[ $s == w* ]] && window=$WINDOW
    echo "-t ${s:1} -w $window"
}

describe() {
    case $1 in
    glibc)     echo "glibc malloc, no profiler" ;;
    cb0)       echo "cbench, counters only (rate 0)" ;;
    cb512k)    echo "cbench, sampled at 512 KiB" ;;
    cb1)       echo "cbench, rate 1 (every allocation)" ;;
    was0)      echo "cbench before (BEFORE), counters only" ;;
    was512k)   echo "cbench before (BEFORE), sampled at 512 KiB" ;;
    was1)      echo "cbench before (BEFORE), rate 1" ;;
    heaptrack) echo "heaptrack (glibc)" ;;
    tcmalloc)  echo "tcmalloc, no profiler" ;;
    gperf)     echo "gperftools heap profiler (tcmalloc)" ;;
    esac
}

describe_shape() {
    case $1 in
    p*) printf 'immediate pairs, %s thread%s' "${1:1}" "$([ "${1:1}" = 1 ] || echo s)" ;;
    w*) printf 'window of %s live blocks, %s thread%s' "$WINDOW" "${1:1}" "$([ "${1:1}" = 1 ] || echo s)" ;;
    esac
}

baseline() { [[ $1 == gperf ]] && echo tcmalloc || echo glibc; }

expected_allocator() {
    case $1 in
    glibc) echo glibc ;;
    cb*|was*) echo cbench ;;
    heaptrack) echo glibc+heaptrack ;;
    tcmalloc) echo tcmalloc ;;
    gperf) echo tcmalloc+heapprofile ;;
    esac
}

run() { # label round
    local label=$1 round=$2 config=${1%-*} shape=${1#*-} args n line prof
    args=$(shape_args "$shape")
    n=$PAIRS
    case $config in cb1|was1|heaptrack) n=$SLOW_PAIRS ;; gperf) n=$GPERF_PAIRS ;; esac
    prof=$OUT/profiles/$label.$round
    local cmd=("$BIN/heap_overhead_plain")
    local env=()
    case $config in
    cb0)       cmd=("$BIN/heap_overhead_cbench"); env=(CBENCH_MEMPROFILERATE=0) ;;
    cb512k)    cmd=("$BIN/heap_overhead_cbench"); env=(CBENCH_MEMPROFILERATE=524288) ;;
    cb1)       cmd=("$BIN/heap_overhead_cbench"); env=(CBENCH_MEMPROFILERATE=1) ;;
    was0)      cmd=("$BEFORE/bench/heap_overhead_cbench"); env=(CBENCH_MEMPROFILERATE=0) ;;
    was512k)   cmd=("$BEFORE/bench/heap_overhead_cbench"); env=(CBENCH_MEMPROFILERATE=524288) ;;
    was1)      cmd=("$BEFORE/bench/heap_overhead_cbench"); env=(CBENCH_MEMPROFILERATE=1) ;;
    heaptrack) cmd=(heaptrack -o "$prof" "$BIN/heap_overhead_plain") ;;
    tcmalloc)  cmd=("$BIN/heap_overhead_tcmalloc") ;;
    gperf)     cmd=("$BIN/heap_overhead_tcmalloc")
               env=(HEAPPROFILE="$prof" HEAP_PROFILE_ALLOCATION_INTERVAL=0) ;;
    esac
    # shellcheck disable=SC2086  # args is a word list on purpose
    line=$(env "${env[@]}" "${cmd[@]}" $args -n "$n" 2>>"$OUT/stderr.log" |
           sed -n 's/^heap_overhead: //p') || true
    [ -n "$line" ] || { echo "run $label failed, see $OUT/stderr.log" >&2; exit 1; }
    echo "label=$label config=$config shape=$shape round=$round $line" >>"$RAW"
}

rounds() { # count label... : interleaved rounds, order rotating
    local n=$1 r i k; shift
    local labels=("$@") m=$#
    for ((r = 1; r <= n; r++)); do
        for ((i = 0; i < m; i++)); do
            k=$(( (i + r - 1) % m ))
            run "${labels[k]}" "$r"
        done
        printf '.' >&2
    done
}

# --- aggregation ----------------------------------------------------------
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan";
    else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s %s", lo, hi }'; }

values() { # label field -> one value per round
    awk -v l="$1" -v f="$2" '{ delete v; for (i = 1; i <= NF; i++) { split($i, kv, "=");
        v[kv[1]] = substr($i, length(kv[1]) + 2) }
        if (v["label"] == l) print v[f] }' "$RAW"
}

# Per round: expr evaluated with x (the label's run) and b (the baseline's
# run in the same round) as arrays of fields.
paired() { # label baseline awk-expression
    awk -v l="$1" -v bl="$2" '
        { delete v; for (i = 1; i <= NF; i++) { split($i, kv, "=");
            v[kv[1]] = substr($i, length(kv[1]) + 2) }
          r = v["round"]
          if (v["label"] == l)  for (k in v) x[r, k] = v[k]
          if (v["label"] == bl) for (k in v) b[r, k] = v[k]
          rounds[r] = 1 }
        END { for (r in rounds) if ((r, "label") in x && (r, "label") in b) print '"$3"' }' "$RAW"
}

fmt() { awk -v v="$1" -v p="$2" 'BEGIN { if (v == "nan" || v == "") print "-"; else printf "%." p "f", v }'; }

# "median (min..max)" of a paired expression
spread() { # label baseline expression digits
    local mm
    mm=$(paired "$1" "$2" "$3" | minmax)
    echo "$(fmt "$(paired "$1" "$2" "$3" | median)" "$4") ($(fmt "${mm% *}" "$4")..$(fmt "${mm#* }" "$4"))"
}

ADDED='x[r,"ns_per_pair"] - b[r,"ns_per_pair"]'
ADDED_CPU='x[r,"cpu_ns_per_pair"] - b[r,"cpu_ns_per_pair"]'
RATIO='x[r,"ns_per_pair"] / b[r,"ns_per_pair"]'

table() { # shape
    local s=$1 c b
    echo "| configuration | ns/pair | CPU ns/pair | added ns/pair (min..max) | added CPU ns/pair | ratio to baseline (min..max) |"
    echo "|---|---:|---:|---:|---:|---:|"
    for c in "${CONFIGS[@]}"; do
        b=$(baseline "$c")
        printf '| %s | %s | %s | ' "$(describe "$c")" \
            "$(fmt "$(values "$c-$s" ns_per_pair | median)" 1)" \
            "$(fmt "$(values "$c-$s" cpu_ns_per_pair | median)" 1)"
        if [[ $c == glibc || $c == tcmalloc ]]; then
            echo "(baseline) | | |"
            continue
        fi
        echo "$(spread "$c-$s" "$b-$s" "$ADDED" 1) |" \
             "$(fmt "$(paired "$c-$s" "$b-$s" "$ADDED_CPU" | median)" 1) |" \
             "$(spread "$c-$s" "$b-$s" "$RATIO" 3) |"
    done
}

verdict() { awk -v ok="$1" 'BEGIN { print (ok + 0 ? "**met**" : "**missed**") }'; }

# With BEFORE: this build's pair minus the other build's, in the same
# round, by the wall clock and by CPU time.
against_before() {
    local s c
    echo "| shape | setting | this build minus BEFORE, ns/pair (min..max) | CPU ns/pair |"
    echo "|---|---|---:|---:|"
    for s in "${SHAPES[@]}"; do
        for c in 0 512k 1; do
            echo "| $(describe_shape "$s") | $(describe "cb$c" | sed 's/^cbench, //') |" \
                 "$(spread "cb$c-$s" "was$c-$s" 'x[r,"ns_per_pair"] - b[r,"ns_per_pair"]' 2) |" \
                 "$(fmt "$(paired "cb$c-$s" "was$c-$s" "$ADDED_CPU" | median)" 2) |"
        done
    done
}

# The three targets per shape, judged on the wall clock; the same figure
# from CPU time follows in brackets (it leaves out time spent waiting for
# a core, and heaptrack's interpreter, which runs in a process of its own).
targets() {
    local s added ratio cb ht q c_added c_ratio c_q
    local ratio_cpu='(x[r,"cpu_ns_per_pair"] / b[r,"cpu_ns_per_pair"] - 1) * 100'
    echo "| shape | counters only: added ns/pair (< 3) | sampled 512 KiB: slower than glibc (< 10 %) | rate 1 added / heaptrack added (<= 1/3) |"
    echo "|---|---:|---:|---:|"
    for s in "${SHAPES[@]}"; do
        added=$(paired "cb0-$s" "glibc-$s" "$ADDED" | median)
        ratio=$(paired "cb512k-$s" "glibc-$s" "($RATIO - 1) * 100" | median)
        cb=$(paired "cb1-$s" "glibc-$s" "$ADDED" | median)
        ht=$(paired "heaptrack-$s" "glibc-$s" "$ADDED" | median)
        q=$(awk -v a="$cb" -v b="$ht" 'BEGIN { print a / b }')
        c_added=$(paired "cb0-$s" "glibc-$s" "$ADDED_CPU" | median)
        c_ratio=$(paired "cb512k-$s" "glibc-$s" "$ratio_cpu" | median)
        c_q=$(awk -v a="$(paired "cb1-$s" "glibc-$s" "$ADDED_CPU" | median)" \
                  -v b="$(paired "heaptrack-$s" "glibc-$s" "$ADDED_CPU" | median)" 'BEGIN { print a / b }')
        echo "| $(describe_shape "$s") |" \
             "$(fmt "$added" 1) $(verdict "$(awk -v v="$added" 'BEGIN { print v < 3 }')") ($(fmt "$c_added" 1)) |" \
             "$(fmt "$ratio" 1) % $(verdict "$(awk -v v="$ratio" 'BEGIN { print v < 10 }')") ($(fmt "$c_ratio" 1) %) |" \
             "$(fmt "$cb" 0) / $(fmt "$ht" 0) = $(fmt "$q" 2) $(verdict "$(awk -v v="$q" 'BEGIN { print v <= 1 / 3 }')") ($(fmt "$c_q" 2)) |"
    done
}

checks() {
    # The right allocator served each run, the same work was done by every
    # run of a label, and cbench counted every allocation.
    awk -v pairs="$PAIRS" '{ delete v; for (i = 1; i <= NF; i++) { split($i, kv, "=");
            v[kv[1]] = substr($i, length(kv[1]) + 2) }
          if (v["label"] in sum && sum[v["label"]] != v["checksum"])
              printf "WARNING: %s: checksum differs between rounds\n", v["label"]
          sum[v["label"]] = v["checksum"]
          need = v["threads"] * (v["pairs"] + int(v["pairs"] / 8))
          if (v["allocator"] == "cbench" && v["counted_mallocs"] + 0 < need)
              printf "WARNING: %s round %s: cbench counted %s mallocs, at least %d were made\n",
                     v["label"], v["round"], v["counted_mallocs"], need }' "$RAW"
    local c s want got
    for c in "${CONFIGS[@]}"; do
        want=$(expected_allocator "$c")
        for s in "${SHAPES[@]}"; do
            for got in $(values "$c-$s" allocator | sort -u); do
                [ "$got" = "$want" ] || echo "WARNING: $c-$s ran with allocator $got, not $want"
            done
        done
    done
}

# --- run ------------------------------------------------------------------
start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
labels=()
for s in "${SHAPES[@]}"; do
    for c in "${CONFIGS[@]}"; do
        labels+=("$c-$s")
    done
done
echo "heap benchmark: ${#labels[@]} configurations, $REPS rounds" >&2
rounds "$REPS" "${labels[@]}"
echo >&2

echo "## Machine"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), nproc $(nproc)"
echo "- kernel: $(uname -r)"
echo "- compiler: $(cc --version | head -1)"
echo "- glibc: $(ldd --version | head -1 | sed 's/.* //'), gperftools: $(dpkg-query -W -f '${Version}' libgoogle-perftools-dev 2>/dev/null || echo '?'), heaptrack: $(dpkg-query -W -f '${Version}' heaptrack 2>/dev/null || echo '?')"
echo "- cbench: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain -- sampler include 2>/dev/null | grep -q . && echo ' (sampler/ or include/ modified)')"
echo "- load average before/after: $load0 / $(cut -d' ' -f1-3 /proc/loadavg); wall time of the run: $(( $(date +%s) - start )) s"
echo "- settings: REPS=$REPS PAIRS=$PAIRS SLOW_PAIRS=$SLOW_PAIRS GPERF_PAIRS=$GPERF_PAIRS WINDOW=$WINDOW"
for s in "${SHAPES[@]}"; do
    echo
    echo "## $(describe_shape "$s") (median of $REPS interleaved rounds)"
    echo
    table "$s"
done
echo
echo "## Targets (added time per pair by the wall clock, medians of the paired rounds; CPU time in brackets)"
echo
targets
if [ -n "${BEFORE:-}" ]; then
    echo
    echo "## This build against BEFORE ($BEFORE, built from $(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BEFORE/CMakeCache.txt"))"
    echo
    against_before
fi
echo
checks
echo "raw results: $RAW" >&2
