#!/usr/bin/env bash
# Mutex and block profiles against waits of known length (lock_prog.c),
# read back with the real `go tool pprof`. The program measures each kind
# of wait twice, independently of cbench: the waiter times its blocking
# call, and the releasing thread times the part of it during which the
# waiter was known to wait (a lower bound: on a loaded machine the two
# differ by scheduling latencies).
#  - mutex profile: the delay of the mutex and of the rwlock is charged to
#    the holder's function, under pthread_mutex_unlock / pthread_rwlock_unlock
#    as the leaf, between the two measures (20% margin); one contention per
#    round; nothing charged to the waiters;
#  - block profile: each waiting function (mutex, rwlock, condition
#    variable, semaphore, join) within 20% of its own measure of its calls,
#    under the pthread or semaphore function it called; nothing charged to
#    the holders;
#  - the text forms have Go's headers and pprof reads them.
#
# usage: test_lock_profile.sh LOCK_PROG
set -euo pipefail

prog=$1
command -v go >/dev/null || { echo "FAIL: 'go' is not installed (scripts/install-deps.sh installs golang-go)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work
cd "$work" # see test_pprof_interop.sh: pprof trims paths after the current folder's name

"$prog" "$work"
held() { awk -v k="$1" '$1 == k { print $2 }' truth.txt; }
waited() { awk -v k="$1" '$1 == k { print $3 }' truth.txt; }

# value PROFILE SAMPLE_INDEX COLUMN FUNCTION [FOCUS]: flat (1) or cum (4)
# value, of the stacks through FOCUS if given.
value() {
    go tool pprof -sample_index="$2" -unit=ns -top -cum -nodecount=100 -nodefraction=0 \
        ${5:+-focus="^$5\$"} "$1" 2>"$work/err" |
        awk -v c="$3" -v fn="$4" '$NF == fn { v = $c; sub(/ns$/, "", v); print v; found = 1 } END { if (!found) print 0 }'
    if [ -s "$work/err" ]; then echo "pprof warned:" >&2; cat "$work/err" >&2; return 1; fi
}

passed=0 failed=0
check() { # name, got, want, tolerance (fraction; 0 = exact)
    local ok
    ok=$(awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; print (t == 0 ? d == 0 : d <= t * w) ? 1 : 0 }')
    if [ "$ok" = 1 ]; then
        passed=$((passed + 1)); echo "ok   $1: $2 (want $3)"
    else
        failed=$((failed + 1)); echo "FAIL $1: $2, want $3 within $4"
    fi
}

between() { # name, got, low, high: low*0.8 <= got <= high*1.2
    if awk -v g="$2" -v l="$3" -v h="$4" 'BEGIN { exit !(g >= 0.8 * l && g <= 1.2 * h) }'; then
        passed=$((passed + 1)); echo "ok   $1: $2 (between $3 and $4)"
    else
        failed=$((failed + 1)); echo "FAIL $1: $2, want between 0.8 x $3 and 1.2 x $4"
    fi
}

m=mutex.pb.gz b=block.pb.gz
between "mutex: holds_lock delay" "$(value $m delay 4 holds_lock)" "$(held mutex)" "$(waited mutex)"
check "mutex: pthread_mutex_unlock is the leaf" "$(value $m delay 1 pthread_mutex_unlock holds_lock)" "$(value $m delay 4 holds_lock)" 0
check "mutex: holds_lock contentions" "$(value $m contentions 4 holds_lock)" 5 0
between "mutex: writes_under_rwlock delay" "$(value $m delay 4 writes_under_rwlock)" "$(held rwlock)" "$(waited rwlock)"
check "mutex: pthread_rwlock_unlock is the leaf" "$(value $m delay 1 pthread_rwlock_unlock writes_under_rwlock)" "$(value $m delay 4 writes_under_rwlock)" 0
check "mutex: nothing charged to waits_for_lock" "$(value $m delay 4 waits_for_lock)" 0 0
check "mutex: nothing charged to reads_after_writer" "$(value $m delay 4 reads_after_writer)" 0 0

check "block: waits_for_lock delay" "$(value $b delay 4 waits_for_lock)" "$(waited mutex)" 0.2
check "block: waits_for_lock contentions" "$(value $b contentions 4 waits_for_lock)" 5 0
check "block: pthread_mutex_lock is the leaf" "$(value $b delay 1 pthread_mutex_lock waits_for_lock)" "$(value $b delay 4 waits_for_lock)" 0
check "block: reads_after_writer delay" "$(value $b delay 4 reads_after_writer)" "$(waited rwlock)" 0.2
check "block: pthread_rwlock_rdlock is the leaf" "$(value $b delay 1 pthread_rwlock_rdlock reads_after_writer)" "$(value $b delay 4 reads_after_writer)" 0
check "block: waits_on_cond delay" "$(value $b delay 4 waits_on_cond)" "$(waited cond)" 0.2
check "block: waits_on_sem delay" "$(value $b delay 4 waits_on_sem)" "$(waited sem)" 0.2
check "block: joins_sleeper delay" "$(value $b delay 4 joins_sleeper)" "$(waited join)" 0.2
check "block: nothing charged to holds_lock" "$(value $b delay 4 holds_lock)" 0 0
check "block: nothing charged to writes_under_rwlock" "$(value $b delay 4 writes_under_rwlock)" 0 0

texts() {
    head -3 mutex.txt | tr '\n' '|' | grep -q '^--- mutex:|cycles/second=1000000000|sampling period=1|$' &&
        head -2 block.txt | tr '\n' '|' | grep -q '^--- contention:|cycles/second=1000000000|$' &&
        grep -qE '^[0-9]+ 5 @( 0x[0-9a-f]+)+$' mutex.txt &&
        grep -q $'^#\t0x[0-9a-f]*\tholds_lock\t.*lock_prog.c:[0-9]*$' mutex.txt &&
        go tool pprof -top mutex.txt 2>/dev/null | grep -q '^Type: delay$' &&
        go tool pprof -top block.txt 2>/dev/null | grep -q '^Type: delay$'
}
if texts; then
    passed=$((passed + 1)); echo "ok   text forms: Go's headers, records, pprof reads them"
else
    failed=$((failed + 1)); echo "FAIL text forms"; head -12 mutex.txt block.txt
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
