#!/usr/bin/env bash
# migrate.sh DATABASE_URL — applies schemas/migrations/NNNN_*.sql in order, each in its own
# transaction, and records the applied file names in schema_migrations. Applied files are
# skipped, so running it again is harmless. An applied file must never be edited: add a new one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
FT_COMPONENT=migrate

url=${1:-}
[[ -n $url ]] || { echo "usage: $0 DATABASE_URL" >&2; exit 2; }
dir="$FT_ROOT/schemas/migrations"

psql_db() { psql "$url" -X -q -v ON_ERROR_STOP=1 "$@"; }

psql_db -c "SET client_min_messages = warning" -c "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now())"

applied=$(psql_db -At -c "SELECT version FROM schema_migrations")

# The row is inserted first, in the same transaction as the file: a concurrent run applying
# the same file blocks on it, then fails on the primary key instead of applying it twice.
record=$(mktemp)
trap 'rm -f "$record"' EXIT
echo "INSERT INTO schema_migrations (version) VALUES (:'version');" >"$record"

count=0
shopt -s nullglob
files=("$dir"/[0-9][0-9][0-9][0-9]_*.sql)   # glob order is sorted, and NNNN_ sorts numerically
for file in "${files[@]}"; do
  version=$(basename "$file")
  grep -qxF -- "$version" <<<"$applied" && continue
  ft_log "applying $version"
  if ! psql_db --single-transaction -v version="$version" -f "$record" -f "$file"; then
    ft_die "$version failed; nothing of it was applied (database: ${url%%\?*})"
  fi
  count=$((count + 1))
done
((count > 0)) || ft_log "up to date (${#files[@]} migrations)"
