#!/usr/bin/env bash
# The heap and assertion tests under valgrind's memcheck: the malloc
# interposer (sampler/interpose/heap.c) is checked by no sanitizer (ASan
# replaces malloc, UBSan checks no memory), so CI runs its tests here, and
# any error memcheck reports fails the run.
#
#   tests/valgrind/run.sh BUILD_DIR
#
# memcheck stands in for glibc's allocator underneath cbench's: with
# --soname-synonyms=somalloc=nouserintercepts it leaves the malloc that
# the test binaries define (cbench's, linked statically) in place and
# replaces glibc's, which cbench calls; so every header, tag and counter
# cbench reads or writes is checked against the blocks it asked for.
# memcheck.supp holds the reports that are not cbench's errors, each with
# its reason. Not here: test_heap_cxx (memcheck replaces operator new in
# libstdc++ itself, so cbench never sees it), the stress tests (hours
# under memcheck's one-thread-at-a-time scheduling).
set -euo pipefail

build=$(cd "$1" && pwd -P)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
tests=(
    tests/sampler/interpose/test_heap_counters
    tests/sampler/interpose/test_heap_lifetime
    tests/sampler/test_heap_window
    tests/assertions/test_assert_sampling
    tests/assertions/test_assert_plugin_reset
    tests/assertions/test_assert_messages # runs assert_prog: children traced
)
command -v valgrind >/dev/null || { echo "memcheck: valgrind is not installed" >&2; exit 1; }

passed=0 failed=0
for t in "${tests[@]}"; do
    log=$(mktemp)
    start=$(date +%s)
    status=0
    # --fair-sched: the tests' threads take turns as they would on cores,
    # not one running until it blocks (a fork test took 163 s, 63 s so).
    valgrind -q --tool=memcheck --error-exitcode=97 --trace-children=yes \
        --fair-sched=yes --soname-synonyms=somalloc=nouserintercepts \
        --suppressions="$here/memcheck.supp" "$build/$t" >"$log" 2>&1 || status=$?
    secs=$(($(date +%s) - start))
    if [ "$status" -eq 0 ] && ! grep -q '^==[0-9]*== ' "$log"; then
        passed=$((passed + 1))
        echo "memcheck: ok   $t (${secs}s)"
    else
        failed=$((failed + 1))
        echo "memcheck: FAIL $t (status $status, ${secs}s)"
        grep -v '^\[ \|^\[==\|^\[  PASSED\|OK \]' "$log" | head -80
    fi
    rm -f "$log"
done
echo "memcheck: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
