#!/usr/bin/env bash
# The cmocka plugin: cbench_run_group_tests keeps cmocka's behaviour
# (output in every message format, exit status) and reports each test's
# status and its own profiles.
#
#   test_cmocka_plugin.sh PLUGIN_PROG PLAIN_PROG heap|noheap
# (noheap: an ASan build, where malloc is ASan's and heap profiles are empty)
set -euo pipefail
prog=$1 plain=$2 heap=${3:-heap}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" # go tool pprof trims paths after a component named like the cwd
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. cmocka's own output and status are unchanged, in each format.
for fmt in STDOUT TAP SUBUNIT; do
    s1=0 s2=0
    CMOCKA_MESSAGE_OUTPUT=$fmt "$prog" >with.txt 2>&1 || s1=$?
    CMOCKA_MESSAGE_OUTPUT=$fmt "$plain" >without.txt 2>&1 || s2=$?
    [[ $s1 -eq $s2 ]] || fail "$fmt: exit status $s1 with cbench, $s2 without"
    # SUBUNIT prints times; everything else must match byte for byte.
    sed -E 's/time: [0-9:. -]+Z?/time: T/' with.txt >a.txt
    sed -E 's/time: [0-9:. -]+Z?/time: T/' without.txt >b.txt
    diff -u b.txt a.txt || fail "$fmt: cmocka's output differs under cbench"
done
[[ $s1 -ne 0 ]] || fail "the failing tests did not make the exit status non-zero"

# 2. Statuses and per-test profiles, through the protocol.
out=$tmp/out
status=0
CBENCH_EVENTS=1 CBENCH_BINARY_NAME=plugin \
CBENCH_FLAGS=$'--cpuprofile\n--memprofile\n--memprofilerate\n1\n--outdir\n'"$out" \
    "$prog" >events.txt 2>&1 || status=$?
[[ $status -ne 0 ]] || fail "exit status 0 despite failing tests"

python3 - "$out" "$heap" <<'PY' || fail "events"
import json, os, sys
out = sys.argv[1]
data = open("events.txt", "rb").read().decode("utf-8", "replace")
mark = "\x1ecbench "
events = []
for chunk in data.split(mark)[1:]:
    line = chunk.split("\n", 1)[0]
    events.append(json.loads(line))
records = {e["name"]: e for e in events if e["event"] == "record"}
starts = [e["name"] for e in events if e["event"] == "start"]
expect = {
    "sees_group_state": "pass",
    "group_state_wins_over_prestate": "pass",
    "fails": "fail",
    "skips": "skip",
    "sees_prestate": "pass",
    "sees_setup_state": "pass",
    "never_runs": "fail",
    "burns_cpu": "pass",
    "allocates": "pass",
}
got = {n: r["status"] for n, r in records.items()}
assert got == expect, f"statuses: {got}"
assert sorted(starts) == sorted(expect), f"starts: {starts}"
for name in ("burns_cpu", "allocates"):
    arts = records[name].get("artifacts", {})
    for kind in ("cpu", "heap", "allocs") if sys.argv[2] == "heap" else ("cpu",):
        assert kind in arts, f"{name}: no {kind} artifact: {arts}"
        path = os.path.join(out, arts[kind])
        assert os.path.getsize(path) > 0, path
        assert arts[kind] == f"plugin/{name}/{kind}.pb.gz", arts[kind]
assert "cpu" not in records["never_runs"].get("artifacts", {}), "a test that never ran has a profile"
# A test has no parallelism: procs is 0 (left out of the event) as the docs say.
for r in records.values():
    assert r.get("procs", 0) == 0, f"{r['name']}: procs {r.get('procs')}"
PY

top() { go tool pprof -top -nodecount=200 "$@" 2>pprof.err || { cat pprof.err >&2; fail "pprof $*"; }; }

# 3. --run is Go's matching, as for benchmarks: "fails/x|skips" runs both.
CBENCH_EVENTS=1 CBENCH_FLAGS=$'--run=fails/x|skips' "$prog" >run.txt 2>&1 || true
grep -q '"name":"skips"' run.txt || fail "--run 'fails/x|skips' did not run skips"
grep -q '"name":"fails"' run.txt || fail "--run 'fails/x|skips' did not run fails"
grep -q '"name":"burns_cpu"' run.txt && fail "--run 'fails/x|skips' ran burns_cpu"

# 4. Flags on the command line of a cbench_run_group_tests binary do
# nothing: it says so, naming them.
"$prog" --cpuprofile --outdir "$tmp/ignored" >argv.txt 2>&1 || true
grep -q "warning: .*CBENCH_FLAGS.*ignored: --cpuprofile --outdir" argv.txt ||
    fail "no warning for flags on the command line: $(head -3 argv.txt)"
[[ ! -e $tmp/ignored ]] || fail "flags on the command line were read"
# CBENCH_FLAGS typed by hand is split as a shell would.
CBENCH_FLAGS=$'--cpuprofile\n--outdir '"$tmp/typed" "$prog" >typed.txt 2>&1 || true
[[ -s $tmp/typed/plugin_prog/burns_cpu/cpu.pb.gz ]] || fail "CBENCH_FLAGS with '--outdir DIR': $(grep cbench typed.txt)"

# 5. The command's binary name is already a folder name: not encoded again.
CBENCH_EVENTS=1 CBENCH_BINARY_NAME='sub%2Fplugin~2' \
CBENCH_FLAGS=$'--cpuprofile\n--run=burns_cpu\n--cpuprofilerate=1000\n--outdir\n'"$out" \
    "$prog" >named.txt 2>&1 || fail "burns_cpu alone failed"
[[ -s $out/sub%2Fplugin~2/burns_cpu/cpu.pb.gz ]] || fail "artifacts not under sub%2Fplugin~2: $(ls "$out")"
# --cpuprofilerate: one sample a millisecond.
go tool pprof -raw "$out/sub%2Fplugin~2/burns_cpu/cpu.pb.gz" 2>/dev/null | grep -qx 'Period: 1000000' ||
    fail "--cpuprofilerate 1000 did not give a 1 ms period"

# 6. A profile that cannot be written (its name is taken by a folder) is
# an error: said on stderr, and the binary exits 1.
mkdir -p "$tmp/full/plugin_prog/burns_cpu/cpu.pb.gz"
status=0
CBENCH_FLAGS=$'--cpuprofile\n--run=burns_cpu\n--outdir\n'"$tmp/full" "$prog" >full.txt 2>&1 || status=$?
[[ $status -ne 0 ]] || fail "a profile that could not be written gave exit status 0"
grep -q "cbench: 1 profile could not be written; the first: writing the CPU profile of burns_cpu: " full.txt ||
    fail "no error for the unwritten profile: $(cat full.txt)"
burn=$out/plugin/burns_cpu alloc=$out/plugin/allocates
top "$burn/cpu.pb.gz" | grep -q burn_in_first_test || fail "burns_cpu's CPU profile lacks its function"
top "$alloc/cpu.pb.gz" | grep -q burn_in_first_test && fail "allocates' CPU profile holds burns_cpu's work"
[[ $heap == heap ]] || { echo "ok (heap checks left out)"; exit 0; }
# Rate 1: exactly 100 blocks of 10000 bytes, all live at the end of the test.
top -sample_index=inuse_space -unit=B "$alloc/heap.pb.gz" | grep alloc_in_second_test |
    grep -q '1000000B' || fail "allocates' heap profile does not show its 1000000 live bytes"
top -sample_index=alloc_space "$burn/allocs.pb.gz" | grep -q alloc_in_second_test &&
    fail "burns_cpu's allocs profile holds allocates' blocks"
# Nothing of cbench's own: the test's 100 blocks are the whole profile.
top -sample_index=inuse_space -unit=B "$alloc/heap.pb.gz" | grep -q 'of 1000000B total' ||
    fail "allocates' heap profile holds more than the test's blocks"
top -sample_index=alloc_space -unit=B "$alloc/allocs.pb.gz" | grep -q 'of 1000000B total' ||
    fail "allocates' allocs profile holds more than the test's blocks"
if grep -q "Warning\|warning" pprof.err; then cat pprof.err >&2; fail "pprof warned"; fi
echo "ok"
