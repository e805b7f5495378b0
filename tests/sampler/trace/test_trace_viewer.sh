#!/usr/bin/env bash
# A real viewer: speedscope (npm) opens cbench traces in Debian's headless
# Chromium, driven by puppeteer-core (never a browser download), with no
# import error (view_trace.mjs). Traces: nested regions (speedscope's
# trace-event importer), the same with CPU samples (its Chrome profile
# importer, which then shows the samples), a trace cut short by a crash
# (no closing bracket), and a flight recorder's fatal dump. BROWSER_DIR
# holds the node_modules (tests/support/browser/npm_modules.sh, CMake's
# browser fixture); the traces and screenshots are left in OUTDIR.
#
#   test_trace_viewer.sh TRACE_PROG VIEWER_SRC_DIR BROWSER_DIR OUTDIR
set -eu
prog=$1 src=$2 browser=$3 out=$4
mkdir -p "$out"
[ -f "$browser/node_modules/.cbench-lock" ] ||
    { echo "test_trace_viewer: no node_modules in $browser (the browser fixture)" >&2; exit 1; }
cp "$src/view_trace.mjs" "$browser/"
out=$(cd "$out" && pwd -P)

"$prog" viewer "$out/regions.json"
"$prog" samples "$out/samples.json"
"$prog" crash-segv "$out/crash.json" 2>/dev/null && { echo "crash-segv did not crash" >&2; exit 1; }
rm -f "$out/flight.json"
"$prog" flight-fatal "$out/flight.json" 2>/dev/null && { echo "flight-fatal did not crash" >&2; exit 1; }

cd "$browser"
node view_trace.mjs "$out/regions.json" "Trace Event Format profile" "trace_prog (pid" "$out/regions.png"
node view_trace.mjs "$out/samples.json" "Chrome Timeline" "samples.json" "$out/samples.png"
node view_trace.mjs "$out/crash.json" "Trace Event Format profile" "trace_prog (pid" "$out/crash.png"
node view_trace.mjs "$out/flight.json" "Trace Event Format profile" "trace_prog (pid" "$out/flight.png"
