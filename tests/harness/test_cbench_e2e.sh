#!/usr/bin/env bash
# End-to-end: the `cbench` command over a folder holding a passing binary
# (tests and benchmarks), a failing one, a crashing one and a program that
# is not a cbench binary. Checks the exit status, the console, the three
# result files, and that every profile opens in `go tool pprof` and holds
# its own test's functions and not the others'.
#
#   test_cbench_e2e.sh CBENCH PASS_BIN FAIL_BIN CRASH_BIN OTHER_BIN BENCHFMT_GO heap|noheap
set -euo pipefail
cbench=$1 pass=$2 failbin=$3 crash=$4 other=$5 benchfmt=$6 heap=${7:-heap}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" # go tool pprof trims paths after a component named like the cwd
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir bins
cp "$pass" bins/e2e_pass
cp "$failbin" bins/e2e_fail
cp "$crash" bins/e2e_crash
cp "$other" bins/not_cbench
echo "just text" >bins/README

out=$tmp/out
status=0
"$cbench" bins --bench . --benchtime 20x --benchmem --cpuprofile --memprofile \
    --memprofilerate 1 --outdir "$out" >console.txt 2>&1 || status=$?
cat console.txt
[[ $status -eq 1 ]] || fail "exit status $status, want 1"
grep -q -- "--- FAIL: delta_fails" console.txt || fail "the console does not name delta_fails"
grep -q "delta_fails says hello" console.txt || fail "the failing test's output is not shown"
grep -q "zeta_crashes" console.txt || fail "the console does not name the crashing test"
grep -qE "^BenchmarkSum(-[0-9]+)?[[:space:]]+20[[:space:]]" console.txt || fail "no BenchmarkSum line"
grep -qE "^BenchmarkParent/two_words(-[0-9]+)?[[:space:]]+20[[:space:]]" console.txt ||
    fail "no line for the sub-benchmark BenchmarkParent/two_words"
grep -q "FAIL: BenchmarkParent" console.txt && fail "the parent benchmark was reported"
[[ -s $out/results.json && -s $out/bench.txt && -s $out/junit.xml ]] || fail "result files missing"

python3 - "$out" "$heap" <<'PY' || fail "results.json / junit.xml"
import json, os, sys
import xml.etree.ElementTree as ET
out, heap = sys.argv[1], sys.argv[2] == "heap"
res = json.load(open(os.path.join(out, "results.json")))
recs = {(r["binary"], r["name"]): r for r in res["records"]}
def status(b, n): return recs[(b, n)]["status"]
assert status("e2e_pass", "alpha_passes") == "pass"
assert status("e2e_pass", "beta_passes") == "pass"
assert status("e2e_fail", "gamma_passes") == "pass"
assert status("e2e_fail", "delta_fails") == "fail"
assert status("e2e_crash", "epsilon_passes") == "pass"
z = recs[("e2e_crash", "zeta_crashes")]
assert z["status"] == "fail", z
assert "SIGABRT" in (z.get("message") or ""), z
# The test after the crash did not run: it is reported so, and counted.
eta = recs[("e2e_crash", "eta_never_runs")]
assert eta["status"] == "skip", eta
assert eta["message"] == "not run: the binary stopped during zeta_crashes (killed by SIGABRT (Aborted))", eta
crash_tests = [r for (b, n), r in recs.items() if b == "e2e_crash"]
assert len(crash_tests) == 3, crash_tests
assert not any(b == "not_cbench" for b, _ in recs), "a non-cbench program was run"
benches = {n: r for (b, n), r in recs.items() if r["kind"] == "bench"}
assert set(benches) == {"BenchmarkSum", "BenchmarkAlloc", "BenchmarkParent/one",
                        "BenchmarkParent/two_words"}, benches.keys()
for r in benches.values():
    assert r["n"] == 20 and r["status"] == "pass", r
if heap:
    m = {x["unit"]: x["value"] for x in benches["BenchmarkAlloc"]["metrics"]}
    assert m["allocs/op"] == 1 and m["B/op"] == 64, m
# Profiles: the files named exist, under <binary>/<test>/.
for (b, n), r in recs.items():
    for kind, path in r.get("artifacts", {}).items():
        assert path.startswith(b + "/"), path
        assert os.path.getsize(os.path.join(out, path)) > 0, path
    if r["status"] == "pass":
        assert "cpu" in r.get("artifacts", {}), (b, n)
j = ET.parse(os.path.join(out, "junit.xml")).getroot()
fails = sum(int(s.get("failures", 0)) for s in j.iter("testsuite"))
assert fails == 2, f"junit failures {fails}"
PY

# bench.txt reads by Go's benchmark format and agrees with results.json.
export GOPATH="$tmp/gopath" GOCACHE="$tmp/gocache" GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=on
cp "$benchfmt" main.go
go build -o checker main.go
./checker parse "$out/bench.txt" "$out/results.json"

# Each CPU profile holds its own test's work and none of the others'.
works=(pass_alpha_work pass_beta_work fail_gamma_work crash_epsilon_work bench_sum_work)
check_cpu() { # profile own_function
    go tool pprof -top -nodecount=300 "$1" >top.txt 2>pprof.err || { cat pprof.err; fail "pprof $1"; }
    grep -qi warning pprof.err && { cat pprof.err; fail "pprof warned on $1"; }
    grep -q "$2" top.txt || fail "$1 lacks $2"
    for w in "${works[@]}"; do
        [[ $w == "$2" ]] && continue
        grep -q "$w" top.txt && fail "$1 holds $w"
    done
    return 0
}
check_cpu "$out/e2e_pass/alpha_passes/cpu.pb.gz" pass_alpha_work
check_cpu "$out/e2e_pass/beta_passes/cpu.pb.gz" pass_beta_work
check_cpu "$out/e2e_fail/gamma_passes/cpu.pb.gz" fail_gamma_work
check_cpu "$out/e2e_crash/epsilon_passes/cpu.pb.gz" crash_epsilon_work
check_cpu "$out/e2e_pass/BenchmarkSum/cpu.pb.gz" bench_sum_work
if [[ $heap == heap ]]; then
    go tool pprof -top -sample_index=alloc_space -unit=B "$out/e2e_pass/beta_passes/allocs.pb.gz" \
        >top.txt 2>pprof.err || fail "pprof allocs"
    grep pass_beta_work top.txt | grep -q "262144B" || fail "beta's allocs profile lacks its 64 x 4096 B"
    go tool pprof -top -sample_index=alloc_space "$out/e2e_pass/alpha_passes/allocs.pb.gz" \
        >top.txt 2>pprof.err || fail "pprof allocs"
    grep -q pass_beta_work top.txt && fail "alpha's allocs profile holds beta's blocks"
fi
# Nothing half-written is left behind, even by the crash.
leftover=$(find "$out" -name '.*tmp*' | head -1)
[[ -z $leftover ]] || fail "temporary file left: $leftover"

# A profile that cannot be written (its name is taken by a folder) fails
# the run, and the console says why, though the test passed.
mkdir -p "$tmp/full/e2e_pass/alpha_passes/cpu.pb.gz"
status=0
"$cbench" --cpuprofile --outdir "$tmp/full" bins/e2e_pass >full.txt 2>&1 || status=$?
[[ $status -eq 1 ]] || fail "an unwritten profile: exit status $status, want 1"
grep -q "could not be written; the first: writing the CPU profile of alpha_passes" full.txt ||
    fail "the console does not say which profile was not written: $(cat full.txt)"
echo "ok"
