#!/usr/bin/env bash
# What each --*profile flag costs a suite of short tests: a generated
# cmocka binary of 200 tests, each a few microseconds of work (a loop and
# eight allocations of its own), run by the cbench command with no flag,
# then with each flag, in interleaved rounds. Prints the median wall time
# of the whole run and the cost each flag adds per test (milliseconds).
#
#   bench/run_profile_flags.sh [ROUNDS [BUILD_DIR...]]   default: 7 build
#
# Each BUILD_DIR holds a built cbench (its command and libcbench.a); the
# suite is compiled against each, and the builds' runs are interleaved
# round by round, so a before and an after of a change see the same
# machine.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
rounds=${1:-7}
shift || true
builds=()
for b in "${@:-$root/build}"; do builds+=("$(cd "$b" && pwd -P)"); done
ntests=200
work=$(mktemp -d /tmp/cbench-flags-XXXXXX)
trap 'rm -rf "$work"' EXIT

{
    echo '#include <stdlib.h>'
    echo '#include <cbench.h>'
    echo 'static volatile unsigned sink;'
    echo 'static void work(int k) { for (int i = 0; i < 2000; i++) sink += (unsigned)(i * k);'
    echo '    void *p[8]; for (int i = 0; i < 8; i++) p[i] = malloc((size_t)(16 << i));'
    echo '    for (int i = 0; i < 8; i++) free(p[i]); }'
    for i in $(seq 1 $ntests); do
        echo "static void test_$i(void **state) { (void)state; work($i); }"
    done
    echo 'int main(void) { const struct CMUnitTest tests[] = {'
    for i in $(seq 1 $ntests); do echo "    cmocka_unit_test(test_$i),"; done
    echo '}; return cbench_run_group_tests(tests, NULL, NULL); }'
} >"$work/suite.c"
for i in "${!builds[@]}"; do
    # shellcheck disable=SC2046 # pkg-config's words
    cc -O2 -g -fno-omit-frame-pointer -I"$root/include" -o "$work/suite$i" "$work/suite.c" \
        "${builds[$i]}/libcbench.a" $(pkg-config --libs cmocka libprotobuf-c zlib libunwind libdw) \
        -lunwind-x86_64 -lpthread -ldl -lm
done

configs=(none --cpuprofile --memprofile --mutexprofile --blockprofile
         "--cpuprofile --memprofile --mutexprofile --blockprofile")
declare -A times
for r in $(seq 1 "$rounds"); do
    for i in "${!builds[@]}"; do
        for c in "${configs[@]}"; do
            flags=()
            [ "$c" = none ] || read -r -a flags <<<"$c"
            rm -rf "$work/out"
            t0=$(date +%s%N)
            "${builds[$i]}/cbench" "${flags[@]}" --outdir "$work/out" "$work/suite$i" >/dev/null
            t1=$(date +%s%N)
            times[$i,$c]="${times[$i,$c]:-} $(((t1 - t0) / 1000))"
        done
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for i in "${!builds[@]}"; do
    echo "${builds[$i]} (median of $rounds rounds)"
    base=$(echo "${times[$i,none]}" | median)
    printf '%-58s %10s %14s\n' "flags" "run (ms)" "per test (ms)"
    for c in "${configs[@]}"; do
        m=$(echo "${times[$i,$c]}" | median)
        printf '%-58s %10.1f %14.3f\n' "$c" "$(echo "$m / 1000" | bc -l)" \
            "$(echo "($m - $base) / 1000 / $ntests" | bc -l)"
    done
done
