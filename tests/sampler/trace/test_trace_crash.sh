#!/usr/bin/env bash
# Traces of processes that end badly, and CBENCH_TRACE, checked with
# Python's JSON parser (check_trace.py):
#  - killed by SIGSEGV, and by abort(): the partial trace has no closing
#    bracket, parses once one is appended (as viewers do), and holds what
#    the writer had written, the region open at the crash included;
#  - a flight recording dumped by the SIGSEGV handler (async-signal-safe
#    path): complete, renamed into place, only the ring's recent events;
#  - CBENCH_TRACE=path: linked, and preloaded into a program that calls
#    no cbench function; a forked child writes nothing over it.
#
#   test_trace_crash.sh TRACE_PROG LIBCBENCH OUTDIR
set -u
prog=$1 lib=$2 out=$3
check=$(dirname "$0")/check_trace.py
mkdir -p "$out"
fail=0
say() { echo "test_trace_crash: $*" >&2; fail=1; }

for how in segv abort; do
    t=$out/crash-$how.json
    rm -f "$t"
    "$prog" crash-$how "$t" 2>/dev/null
    rc=$?
    [ $rc -ge 128 ] || say "crash-$how: exit status $rc, not killed by a signal"
    python3 "$check" "$t" --partial --expect "step 7" --expect "helper step" \
        --expect crossing --thread-name helper || say "crash-$how: partial trace rejected"
done

t=$out/flight.json
rm -f "$t" "$t".tmp.*
"$prog" flight-fatal "$t" 2>/dev/null
[ $? -ge 128 ] || say "flight-fatal: not killed by a signal"
ls "$t".tmp.* >/dev/null 2>&1 && say "flight-fatal: temporary file left"
python3 "$check" "$t" --expect "step 99" --expect crashing \
    --expect "cbench: flight recorder dump" || say "flight-fatal: dump rejected"
# The ring holds the end of the run, not its beginning: the first log
# was long overwritten, the last is there.
python3 "$check" "$t" --absent "log 0" --expect "log 199000" ||
    say "flight-fatal: the ring does not hold the most recent events"

t=$out/env.json
rm -f "$t"
CBENCH_TRACE=$t "$prog" env || say "env: exit status $?"
python3 "$check" "$t" --expect "step 3" --thread-name helper || say "env: trace rejected"

# Preloaded into a program that knows nothing of cbench: the trace holds
# its name and the heap counters.
t=$out/preload.json
rm -f "$t"
CBENCH_TRACE=$t LD_PRELOAD=$lib sleep 0.05 || say "preload: exit status $?"
python3 "$check" "$t" --expect heap --expect process_name || say "preload: trace rejected"

exit $fail
