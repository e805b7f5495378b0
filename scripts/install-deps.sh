#!/usr/bin/env bash
# Installs the Debian (12, bookworm) packages that building and testing
# cbench needs, and only those that are missing. Quiet and quick when
# everything is already there, so other scripts call it unconditionally.
#
#   scripts/install-deps.sh
#
# Runs apt-get as root, through sudo when not root; prints the command to run
# and exits 1 when neither is possible.
set -euo pipefail

packages=(
    build-essential          # gcc, make, libc headers
    gcc
    g++                      # the public header is checked as C++ too
    clang
    cmake
    pkg-config
    libcmocka-dev
    libprotobuf-c-dev
    protobuf-c-compiler      # protoc-c, profile.proto -> C at build time
    zlib1g-dev
    libunwind-dev
    libdw-dev
    libelf-dev               # the cbench command reads test binaries' ELF notes
    libjansson-dev           # the cbench command reads events and results.json
    golang-go                # tests read profiles with the real `go tool pprof`
                             # and check bench.txt against Go's testing package
    python3-jsonschema       # tests validate results.json against its schema
    locales                  # tests write result files under a decimal-comma locale
    libgoogle-perftools-dev  # gperftools, a peer in bench/
    libbenchmark-dev         # Google Benchmark, a peer in bench/
    heaptrack                # another peer in bench/ (run_heap.sh)
    binutils                 # strip, readelf in tests
    valgrind                 # memcheck over the malloc interposer in CI (tests/valgrind/run.sh)
    chromium                 # traces, flame graphs and the report in headless Chromium
                             # (puppeteer-core and speedscope from npm)
    libbenchmark-tools       # Google Benchmark's compare.py reads benchmarks.json in the tests
    python3-scipy            # ... and needs scipy, which that package does not pull in
    python3-yaml             # the tests check docs/ci.md's workflow is valid YAML
    graphviz                 # `go tool pprof -svg` beside `cbench flamegraph` in bench/
)
# node and npm (speedscope and puppeteer-core for the trace viewer test):
# Debian's, unless a node is already installed (some images ship a newer one).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
fi

missing=()
for pkg in "${packages[@]}"; do
    # Installed means status "install ok installed", not just known to dpkg
    # (a removed package keeps "deinstall ok config-files").
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

echo "install-deps: installing missing packages: ${missing[*]}" >&2

install_cmd=(apt-get install -y -q --no-install-recommends "${missing[@]}")
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "install-deps: not root and no sudo; as root, run:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive ${install_cmd[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${install_cmd[@]}"
echo "install-deps: done" >&2
