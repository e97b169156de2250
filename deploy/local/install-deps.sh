#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs to build, run and test, and only those
# that are missing. A quick no-op (one dpkg-query) when everything is there.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config git curl ca-certificates
  # C libraries
  librdkafka-dev libmicrohttpd-dev libpq-dev libjansson-dev libjwt-dev libcurl4-openssl-dev libhttp-parser-dev
  libcriterion-dev libsodium-dev libsimdjson-dev rapidjson-dev libmimalloc-dev
  # the local stack: PostgreSQL 15, and a JVM + Maven for the Kafka broker
  postgresql-15 postgresql-client-15 openjdk-17-jre-headless maven
  # tests and scripts
  python3 python3-pytest python3-requests python3-jsonschema python3-yaml python3-jwt
  python3-psycopg2 python3-confluent-kafka
  # deploy.compose: `nginx -t` on deploy/nginx/ with a throwaway certificate (openssl);
  # make bench: nginx's static file and the polls under wrk
  nginx openssl wrk
  # browser tests (tests/browser/): Node for playwright-core from npm, Debian's Chromium
  # (Playwright never downloads a browser), a Korean font for readable screenshots
  nodejs npm chromium fonts-nanum
)

# One dpkg-query for all (it skips unknown names, with a message on stderr).
declare -A installed=()
while read -r pkg status; do
  [[ $status == installed ]] && installed[${pkg%%:*}]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
# NodeSource's nodejs carries its own npm and conflicts with Debian's: an npm on PATH will do.
command -v npm >/dev/null && installed[npm]=1
missing=()
for pkg in "${PACKAGES[@]}"; do
  [[ -n ${installed[$pkg]:-} ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "[deps] installing: ${missing[*]}" >&2
if ((EUID == 0)); then
  SUDO=()
elif command -v sudo >/dev/null; then
  SUDO=(sudo)
else
  echo "[deps] ERROR: not root and sudo is not installed; install as root: apt-get install ${missing[*]}" >&2
  exit 1
fi

# No prompts, ever (CI has no stdin): noninteractive debconf, -y, keep existing config files.
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confold "${missing[@]}"
