#!/usr/bin/env bash
# Checks cbench's benchmark output against Go itself (Debian's golang-go,
# offline, standard library only):
#  1. 20000 random results formatted by cb_benchline_format must equal,
#     byte for byte, what Go's testing package prints for the same values;
#  2. bench.txt must read cleanly by the Go benchmark format's grammar and
#     hold every passing benchmark of results.json, with its values, under
#     the right configuration lines.
#
#   test_results_go.sh WRITER GO_SOURCE [GOCACHE_DIR]
#
# WRITER is tests/test_results_writer, GO_SOURCE tests/harness/formats/test_results_benchfmt.go.
# Go is a declared dependency (scripts/install-deps.sh): without it this
# test fails rather than skips.
set -euo pipefail

writer=$1
gosrc=$2
if ! command -v go >/dev/null 2>&1; then
    echo "test_results_go: 'go' not found; run scripts/install-deps.sh (golang-go)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# No network and no module: a private GOPATH, the standard library only.
export GOPATH="$tmp/gopath" GOCACHE="${3:-$tmp/gocache}" GOFLAGS=-mod=mod GOPROXY=off
export GO111MODULE=on GOTOOLCHAIN=local GOTELEMETRY=off
mkdir -p "$GOCACHE"
cp "$gosrc" "$tmp/main.go"
(cd "$tmp" && go build -o checker main.go)

"$writer" lines 20000 >"$tmp/lines.txt"
"$tmp/checker" lines "$tmp/lines.txt"

mkdir "$tmp/out"
"$writer" files "$tmp/out"
"$tmp/checker" parse "$tmp/out/bench.txt" "$tmp/out/results.json"
echo "test_results_go: ok"
