#!/usr/bin/env bash
# A binary that hangs past --timeout: before killing it, the command asks
# it where it is (docs/HARNESS.md, "Timeouts"). Checks that every thread's
# stack is in threads.txt and under the test's failure, that the hung
# test's CPU profile was written and opens in go tool pprof, that the
# test after it is reported not run, and that the files count all three.
#
#   test_cbench_timeout.sh CBENCH HANG_BIN
set -euo pipefail
cbench=$1 hang=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir bins
cp "$hang" bins/e2e_hang
status=0
"$cbench" --timeout 2s --cpuprofile --cpuprofilerate 1000 --outdir out bins/e2e_hang \
    >console.txt 2>&1 || status=$?
cat console.txt
[[ $status -eq 1 ]] || fail "exit status $status, want 1"
grep -q -- "--- FAIL: second_hangs" console.txt || fail "the hung test is not reported"
grep -q "timed out after 2s" console.txt || fail "no timeout message"
# The stacks are part of the failure's report: the test's own function
# and the helper thread's.
grep -q "hang_waiting_forever" console.txt || fail "the hung thread's stack is not shown"
grep -q "helper_blocks_on_the_lock" console.txt || fail "the helper thread's stack is not shown"

python3 - out <<'PY' || fail "result files"
import json, os, sys
import xml.etree.ElementTree as ET
out = sys.argv[1]
res = json.load(open(os.path.join(out, "results.json")))
recs = {r["name"]: r for r in res["records"]}
assert recs["first_passes"]["status"] == "pass", recs
hung = recs["second_hangs"]
assert hung["status"] == "fail" and hung["message"] == "timed out after 2s", hung
arts = hung["artifacts"]
assert arts.get("threads") == "e2e_hang/second_hangs/threads.txt", arts
assert arts.get("cpu") == "e2e_hang/second_hangs/cpu.pb.gz", arts
threads = open(os.path.join(out, arts["threads"])).read()
assert "hang_waiting_forever" in threads and "helper_blocks_on_the_lock" in threads, threads
third = recs["third_never_runs"]
assert third["status"] == "skip", third
assert third["message"] == "not run: the binary stopped during second_hangs (timed out after 2s)", third
s = res["summary"]
assert (s["tests"], s["passed"], s["failed"], s["skipped"]) == (3, 1, 1, 1), s
suite = ET.parse(os.path.join(out, "junit.xml")).getroot().find("testsuite")
assert suite.get("tests") == "3" and suite.get("skipped") == "1", suite.attrib
PY
# The hung test's CPU profile: complete, with the test's work in it.
go tool pprof -top out/e2e_hang/second_hangs/cpu.pb.gz 2>pprof.err >top.txt ||
    { cat pprof.err; fail "pprof"; }
grep -q burn_cpu top.txt || fail "the hung test's CPU profile lacks its work"
echo ok
