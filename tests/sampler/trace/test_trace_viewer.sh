#!/usr/bin/env bash
# A real viewer: speedscope (npm) opens cbench traces in Debian's headless
# Chromium, driven by puppeteer-core (never a browser download), with no
# import error (view_trace.mjs). Traces: nested regions (speedscope's
# trace-event importer), the same with CPU samples (its Chrome profile
# importer, which then shows the samples), a trace cut short by a crash
# (no closing bracket), and a flight recorder's fatal dump. Then traces
# of a real test run through the cbench command (e2e_trace's test that
# waits on a held mutex): with --trace alone (lock waits and flows, as
# Trace Event Format) and with --cpuprofile too (speedscope then shows
# the CPU samples). BROWSER_DIR holds the node_modules (tests/support/
# browser/npm_modules.sh, CMake's browser fixture); the traces and
# screenshots are left in OUTDIR.
#
#   test_trace_viewer.sh TRACE_PROG VIEWER_SRC_DIR BROWSER_DIR OUTDIR CBENCH E2E_TRACE
set -eu
prog=$1 src=$2 browser=$3 out=$4 cbench=$5 e2e=$6
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
rm -rf "$out/run" "$out/run-cpu"
"$cbench" --outdir "$out/run" --trace --run waits "$e2e" >"$out/run.log" 2>&1 ||
    { cat "$out/run.log"; exit 1; }
"$cbench" --outdir "$out/run-cpu" --trace --cpuprofile --run waits "$e2e" >"$out/run.log" 2>&1 ||
    { cat "$out/run.log"; exit 1; }
cp "$out/run/e2e_trace/waits_on_a_held_mutex/trace.json" "$out/test-run.json"
cp "$out/run-cpu/e2e_trace/waits_on_a_held_mutex/trace.json" "$out/test-run-cpu.json"
grep -q '"wait: mutex"' "$out/test-run.json" || { echo "the test run's trace has no lock wait" >&2; exit 1; }
grep -q '"ProfileChunk"' "$out/test-run-cpu.json" || { echo "the test run's trace has no samples" >&2; exit 1; }

cd "$browser"
node view_trace.mjs "$out/regions.json" "Trace Event Format profile" "trace_prog (pid" "$out/regions.png"
node view_trace.mjs "$out/samples.json" "Chrome Timeline" "samples.json" "$out/samples.png"
node view_trace.mjs "$out/crash.json" "Trace Event Format profile" "trace_prog (pid" "$out/crash.png"
node view_trace.mjs "$out/flight.json" "Trace Event Format profile" "trace_prog (pid" "$out/flight.png"
node view_trace.mjs "$out/test-run.json" "Trace Event Format profile" "e2e_trace (pid" "$out/test-run.png"
node view_trace.mjs "$out/test-run-cpu.json" "Chrome Timeline" "test-run-cpu.json" "$out/test-run-cpu.png"
