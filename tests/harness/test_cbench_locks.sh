#!/usr/bin/env bash
# --mutexprofile and --blockprofile end to end: the `cbench` command, and
# the binary run by itself, write mutex.pb.gz and block.pb.gz for every
# test and benchmark; results.json lists them; `go tool pprof` opens them
# without a warning; each holds its own test's contending functions (the
# holder in the mutex profile, the waiter in the block profile) and not
# the other test's; the rates reach the profiles.
#
#   test_cbench_locks.sh CBENCH E2E_LOCKS lock|nolock
# (nolock: locks are not interposed, as under ASan; only the files are checked)
set -euo pipefail
cbench=$1 bin=$2 mode=${3:-lock}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir bins
cp "$bin" bins/e2e_locks

# top PROFILE: go tool pprof -top into top.txt, which must not warn.
top() {
    go tool pprof -top -nodecount=300 "$@" >top.txt 2>pprof.err || { cat pprof.err; fail "pprof $*"; }
    if grep -qi warning pprof.err; then cat pprof.err; fail "pprof warned on $*"; fi
    return 0
}
# has PROFILE FUNCTION... / lacks PROFILE FUNCTION...
has() { local p=$1; shift; top "$p"; for f; do grep -q "$f" top.txt || { cat top.txt; fail "$p lacks $f"; }; done; }
lacks() { local p=$1; shift; top "$p"; for f; do grep -q "$f" top.txt && { cat top.txt; fail "$p holds $f"; }; done; return 0; }

out=$tmp/out
status=0
"$cbench" bins --bench . --benchtime 2x --mutexprofile --blockprofile --outdir "$out" \
    >console.txt 2>&1 || status=$?
cat console.txt
[[ $status -eq 0 ]] || fail "exit status $status"

python3 - "$out" <<'PY' || fail "results.json"
import json, os, sys
out = sys.argv[1]
res = json.load(open(os.path.join(out, "results.json")))
names = {r["name"] for r in res["records"]}
assert names == {"first_contends", "second_contends", "quiet_locks", "BenchmarkContend"}, names
for r in res["records"]:
    a = r["artifacts"]
    assert set(a) == {"mutex", "block"}, (r["name"], a)
    for kind in ("mutex", "block"):
        assert a[kind].startswith("e2e_locks/"), a
        assert a[kind].endswith("/" + kind + ".pb.gz"), a
        assert os.path.getsize(os.path.join(out, a[kind])) > 0, a
PY

d=$out/e2e_locks
for t in first_contends second_contends quiet_locks BenchmarkContend; do
    top "$d/$t/mutex.pb.gz"
    top "$d/$t/block.pb.gz"
done
if [[ $mode == lock ]]; then
    has "$d/first_contends/mutex.pb.gz" first_holder pthread_mutex_unlock
    lacks "$d/first_contends/mutex.pb.gz" second_holder bench_holder
    has "$d/first_contends/block.pb.gz" first_waiter pthread_mutex_lock
    lacks "$d/first_contends/block.pb.gz" second_waiter bench_waiter
    has "$d/second_contends/mutex.pb.gz" second_holder
    lacks "$d/second_contends/mutex.pb.gz" first_holder bench_holder
    has "$d/second_contends/block.pb.gz" second_waiter
    lacks "$d/second_contends/block.pb.gz" first_waiter bench_waiter
    lacks "$d/quiet_locks/mutex.pb.gz" first_holder second_holder quiet_locker
    lacks "$d/quiet_locks/block.pb.gz" first_waiter second_waiter
    has "$d/BenchmarkContend/mutex.pb.gz" bench_holder
    lacks "$d/BenchmarkContend/mutex.pb.gz" first_holder second_holder
    has "$d/BenchmarkContend/block.pb.gz" bench_waiter
    # Every wait is recorded at the default fraction 1: 3 and 2 contentions.
    go tool pprof -raw "$d/first_contends/mutex.pb.gz" >raw.txt 2>/dev/null
    grep -q "^Period: 1$" raw.txt || fail "the default fraction is not 1"
    go tool pprof -top -sample_index=contentions "$d/first_contends/mutex.pb.gz" >top.txt 2>/dev/null
    awk '$NF == "first_holder" && $4 == 3 { ok = 1 } END { exit !ok }' top.txt ||
        { cat top.txt; fail "first_contends: not 3 contentions under first_holder"; }
fi

# By itself, with the rates given: the same files, and the rates are the
# profiles' periods (fraction 0 records nothing).
out2=$tmp/out2
bins/e2e_locks --run first --mutexprofile --mutexprofilefraction 0 --blockprofile \
    --blockprofilerate 1000 --outdir "$out2" >alone.txt 2>&1 || { cat alone.txt; fail "standalone run"; }
grep -q "^PASS$" alone.txt || { cat alone.txt; fail "no PASS"; }
p=$out2/e2e_locks/first_contends
[[ -s $p/mutex.pb.gz && -s $p/block.pb.gz ]] || fail "standalone: profiles missing"
[[ -e $out2/e2e_locks/second_contends ]] && fail "standalone: --run ignored"
grep -q '"mutex":"e2e_locks/first_contends/mutex.pb.gz"' "$out2/results.json" ||
    fail "standalone results.json lacks the mutex profile"
lacks "$p/mutex.pb.gz" first_holder
go tool pprof -raw "$p/block.pb.gz" >raw.txt 2>/dev/null
grep -q "^Period: 1000$" raw.txt || { cat raw.txt; fail "--blockprofilerate did not reach the profile"; }
if [[ $mode == lock ]]; then
    has "$p/block.pb.gz" first_waiter # 3 ms waits: longer than the rate, all recorded
fi

# Through CBENCH_FLAGS, as the command passes flags.
out3=$tmp/out3
CBENCH_FLAGS=$'--run=second\n--blockprofile\n--outdir='"$out3" bins/e2e_locks >env.txt 2>&1 ||
    { cat env.txt; fail "run with CBENCH_FLAGS"; }
[[ -s $out3/e2e_locks/second_contends/block.pb.gz ]] || fail "CBENCH_FLAGS: no block profile"
[[ -e $out3/e2e_locks/second_contends/mutex.pb.gz ]] && fail "CBENCH_FLAGS: a mutex profile nobody asked for"
[[ $mode == lock ]] && has "$out3/e2e_locks/second_contends/block.pb.gz" second_waiter
echo ok
