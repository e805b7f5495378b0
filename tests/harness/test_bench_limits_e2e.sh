#!/usr/bin/env bash
# Benchmark-level limits end to end: a benchmark whose result breaks a
# limit it declared fails, through the `cbench` command (exit status 1,
# its result line then "--- FAIL" with the limit on the console and in
# --json, status fail with its message, metrics and limits in
# results.json, valid by the schema, a <failure> in junit.xml, its line
# and the failure in bench.txt) and run by itself (exit status 1, the
# same lines); a benchmark whose limits hold passes.
#
#   test_bench_limits_e2e.sh CBENCH E2E_LIMITS SCHEMA heap|noheap
# (noheap: allocations are not counted, as under ASan; the allocs limit is
# not run)
set -euo pipefail
cbench=$1 bin=$2 schema=$3 heap=${4:-heap}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir bins
cp "$bin" bins/e2e_limits
bench='Within|Over'
[[ $heap == heap ]] && bench=.

out=$tmp/out
status=0
"$cbench" bins --bench "$bench" --benchtime 3x --outdir "$out" >console.txt 2>&1 || status=$?
cat console.txt
[[ $status -eq 1 ]] || fail "exit status $status, want 1"
# The line, then the failure and the limit under it.
grep -A2 -E "^BenchmarkOver(-[0-9]+)?[[:space:]]+3[[:space:]].*5\.000 widgets/op" console.txt >over.txt ||
    fail "no result line for BenchmarkOver"
sed -n 2p over.txt | grep -qx -- "--- FAIL: BenchmarkOver" || fail "no --- FAIL after the line"
sed -n 3p over.txt | grep -qx "    limit breached: 5 widgets/op, want < 3" || fail "no limit message"
grep -qE "^BenchmarkWithin(-[0-9]+)?[[:space:]]+3[[:space:]].*2\.000 widgets/op" console.txt ||
    fail "no line for BenchmarkWithin"
grep -q -- "--- FAIL: BenchmarkWithin" console.txt && fail "BenchmarkWithin failed"
grep -qE "^FAIL[[:space:]]bins/e2e_limits" console.txt || fail "the binary is not reported failed"
if [[ $heap == heap ]]; then
    grep -A2 -E "^BenchmarkAllocates" console.txt | grep -qx "    limit breached: 1 allocs/op, want < 1" ||
        fail "no allocs limit message"
fi

python3 - "$out" "$schema" "$heap" <<'PY' || fail "results.json / junit.xml / bench.txt"
import json, os, re, sys
import xml.etree.ElementTree as ET
out, schema_path, heap = sys.argv[1], sys.argv[2], sys.argv[3] == "heap"
res = json.load(open(os.path.join(out, "results.json")))
try:
    import jsonschema
    jsonschema.Draft202012Validator(json.load(open(schema_path))).validate(res)
except ImportError:
    pass  # test_results_files requires it; not this test's subject
recs = {r["name"]: r for r in res["records"]}
over, within = recs["BenchmarkOver"], recs["BenchmarkWithin"]
assert over["status"] == "fail", over
assert over["message"] == "limit breached: 5 widgets/op, want < 3", over
assert {"value": 5, "unit": "widgets/op"} in over["metrics"], over
assert over["limits"] == [{"unit": "widgets/op", "below": 3, "breached": True}], over
assert within["status"] == "pass", within
assert within["limits"] == [{"unit": "widgets/op", "below": 3, "breached": False},
                            {"unit": "widgets/op", "above": 1, "breached": False}], within
assert recs["plain_passes"]["limits"] == []
failed = 1
if heap:
    a = recs["BenchmarkAllocates"]
    assert a["status"] == "fail" and a["message"] == "limit breached: 1 allocs/op, want < 1", a
    assert {"value": 1, "unit": "allocs/op"} in a["metrics"], a
    failed = 2
assert res["summary"]["failed"] == failed, res["summary"]

j = ET.parse(os.path.join(out, "junit.xml")).getroot()
assert int(j.get("failures")) == failed, j.attrib
cases = {c.get("name"): c for c in j.iter("testcase")}
over_case = [c for n, c in cases.items() if re.match(r"BenchmarkOver(-\d+)?$", n)][0]
f = over_case.find("failure")
assert f is not None and f.get("message") == over["message"], ET.tostring(over_case)
assert "5.000 widgets/op" in over_case.find("system-out").text
within_case = [c for n, c in cases.items() if re.match(r"BenchmarkWithin(-\d+)?$", n)][0]
assert within_case.find("failure") is None

txt = open(os.path.join(out, "bench.txt")).read()
assert re.search(r"^BenchmarkOver(-\d+)?\s+3\s.*5\.000 widgets/op\n--- FAIL: BenchmarkOver(-\d+)?\n"
                 r"    limit breached: 5 widgets/op, want < 3\n", txt, re.M), txt
assert txt.rstrip().endswith("FAIL"), txt
PY

# --json: the result line is output, then the benchmark fails.
"$cbench" bins --bench Over --benchtime 3x --json --outdir "$tmp/out_json" >events.json 2>&1 || true
python3 - events.json <<'PY' || fail "--json"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
mine = [e for e in evs if (e.get("Test") or "").startswith("BenchmarkOver")]
acts = [e["Action"] for e in mine]
assert acts[0] == "run" and acts[-1] == "fail", acts
text = "".join(e.get("Output", "") for e in mine)
assert "5.000 widgets/op" in text and "limit breached: 5 widgets/op, want < 3" in text, text
assert text.index("5.000 widgets/op") < text.index("--- FAIL"), text
PY

# By itself: the same lines, exit status 1; with only the benchmark whose
# limits hold, 0.
status=0
bins/e2e_limits --bench Over --benchtime 3x >alone.txt 2>&1 || status=$?
cat alone.txt
[[ $status -eq 1 ]] || fail "standalone exit status $status, want 1"
grep -A2 -E "^BenchmarkOver(-[0-9]+)?[[:space:]]+3[[:space:]]" alone.txt >over.txt || fail "standalone: no line"
sed -n 2p over.txt | grep -qx -- "--- FAIL: BenchmarkOver" || fail "standalone: no --- FAIL"
sed -n 3p over.txt | grep -qx "    limit breached: 5 widgets/op, want < 3" || fail "standalone: no message"
grep -qx FAIL alone.txt || fail "standalone: no FAIL"
bins/e2e_limits --bench Within --benchtime 3x >within.txt 2>&1 || { cat within.txt; fail "BenchmarkWithin alone failed"; }
grep -qx PASS within.txt || fail "standalone: no PASS"
echo ok
