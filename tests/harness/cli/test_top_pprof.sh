#!/usr/bin/env bash
# `cbench top` against the real `go tool pprof -top`, line for line from
# "Showing nodes accounting for" on (the figures, their order, the
# dropped nodes, the inline marks), on:
#   - synthetic profiles (bench/pprof_gen.c: thousands of functions,
#     inlined chains, labels, recursion, two sample types), with -n,
#     --cum and --sample-index;
#   - cbench's own profiles of a benchmark and a cmocka test, where
#     `cbench top` starts at the test function and pprof is told to
#     with -show_from, and with --whole-stack where it is not;
#   - a binary's summed profiles (pprof's merge), which must read as
#     pprof's own merge of the same per-test profiles reads;
#   - profiles Go writes (runtime/pprof: CPU with labels, heap).
#
#   test_top_pprof.sh CBENCH PPROF_GEN GATE_EXAMPLE PLUGIN_PROG
set -euo pipefail
cbench=$1 gen=$2 gate=$3 plugin=$4
command -v go >/dev/null || { echo "FAIL: 'go' is not installed (scripts/install-deps.sh)"; exit 1; }
work=$(mktemp -d /tmp/cbench-top-XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work GOCACHE=$work/gocache GOPATH=$work/gopath GOFLAGS= GO111MODULE=off
cd "$work"
passed=0 failed=0

table() { sed -n '/^Showing nodes accounting for/,$p' "$1"; }

# same NAME PROFILE CBENCH_FLAGS -- PPROF_FLAGS
same() {
    local name=$1 file=$2
    shift 2
    local ours=() theirs=()
    while [ "$1" != -- ]; do ours+=("$1"); shift; done
    shift
    theirs=("$@")
    "$cbench" top "${ours[@]}" "$file" >ours.txt
    go tool pprof -top "${theirs[@]}" "$file" >theirs.txt 2>pprof.err ||
        { echo "FAIL $name: pprof failed: $(cat pprof.err)"; failed=$((failed + 1)); return; }
    if [ "$(table ours.txt | wc -l)" -lt 3 ]; then
        echo "FAIL $name: an empty report"; failed=$((failed + 1)); return
    fi
    if diff <(table ours.txt) <(table theirs.txt) >diff.txt; then
        passed=$((passed + 1))
        echo "ok   $name ($(table ours.txt | wc -l) lines)"
    else
        failed=$((failed + 1))
        echo "FAIL $name: cbench top ${ours[*]} differs from go tool pprof -top ${theirs[*]}:"
        head -20 diff.txt | sed 's/^/    /'
    fi
}

# Synthetic profiles: two seeds, the options pprof has.
for seed in 1 2; do
    "$gen" "syn$seed.pb.gz" 30000 "$seed" 2>/dev/null
    same "synthetic $seed" "syn$seed.pb.gz" --whole-stack --
    same "synthetic $seed, default start" "syn$seed.pb.gz" --
    same "synthetic $seed, -n 12" "syn$seed.pb.gz" -n 12 -- -nodecount=12
    same "synthetic $seed, --cum" "syn$seed.pb.gz" --cum -- -cum
    same "synthetic $seed, samples" "syn$seed.pb.gz" --sample-index samples -- -sample_index=samples
    same "synthetic $seed, index 0, --cum -n 30" "syn$seed.pb.gz" --sample-index 0 --cum -n 30 -- \
        -sample_index=0 -cum -nodecount=30
done

# cbench's profiles: a benchmark (cbench_main) and a cmocka test (the plugin).
mkdir -p bin
cp "$gate" bin/gate_example
CBENCH_CPUPROFILE_RATE=1000 "$cbench" --bench . --benchtime 200ms --count 2 --cpu 1 \
    --cpuprofile --memprofile --memprofilerate 1 --outdir out bin >/dev/null
cpu=out/gate_example/BenchmarkChecksum/cpu.pb.gz
same "benchmark cpu, from the benchmark" $cpu -- -show_from='^bench_checksum$'
same "benchmark cpu, whole stack" $cpu --whole-stack --
same "benchmark allocs, alloc_space" out/gate_example/BenchmarkChecksum/allocs.pb.gz --whole-stack -- \
    -sample_index=alloc_space
same "benchmark allocs, alloc_objects, from the benchmark" \
    out/gate_example/BenchmarkChecksum/allocs.pb.gz --sample-index alloc_objects -- \
    -sample_index=alloc_objects -show_from='^bench_checksum$'
CBENCH_FLAGS=$'--cpuprofile\n--outdir\nplug' CBENCH_CPUPROFILE_RATE=1000 "$plugin" >/dev/null 2>&1 || true
burn=plug/plugin_prog/burns_cpu/cpu.pb.gz
[ -s "$burn" ] || { echo "FAIL: the plugin binary wrote no profile"; exit 1; }
same "cmocka test cpu, from the test" $burn -- -show_from='^burns_cpu$'
same "cmocka test cpu, whole stack" $burn --whole-stack --
# The harness's frames are gone by default, the test's are there.
"$cbench" top $burn >ours.txt
if grep -qE ' (main|_start|cb_plugin_run_group|_cmocka_run_group_tests|body_wrapper|\[libcmocka[^]]*\])$' ours.txt ||
    ! grep -qE ' burns_cpu$' ours.txt; then
    echo "FAIL the default start: harness frames shown, or the test missing:"; cat ours.txt
    failed=$((failed + 1))
else
    passed=$((passed + 1)); echo "ok   the default start leaves out the harness's frames"
fi

# A binary's sums read as pprof's own merge of its per-test profiles.
for kind in cpu allocs; do
    go tool pprof -top -sample_index=0 out/gate_example/*/$kind.pb.gz >theirs.txt 2>/dev/null
    go tool pprof -top -sample_index=0 out/gate_example/$kind.pb.gz >ours.txt 2>/dev/null
    if diff <(table ours.txt) <(table theirs.txt) >diff.txt && [ "$(table ours.txt | wc -l)" -gt 2 ]; then
        passed=$((passed + 1)); echo "ok   the binary's $kind sum is pprof's merge"
    else
        failed=$((failed + 1)); echo "FAIL the binary's $kind sum differs from pprof's merge:"
        head -20 diff.txt | sed 's/^/    /'
    fi
done

# Go's own profiles.
cat >prog.go <<'GO'
package main

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

var sink []byte

//go:noinline
func spinA(n int) int { s := 0; for i := 0; i < n; i++ { s += i * i % 7 }; return s }

//go:noinline
func spinB(n int) int { s := 1; for i := 0; i < n; i++ { s ^= i * 31 }; return s }

func main() {
	runtime.MemProfileRate = 1
	f, _ := os.Create("go-cpu.pprof")
	pprof.StartCPUProfile(f)
	end := time.Now().Add(600 * time.Millisecond)
	for time.Now().Before(end) {
		pprof.Do(context.Background(), pprof.Labels("phase", "a"), func(context.Context) { spinA(200000) })
		pprof.Do(context.Background(), pprof.Labels("phase", "b"), func(context.Context) { spinB(100000) })
		sink = make([]byte, 4096)
	}
	pprof.StopCPUProfile()
	f.Close()
	h, _ := os.Create("go-heap.pprof")
	pprof.WriteHeapProfile(h)
	h.Close()
}
GO
go run prog.go
same "Go cpu" go-cpu.pprof --
same "Go cpu, -n 5 --cum" go-cpu.pprof -n 5 --cum -- -nodecount=5 -cum
same "Go heap, default type" go-heap.pprof --
same "Go heap, alloc_space" go-heap.pprof --sample-index alloc_space -- -sample_index=alloc_space

echo "cbench top against go tool pprof -top: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
