#!/usr/bin/env bash
# The project's own PostgreSQL 15 cluster, on 127.0.0.1:$FT_PG_PORT, for development and tests.
#
#   postgres.sh start          create the cluster on first use, start it, ensure the role and
#                              databases exist; harmless when it already runs
#   postgres.sh stop           pg_ctl stop -m fast; harmless when it is not running
#   postgres.sh status         exit 0 when running
#   postgres.sh recreate-db DB drop DB (disconnecting its sessions) and create it afresh
#   postgres.sh purge          delete the cluster (must be stopped), wherever it lives
#
# PostgreSQL refuses to run as root. As root we run it as Debian's `postgres` user (runuser),
# and the cluster must then sit where that user can reach it: .state/postgres when every
# parent directory is traversable by `postgres`; otherwise (a checkout under /root, say) under
# the postgres user's home, in a folder named after a hash of the state folder's path, with
# .state/postgres a symlink to it. Not under /var/tmp: systemd-tmpfiles ages files out of it
# after 30 days, which would quietly break an idle cluster.
# As a normal user the cluster is simply .state/postgres, run as that user.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
FT_COMPONENT=postgres

PG_LINK="$FT_STATE_DIR/postgres"
PG_LOG_LINK="$FT_LOG_DIR/postgres.log"

# pg_as CMD…: run a PostgreSQL program as the cluster's owner.
pg_as() {
  if ((EUID == 0)); then
    # From /, so that the postgres user is never left in a directory it cannot read.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Where the cluster lives (real path); creates the folder on first use.
pg_root() {
  if [[ -L $PG_LINK || -d $PG_LINK ]]; then
    readlink -f "$PG_LINK"
    return
  fi
  ft_state_dirs
  if ((EUID != 0)); then
    mkdir -m 700 "$PG_LINK"
  elif (cd / && runuser -u postgres -- test -x "$FT_STATE_DIR"); then
    mkdir -m 700 "$PG_LINK"
    chown postgres:postgres "$PG_LINK"
  else
    local home hash ext
    home=$(getent passwd postgres | cut -d: -f6)
    [[ -n $home && -d $home ]] || ft_die "the postgres user has no home folder to hold the cluster"
    hash=$(printf '%s' "$FT_STATE_DIR" | sha256sum | cut -c1-16)
    ext="$home/fairticket-$hash"
    ft_log "postgres cannot reach $FT_STATE_DIR; keeping the cluster in $ext (linked from $PG_LINK)"
    mkdir -p "$ext"
    chown postgres:postgres "$ext"
    chmod 700 "$ext"
    ln -sfn "$ext" "$PG_LINK"
  fi
  readlink -f "$PG_LINK"
}

# Prints the postmaster's pid when the cluster in $1 is running.
pg_pid() {
  local pidfile="$1/data/postmaster.pid" pid cmd
  [[ -r $pidfile ]] || return 1
  read -r pid <"$pidfile" || return 1
  [[ $pid =~ ^[0-9]+$ ]] && ft_running "$pid" || return 1
  { cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline"); } 2>/dev/null || return 1
  [[ $cmd == *postgres* ]] || return 1
  echo "$pid"
}

psql_admin() { psql "$FT_PG_ADMIN_URL" -X -q -v ON_ERROR_STOP=1 "$@"; }

pg_init() {
  local root=$1
  [[ -f $root/data/PG_VERSION ]] && return 0
  [[ -x $FT_PG_BIN/initdb ]] || ft_die "$FT_PG_BIN/initdb not found: is postgresql-15 installed? (deploy/local/install-deps.sh)"
  ft_log "creating the cluster in $root/data"
  rm -rf "$root/data"
  # Trust on loopback: a local development cluster that only listens on 127.0.0.1.
  if ! pg_as "$FT_PG_BIN/initdb" -D "$root/data" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 --no-instructions >"$FT_LOG_DIR/initdb.log" 2>&1; then
    ft_tail_log "$FT_LOG_DIR/initdb.log"
    ft_die "initdb failed (log: $FT_LOG_DIR/initdb.log)"
  fi
  printf "\n# Local settings of the Fair Ticket stack (rewritten by deploy/local/postgres.sh)\ninclude 'fairticket.conf'\n" |
    pg_as tee -a "$root/data/postgresql.conf" >/dev/null
}

# Rewritten on every start, so a changed FT_PG_PORT takes effect.
pg_write_conf() {
  local root=$1 sockdir="$1/run"
  pg_as mkdir -p -m 700 "$sockdir"
  # A Unix socket path must fit in 107 bytes; when the folder is too deep, TCP only.
  ((${#sockdir} + 20 < 107)) || sockdir=""
  pg_as tee "$root/data/fairticket.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $FT_PG_PORT
unix_socket_directories = '${sockdir//\'/\'\'}'
# Development machine: a few more connections than the default 100 for parallel tests,
# a bigger cache. Durability settings (fsync, synchronous_commit) stay at their defaults.
max_connections = 200
shared_buffers = 256MB
log_line_prefix = '%m [%p] %q%u@%d '
# What each statement costs (CREATE EXTENSION pg_stat_statements; docs/operations.md).
shared_preload_libraries = 'pg_stat_statements'
EOF
}

pg_start() {
  local root pid i
  [[ -x $FT_PG_BIN/pg_ctl ]] || ft_die "$FT_PG_BIN/pg_ctl not found: is postgresql-15 installed? (deploy/local/install-deps.sh)"
  if ((EUID == 0)) && ! id postgres >/dev/null 2>&1; then
    ft_die "running as root needs the postgres system user (it comes with postgresql-15; deploy/local/install-deps.sh)"
  fi
  root=$(pg_root)
  ft_state_dirs
  if pid=$(pg_pid "$root"); then
    ft_log "already running (pid $pid)"
  else
    if ft_port_open "$FT_PG_PORT"; then
      ft_die "port $FT_PG_PORT is taken by another program; stop it or set FT_PG_PORT"
    fi
    pg_init "$root"
    pg_write_conf "$root"
    ln -sfn "$root/postgres.log" "$PG_LOG_LINK"
    ft_log "starting on 127.0.0.1:$FT_PG_PORT (log: $PG_LOG_LINK)"
    # pg_ctl detaches the server into its own session: it outlives this shell and Ctrl-C.
    if ! pg_as "$FT_PG_BIN/pg_ctl" -D "$root/data" -l "$root/postgres.log" -w -t 60 start >/dev/null; then
      ft_tail_log "$root/postgres.log"
      ft_die "PostgreSQL did not start (log: $PG_LOG_LINK)"
    fi
  fi
  for ((i = 0; i < 60; i++)); do
    pg_isready -q -h 127.0.0.1 -p "$FT_PG_PORT" -t 1 && break
    sleep 0.5
  done
  pg_isready -q -h 127.0.0.1 -p "$FT_PG_PORT" -t 1 ||
    { ft_tail_log "$root/postgres.log"; ft_die "PostgreSQL does not accept connections on port $FT_PG_PORT (log: $PG_LOG_LINK)"; }
  pg_ensure_dbs
}

pg_ensure_dbs() {
  psql_admin -v role="$FT_PG_USER" -v db="$FT_PG_DB" -v testdb="$FT_PG_TEST_DB" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
-- The pipeline tests make a database per test: reservation ids come from (partition,
-- offset), so two tests' topics would collide in one database.
SELECT format('ALTER ROLE %I CREATEDB', :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', d, :'role')
  FROM unnest(ARRAY[:'db', :'testdb']) AS d
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = d) \gexec
SQL
}

pg_recreate_db() {
  local db=$1
  psql_admin -v role="$FT_PG_USER" -v db="$db" <<'SQL'
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') \gexec
SQL
}

pg_stop() {
  local root pid i
  [[ -L $PG_LINK || -d $PG_LINK ]] || return 0
  root=$(readlink -f "$PG_LINK")
  pid=$(pg_pid "$root") || return 0
  ft_log "stopping (pid $pid)"
  if ! pg_as "$FT_PG_BIN/pg_ctl" -D "$root/data" -m fast -w -t 60 stop >/dev/null; then
    ft_log "fast shutdown did not finish in 60 s; immediate shutdown"
    pg_as "$FT_PG_BIN/pg_ctl" -D "$root/data" -m immediate -w -t 30 stop >/dev/null || true
  fi
  for ((i = 0; i < 50; i++)); do ft_running "$pid" || return 0; sleep 0.1; done
  ft_die "PostgreSQL (pid $pid) is still running (log: $PG_LOG_LINK)"
}

pg_status() {
  local pid
  if [[ -L $PG_LINK || -d $PG_LINK ]] && pid=$(pg_pid "$(readlink -f "$PG_LINK")"); then
    echo "postgres: running (pid $pid) on 127.0.0.1:$FT_PG_PORT, data $(readlink -f "$PG_LINK")/data"
  else
    echo "postgres: stopped"
    return 1
  fi
}

pg_purge() {
  pg_stop
  if [[ -L $PG_LINK ]]; then
    local target
    target=$(readlink -f "$PG_LINK")
    # Only ever delete a folder this script created.
    [[ $(basename "$target") == fairticket-* ]] && rm -rf "$target"
    rm -f "$PG_LINK"
  else
    rm -rf "$PG_LINK"
  fi
}

case "${1:-}" in
  start) pg_start ;;
  stop) pg_stop ;;
  status) pg_status ;;
  recreate-db) [[ -n ${2:-} ]] || ft_die "usage: $0 recreate-db DBNAME"; pg_recreate_db "$2" ;;
  purge) pg_purge ;;
  *) echo "usage: $0 start|stop|status|recreate-db DB|purge" >&2; exit 2 ;;
esac
