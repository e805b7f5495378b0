#!/usr/bin/env bash
# The cbench command from the outside, against fake test binaries that
# speak the protocol by hand (fake_binary.c): one passing (with a skip and
# a benchmark), one failing, one crashing with SIGSEGV inside a test after
# writing files, one hanging past --timeout, one exiting 3 outside any
# test; plus an executable without the note, and binaries in a hidden
# folder and in CMakeFiles, none of which may run.
#
#   test_end_to_end.sh CBENCH FAKE_DIR PLAIN_PROGRAM
#
# Checks exit statuses, the console (Go's format), --json, --list, -v,
# the three files (parsed with python3), the files written before the
# crash, and that bad command lines run nothing.
set -euo pipefail

cbench=$1
fakes=$2
plain=$3

# In a sanitizer build the fake crash must die of its signal, as it would
# anywhere else, not in AddressSanitizer's handler.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"

work=$(mktemp -d /tmp/cbench-e2e-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

mkdir -p suite/.hidden suite/CMakeFiles
cp "$fakes/cli_fake_pass" suite/a_pass
cp "$fakes/cli_fake_fail" suite/b_fail
cp "$fakes/cli_fake_crash" suite/c_crash
cp "$fakes/cli_fake_hang" suite/d_hang
cp "$fakes/cli_fake_exit" suite/e_exit
cp "$plain" suite/plain
cp "$fakes/cli_fake_pass" suite/.hidden/x_pass
cp "$fakes/cli_fake_pass" suite/CMakeFiles/y_pass

# ---- the whole folder, as CI would run it ----
status=0
"$cbench" --timeout 1s --bench . suite > out.txt 2> err.txt || status=$?
cat out.txt
[ "$status" -eq 1 ] || fail "exit status $status, want 1"

python3 - out.txt <<'PY'
import re, sys
out = open(sys.argv[1]).read()
lines = out.split("\n")

def follows(head, *body):
    """head is a line of out, and the given lines come right after it."""
    for i, line in enumerate(lines):
        if re.fullmatch(head, line):
            got = lines[i + 1:i + 1 + len(body)]
            assert got == list(body), f"after {head!r}: {got!r}, want {list(body)!r}"
            return i
    raise AssertionError(f"no line matching {head!r} in:\n{out}")

assert "=== RUN" not in out, "no RUN lines without -v"
assert "running" not in out and "\r" not in out, "no progress line when stdout is not a terminal"
assert "--- PASS" not in out and "--- SKIP" not in out, "passes and skips only with -v"
follows(r"--- FAIL: test_broken \(0\.00s\)", "    about to fail on stderr", "    expected 1, got 2")
follows(r"--- FAIL: test_crash \(\d+\.\d\ds\)", "    crashing now",
        "    killed by SIGSEGV (Segmentation fault)")
follows(r"--- FAIL: test_hang \(\d+\.\d\ds\)", "    hanging", "    timed out after 1s")
follows(r"goos: linux", "goarch: " + lines[[l.startswith("goarch: ") for l in lines].index(True)][8:],
        "pkg: suite/a_pass")
bench = [l for l in lines if l.startswith("BenchmarkFast")]
assert len(bench) == 1 and re.fullmatch(
    r"BenchmarkFast-2\s+1000000\s+1043 ns/op\s+64 B/op\s+2 allocs/op", bench[0]), bench
# The binary that failed outside any test shows its output and exit status.
i = follows(r"teardown went wrong", "exit status 3", "FAIL")
assert re.fullmatch(r"FAIL\tsuite/e_exit\t\d+\.\d{3}s", lines[i + 3]), lines[i + 3]
finals = [l for l in lines if re.fullmatch(r"(ok  |FAIL)\t\S+\t\d+\.\d{3}s", l)]
assert [f.split("\t")[:2] for f in finals] == [
    ["ok  ", "suite/a_pass"], ["FAIL", "suite/b_fail"], ["FAIL", "suite/c_crash"],
    ["FAIL", "suite/d_hang"], ["FAIL", "suite/e_exit"]], finals
PY

# The plain executable and the binaries in skipped folders never ran.
[ ! -e plain_program_ran ] || fail "a binary without the note was run"
for d in cbench-out/*/; do
    case $(basename "$d") in a_pass | b_fail | c_crash | d_hang | e_exit) ;;
    *) fail "unexpected artifact folder $d" ;; esac
done

# How the binaries were run.
recv=cbench-out/a_pass/received.txt
grep -qx "events=1" "$recv" || fail "CBENCH_EVENTS"
grep -qx "binary=a_pass" "$recv" || fail "CBENCH_BINARY_NAME"
grep -qx "stdin=/dev/null" "$recv" || fail "stdin is not /dev/null"
grep -qx "own_group=1" "$recv" || fail "not in its own process group"
grep -qx -- "--outdir=$work/cbench-out" "$recv" || fail "--outdir is not absolute: $(cat "$recv")"
grep -qx -- "--bench=." "$recv" || fail "--bench not passed"
! grep -q -- "--timeout" "$recv" || fail "--timeout is the command's own flag"
# No CTest file: a binary runs in its own folder.
grep -qx "cwd=$work/suite" "$recv" || fail "not run in its own folder: $(grep cwd= "$recv")"

# ---- a build folder is a CTest project: each binary runs where CTest
# would run it, with the environment its test sets ----
mkdir -p build/bin build/tests/data
cp "$fakes/cli_fake_pass" build/bin/t_one
cp "$fakes/cli_fake_pass" build/bin/t_two
cat > build/CTestTestfile.cmake <<CT
# CMake generated Testfile for
subdirs("tests")
CT
cat > build/tests/CTestTestfile.cmake <<CT
add_test([=[one]=] "$work/build/bin/t_one")
set_tests_properties([=[one]=] PROPERTIES  ENVIRONMENT "FAKE_CTEST_VAR=a b;OTHER=x\\;y" WORKING_DIRECTORY "$work/build/tests/data" _BACKTRACE_TRIPLES "x;1;add_test")
add_test(two "$work/build/bin/t_two" "--some-arg")
CT
FAKE_CTEST_VAR=outer "$cbench" --outdir ctest-out build/bin >ctest.txt 2>&1 || fail "CTest folder: $(cat ctest.txt)"
grep -qx "cwd=$work/build/tests/data" ctest-out/t_one/received.txt ||
    fail "WORKING_DIRECTORY not used: $(grep cwd= ctest-out/t_one/received.txt)"
grep -qx "ctest_var=a b" ctest-out/t_one/received.txt || fail "ENVIRONMENT not used"
# No WORKING_DIRECTORY: the folder of the CTest file that added the test.
grep -qx "cwd=$work/build/tests" ctest-out/t_two/received.txt ||
    fail "not run in its CTest folder: $(grep cwd= ctest-out/t_two/received.txt)"
grep -qx "ctest_var=outer" ctest-out/t_two/received.txt || fail "the environment was lost"

# Files the crashing test wrote are kept; its half-written temporaries are not.
crashdir=cbench-out/c_crash/test_crash
[ -f "$crashdir/written-before-crash.txt" ] || fail "file written before the crash is gone"
[ ! -e "$crashdir/cpu.pb.gz.tmp.4242.0" ] || fail "temporary file left behind"
[ ! -e "$crashdir/.heap.pb.gz.tmp" ] || fail "hidden temporary file left behind"

# The three files, written although tests failed and binaries crashed.
python3 - cbench-out <<'PY'
import json, sys, xml.etree.ElementTree as ET
out = sys.argv[1]

def objects(v):
    if isinstance(v, dict):
        yield v
        for x in v.values():
            yield from objects(x)
    elif isinstance(v, list):
        for x in v:
            yield from objects(x)

doc = json.load(open(f"{out}/results.json"))
recs = {}
for o in objects(doc):
    if "name" in o and "status" in o:
        recs[(o.get("binary"), o["name"])] = o
want = {
    ("a_pass", "test_alpha"): "pass", ("a_pass", "test_partial_line"): "pass",
    ("a_pass", "test_skipped"): "skip", ("a_pass", "BenchmarkFast"): "pass",
    ("b_fail", "test_fine"): "pass", ("b_fail", "test_broken"): "fail",
    ("c_crash", "test_before"): "pass", ("c_crash", "test_crash"): "fail",
    ("d_hang", "test_hang"): "fail",
    ("e_exit", "test_ok"): "pass", ("e_exit", "(binary)"): "fail",
}
assert {k: v["status"] for k, v in recs.items()} == want, recs
assert "SIGSEGV" in recs[("c_crash", "test_crash")]["message"]
assert recs[("d_hang", "test_hang")]["message"] == "timed out after 1s"
assert recs[("e_exit", "(binary)")]["message"] == "exit status 3"
assert recs[("b_fail", "test_broken")]["message"] == "expected 1, got 2"
assert "crashing now" in recs[("c_crash", "test_crash")]["output"]
assert "teardown went wrong" in recs[("e_exit", "(binary)")]["output"]
assert doc["summary"]["failed"] == 4 and doc["summary"]["benchmarks"] == 1, doc["summary"]

root = ET.parse(f"{out}/junit.xml").getroot()
cases = {(c.get("name")): c for c in root.iter("testcase")}
failed = sorted(n for n, c in cases.items() if c.find("failure") is not None or c.find("error") is not None)
assert failed == ["(binary)", "test_broken", "test_crash", "test_hang"], failed
assert cases["test_skipped"].find("skipped") is not None
assert "test_alpha" in cases
suites = [t.get("name") for t in root.iter("testsuite")]
assert suites == ["a_pass", "b_fail", "c_crash", "d_hang", "e_exit"], suites

bench = open(f"{out}/bench.txt").read()
assert any(l.startswith("BenchmarkFast-2") and "1043 ns/op" in l for l in bench.splitlines()), bench
assert "pkg: a_pass\n" in bench, bench
PY

# ---- -v: every test, output as it comes, skips ----
status=0
"$cbench" -v --outdir v-out suite/a_pass > v.txt 2>&1 || status=$?
cat v.txt
[ "$status" -eq 0 ] || fail "-v run of a passing binary: exit status $status"
python3 - v.txt <<'PY'
import re, sys
out = open(sys.argv[1]).read()
for want in ["=== RUN   test_alpha\nalpha says hi\n--- PASS: test_alpha (0.00s)\n",
             "=== RUN   test_partial_line\nno newline before the mark\n--- PASS: test_partial_line (0.00s)\n",
             "--- SKIP: test_skipped (0.00s)\n    not on this machine\n",
             "binary setup output\n", "PASS\n"]:
    assert want in out, f"{want!r} not in:\n{out}"
assert re.search(r"^ok  \tsuite/a_pass\t\d+\.\d{3}s$", out, re.M), out
PY

# ---- --json: go test -json events, and nothing else on stdout ----
status=0
"$cbench" --json --outdir json-out suite/a_pass suite/b_fail > json.txt 2> json-err.txt || status=$?
[ "$status" -eq 1 ] || fail "--json: exit status $status, want 1"
python3 - json.txt <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]   # every line is one JSON object
assert all(set(e) <= {"Time", "Action", "Package", "Test", "Elapsed", "Output"} for e in events)
assert all("Time" in e and "Package" in e for e in events)
def acts(pkg, test=None):
    return [e["Action"] for e in events if e["Package"] == pkg and e.get("Test") == test]
assert acts("suite/a_pass")[0] == "start" and acts("suite/a_pass")[-1] == "pass"
assert acts("suite/b_fail")[-1] == "fail"
assert acts("suite/a_pass", "test_alpha") == ["run", "output", "output", "output", "pass"], acts("suite/a_pass", "test_alpha")
assert "skip" in acts("suite/a_pass", "test_skipped")
assert acts("suite/a_pass", "BenchmarkFast")[-1] == "bench"
assert acts("suite/b_fail", "test_broken")[-1] == "fail"
out = "".join(e.get("Output", "") for e in events if e.get("Test") == "test_broken")
assert "about to fail on stderr\n" in out and "    expected 1, got 2\n" in out, out
assert all(e["Output"].endswith("\n") for e in events if e["Action"] == "output"
           and e.get("Test") != "test_partial_line"), "output comes in lines"
PY

# ---- --list: names, nothing run ----
status=0
"$cbench" --list --outdir list-out suite/a_pass > list.txt 2>&1 || status=$?
cat list.txt
[ "$status" -eq 0 ] || fail "--list: exit status $status"
grep -qx "test_one" list.txt && grep -qx "BenchmarkOne" list.txt || fail "--list names"
! grep -q "alpha" list.txt || fail "--list ran tests"
grep -qx -- "--list" list-out/a_pass/received.txt || fail "--list not passed to the binary"
[ ! -e list-out/results.json ] || fail "--list wrote results"

# ---- on a terminal: a progress line while a benchmark runs, erased before its result ----
if command -v script > /dev/null; then
    script -qec "'$cbench' --bench . --outdir tty-out suite/a_pass" /dev/null > tty.txt
    python3 - tty.txt <<'PY'
import sys
out = open(sys.argv[1], "rb").read()
assert b"\r  running BenchmarkFast ...\r\x1b[KBenchmarkFast-2" in out, out
PY
fi

# ---- Ctrl-C: the running binary is stopped, the files are still written ----
# With -v, the test's output on the console shows that its start was read.
"$cbench" -v --timeout 0 --outdir int-out suite/d_hang > int.txt 2>&1 &
pid=$!
for _ in $(seq 300); do
    grep -q "^hanging" int.txt && break
    sleep 0.1
done
kill -INT "$pid"
st=0
wait "$pid" || st=$?
cat int.txt
[ "$st" -eq 1 ] || fail "interrupted run: exit status $st, want 1"
grep -q "interrupted" int.txt || fail "interrupted run: no message"
python3 - int-out/results.json <<'PY'
import json, sys
text = open(sys.argv[1]).read()
assert "test_hang" in text and "interrupted" in text, text
PY

# ---- bad command lines: status 2, a message, nothing run ----
expect_usage() {
    local n=$1 want=$2
    shift 2
    local st=0
    "$cbench" --outdir "bad$n" "$@" > "bad$n.out" 2> "bad$n.err" || st=$?
    [ "$st" -eq 2 ] || fail "cbench $*: exit status $st, want 2"
    grep -q -- "$want" "bad$n.err" || fail "cbench $*: no '$want' in: $(cat "bad$n.err")"
    [ ! -e "bad$n/a_pass" ] || fail "cbench $*: a binary ran"
}
expect_usage 1 "unknown flag: --bogus" --bogus suite/a_pass
expect_usage 2 "usage:" --count 0 suite/a_pass
expect_usage 3 "--run" --run 'a(' suite/a_pass
expect_usage 4 "no-such-path" suite/a_pass no-such-path
expect_usage 5 "not a cbench test binary" suite/plain
expect_usage 6 "--benchtime" --benchtime 10 suite/a_pass
touch not-a-folder
st=0
"$cbench" --outdir not-a-folder/sub suite/a_pass > /dev/null 2> bad7.err || st=$?
[ "$st" -eq 2 ] || fail "uncreatable outdir: exit status $st"
grep -q "not-a-folder/sub" bad7.err || fail "uncreatable outdir: $(cat bad7.err)"

# ---- names on the console: control characters escaped; benchmark
# lines padded to the longest name planned, as bench.txt pads them ----
mkdir ctl
cp "$fakes/cli_fake_ctl" ctl/f_ctl
"$cbench" -v --cpu 1 --outdir ctl-out ctl > ctl.txt 2>&1 || fail "ctl: $(cat ctl.txt)"
grep -qxF '=== RUN   ctl\x01name\x1b[31m' ctl.txt || fail "control characters not escaped: $(cat -v ctl.txt)"
grep -qxF -- '--- PASS: ctl\x01name\x1b[31m (0.00s)' ctl.txt || fail "control characters in --- PASS"
! grep -q $'\x1b' ctl.txt || fail "a raw escape reached the console"
grep -qE $'^BenchmarkA {9}\t +100\t' ctl.txt || fail "BenchmarkA not padded to BenchmarkLongerName: $(grep Benchmark ctl.txt | cat -A)"

# ---- --version ----
"$cbench" --version > version.txt || fail "--version failed"
grep -qE '^cbench version [0-9]+\.[0-9]+\.[0-9]+ linux/amd64$' version.txt || fail "--version: $(cat version.txt)"

# ---- compare ----
"$cbench" compare cbench-out/bench.txt cbench-out/results.json > cmp.txt
cat cmp.txt
grep -q "Fast-2" cmp.txt || fail "compare: no row"
st=0
"$cbench" compare cbench-out/bench.txt missing.txt 2> cmp.err || st=$?
[ "$st" -eq 2 ] || fail "compare with a missing file: exit status $st"

echo "end-to-end: all checks passed"
