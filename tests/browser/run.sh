#!/usr/bin/env bash
# run.sh BUILD_DIR — the browser tests (the CTest entry `browser`): installs playwright-core
# from this folder's lock file into BUILD_DIR/browser-deps (npm ci; the npm registry is the
# only download, never a browser), then runs browser.test.mjs with Node's test runner
# against Debian's Chromium. Screenshots: BUILD_DIR/browser-artifacts (FT_BROWSER_ARTIFACTS).
# Needs what deploy/local/test.sh exports (FT_TEST_DATABASE_URL, FT_KAFKA_BROKERS) and the
# binaries CTest passes (FT_INGRESS_BIN, FT_WORKER_BIN, FT_EXPIRER_BIN, FT_ADMIN_BIN).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:?usage: run.sh BUILD_DIR}
deps="$build/browser-deps"

for tool in node npm /usr/bin/chromium; do
  command -v "$tool" >/dev/null || { echo "browser tests: $tool is missing (deploy/local/install-deps.sh installs it)" >&2; exit 1; }
done
# The oldest Node they have run under: Debian 12's nodejs, 18.19 (playwright-core asks for
# 18 or newer; the tests use node:test's describe and before/after hooks of later 18s).
min_major=18 min_minor=19
IFS=. read -r major minor _ <<<"$(node -p process.versions.node)"
if ((major < min_major || (major == min_major && minor < min_minor))); then
  echo "browser tests: node $(node --version) at $(command -v node) is too old; they need Node $min_major.$min_minor or newer (Debian 12's nodejs is $min_major.$min_minor)" >&2
  exit 1
fi
mkdir -p "$deps"
cp "$here/package.json" "$here/package-lock.json" "$deps/"
(cd "$deps" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)

export FT_BROWSER_DEPS="$deps"
export FT_BROWSER_ARTIFACTS="${FT_BROWSER_ARTIFACTS:-$build/browser-artifacts}"
mkdir -p "$FT_BROWSER_ARTIFACTS"
exec node --test "$here/browser.test.mjs"
