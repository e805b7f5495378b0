#!/usr/bin/env bash
# Builds cbench and runs its whole test suite: the README's test command and
# what CI runs (.ci/run).
#
#   scripts/test.sh [CTEST-ARGS...]      e.g. scripts/test.sh -R symbolize
#
# Installs missing Debian packages (scripts/install-deps.sh), configures and
# builds in ./build (or $CBENCH_BUILD_DIR, with extra CMake arguments in
# $CBENCH_CMAKE_ARGS), then runs ctest, $CBENCH_JOBS tests at a time (2;
# tests that measure or load the machine are RUN_SERIAL in CMake and run
# alone); exits with ctest's status.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"

build_dir=${CBENCH_BUILD_DIR:-build}
jobs=${CBENCH_JOBS:-2}

scripts/install-deps.sh

echo "==> configure ($build_dir)"
# shellcheck disable=SC2086 # CBENCH_CMAKE_ARGS is a list of arguments
cmake -S . -B "$build_dir" ${CBENCH_CMAKE_ARGS:-}
echo "==> build (-j$jobs)"
cmake --build "$build_dir" -j "$jobs"
echo "==> test"
# --no-tests=error: a build that registered no test is a failure, not a pass.
status=0
ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -j "$jobs" "$@" || status=$?
exit "$status"
