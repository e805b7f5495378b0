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

echo "heap preload: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
