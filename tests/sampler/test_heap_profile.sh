#!/usr/bin/env bash
# Heap and allocs profiles against a known allocation pattern (heap_prog.c),
# read back with the real `go tool pprof`:
#  - at rate 1 every allocation is recorded: the values are exact;
#  - at rate 4096 they are estimates, unbiased as Go does, and must be
#    within 10% of the truth per function. (Go's unbiasing scales a record
#    by its average object size, which undercounts a record of mixed sizes
#    when the rate is near the small ones: at 16 KiB the realloc chain's
#    object count would come out ~9% low by construction, not by chance.);
#  - the function that frees what it allocates shows ~0 in use;
#  - default sample types, the text form, and no pprof warnings.
#
# usage: test_heap_profile.sh HEAP_PROG
set -euo pipefail

prog=$1
command -v go >/dev/null || { echo "FAIL: 'go' is not installed (scripts/install-deps.sh installs golang-go)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work
cd "$work" # see test_pprof_interop.sh: pprof trims paths after the current folder's name
passed=0 failed=0

# value PROFILE SAMPLE_INDEX FUNCTION: the function's flat value, in bytes or count.
value() {
    go tool pprof -sample_index="$2" -unit=B -top -nodecount=50 -nodefraction=0 "$1" 2>"$work/err" |
        awk -v fn="$3" '$NF == fn { v = $1; sub(/B$/, "", v); print v; found = 1 } END { if (!found) print 0 }'
    if [ -s "$work/err" ]; then echo "pprof warned:" >&2; cat "$work/err" >&2; return 1; fi
}

check() { # name, got, want, tolerance (fraction; 0 = exact)
    local ok
    ok=$(awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; print (t == 0 ? d == 0 : d <= t * w) ? 1 : 0 }')
    if [ "$ok" = 1 ]; then
        passed=$((passed + 1)); echo "ok   $1: $2 (want $3)"
    else
        failed=$((failed + 1)); echo "FAIL $1: $2, want $3 within $4"
    fi
}

# The truth, from heap_prog.c.
keep_space=$((1000 * 65536)); keep_objects=1000
churn_space=$((1000000 * 32)); churn_objects=1000000
grow_space=0; for ((s = 4096; s <= 200 * 1024; s += 4096)); do grow_space=$((grow_space + s)); done
grow_space=$((100 * grow_space)); grow_objects=$((100 * 50)); grow_live=$((100 * 200 * 1024))

mkdir exact sampled
"$prog" 1 exact
"$prog" 4096 sampled

for mode in exact sampled; do
    t=0; [ $mode = sampled ] && t=0.10
    for p in heap allocs; do
        f=$mode/$p.pb.gz
        check "$mode $p keeps_blocks inuse_space" "$(value "$f" inuse_space keeps_blocks)" $keep_space $t
        check "$mode $p keeps_blocks inuse_objects" "$(value "$f" inuse_objects keeps_blocks)" $keep_objects $t
        check "$mode $p keeps_blocks alloc_space" "$(value "$f" alloc_space keeps_blocks)" $keep_space $t
        check "$mode $p churns_small alloc_space" "$(value "$f" alloc_space churns_small)" $churn_space $t
        check "$mode $p churns_small alloc_objects" "$(value "$f" alloc_objects churns_small)" $churn_objects $t
        check "$mode $p grows_by_realloc alloc_space" "$(value "$f" alloc_space grows_by_realloc)" $grow_space $t
        check "$mode $p grows_by_realloc alloc_objects" "$(value "$f" alloc_objects grows_by_realloc)" $grow_objects $t
        check "$mode $p grows_by_realloc inuse_space" "$(value "$f" inuse_space grows_by_realloc)" $grow_live $t
        # Everything churns_small allocated was freed: none of it is in use.
        check "$mode $p churns_small inuse_space ~0" "$(value "$f" inuse_space churns_small)" 0 0
    done
done 2>&1 | tee "$work/log"
passed=$(grep -c '^ok' "$work/log" || true); failed=$(grep -c '^FAIL' "$work/log" || true)

default_type() { # profile, type pprof shows by default
    go tool pprof -top "$1" 2>/dev/null | grep -q "^Type: $2$"
}
if default_type exact/heap.pb.gz inuse_space && default_type exact/allocs.pb.gz alloc_space; then
    passed=$((passed + 1)); echo "ok   default sample types: heap inuse_space, allocs alloc_space"
else
    failed=$((failed + 1)); echo "FAIL default sample types"
fi

if head -1 exact/heap.txt | grep -qE '^heap profile: [0-9]+: [0-9]+ \[[0-9]+: [0-9]+\] @ heap/2$' &&
    grep -qE '^1000: 65536000 \[1000: 65536000\] @( 0x[0-9a-f]+)+$' exact/heap.txt &&
    grep -q $'^#\t0x[0-9a-f]*\tkeeps_blocks\t.*heap_prog.c:[0-9]*$' exact/heap.txt &&
    grep -q '^# cbench.memstats$' exact/heap.txt && grep -q '^MAPPED_LIBRARIES:$' exact/heap.txt &&
    go tool pprof -top exact/heap.txt 2>/dev/null | grep -qE ' keeps_blocks$'; then
    passed=$((passed + 1)); echo "ok   text form: Go's heap format, symbols, memstats, and pprof reads it"
else
    failed=$((failed + 1)); echo "FAIL text form"; head -5 exact/heap.txt
fi

echo "heap profile: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
