#!/usr/bin/env bash
# Sharding as Bazel documents it (Test encyclopedia, "Test sharding"):
# TEST_TOTAL_SHARDS and TEST_SHARD_INDEX (0-based) select the tests, the
# file TEST_SHARD_STATUS_FILE names is touched, XML_OUTPUT_FILE receives
# the JUnit report. Three shards of a 30-test binary are disjoint, cover
# every test, are the same on a second run, and follow the documented
# assignment (FNV-1a 64 of the name, modulo the shards), checked here by
# an independent computation. Then the command's --shard K/N.
#
#   test_shard.sh CBENCH SHARD_PROG SHARD_PROG_GROUP FAKE_OLD_BINARY
set -euo pipefail
cbench=$1 prog=$2 group=$3 old=$4
work=$(mktemp -d /tmp/cbench-shard-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }

# The names in a JUnit file, one a line, sorted.
names() {
    python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
for c in sorted(c.get("name") for c in ET.parse(sys.argv[1]).iter("testcase")):
    print(c)
PY
}

# What the documented assignment gives for shard $1 of $2 over names on stdin.
expected() {
    python3 -c '
import sys
idx, tot = int(sys.argv[1]), int(sys.argv[2])
for n in sys.stdin.read().split():
    h = 0xcbf29ce484222325
    for b in n.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    if h % tot == idx:
        print(n)' "$1" "$2" | sort
}

seq 1 30 | sed 's/^/test_shard_/' | sort >all_tests

for bin in "$prog" "$group"; do
    kind=$(basename "$bin")
    for run in 1 2; do
        : >"union.$run"
        for i in 0 1 2; do
            rm -f "status.$i"
            xml=$work/$kind.$run.$i.xml
            TEST_TOTAL_SHARDS=3 TEST_SHARD_INDEX=$i TEST_SHARD_STATUS_FILE=$work/status.$i \
                XML_OUTPUT_FILE=$xml "$bin" >"out.$i" 2>&1 || fail "$kind shard $i: $(cat out.$i)"
            [ -f "status.$i" ] || fail "$kind shard $i did not touch TEST_SHARD_STATUS_FILE"
            [ -s "$xml" ] || fail "$kind shard $i wrote no XML_OUTPUT_FILE"
            names "$xml" >"got.$i"
            [ -s "got.$i" ] || fail "$kind shard $i ran no test"
            expected "$i" 3 <all_tests >"want.$i"
            diff "want.$i" "got.$i" || fail "$kind shard $i: not the documented assignment"
            cat "got.$i" >>"union.$run"
        done
        sort "union.$run" >"union.$run.sorted"
        diff all_tests "union.$run.sorted" || fail "$kind: the shards miss or repeat a test"
    done
    for i in 0 1 2; do
        cmp -s <(names "$kind.1.$i.xml") <(names "$kind.2.$i.xml") ||
            fail "$kind shard $i differs on a second run"
    done
    # The status file is touched, not only created: its time moves.
    touch -d '2000-01-01' status.0
    TEST_TOTAL_SHARDS=3 TEST_SHARD_INDEX=0 TEST_SHARD_STATUS_FILE=$work/status.0 "$bin" \
        >/dev/null 2>&1
    [ "$(stat -c %Y status.0)" -gt 946684800 ] || fail "$kind: the status file was not touched"
    # One shard is all the tests.
    TEST_TOTAL_SHARDS=1 TEST_SHARD_INDEX=0 XML_OUTPUT_FILE=$work/one.xml "$bin" >/dev/null 2>&1
    diff all_tests <(names one.xml) || fail "$kind: one shard is not every test"
done

# A binary run by itself takes --shard K/N too (K 1-based), over the
# variables; --list lists its part.
"$prog" --shard 2/3 --list | grep '^test_' | sort >flag2
diff got.1 flag2 || fail "the binary's --shard 2/3 is not TEST_SHARD_INDEX=1"
TEST_TOTAL_SHARDS=3 TEST_SHARD_INDEX=0 "$prog" --shard 2/3 --list | grep '^test_' | sort >flag2b
diff got.1 flag2b || fail "--shard does not win over the variables"
CBENCH_FLAGS='--shard 2/3 --list' "$group" | grep -o 'test_shard_[0-9]*' | sort >flag2c || true
diff got.1 flag2c || fail "CBENCH_FLAGS=--shard 2/3 in a group binary"

# Bad values: a clear message, and no test runs.
bad() {
    local want=$1
    shift
    local status=0
    env "$@" "$prog" >bad.out 2>&1 || status=$?
    [ "$status" -eq 2 ] || fail "$* gave status $status, want 2: $(cat bad.out)"
    grep -q "$want" bad.out || fail "$*: no message \"$want\": $(cat bad.out)"
    ! grep -q 'test_shard_' bad.out || fail "$*: tests ran"
}
bad 'TEST_SHARD_INDEX="3": not a whole number from 0 to 2' TEST_TOTAL_SHARDS=3 TEST_SHARD_INDEX=3
bad 'TEST_TOTAL_SHARDS="0": not a whole number >= 1' TEST_TOTAL_SHARDS=0 TEST_SHARD_INDEX=0
bad 'TEST_TOTAL_SHARDS="x3"' TEST_TOTAL_SHARDS=x3 TEST_SHARD_INDEX=0
bad 'TEST_SHARD_INDEX="-1"' TEST_TOTAL_SHARDS=3 TEST_SHARD_INDEX=-1
bad 'TEST_SHARD_INDEX is set but TEST_TOTAL_SHARDS is not' TEST_SHARD_INDEX=1
bad 'TEST_SHARD_STATUS_FILE=/nonexistent/s' TEST_TOTAL_SHARDS=2 TEST_SHARD_INDEX=0 \
    TEST_SHARD_STATUS_FILE=/nonexistent/s
status=0
TEST_TOTAL_SHARDS=3 "$group" >bad.out 2>&1 || status=$?
[ "$status" -ne 0 ] && grep -q 'TEST_TOTAL_SHARDS is set but TEST_SHARD_INDEX is not' bad.out ||
    fail "group binary took a half-set protocol: status $status, $(cat bad.out)"

# The command: --shard K/N (K 1-based) is the binary's shard K-1.
for k in 0/3 4/3 3 x/3 1/0 1/3x -1/3 ''; do
    status=0
    "$cbench" --shard "$k" --outdir cmd "$prog" >cmd.out 2>&1 || status=$?
    [ "$status" -eq 2 ] || fail "--shard '$k': status $status, want 2"
    grep -q -- '--shard' cmd.out || fail "--shard '$k': no message: $(cat cmd.out)"
done
: >cmd_union
for k in 1 2 3; do
    "$cbench" --shard "$k/3" --bench . --benchtime 1x --cpu 1 --outdir "cmd$k" "$prog" >"cmd$k.out" 2>&1 ||
        fail "--shard $k/3: $(cat cmd$k.out)"
    names "cmd$k/junit.xml" | grep '^test_' >"cmd$k.tests"
    diff "got.$((k - 1))" "cmd$k.tests" || fail "--shard $k/3 is not TEST_SHARD_INDEX=$((k - 1))"
    names "cmd$k/junit.xml" | grep '^Benchmark' | sed 's,/.*,,' | sort -u >>cmd_union || true
done
# Every benchmark in one shard, with its sub-benchmarks.
sort cmd_union >cmd_union.sorted
printf 'BenchmarkAdd\nBenchmarkAlloc\nBenchmarkSub\n' | diff - cmd_union.sorted ||
    fail "benchmarks missing or repeated across shards"
for k in 1 2 3; do
    n=$(names "cmd$k/junit.xml" | grep -c '^BenchmarkSub/' || true)
    [ "$n" = 0 ] || [ "$n" = 2 ] || fail "BenchmarkSub's sub-benchmarks are split: $n in shard $k"
done
# results.json says who wrote it: the shard, cbench's version, each
# binary's build ID (as readelf reads it).
want_id=$(readelf -n "$prog" | sed -n 's/.*Build ID: *//p')
[ -n "$want_id" ] || fail "readelf finds no build ID in $prog"
version=$("$cbench" --version | awk '{print $3}')
TEST_TOTAL_SHARDS=3 TEST_SHARD_INDEX=1 "$prog" --outdir self --memprofile >/dev/null 2>&1 ||
    fail "the binary run by itself failed"
python3 - "$want_id" "$version" cmd2/results.json self/results.json <<'PY' || fail "results.json's origin"
import json, sys
want_id, version = sys.argv[1], sys.argv[2]
for path in sys.argv[3:]:
    d = json.load(open(path))
    assert d["shard"] == "2/3", (path, d["shard"])
    assert d["cbench_version"] == version, (path, d["cbench_version"])
    assert [b["build_id"] for b in d["binaries"]] == [want_id], (path, d["binaries"])
    assert d["binaries"][0]["name"] == d["records"][0]["binary"], (path, d["binaries"])
PY
"$cbench" --outdir unsharded "$prog" >/dev/null 2>&1 || fail "unsharded run"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["shard"] is None' \
    unsharded/results.json || fail "an unsharded run names a shard"

# Without --shard the command passes a runner's variables through, and
# writes its own JUnit report to XML_OUTPUT_FILE, as a binary does.
rm -f status.pt
TEST_TOTAL_SHARDS=3 TEST_SHARD_INDEX=1 TEST_SHARD_STATUS_FILE=$work/status.pt \
    XML_OUTPUT_FILE=$work/cmd.xml "$cbench" --outdir pt "$prog" >pt.out 2>&1 ||
    fail "the command under a sharded runner: $(cat pt.out)"
diff got.1 <(names pt/junit.xml) || fail "the runner's shard did not reach the binary"
diff got.1 <(names cmd.xml) || fail "the command's XML_OUTPUT_FILE is not its JUnit report"
[ -f status.pt ] || fail "the binary under the command did not touch the runner's status file"

# --list shows the shard's part and writes nothing.
"$cbench" --shard 2/3 --list --outdir nolist "$prog" | grep '^test_' | sort >list2
diff got.1 list2 || fail "--list --shard 2/3 is not the shard's tests"
[ ! -e nolist/results.json ] || fail "--list wrote files"
# A binary that does not touch the status file would run everything in
# every shard: the command says so and fails.
status=0
"$cbench" --shard 1/2 --outdir oldout "$old" >old.out 2>&1 || status=$?
[ "$status" -eq 1 ] && grep -q 'does not honour --shard' old.out ||
    fail "a binary without sharding passed: status $status, $(cat old.out)"
echo "shard: ok"
