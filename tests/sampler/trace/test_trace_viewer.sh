#!/usr/bin/env bash
# A real viewer: speedscope (npm) opens cbench traces in Debian's headless
# Chromium, driven by puppeteer-core (never a browser download), with no
# import error (view_trace.mjs). Traces: nested regions (speedscope's
# trace-event importer), the same with CPU samples (its Chrome profile
# importer, which then shows the samples), a trace cut short by a crash
# (no closing bracket), and a flight recorder's fatal dump. The
# node_modules come from the committed lock file, installed into the
# build folder (npm ci); screenshots are left there.
#
#   test_trace_viewer.sh TRACE_PROG VIEWER_SRC_DIR OUTDIR
set -eu
prog=$1 src=$2 out=$3
mkdir -p "$out"
command -v node >/dev/null || { echo "test_trace_viewer: node is missing (scripts/install-deps.sh)" >&2; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
    { echo "test_trace_viewer: chromium is missing (scripts/install-deps.sh)" >&2; exit 1; }
cp "$src/package.json" "$src/package-lock.json" "$src/view_trace.mjs" "$out/"
if ! cmp -s "$src/package-lock.json" "$out/node_modules/.cbench-lock" 2>/dev/null; then
    (cd "$out" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$src/package-lock.json" "$out/node_modules/.cbench-lock"
fi

"$prog" viewer "$out/regions.json"
"$prog" samples "$out/samples.json"
"$prog" crash-segv "$out/crash.json" 2>/dev/null && { echo "crash-segv did not crash" >&2; exit 1; }
rm -f "$out/flight.json"
"$prog" flight-fatal "$out/flight.json" 2>/dev/null && { echo "flight-fatal did not crash" >&2; exit 1; }

cd "$out"
node view_trace.mjs regions.json "Trace Event Format profile" "trace_prog (pid" regions.png
node view_trace.mjs samples.json "Chrome Timeline" "samples.json" samples.png
node view_trace.mjs crash.json "Trace Event Format profile" "trace_prog (pid" crash.png
node view_trace.mjs flight.json "Trace Event Format profile" "trace_prog (pid" flight.png
