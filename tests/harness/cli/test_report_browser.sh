#!/usr/bin/env bash
# The report in a real browser (view_report.mjs): a base run of the gate
# example, then the 30% slower build and a binary with failing tests,
# with --report --baseline. BROWSER_DIR holds the node_modules (the
# browser fixture); the report and the screenshots stay in OUTDIR.
#
#   test_report_browser.sh CBENCH GATE_EXAMPLE GATE_SLOWER REASON_PROG BROWSER_DIR OUTDIR
set -euo pipefail
cbench=$1 base_bin=$2 slower_bin=$3 reason=$4 browser=$5 out=$6
[ -f "$browser/node_modules/.cbench-lock" ] ||
    { echo "test_report_browser: no node_modules in $browser (the browser fixture)" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd -P)
rm -rf "$out"
mkdir -p "$out/base" "$out/slower" "$out/shots"
out=$(cd "$out" && pwd -P)
cp "$base_bin" "$out/base/gate_example"
cp "$slower_bin" "$out/slower/gate_example"
flags=(--bench . --benchmem --count 6 --benchtime 30ms --cpu 1 --cpuprofile --memprofile)
export CBENCH_CPUPROFILE_RATE=1000 # enough samples for the graphs to have shape
"$cbench" "${flags[@]}" --outdir "$out/base-out" "$out/base" >/dev/null
status=0
"$cbench" "${flags[@]}" --outdir "$out/report" --baseline "$out/base-out/results.json" \
    "$out/slower" "$reason" >"$out/run.txt" 2>&1 || status=$?
[ "$status" -eq 1 ] || { echo "exit status $status, want 1"; cat "$out/run.txt"; exit 1; }
cp "$here/view_report.mjs" "$browser/"
cd "$browser"
node view_report.mjs "$out/report" "$out/shots"
