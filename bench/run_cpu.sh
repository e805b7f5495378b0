#!/usr/bin/env bash
# run_cpu.sh: the CPU profiler benchmark, cbench against gperftools.
#
# Builds the cpu_overhead binaries (bench/CMakeLists.txt) if needed, runs
# every configuration in its own process, and prints the results as
# Markdown tables (docs/PERFORMANCE.md holds a run of it).
#
# Three parts, each with repetitions interleaved (every configuration once
# per round, the order rotating between rounds) so that slow drift of the
# machine hits all configurations alike; ratios are taken within a round
# (paired), then the median over rounds is reported:
#
#  1. Overhead: the tree workload (samples 37 frames deep) with no
#     profiler, cbench (libunwind and frame-pointer unwinders) and
#     gperftools at 100 Hz and 1 kHz, plus the cbench and gperftools
#     binaries with their profiler not started (-P), which shows that
#     linking a profiler costs nothing by itself. Wall and CPU time of the
#     work against the baseline; samples in each profile against rate x CPU
#     seconds; time inside cbench's handler; page faults during the work
#     per signal (the sample table's pages touched for the first time);
#     time to stop and write the profile.
#  2. Cost of one sample (signal + unwind + record) at exactly 8 and 32
#     frames: the fixed-depth workload sends itself a timer-like SIGPROF
#     every KICK iterations (cpu_workload.h), 17k-27k signals per CPU-s, and
#     the cost is (CPU time - CPU time of the same work with no signal) /
#     signals. The baseline binary with a do-nothing handler gives what
#     the kernel alone costs per signal.
#  3. The same cost measured with the profilers' own timers at 250 Hz,
#     as a cross-check: the kernel checks CPU timers once per tick, so a
#     thread gets at most CONFIG_HZ signals a second, and the difference
#     in CPU time is then near the run-to-run noise.
#
# Environment (defaults in brackets):
#   BUILD_DIR [/tmp/build-bench]  CMake build folder, configured if needed
#   OUT       [mktemp -d]         profiles, raw results (results.txt), logs
#   REPS [7] DEPTH_REPS [5]       rounds of part 1, and of parts 2 and 3
#   TREE_WORK [85000]             leaves of the tree workload (~1.5 s)
#   SPIN_WORK [450000000]         iterations of the spin loop (~1.3 s)
#   KICK [12000]                  iterations between self-sent signals
#   BEFORE [unset]                another build folder (another commit, the
#                                 same CMake options): its cpu_overhead_cbench
#                                 runs too, at 1 kHz in part 1 and with
#                                 self-sent signals in part 2, interleaved
#                                 with the rest; a last table sets the two
#                                 builds side by side
# A full run takes about 4-5 minutes on 2 cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-/tmp/build-bench}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/cbench-cpu-bench.XXXXXX")}
REPS=${REPS:-7}
DEPTH_REPS=${DEPTH_REPS:-5}
TREE_WORK=${TREE_WORK:-85000}
SPIN_WORK=${SPIN_WORK:-450000000}
KICK=${KICK:-12000}
mkdir -p "$OUT"
RAW=$OUT/results.txt
BIN=$BUILD_DIR/bench

# --- build ----------------------------------------------------------------
# Only the benchmark's targets: a broken test elsewhere must not stop it.
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCBENCH_BUILD_TESTS=OFF >"$OUT/build.log"
fi
make -C "$BUILD_DIR" cpu_overhead_none cpu_overhead_cbench cpu_overhead_gperf \
    >>"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
if [ -n "${BEFORE:-}" ]; then
    make -C "$BEFORE" cpu_overhead_cbench >>"$OUT/build.log" 2>&1 ||
        { tail -20 "$OUT/build.log"; exit 1; }
fi
command -v go >/dev/null || { echo "go (for go tool pprof) is needed" >&2; exit 1; }
: >"$RAW.runs"

# --- configurations -------------------------------------------------------
# A label names a configuration: which binary, which environment, which
# arguments. Labels of parts 2 and 3 end in the frame count (-8, -32).
config() { # label -> "binary|environment|arguments"
    local l=$1 f=${1##*-} spin kick
    spin="-w depth -f $f -n $SPIN_WORK"
    kick="$spin -r 100 -k $KICK"
    case $l in
    base)      echo "none||-w tree -n $TREE_WORK" ;;
    cboff)     echo "cbench||-w tree -n $TREE_WORK -P" ;;
    gpoff)     echo "gperf||-w tree -n $TREE_WORK -P" ;;
    cb100)     echo "cbench||-w tree -n $TREE_WORK -r 100" ;;
    cb1000)    echo "cbench||-w tree -n $TREE_WORK -r 1000" ;;
    cbfp100)   echo "cbench|CBENCH_UNWIND=fp|-w tree -n $TREE_WORK -r 100" ;;
    cbfp1000)  echo "cbench|CBENCH_UNWIND=fp|-w tree -n $TREE_WORK -r 1000" ;;
    cbwas1000) echo "before||-w tree -n $TREE_WORK -r 1000" ;;
    gp100)     echo "gperf||-w tree -n $TREE_WORK -r 100" ;;
    gp1000)    echo "gperf||-w tree -n $TREE_WORK -r 1000" ;;
    nosig-*)   echo "none||$spin" ;;
    knull-*)   echo "none||$kick" ;;
    kcb-*)     echo "cbench||$kick" ;;
    kcbwas-*)  echo "before||$kick" ;;
    kcbfp-*)   echo "cbench|CBENCH_UNWIND=fp|$kick" ;;
    kgp-*)     echo "gperf||$kick" ;;
    kgpfp-*)   echo "gperf|TCMALLOC_STACKTRACE_METHOD=generic_fp|$kick" ;;
    tcb-*)     echo "cbench||$spin -r 250" ;;
    tcbfp-*)   echo "cbench|CBENCH_UNWIND=fp|$spin -r 250" ;;
    tgp-*)     echo "gperf||$spin -r 250" ;;
    tgpfp-*)   echo "gperf|TCMALLOC_STACKTRACE_METHOD=generic_fp|$spin -r 250" ;;
    *) echo "unknown configuration $l" >&2; exit 1 ;;
    esac
}

describe() { # label -> human-readable configuration
    local l=${1%-[0-9]*}
    case $l in
    base|nosig) echo "no profiler" ;;
    knull)      echo "no profiler, do-nothing handler" ;;
    cboff)      echo "cbench linked, not started" ;;
    *cbwas*)    echo "cbench before (BEFORE), libunwind (default)" ;;
    gpoff)      echo "gperftools linked, not started" ;;
    *cbfp*)     echo "cbench, CBENCH_UNWIND=fp" ;;
    *cb*)       echo "cbench, libunwind (default)" ;;
    *gpfp*)     echo "gperftools, generic_fp" ;;
    *gp*)       echo "gperftools, libunwind (default)" ;;
    esac
}

# Sample total, and the depth most samples have, from a profile.
profile_stats() { # binary profile
    local args=("$2")
    # gperftools' legacy format needs the binary for its mappings.
    [[ $1 == gperf ]] && args=("$BIN/cpu_overhead_gperf" "$2")
    go tool pprof -raw "${args[@]}" 2>/dev/null | awk '
        /^Period: / { period = $2 }
        /^ +[0-9]+ +[0-9]+: / { total += $1; d[NF - 2] += $1 }
        END { for (k in d) if (d[k] > best) { best = d[k]; depth = k }
              printf "ptotal=%d pdepth=%d period=%d", total, depth, period }'
}

run() { # label round
    local label=$1 round=$2 spec bin env args prof line
    spec=$(config "$label")
    bin=${spec%%|*}; spec=${spec#*|}; env=${spec%%|*}; args=${spec#*|}
    prof=$OUT/$label.$round.prof
    # shellcheck disable=SC2086  # env and args are word lists on purpose
    local exe="$BIN/cpu_overhead_$bin"
    [[ $bin == before ]] && exe="$BEFORE/bench/cpu_overhead_cbench"
    line=$(env $env "$exe" $args -o "$prof" 2>>"$OUT/stderr.log") || {
        echo "run $label failed, see $OUT/stderr.log" >&2; exit 1; }
    echo "label=$label round=$round $line prof=$prof" >>"$RAW.runs"
}

# Adds each profile's sample total and depth to its run's line. Done after
# all runs, so that no pprof process competes with a measurement.
analyze() {
    local line bin prof
    : >"$RAW"
    while read -r line; do
        bin=${line#*profiler=}; bin=${bin%% *}
        prof=${line##*prof=}
        if [[ $bin == none* || $bin == *-off ]]; then
            echo "$line" >>"$RAW"
        else
            echo "$line $(profile_stats "$bin" "$prof")" >>"$RAW"
        fi
    done <"$RAW.runs"
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
# Fields of one run: the key=value words of its line in $RAW.
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

pct() { # label baseline field -> "median % (min..max)" of paired ratios
    local e="(x[r,\"$3\"] / b[r,\"$3\"] - 1) * 100" mm
    mm=$(paired "$1" "$2" "$e" | minmax)
    echo "$(fmt "$(paired "$1" "$2" "$e" | median)" 2) % ($(fmt "${mm% *}" 1)..$(fmt "${mm#* }" 1))"
}

overhead_table() {
    echo "| configuration | rate | wall (s) | wall vs base | CPU (s) | CPU vs base (min..max) | min CPU vs min base | signals/CPU-s | profile samples | expected | in handler (µs) | page faults/signal | stop+write (ms) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    local l rate wall cpu lo blo
    blo=$(values base work_cpu_ns | sort -g | head -1)
    for l in base cboff gpoff cb100 cb1000 cbfp100 cbfp1000 gp100 gp1000; do
        wall=$(values $l work_wall_ns | median); cpu=$(values $l work_cpu_ns | median)
        printf '| %s | ' "$(describe $l)"
        case $l in
        base) echo "- | $(fmt "$(awk -v v="$wall" 'BEGIN{print v/1e9}')" 3) | - | $(fmt "$(awk -v v="$cpu" 'BEGIN{print v/1e9}')" 3) | - | - | - | - | - | - | - | - |"
              continue ;;
        *off) rate="-" ;;
        *) rate=${l//[a-z]/} ;;
        esac
        lo=$(values $l work_cpu_ns | sort -g | head -1)
        printf '%s | %s | %s | %s | %s | %s | ' "$rate" \
            "$(fmt "$(awk -v v="$wall" 'BEGIN{print v/1e9}')" 3)" \
            "$(pct $l base work_wall_ns | sed 's/ (.*//')" \
            "$(fmt "$(awk -v v="$cpu" 'BEGIN{print v/1e9}')" 3)" \
            "$(pct $l base work_cpu_ns)" \
            "$(fmt "$(awk -v a="$lo" -v b="$blo" 'BEGIN{print (a/b-1)*100}')" 2) %"
        if [[ $l == *off ]]; then
            echo "- | - | - | - | - | - |"
            continue
        fi
        local hand="-"
        [[ $l == cb* ]] && hand=$(fmt "$(values $l handler_med_ns | awk '{print $1/1000}' | median)" 1)
        echo "$(fmt "$(paired $l $l 'x[r,"signals"] / (x[r,"work_cpu_ns"] / 1e9)' | median)" 0) |" \
             "$(fmt "$(values $l ptotal | median)" 0) |" \
             "$(fmt "$(paired $l $l "$rate * x[r,\"work_cpu_ns\"] / 1e9" | median)" 0) |" \
             "$hand |" \
             "$(fmt "$(paired $l $l 'x[r,"minflt"] / x[r,"signals"]' | median)" 2) |" \
             "$(fmt "$(values $l stop_ns | awk '{ print $1 / 1e6 }' | median)" 1) |"
    done
}

# Part 2: cost per self-sent signal, against the same work with none.
kick_table() {
    echo "| configuration | frames | frames recorded | signals/CPU-s | ns per sample (min..max) | in handler, median (ns) |"
    echo "|---|---:|---:|---:|---:|---:|"
    local l f cost mm hand depth
    for f in 8 32; do
        for l in knull kcb kcbfp kgp kgpfp; do
            l=$l-$f
            cost='(x[r,"work_cpu_ns"] - b[r,"work_cpu_ns"]) / x[r,"signals"]'
            mm=$(paired $l nosig-$f "$cost" | minmax)
            hand=$(values $l handler_med_ns | median)
            depth=$(values $l pdepth | median)
            [[ $l == knull* ]] && depth="-"
            [[ $hand == -1 ]] && hand="-" || hand=$(fmt "$hand" 0)
            echo "| $(describe $l) | $f | $depth |" \
                 "$(fmt "$(paired $l $l 'x[r,"signals"] / (x[r,"work_cpu_ns"] / 1e9)' | median)" 0) |" \
                 "$(fmt "$(paired $l nosig-$f "$cost" | median)" 0) ($(fmt "${mm% *}" 0)..$(fmt "${mm#* }" 0)) |" \
                 "$hand |"
        done
    done
}

# Part 3: the profilers' own timers; the same cost, from far fewer signals.
tick_table() {
    echo "| configuration | frames | frames recorded | signals/CPU-s | CPU vs base (min..max) | implied ns per sample | in handler, median (ns) |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    local l f hand
    for f in 8 32; do
        for l in tcb tcbfp tgp tgpfp; do
            l=$l-$f
            hand=$(values $l handler_med_ns | median)
            [[ $hand == -1 ]] && hand="-" || hand=$(fmt "$hand" 0)
            echo "| $(describe $l) | $f | $(values $l pdepth | median) |" \
                 "$(fmt "$(paired $l $l 'x[r,"signals"] / (x[r,"work_cpu_ns"] / 1e9)' | median)" 0) |" \
                 "$(pct $l nosig-$f work_cpu_ns) |" \
                 "$(fmt "$(paired $l nosig-$f '(x[r,"work_cpu_ns"] - b[r,"work_cpu_ns"]) / x[r,"signals"]' | median)" 0) |" \
                 "$hand |"
        done
    done
}

# With BEFORE: the same measures for both builds, and this build's minus
# the other's, round by round.
against_before() {
    local f cost
    echo "| measure | this build | BEFORE | this build minus BEFORE, per round (min..max) |"
    echo "|---|---:|---:|---:|"
    cost='(x[r,"work_cpu_ns"] / b[r,"work_cpu_ns"] - 1) * 100'
    echo "| tree workload at 1 kHz, CPU vs base (%) |" \
         "$(fmt "$(paired cb1000 base "$cost" | median)" 2) |" \
         "$(fmt "$(paired cbwas1000 base "$cost" | median)" 2) |" \
         "$(fmt "$(paired cb1000 cbwas1000 "$cost" | median)" 2) % of the other's CPU |"
    for f in 8 32; do
        cost='(x[r,"work_cpu_ns"] - b[r,"work_cpu_ns"]) / x[r,"signals"]'
        local mm
        mm=$(paired kcb-$f kcbwas-$f '(x[r,"work_cpu_ns"] - b[r,"work_cpu_ns"]) / x[r,"signals"]' | minmax)
        echo "| ns per sample, $f frames |" \
             "$(fmt "$(paired kcb-$f nosig-$f "$cost" | median)" 0) |" \
             "$(fmt "$(paired kcbwas-$f nosig-$f "$cost" | median)" 0) |" \
             "$(fmt "$(paired kcb-$f kcbwas-$f "$cost" | median)" 0) ($(fmt "${mm% *}" 0)..$(fmt "${mm#* }" 0)) |"
        echo "| time in the handler, $f frames (ns, median) |" \
             "$(fmt "$(values kcb-$f handler_med_ns | median)" 0) |" \
             "$(fmt "$(values kcbwas-$f handler_med_ns | median)" 0) |" \
             "$(fmt "$(paired kcb-$f kcbwas-$f 'x[r,"handler_med_ns"] - b[r,"handler_med_ns"]' | median)" 0) |"
    done
}

checks() {
    # Same work in every run of a workload, and self-sent signals really
    # counted as samples by each profiler (cbench only accepts a SIGPROF
    # carrying its profile's generation, see cpu_overhead.c).
    local n
    n=$(values base checksum | sort -u | wc -l)
    [ "$n" -eq 1 ] || echo "WARNING: tree checksums differ between runs"
    awk '{ delete v; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = substr($i, length(kv[1]) + 2) }
           if (!("ptotal" in v)) next
           if (v["label"] ~ /^k(cb|gp)/ && v["ptotal"] + 0 < 0.95 * v["signals"])
               printf "WARNING: %s round %s: profile has %s samples for %s signals\n",
                      v["label"], v["round"], v["ptotal"], v["signals"]
           if (v["label"] ~ /gp/ && v["period"] + 0 != 1e9 / v["rate"])
               printf "WARNING: %s: gperftools period %s ns, not %s Hz\n", v["label"], v["period"], v["rate"] }' "$RAW"
}

# --- run ------------------------------------------------------------------
start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "part 1: overhead, $REPS rounds" >&2
part1=(base cboff cb100 cb1000 cbfp100 cbfp1000 gpoff gp100 gp1000)
[ -n "${BEFORE:-}" ] && part1+=(cbwas1000)
rounds "$REPS" "${part1[@]}"
echo >&2
for f in 8 32; do
    echo "parts 2 and 3: $f frames, $DEPTH_REPS rounds" >&2
    part2=(nosig-$f knull-$f kcb-$f kcbfp-$f kgp-$f kgpfp-$f tcb-$f tcbfp-$f tgp-$f tgpfp-$f)
    [ -n "${BEFORE:-}" ] && part2+=(kcbwas-$f)
    rounds "$DEPTH_REPS" "${part2[@]}"
    echo >&2
done
analyze

hz=$( (zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)" 2>/dev/null) |
      sed -n 's/^CONFIG_HZ=//p')
echo "## Machine"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), nproc $(nproc)"
echo "- kernel: $(uname -r), CONFIG_HZ=${hz:-unknown}"
echo "- compiler: $(cc --version | head -1)"
echo "- libunwind: $(dpkg-query -W -f '${Version}' libunwind-dev 2>/dev/null || echo '?'), gperftools: $(dpkg-query -W -f '${Version}' libgoogle-perftools-dev 2>/dev/null || echo '?')"
echo "- cbench: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain -- sampler include 2>/dev/null | grep -q . && echo ' (sampler/ or include/ modified)')"
echo "- load average before/after: $load0 / $(cut -d' ' -f1-3 /proc/loadavg); wall time of the run: $(( $(date +%s) - start )) s"
echo "- settings: REPS=$REPS DEPTH_REPS=$DEPTH_REPS TREE_WORK=$TREE_WORK SPIN_WORK=$SPIN_WORK KICK=$KICK"
echo
echo "## 1. Overhead (tree workload, median of $REPS interleaved rounds)"
echo
overhead_table
echo
echo "## 2. Cost of one sample, self-sent timer-like signals (median of $DEPTH_REPS rounds)"
echo
kick_table
echo
echo "## 3. Cost of one sample, the profilers' own timers at 250 Hz (median of $DEPTH_REPS rounds)"
echo
tick_table
if [ -n "${BEFORE:-}" ]; then
    echo
    echo "## This build against BEFORE ($BEFORE, built from $(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BEFORE/CMakeCache.txt"))"
    echo
    against_before
fi
echo
checks
echo "raw results: $RAW" >&2
