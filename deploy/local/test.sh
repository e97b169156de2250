#!/usr/bin/env bash
# What `make test` runs: dependencies, the sanitizer build, PostgreSQL + Kafka, a fresh test
# database and fresh test topics, then every test (ctest). Extra arguments go to ctest
# (e.g. deploy/local/test.sh -R http). Stops the infrastructure afterwards only if this
# script started it. Exits with ctest's status.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
FT_COMPONENT="test"
HERE="$FT_ROOT/deploy/local"
BUILD="$FT_ROOT/build/asan"

"$HERE/install-deps.sh"

ft_log "building $BUILD (Debug, sanitizers)"
cmake -S "$FT_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DFT_SANITIZE=ON
cmake --build "$BUILD" -j"${FT_JOBS:-2}"
[[ -x $FT_ASAN_BIN/ft-admin ]] || ft_die "$FT_ASAN_BIN/ft-admin was not built; the tests need it to create their topics"

# Remember what already ran, so that only what this script starts is stopped at the end.
pg_was_running=0 kafka_was_running=0
"$HERE/postgres.sh" status >/dev/null 2>&1 && pg_was_running=1
"$HERE/kafka.sh" status >/dev/null 2>&1 && kafka_was_running=1
# shellcheck disable=SC2317  # called by the trap
stop_what_we_started() {
  local rc=$?
  trap - EXIT INT TERM
  ((kafka_was_running)) || "$HERE/kafka.sh" stop || true
  ((pg_was_running)) || "$HERE/postgres.sh" stop || true
  exit "$rc"
}
trap stop_what_we_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$HERE/stack.sh" infra-up

# Tests get their own database and topics, both recreated on every run: a fresh database
# next to a topic still holding old commands would make a worker replay them.
ft_log "recreating $FT_PG_TEST_DB and its topics"
"$HERE/postgres.sh" recreate-db "$FT_PG_TEST_DB"
"$HERE/migrate.sh" "$FT_TEST_DATABASE_URL"
export FT_TOPIC_COMMANDS="$FT_TEST_TOPIC_COMMANDS" FT_TOPIC_OUTCOMES="$FT_TEST_TOPIC_OUTCOMES"
"$HERE/kafka.sh" delete-topics "$FT_TOPIC_COMMANDS" "$FT_TOPIC_OUTCOMES"
"$FT_ASAN_BIN/ft-admin" create-topics || ft_die "ft-admin create-topics failed (brokers $FT_KAFKA_BROKERS)"

# Anything a test starts reads the test database, never the development one.
export FT_TEST_DATABASE_URL FT_DATABASE_URL="$FT_TEST_DATABASE_URL"
export FT_KAFKA_BROKERS FT_TOPIC_PARTITIONS

rc=0
ctest --test-dir "$BUILD" --output-on-failure "$@" || rc=$?
exit "$rc"
