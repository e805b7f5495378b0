#!/usr/bin/env bash
# cbench's regression gate for CI (docs/ci.md): runs the tests and
# benchmarks of a base build and of a pull request's build, writes the
# pull request's report against the base, and fails on a regression.
#
#   ci-gate.sh BASE PR [OUTDIR]
#
# BASE, PR: test binaries or build folders, as `cbench` takes them.
# OUTDIR (default cbench-ci) gets base/ and pr/ (each a cbench outdir;
# pr/index.html is the report) and compare.md (the table, in markdown).
# Environment:
#   CBENCH                the command (default: cbench)
#   CBENCH_FAIL_ABOVE     the gate, in percent (default 10)
#   CBENCH_RUN_FLAGS      default: --bench . --benchmem --count 6 --benchtime 100ms --cpuprofile
#   CBENCH_COMPARE_FLAGS  default: --ignore ns/op --ignore MB/s, so the gate
#                         judges CPU time per op (cpu-ns/op), B/op and
#                         allocs/op, which a shared runner's other work does
#                         not move; set it empty on a quiet, dedicated machine
#   GITHUB_STEP_SUMMARY   when set, the markdown table is added to it
# Exit status: 0, or 1 when the pull request's tests fail or a benchmark
# got worse by more than the gate; 2 when the comparison could not be made.
set -euo pipefail
if (($# < 2 || $# > 3)); then
    echo "usage: $0 BASE PR [OUTDIR]" >&2
    exit 2
fi
base=$1 pr=$2 out=${3:-cbench-ci}
cbench=${CBENCH:-cbench}
read -r -a run_flags <<<"${CBENCH_RUN_FLAGS---bench . --benchmem --count 6 --benchtime 100ms --cpuprofile}"
read -r -a compare_flags <<<"${CBENCH_COMPARE_FLAGS---ignore ns/op --ignore MB/s}"
mkdir -p "$out"

# The base's own failures are not the pull request's: only reported.
"$cbench" "${run_flags[@]}" --outdir "$out/base" "$base" >"$out/base.txt" 2>&1 ||
    echo "ci-gate: the base's run failed (see $out/base.txt)" >&2
tests=0
"$cbench" "${run_flags[@]}" --outdir "$out/pr" --baseline "$out/base/results.json" "$pr" ||
    tests=$?

compare=("$cbench" compare --fail-above "${CBENCH_FAIL_ABOVE:-10}" "${compare_flags[@]}"
    "$out/base/results.json" "$out/pr/results.json")
gate=0
"${compare[@]}" --format markdown >"$out/compare.md" 2>/dev/null || gate=$?
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$out/compare.md" >>"$GITHUB_STEP_SUMMARY"
fi
"${compare[@]}" || gate=$?
if [ "$gate" -eq 2 ]; then
    exit 2
fi
if [ "$tests" -ne 0 ] || [ "$gate" -ne 0 ]; then
    echo "ci-gate: FAIL (tests: exit $tests, gate: exit $gate); report: $out/pr/index.html" >&2
    exit 1
fi
echo "ci-gate: ok; report: $out/pr/index.html"
