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
# at the first CPU sample, as it would under any profiler.)
profiled() {
    LD_PRELOAD=$lib CBENCH_MEMPROFILERATE=1 CBENCH_HEAPPROFILE="$work/heap.pb.gz" \
        CBENCH_CPUPROFILE="$work/cpu.pb.gz" CBENCH_CPUPROFILE_RATE=1000 \
        python3 -c 'print(sum(len(str(i) * 50) for i in range(300000)))' >/dev/null &&
        (cd "$work" && HOME=$work go tool pprof -sample_index=alloc_space -top heap.pb.gz \
            >"$work/heap.top" 2>"$work/heap.err") && [ ! -s "$work/heap.err" ] &&
        grep -q '^Type: alloc_space' "$work/heap.top" &&
        grep -qE '^ +[0-9.]+[kMG]?B +[0-9.]+% .* [A-Za-z_][A-Za-z0-9_.]*$' "$work/heap.top" &&
        (cd "$work" && HOME=$work go tool pprof -top cpu.pb.gz >"$work/cpu.top" 2>"$work/cpu.err") &&
        [ ! -s "$work/cpu.err" ] && grep -q '^Type: cpu' "$work/cpu.top"
}
if command -v go >/dev/null && profiled; then
    passed=$((passed + 1)); echo "ok   unmodified program profiled through CBENCH_HEAPPROFILE and CBENCH_CPUPROFILE"
else
    failed=$((failed + 1)); echo "FAIL unmodified program profiled through the environment"
    cat "$work/heap.err" "$work/heap.top" "$work/cpu.err" 2>/dev/null | head -30
fi

echo "heap preload: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
