#!/usr/bin/env bash
# --trace and --trace-on-failure end to end (e2e_trace.c), through the
# `cbench` command and with the binaries run by themselves:
#
#  - --trace (with --cpuprofile): every test and benchmark has a
#    trace.json listed in results.json, each a valid trace (check_trace.py:
#    Python's own parser; per thread, time never goes back, spans nest);
#    the passing test's holds its span, its lock wait with the flow from
#    the holder, and CPU samples; the benchmark's, a span per call with
#    its iterations and ns/op; `cbench trace stats` summarizes them.
#  - --trace-on-failure: only the failing test's trace is written (the
#    passing test leaves no folder); a test that aborts (the fatal-signal
#    dump), one that faults (cmocka's failure), and one that hangs (the
#    command's timeout signal) each leave a complete trace, listed.
#  - --trace on the aborting test keeps the partial trace, which loads
#    once "]" is appended.
#  - the binary by itself (flags on its command line), and a plugin
#    binary through CBENCH_FLAGS.
#
#   test_cbench_trace.sh CBENCH E2E_TRACE E2E_TRACE_PLUGIN CHECK_TRACE_PY
set -euo pipefail
cbench=$1 bin=$2 plugin=$3 check=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir bins
cp "$bin" bins/e2e_trace

# record OUT NAME KEY: a record's field from OUT/results.json ("" none).
record() {
    python3 - "$1/results.json" "$2" "$3" <<'EOF'
import json, sys
recs = [r for r in json.load(open(sys.argv[1]))["records"] if r["name"] == sys.argv[2]]
if not recs:
    sys.exit("no record named " + sys.argv[2])
v = recs[0]
for k in sys.argv[3].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)
EOF
}

# ---- --trace -----------------------------------------------------------------
out=$tmp/full
set +e
"$cbench" --outdir "$out" --trace --cpuprofile --run 'waits|fails' --bench . --benchtime 20x \
    bins >run.log 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || { cat run.log; fail "--trace: exit $rc, want 1 (a test fails)"; }
for name in waits_on_a_held_mutex fails BenchmarkSpin; do
    rel=$(record "$out" "$name" artifacts.trace)
    [ -n "$rel" ] || fail "--trace: $name lists no trace"
    python3 "$check" "$out/$rel" || fail "--trace: $name's trace"
done
python3 - "$out/$(record "$out" waits_on_a_held_mutex artifacts.trace)" <<'EOF' || fail "--trace: the passing test's trace"
import json, sys
ev = json.load(open(sys.argv[1]))
def find(**kw):
    return [e for e in ev if all(e.get(k) == v for k, v in kw.items())]
test = find(ph="B", name="waits_on_a_held_mutex", cat="test")
assert len(test) == 1, "the test's span"
waits = find(ph="B", name="wait: mutex")
assert waits, "no lock wait"
wakes = [e for e in find(ph="X", name="wake: mutex") if e.get("flow_out")]
woken = [e for e in find(ph="X", name="woken") if e.get("flow_in")]
assert {e["bind_id"] for e in woken} & {e["bind_id"] for e in wakes}, "no flow from the holder"
holder = test[0]["tid"]
assert any(e["tid"] == holder for e in wakes), "the wake is not on the holder's track"
assert any(e["tid"] != holder for e in waits), "the wait is not on the waiter's track"
assert find(ph="P", name="ProfileChunk"), "no CPU samples"
assert find(ph="B", name="burn", cat="region"), "the test's region"
EOF
python3 - "$out/$(record "$out" BenchmarkSpin artifacts.trace)" <<'EOF' || fail "--trace: the benchmark's trace"
import json, sys
ev = json.load(open(sys.argv[1]))
calls = [e for e in ev if e.get("ph") == "E" and e.get("name") == "BenchmarkSpin"]
iters = [e["args"]["iterations"] for e in calls]
assert iters == [1, 20], "calls (calibration, then --benchtime 20x): %r" % iters
assert all(e["args"]["ns/op"] > 0 for e in calls)
EOF
"$cbench" trace stats "$out/$(record "$out" waits_on_a_held_mutex artifacts.trace)" >stats.txt ||
    { cat stats.txt; fail "trace stats"; }
grep -q '^  waits_on_a_held_mutex  *test  *1 ' stats.txt || { cat stats.txt; fail "stats: the test's span"; }
grep -q '^  burn  *region  *1 ' stats.txt || { cat stats.txt; fail "stats: the region"; }
# The waiter blocked about 50 ms on the mutex: its row says at least 45.
python3 - stats.txt <<'EOF' || { cat stats.txt; fail "stats: the 50 ms wait"; }
import re, sys
rows = [l.split() for l in open(sys.argv[1]) if re.search(r"\smutex\s", l) and "(tid" in l]
def ms(t):
    for unit, f in (("ms", 1), ("µs", 1e-3), ("ns", 1e-6), ("s", 1e3)):
        if t.endswith(unit):
            return float(t[: -len(unit)]) * f
assert rows and any(ms(r[-2]) >= 45 for r in rows), rows
EOF

# ---- --trace-on-failure ----------------------------------------------------------
out=$tmp/flight
set +e
"$cbench" --outdir "$out" --trace-on-failure --run 'waits|fails|faults' bins >run.log 2>&1
set -e
[ -z "$(record "$out" waits_on_a_held_mutex artifacts.trace)" ] || fail "a passing test's trace"
[ ! -e "$out/e2e_trace/waits_on_a_held_mutex" ] || fail "a passing test left a folder"
for name in fails:failure faults:fault; do
    region="before the ${name#*:}" name=${name%:*}
    [ "$(record "$out" "$name" status)" = fail ] || fail "$name did not fail"
    rel=$(record "$out" "$name" artifacts.trace)
    [ "$rel" = "e2e_trace/$name/trace.json" ] || fail "--trace-on-failure: $name lists \"$rel\""
    python3 "$check" "$out/$rel" --expect "$region" --expect "cbench: flight recorder dump" ||
        fail "--trace-on-failure: $name's trace"
done
ls "$out/e2e_trace" | grep -q tmp && fail "a temporary file was left"

# A crash: the dump from the fatal-signal path.
set +e
"$cbench" --outdir "$out" --trace-on-failure --run aborts bins >run.log 2>&1
set -e
grep -q "SIGABRT" "$out/results.json" || { cat run.log; fail "aborts: no SIGABRT"; }
rel=$(record "$out" aborts artifacts.trace)
[ -n "$rel" ] || { cat run.log; fail "aborts: no trace listed"; }
python3 "$check" "$out/$rel" --expect "before the crash" --expect "cbench: flight recorder dump" ||
    fail "aborts: the crash's trace"

# A timeout: the command's signal lets the binary dump.
set +e
"$cbench" --outdir "$out" --trace-on-failure --run hangs --timeout 2s bins >run.log 2>&1
set -e
grep -q "timed out" "$out/results.json" || { cat run.log; fail "hangs: no timeout"; }
rel=$(record "$out" hangs artifacts.trace)
[ -n "$rel" ] || { cat run.log; fail "hangs: no trace listed"; }
python3 "$check" "$out/$rel" --expect "before the hang" || fail "hangs: the timeout's trace"
ls "$out/e2e_trace/hangs" | grep -q tmp && fail "hangs: a temporary file was left"

# ---- --trace and a crash: the partial trace ------------------------------------
out=$tmp/partial
set +e
"$cbench" --outdir "$out" --trace --run aborts bins >run.log 2>&1
set -e
rel=$(record "$out" aborts artifacts.trace)
[ -n "$rel" ] || { cat run.log; fail "--trace, aborts: no trace listed"; }
python3 "$check" "$out/$rel" --partial || fail "--trace, aborts: the partial trace"

# ---- the binaries by themselves -------------------------------------------------
out=$tmp/alone
set +e
bins/e2e_trace --outdir "$out" --trace --run waits >run.log 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || { cat run.log; fail "alone: exit $rc"; }
rel=$(record "$out" waits_on_a_held_mutex artifacts.trace)
python3 "$check" "$out/$rel" --expect "wait: mutex" || fail "alone: the trace"

out=$tmp/plugin
set +e
CBENCH_FLAGS="--trace-on-failure
--outdir=$out
--run=waits|fails" "$plugin" >run.log 2>&1
set -e
rel=$(record "$out" fails artifacts.trace)
[ -n "$rel" ] || { cat run.log; fail "plugin: no trace for the failing test"; }
python3 "$check" "$out/$rel" --expect "before the failure" || fail "plugin: the trace"
[ -z "$(record "$out" waits_on_a_held_mutex artifacts.trace)" ] || fail "plugin: a passing test's trace"
echo "ok"
