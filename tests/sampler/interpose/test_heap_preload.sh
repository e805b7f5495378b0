#!/usr/bin/env bash
# Programs that know nothing of cbench run unchanged with libcbench
# preloaded: its malloc family serves all their allocations (threads,
# aligned allocations, realloc-heavy code) and their output is the same.
#
# usage: test_heap_preload.sh LIBCBENCH_SO
set -euo pipefail

lib=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

same_output() { # name, then the command
    local name=$1; shift
    if "$@" >"$work/plain" 2>&1 && LD_PRELOAD=$lib "$@" >"$work/preloaded" 2>&1 &&
        cmp -s "$work/plain" "$work/preloaded"; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"; diff "$work/plain" "$work/preloaded" | head -20
    fi
}

seq 1 200000 | shuf --random-source=<(yes) >"$work/numbers"
same_output "sort (large buffers, realloc)" sort -n "$work/numbers"
same_output "sort in parallel threads" sort -n --parallel=4 -S 1M "$work/numbers"
same_output "shell pipeline" sh -c 'ls -la /usr/include | wc -l; echo done'
same_output "python: threads, many small objects" python3 -c '
import threading
out = []
def work(n):
    out.append(sum(len(str(i) * 3) for i in range(n)))
ts = [threading.Thread(target=work, args=(200000,)) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sorted(out))'
same_output "gzip round trip" sh -c "gzip -9 <'$work/numbers' | gunzip | md5sum"

# Profiled too, through the environment, with nothing in the program.
# (Not sort: it installs its own SIGPROF handler, which ends the process
# at the first CPU sample, as it would under any profiler.) The
# interpreter itself, not a wrapper script (pyenv's shims are bash).
py=$(python3 -c 'import sys; print(sys.executable)')
burn=(-c 'print(sum(len(str(i) * 50) for i in range(300000)))')
pprof_top() { # FILE, then flags: the top table in $work/top, or fail
    local file=$1; shift
    (cd "$work" && HOME=$work go tool pprof -top "$@" "$file" >"$work/top" 2>"$work/err") &&
        [ ! -s "$work/err" ]
}
# At least one sample, and the interpreter's loop among them.
has_samples() {
    pprof_top "$1" && grep -q '^Type: cpu' "$work/top" &&
        grep -qE 'Total samples = [1-9]' "$work/top" && grep -q '_PyEval_EvalFrameDefault' "$work/top"
}
profiled() {
    LD_PRELOAD=$lib CBENCH_MEMPROFILERATE=1 CBENCH_HEAPPROFILE="$work/heap.pb.gz" \
        CBENCH_CPUPROFILE="$work/cpu.pb.gz" CBENCH_CPUPROFILE_RATE=1000 \
        "$py" "${burn[@]}" >/dev/null &&
        pprof_top heap.pb.gz -sample_index=alloc_space && grep -q '^Type: alloc_space' "$work/top" &&
        grep -qE '^ +[0-9.]+[kMG]?B +[0-9.]+% .* [A-Za-z_][A-Za-z0-9_.]*$' "$work/top" &&
        has_samples cpu.pb.gz
}
check() { # name, then the command
    local name=$1; shift
    if "$@"; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"; cat "$work/err" "$work/top" 2>/dev/null | head -30
    fi
}
if command -v go >/dev/null; then
    check "unmodified program profiled through CBENCH_HEAPPROFILE and CBENCH_CPUPROFILE" profiled
    # A wrapper process profiles too, and exits after the program: the
    # program's profile stays. (timeout closes its stderr before cbench's
    # exit handler could say so.)
    wrapped() {
        LD_PRELOAD=$lib CBENCH_CPUPROFILE="$work/wrapped.pb.gz" CBENCH_CPUPROFILE_RATE=1000 \
            timeout 60 "$py" "${burn[@]}" >/dev/null && has_samples wrapped.pb.gz &&
            [ "$(ls "$work" | grep -c wrapped)" -eq 1 ]
    }
    check "a wrapper's profile does not replace its program's" wrapped
    # "%p": one profile per process.
    per_process() {
        LD_PRELOAD=$lib CBENCH_CPUPROFILE="$work/each.%p.pb.gz" CBENCH_CPUPROFILE_RATE=1000 \
            timeout 60 "$py" "${burn[@]}" >/dev/null &&
            [ "$(ls "$work"/each.*.pb.gz | wc -l)" -eq 2 ] &&
            for f in "$work"/each.*.pb.gz; do pprof_top "$f" || return 1; done &&
            ls "$work"/each.*.pb.gz | while read -r f; do has_samples "$f" && echo yes; done |
            grep -q yes
    }
    check "%p in CBENCH_CPUPROFILE keeps each process's profile" per_process
else
    failed=$((failed + 1)); echo "FAIL go tool pprof is missing"
fi

echo "heap preload: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
