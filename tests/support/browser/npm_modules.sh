#!/usr/bin/env bash
# Installs the browser tests' node_modules (puppeteer-core, speedscope)
# from the committed lock file into DEST, with `npm ci`, unless DEST
# already holds that lock's install; copies browser.mjs there too. The
# browser tests run with DEST as their folder (CMake's browser fixture
# runs this once before them).
#
#   npm_modules.sh DEST
set -eu
src=$(cd "$(dirname "$0")" && pwd -P) dest=$1
command -v node >/dev/null || { echo "npm_modules: node is missing (scripts/install-deps.sh)" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm_modules: npm is missing (scripts/install-deps.sh)" >&2; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
    { echo "npm_modules: chromium is missing (scripts/install-deps.sh)" >&2; exit 1; }
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$src/browser.mjs" "$dest/"
if ! cmp -s "$src/package-lock.json" "$dest/node_modules/.cbench-lock" 2>/dev/null; then
    (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$src/package-lock.json" "$dest/node_modules/.cbench-lock"
fi
echo "npm_modules: $dest ready"
