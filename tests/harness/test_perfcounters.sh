#!/usr/bin/env bash
# --perfcounters, in the mode this machine allows (tests/harness/CMakeLists.txt
# chooses, and says which at configure time):
#
#   test_perfcounters.sh absent CBENCH PROG   the kernel has no counters: the
#       command and the binary by itself refuse in one line that says why
#       and names --instructions, exit 2, nothing run, no 0 reported;
#   test_perfcounters.sh agree CBENCH PROG    counters exist: instructions/op
#       from the counter agrees with --instructions within 5% on the
#       10000-nop body, and cycles/op is a positive count.
set -euo pipefail
mode=$1 cbench=$2 prog=$3
work=$(mktemp -d /tmp/cbench-perf-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

value() { # results.json, benchmark, unit
    python3 - "$@" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["records"]:
    if r["name"] == sys.argv[2]:
        print([m["value"] for m in r["metrics"] if m["unit"] == sys.argv[3]][0])
PY
}

if [ "$mode" = absent ]; then
    rc=0
    "$cbench" --perfcounters cycles,instructions --bench . --outdir "$work/c" "$prog" \
        >"$work/c.out" 2>&1 || rc=$?
    cat "$work/c.out"
    [ "$rc" = 2 ] || fail "exit $rc, want 2"
    [ "$(wc -l <"$work/c.out")" = 1 ] || fail "not one line"
    grep -q "^cbench: --perfcounters: .*perf_event_open: .*--instructions counts instructions under valgrind instead$" \
        "$work/c.out" || fail "the line does not say why and what instead"
    [ ! -e "$work/c/results.json" ] || fail "files written"
    rc=0
    "$prog" --perfcounters instructions --bench . --outdir "$work/s" >"$work/s.out" 2>&1 || rc=$?
    cat "$work/s.out"
    [ "$rc" = 2 ] || fail "the binary by itself: exit $rc, want 2"
    grep -q "^cbench: --perfcounters: " "$work/s.out" || fail "the binary by itself: no reason"
    grep -q "instructions/op" "$work/s.out" && fail "a count was reported"
    # A name that is no counter is a usage error wherever counters exist or not.
    rc=0
    "$cbench" --perfcounters cycles,bogus --bench . --outdir "$work/b" "$prog" >"$work/b.out" 2>&1 || rc=$?
    [ "$rc" = 2 ] && grep -q 'unknown counter "bogus"' "$work/b.out" || fail "$(cat "$work/b.out")"
    echo PASS
    exit 0
fi

"$cbench" --perfcounters instructions,cycles --bench 'Nop10000$' --benchtime 1000x --cpu 1 \
    --outdir "$work/p" "$prog" >"$work/p.out" 2>&1 || fail "$(cat "$work/p.out")"
"$cbench" --instructions --bench 'Nop10000$' --benchtime 1000x --cpu 1 \
    --outdir "$work/v" "$prog" >"$work/v.out" 2>&1 || fail "$(cat "$work/v.out")"
hw=$(value "$work/p/results.json" BenchmarkNop10000 instructions/op)
vg=$(value "$work/v/results.json" BenchmarkNop10000 instructions/op)
cycles=$(value "$work/p/results.json" BenchmarkNop10000 cycles/op)
python3 -c "
hw, vg, cy = $hw, $vg, $cycles
assert abs(hw - vg) <= 0.05 * vg, f'counter {hw}, valgrind {vg}'
assert cy > 0, cy
"
echo PASS
