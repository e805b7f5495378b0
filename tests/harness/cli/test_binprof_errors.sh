#!/usr/bin/env bash
# The per-binary sum of a kind of profile is not written when one of the
# binary's profiles cannot be read: the run prints why and exits 1, the
# result files are still written (the fake binary's test passed).
#
#   test_binprof_errors.sh CBENCH FAKE_BADPROFILE
set -euo pipefail
cbench=$1 fake=$2
work=$(mktemp -d /tmp/cbench-binprof-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
cp "$fake" "$work/bin/fake_bad"
status=0
"$cbench" --outdir "$work/out" "$work/bin/fake_bad" >"$work/stdout" 2>"$work/stderr" || status=$?
[ "$status" -eq 1 ] || { echo "exit status $status, want 1"; cat "$work/stderr"; exit 1; }
grep -q "^cbench: no cpu profile for fake_bad: .*test_garbled/cpu.pb.gz: not a pprof profile" \
    "$work/stderr" || { echo "no reason given:"; cat "$work/stderr"; exit 1; }
[ ! -e "$work/out/fake_bad/cpu.pb.gz" ] || { echo "a sum was written"; exit 1; }
[ -s "$work/out/results.json" ] && [ -s "$work/out/junit.xml" ] || { echo "no result files"; exit 1; }
grep -q "^ok  " "$work/stdout" || { echo "the test did not pass:"; cat "$work/stdout"; exit 1; }
echo "binprof errors: ok"
