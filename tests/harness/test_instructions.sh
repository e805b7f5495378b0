#!/usr/bin/env bash
# --instructions against counts the test knows (tests/harness/e2e_instructions.c):
# a body of K nops reports instructions/op in [K, K + 8] (the loop's
# countdown, 2 an iteration, and the timer's ends, ~70 a call, over
# n = 1000: docs/INSTRUCTIONS.md), identical over three runs, though a
# million instructions of set-up precede the loop; twice the bytes give
# twice the instructions (1%); instructions.pb.gz of a 3000-nop and a
# 1000-nop function shows 3:1 (2%) in go tool pprof, with no warning;
# each thread of a parallel benchmark is counted.
# The unit is in every result file. Then the errors: a duration
# benchtime (said, 1000x used), valgrind missing (exit 2, the package
# named), a binary valgrind cannot load (the reason in its record); and
# a binary run by itself with --instructions runs itself under valgrind.
#
#   test_instructions.sh CBENCH E2E_INSTRUCTIONS E2E_UNLOADABLE RESULTS_SCHEMA
set -euo pipefail
cbench=$1 prog=$2 unloadable=$3 schema=$4
work=$(mktemp -d /tmp/cbench-instr-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

for i in 1 2 3; do
    "$cbench" --instructions --bench '^Benchmark[NSR]' --benchtime 1000x --cpu 1 --outdir "$work/r$i" "$prog" \
        >"$work/r$i.out" 2>"$work/r$i.err" || fail "run $i: $(cat "$work/r$i.out" "$work/r$i.err")"
done
grep -q 'instructions/op' "$work/r1.out" || fail "the console has no instructions/op"
grep -qE 'BenchmarkNop1000[[:space:]].* instructions/op' "$work/r1/bench.txt" || fail "bench.txt: $(cat "$work/r1/bench.txt")"

python3 - "$work" "$schema" <<'PY'
import json, sys, jsonschema
work = sys.argv[1]
jsonschema.Draft202012Validator(json.load(open(sys.argv[2]))).validate(
    json.load(open(f"{work}/r1/results.json")))
runs = []
for i in (1, 2, 3):
    d = json.load(open(f"{work}/r{i}/results.json"))
    runs.append({r["name"]: r for r in d["records"] if r["kind"] == "bench"})
def instr(rec):
    v = [m["value"] for m in rec["metrics"] if m["unit"] == "instructions/op"]
    assert len(v) == 1, rec
    return v[0]
for name in runs[0]:
    values = [instr(run[name]) for run in runs]
    assert values[0] == values[1] == values[2], f"{name}: not identical over three runs: {values}"
    assert runs[0][name]["n"] == 1000, runs[0][name]
for name, k in (("BenchmarkNop1000", 1000), ("BenchmarkNop10000", 10000)):
    v = instr(runs[0][name])
    assert k <= v <= k + 8, f"{name}: {v} instructions/op, want [{k}, {k + 8}]"
ratio = instr(runs[0]["BenchmarkSum/1024"]) / instr(runs[0]["BenchmarkSum/512"])
assert abs(ratio - 2) <= 0.02, f"twice the bytes, {ratio:.4f} times the instructions"
rec = runs[0]["BenchmarkRatio"]
assert rec["artifacts"]["instructions"].endswith("BenchmarkRatio/instructions.pb.gz"), rec
assert rec["artifacts"]["callgrind"].endswith("BenchmarkRatio/callgrind.out"), rec
gb = json.load(open(f"{work}/r1/benchmarks.json"))
entry = [b for b in gb["benchmarks"] if b["name"].endswith("/BenchmarkNop1000")][0]
assert entry["instructions/op"] == instr(runs[0]["BenchmarkNop1000"]), entry
PY

# The profile, read by the real pprof: no warning, 3:1.
profile=$work/r1/$(basename "$prog")/BenchmarkRatio/instructions.pb.gz
go tool pprof -top "$profile" >"$work/top.txt" 2>"$work/top.err" || fail "pprof: $(cat "$work/top.err")"
[ ! -s "$work/top.err" ] || fail "pprof warned: $(cat "$work/top.err")"
python3 - "$work/top.txt" <<'PY'
import sys
flat = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 6 and f[0].isdigit():
        flat[f[5]] = int(f[0])
r = flat["three_thousand"] / flat["one_thousand"]
assert abs(r - 3) <= 0.06, f"3:1 expected, got {r:.4f}: {flat}"
assert flat.get("bench_ratio", 0) < flat["one_thousand"] / 100, flat
PY
# cbench top starts the stacks at the benchmark, as for its CPU profiles.
"$cbench" top "$profile" >"$work/ctop.txt"
grep -q three_thousand "$work/ctop.txt" || fail "cbench top has no three_thousand"
! grep -qE ' (main|_start|run_n)$' "$work/ctop.txt" || fail "cbench top shows the harness: $(cat "$work/ctop.txt")"
# No file of callgrind's is left behind but the benchmarks' dumps.
! find "$work/r1" -name '.callgrind.out.*' | grep -q . || fail "callgrind's files left behind"

# Every thread of a parallel benchmark is counted: 1000 nops an
# iteration, wherever it ran, plus the grains' bookkeeping.
"$cbench" --instructions --bench Parallel --benchtime 1000x --cpu 1,2 --outdir "$work/p" "$prog" \
    >"$work/p.out" 2>&1 || fail "parallel: $(cat "$work/p.out")"
python3 - "$work/p/results.json" <<'PY'
import json, sys
recs = [r for r in json.load(open(sys.argv[1]))["records"] if r["kind"] == "bench"]
assert [r["procs"] for r in recs] == [1, 2], recs
for r in recs:
    v = [m["value"] for m in r["metrics"] if m["unit"] == "instructions/op"][0]
    assert 1000 <= v <= 1060, f"--cpu {r['procs']}: {v} instructions/op, want [1000, 1060]"
PY

# A duration: said, and 1000 iterations run.
"$cbench" --instructions --bench 'Nop1000$' --cpu 1 --outdir "$work/d" "$prog" >/dev/null 2>"$work/d.err"
grep -q -- '--benchtime 1000x instead of a duration' "$work/d.err" || fail "no note: $(cat "$work/d.err")"
grep -qE 'BenchmarkNop1000[[:space:]]+1000[[:space:]]' "$work/d/bench.txt" || fail "not 1000x: $(cat "$work/d/bench.txt")"

# valgrind missing: exit 2, the package named, nothing run.
rc=0
PATH=/nonexistent "$cbench" --instructions --bench . --outdir "$work/m" "$prog" >"$work/m.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "valgrind missing: exit $rc, want 2"
grep -q "install Debian's valgrind package" "$work/m.out" || fail "$(cat "$work/m.out")"
[ ! -e "$work/m/results.json" ] || fail "files written without valgrind"
rc=0
PATH=/nonexistent "$prog" --instructions --bench . --outdir "$work/m2" >"$work/m2.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "valgrind missing, the binary by itself: exit $rc"
grep -q "install Debian's valgrind package" "$work/m2.out" || fail "$(cat "$work/m2.out")"

# A binary valgrind cannot load (it runs natively): its record says so.
"$unloadable" --bench 'Nop1000$' --benchtime 10x >/dev/null || fail "the unloadable binary does not run natively"
rc=0
"$cbench" --instructions --bench . --outdir "$work/u" "$unloadable" >"$work/u.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "unloadable: exit $rc"
python3 - "$work/u/results.json" <<'PY'
import json, sys
recs = json.load(open(sys.argv[1]))["records"]
msg = recs[0]["message"]
assert msg.startswith("valgrind could not run the binary (exit status 1): valgrind:"), msg
PY

# By itself: the binary runs itself under valgrind and counts the same.
"$prog" --instructions --bench 'Nop1000$' --benchtime 1000x --cpu 1 --outdir "$work/self" \
    >"$work/self.out" 2>&1 || fail "by itself: $(cat "$work/self.out")"
python3 - "$work/self/results.json" "$work/r1/results.json" <<'PY'
import json, sys
def value(path):
    for r in json.load(open(path))["records"]:
        if r["name"] == "BenchmarkNop1000":
            return [m["value"] for m in r["metrics"] if m["unit"] == "instructions/op"][0]
a, b = value(sys.argv[1]), value(sys.argv[2])
assert a == b, f"by itself {a}, under the command {b}"
PY
echo PASS
