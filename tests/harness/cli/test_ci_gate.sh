#!/usr/bin/env bash
# The CI recipe of docs/ci.md in its plain-shell form (scripts/ci-gate.sh,
# which the doc must hold verbatim), run on an example built three ways
# (examples/gate/): the gate fails on a planted 30% slowdown and on one
# more allocation per op, naming the benchmark and the unit, and passes
# on two runs of the same build. The failing runs' reports hold a
# differential flame graph of the benchmark that got worse.
#
#   test_ci_gate.sh SOURCE_DIR CBENCH GATE_EXAMPLE GATE_SLOWER GATE_EXTRA_ALLOC
set -euo pipefail
src=$1 cbench=$2 base_bin=$3 slower_bin=$4 alloc_bin=$5
work=$(mktemp -d /tmp/cbench-gate-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# The doc holds the script verbatim.
python3 - "$src/docs/ci.md" "$src/scripts/ci-gate.sh" <<'PY'
import sys
doc, script = open(sys.argv[1]).read(), open(sys.argv[2]).read()
begin, end = "<!-- ci-gate.sh: begin -->\n```sh\n", "```\n<!-- ci-gate.sh: end -->"
block = doc[doc.index(begin) + len(begin):doc.index(end)]
assert block == script, "docs/ci.md's copy of scripts/ci-gate.sh differs from the script"
PY
# The doc's workflow is valid YAML with the steps the recipe names.
/usr/bin/python3 - "$src/docs/ci.md" <<'PY'
import sys, yaml
doc = open(sys.argv[1]).read()
text = doc[doc.index("```yaml\n") + 8:]
flow = yaml.safe_load(text[:text.index("```")])
steps = flow["jobs"]["gate"]["steps"]
assert any("cbench-gate" in s.get("run", "") for s in steps), steps
assert any(s.get("uses", "").startswith("actions/upload-artifact") for s in steps), steps
PY

# Each build in its own folder, under the same name, as base and PR
# builds of one project are.
for d in base same slower alloc; do mkdir -p "$work/$d"; done
cp "$base_bin" "$work/base/gate_example"
cp "$base_bin" "$work/same/gate_example"
cp "$slower_bin" "$work/slower/gate_example"
cp "$alloc_bin" "$work/alloc/gate_example"

export CBENCH=$cbench
# Six runs a side, short ones: p = 0.002 for separated samples.
export CBENCH_RUN_FLAGS="--bench . --benchmem --count 6 --benchtime 50ms --cpu 1 --cpuprofile --memprofile"
export CBENCH_FAIL_ABOVE=10
gate() { # name, PR folder: runs the recipe; its exit status in $status
    status=0
    (cd "$work" && GITHUB_STEP_SUMMARY="$work/$1.summary" \
        bash "$src/scripts/ci-gate.sh" base "$2" "out-$1" >"$work/$1.log" 2>&1) || status=$?
    echo "--- ci-gate base $2: exit $status"
    cat "$work/$1.log"
}

gate slower slower
[ "$status" -eq 1 ] || fail "the 30% slowdown passed the gate"
grep -q "regression.* beyond 10%" "$work/slower.log" || fail "no regression named"
grep -qE "^  BenchmarkChecksum cpu-ns/op: \+[0-9.]+% \(p=0\.0" "$work/slower.log" ||
    fail "the slowdown is not named with its unit and change"
# The markdown table went to the job summary, the regression first.
grep -q "^\*\*cbench compare: FAIL\*\*" "$work/slower.summary" || fail "no summary"
sed -n '5p' "$work/slower.summary" | grep -q "| Checksum | cpu-ns/op |.*\*\*regression\*\*" ||
    fail "the regression is not the table's first row: $(cat "$work/slower.summary")"
# The report: the comparison, and the differential flame graph.
report=$work/out-slower/pr
[ -s "$report/index.html" ] || fail "no report"
[ -s "$report/diff/BenchmarkChecksum/cpu.svg" ] || fail "no differential flame graph"
grep -q 'data-diff="1"' "$report/diff/BenchmarkChecksum/cpu.svg" || fail "the graph is not differential"
grep -q 'href="diff/BenchmarkChecksum/cpu.svg"' "$report/index.html" || fail "the report does not link it"

gate alloc alloc
[ "$status" -eq 1 ] || fail "one more allocation per op passed the gate"
grep -qE "^  BenchmarkChecksum allocs/op: \+100\.00% \(exact n=6\+6\)" "$work/alloc.log" ||
    fail "the allocation is not named"
grep -qE "^  BenchmarkChecksum B/op: \+6\.25% " "$work/alloc.log" &&
    fail "B/op +6.25% is within the 10% gate, yet named"
[ -s "$work/out-alloc/pr/diff/BenchmarkChecksum/allocs.svg" ] ||
    fail "no differential graph of the allocations"

gate same same
[ "$status" -eq 0 ] || fail "two runs of the same build failed the gate"
grep -q "no regression beyond 10%" "$work/same.log" || fail "the gate said nothing"
echo "ci gate: ok"
