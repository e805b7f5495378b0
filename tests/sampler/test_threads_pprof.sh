#!/usr/bin/env bash
# The threads and threadcreate profiles read by the real `go tool pprof`:
# three threads named worker-0..2, parked in threads_test_parked and
# created from threads_test_spawn (test_threads_prog.c), must show with
# their names as the "thread" label (so -tagfocus selects them), and the
# creating function must carry the three creations. The text forms are
# checked for Go's shapes.
#
# usage: test_threads_pprof.sh TEST_THREADS_PROG
set -euo pipefail

prog=$1
command -v go >/dev/null || { echo "FAIL: 'go' is not installed (scripts/install-deps.sh installs golang-go)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work
cd "$work" # see test_pprof_interop.sh: pprof trims paths after the current folder's name

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

pprof() {
    if ! go tool pprof "$@" >"$work/out" 2>"$work/err"; then
        echo "go tool pprof $* failed:"; cat "$work/err"; return 1
    fi
    if [ -s "$work/err" ]; then
        echo "go tool pprof $* warned:"; cat "$work/err"; return 1
    fi
}
has() { grep -qE -- "$1" "$work/out"; }
check() {
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; sed 's/^/    /' "$work/out" | head -40; fi
}

mkdir p
"$prog" p

# value FILE: the flat/cum count of a function in -top output ($NF is the name).
cum_of() { awk -v fn="$1" '$NF == fn { print $4; found = 1 } END { if (!found) print 0 }' "$work/out"; }

threads_top() {
    pprof -top -nodecount=100 -nodefraction=0 p/threads.pb.gz && has 'Type: threads' &&
        [ "$(cum_of threads_test_parked)" = 3 ] && ! has 'on_signal|cb_unwind|__restore_rt|trampoline' &&
        has 'start_thread'
}
check "threads: three threads parked in threads_test_parked, no profiler frames (nor the start trampoline)" threads_top

threads_tags() {
    pprof -tags p/threads.pb.gz && has 'worker-0' && has 'worker-1' && has 'worker-2'
}
check "threads: each thread's name is a label" threads_tags

threads_tagfocus() {
    pprof -top -nodecount=100 -nodefraction=0 -tagfocus=thread=worker-1 p/threads.pb.gz &&
        [ "$(cum_of threads_test_parked)" = 1 ] && ! has 'write$'
}
check "threads: -tagfocus=thread=worker-1 keeps that thread alone" threads_tagfocus

threadcreate_top() {
    pprof -top -nodecount=100 -nodefraction=0 p/threadcreate.pb.gz && has 'Type: threadcreate' &&
        [ "$(cum_of threads_test_spawn)" = 3 ] &&
        awk '$NF ~ /^(__interceptor_)?pthread_create$/ && $1 == 3 { ok = 1 } END { exit !ok }' "$work/out"
}
# Under ASan, ASan's pthread_create comes first and calls cbench's: the
# leaf is then ASan's interceptor, called from the same function.
check "threadcreate: threads_test_spawn created 3, pthread_create is the leaf" threadcreate_top

text_forms() {
    cp p/threads.txt "$work/out" &&
        head -1 "$work/out" | grep -qE '^threads profile: total [0-9]+$' &&
        grep -qE '^3 @( 0x[0-9a-f]+)+$' "$work/out" &&
        grep -qE '^#	0x[0-9a-f]+	threads_test_parked	.*test_threads_park\.c:[0-9]+$' "$work/out" &&
        cp p/threads_full.txt "$work/out" &&
        [ "$(grep -cE '^thread [0-9]+ "worker-[0-2]":$' "$work/out")" = 3 ] &&
        [ "$(grep -cE '^threads_test_parked$' "$work/out")" = 3 ] &&
        cp p/threadcreate.txt "$work/out" && head -1 "$work/out" | grep -qE '^threadcreate profile: total 3$'
}
check "text: debug=1 groups the three stacks, debug=2 shows each thread" text_forms

legacy_text() {
    pprof -top -nodecount=100 -nodefraction=0 p/threads.txt && [ "$(cum_of threads_test_parked)" = 3 ]
}
check "text: pprof reads the debug=1 form" legacy_text

echo "threads pprof: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
