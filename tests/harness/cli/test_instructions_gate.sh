#!/usr/bin/env bash
# compare's gate on instructions/op, an exact unit: with one run a side
# under --instructions, --fail-above 0.5 catches the gate example's
# planted 1% more instructions (examples/gate/, GATE_ONE_PERCENT), naming
# the benchmark and the unit as exact, and passes two runs of the same
# build. Both builds run under the same name, as a base and a PR build.
#
#   test_instructions_gate.sh CBENCH GATE_EXAMPLE GATE_ONE_PERCENT
set -euo pipefail
cbench=$1 base_bin=$2 pr_bin=$3
work=$(mktemp -d /tmp/cbench-igate-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
for d in base same pr; do mkdir -p "$work/$d"; done
cp "$base_bin" "$work/base/gate_example"
cp "$base_bin" "$work/same/gate_example"
cp "$pr_bin" "$work/pr/gate_example"
for d in base same pr; do
    "$cbench" --instructions --bench . --benchtime 100x --cpu 1 --outdir "$work/out-$d" \
        "$work/$d/gate_example" >"$work/$d.log" 2>&1 || fail "$d: $(cat "$work/$d.log")"
done

status=0
"$cbench" compare --fail-above 0.5 "$work/out-base/results.json" "$work/out-pr/results.json" \
    >"$work/pr.txt" 2>"$work/pr.err" || status=$?
cat "$work/pr.txt" "$work/pr.err"
[ "$status" -eq 1 ] || fail "1% more instructions passed a 0.5% gate (exit $status)"
grep -qE "^  BenchmarkChecksum instructions/op: \+(0\.[5-9]|1\.[0-4])[0-9]*% \(exact n=1\+1\)" \
    "$work/pr.err" || fail "the regression is not named as an exact ~1% change"
grep -qE "^  BenchmarkChecksum (cpu-)?ns/op:" "$work/pr.err" && fail "ns/op, one run a side, cannot be a regression"

status=0
"$cbench" compare --fail-above 0.5 "$work/out-base/results.json" "$work/out-same/results.json" \
    >"$work/same.txt" 2>"$work/same.err" || status=$?
cat "$work/same.txt" "$work/same.err"
[ "$status" -eq 0 ] || fail "two runs of the same build failed the gate"
grep -qE "^Checksum +[0-9.k]+ ± 0% +[0-9.k]+ ± 0% +~" <(grep -A2 "instructions/op" "$work/same.txt") ||
    fail "the same build's instructions/op differ"
# bench.txt, one run a side, gates as well.
"$cbench" compare --fail-above 0.5 "$work/out-base/bench.txt" "$work/out-pr/bench.txt" \
    >/dev/null 2>&1 && fail "bench.txt: 1% more instructions passed"
echo PASS
