#!/usr/bin/env bash
# Interop: the real `go tool pprof` reads cbench's CPU profiles with no
# warnings, shows the right function names and file:line (inlined frames
# too), lists source lines, prints traces with labels, and filters by
# label. A profile of a stripped binary is still valid, and pprof can
# symbolize it from the unstripped binary.
#
# usage: test_pprof_interop.sh INTEROP_PROG
set -euo pipefail

prog=$1
command -v go >/dev/null || { echo "FAIL: 'go' is not installed (scripts/install-deps.sh installs golang-go)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work   # pprof keeps nothing of ours in the real home
# pprof trims a source path after any component named like the current
# folder (ctest runs us in .../tests, and the sources are in .../tests/),
# then fails to find the file; a folder with a unique name avoids that.
cd "$work"

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# Runs pprof; its stdout goes to $work/out, and any stderr is a failure.
pprof() {
    if ! go tool pprof "$@" >"$work/out" 2>"$work/err"; then
        echo "go tool pprof $* failed:"; cat "$work/err"; return 1
    fi
    if [ -s "$work/err" ]; then
        echo "go tool pprof $* warned:"; cat "$work/err"; return 1
    fi
}
has() { grep -qE -- "$1" "$work/out"; }

check() { # name, then a command that must succeed
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; sed 's/^/    /' "$work/out" | head -40; fi
}

"$prog" "$work/cpu.pb.gz"

raw_reads() {
    pprof -raw "$work/cpu.pb.gz" && has interop_static_hot && has interop_inlined_hot
}
check "raw: reads with no warnings, names our functions" raw_reads

raw_file_line() {
    pprof -raw "$work/cpu.pb.gz" &&
        has 'interop_static_hot .*/tests/sampler/profile/interop_prog\.c:[0-9]+' &&
        has 'interop_inlined_hot .*interop_prog\.c:[0-9]+' &&
        has 'Mappings' && has "^1: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ $prog [0-9a-f]{40} \[FN\]" &&
        has 'libc\.so\.6 [0-9a-f]{40} \[FN\]'
}
# _start (crt1.o, no debug info) has no file:line, so only [FN] is certain
# for the main binary: the flags are set only where they hold.
check "raw: file:line on our frames, main binary first with build id" raw_file_line

top_names() {
    pprof -top "$work/cpu.pb.gz" &&
        has 'Type: cpu' && has 'interop_static_hot$' && has 'interop_inlined_hot \(inline\)$' &&
        has 'interop_inline_host$' && has 'interop_alpha_work$' && has 'interop_beta_work$' &&
        has 'burn_cpu$' && ! has 'on_sigprof|cb_unwind|_ULx86_64|__restore_rt'
}
check "top: right names, inlined marked, no profiler frames" top_names

list_source() {
    pprof -list 'interop_static_hot' "$work/cpu.pb.gz" &&
        has 'ROUTINE =+ interop_static_hot in .*interop_prog\.c' &&
        has '^ +[0-9.]+m?s +[0-9.]+m?s +[0-9]+: +x = x \* 6364136223846793005ULL \+ 1; /\* interop hot line \*/'
}
check "list: source lines with their samples" list_source

traces_labels() {
    pprof -traces "$work/cpu.pb.gz" && has 'phase: +alpha' && has 'phase: +beta' &&
        has '^ +interop_inline_host$'
}
check "traces: stacks and labels" traces_labels

tagfocus() {
    pprof -top -tagfocus=phase=beta "$work/cpu.pb.gz" && has 'interop_beta_work$' &&
        ! has 'interop_alpha_work$' && ! has 'interop_static_hot$'
}
check "tagfocus: label filter keeps only that phase" tagfocus

cp "$prog" "$work/stripped_prog"
strip --strip-all "$work/stripped_prog"
"$work/stripped_prog" "$work/stripped.pb.gz"
stripped_valid() {
    pprof -raw "$work/stripped.pb.gz" && has 'stripped_prog [0-9a-f]{40}' &&
        pprof -top "$work/stripped.pb.gz" && has '\[stripped_prog\]' && has '__libc_start_main'
}
check "stripped binary: valid profile, libc still named" stripped_valid

stripped_symbolized() {
    pprof -top "$prog" "$work/stripped.pb.gz" && has 'burn_cpu$'
}
check "stripped binary: pprof symbolizes it from the unstripped binary" stripped_symbolized

echo "pprof interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
