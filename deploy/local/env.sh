# shellcheck shell=bash disable=SC2034  # variables used by the scripts that source this
# Settings of the local stack, sourced by every script in deploy/local/.
# Every value is a default: a variable already set in the environment wins.
# Sourcing this file defines variables and a few helpers; it starts nothing.

FT_ROOT="${FT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

# Project-local, git-ignored state: database cluster, Kafka data and jars, logs, pid files, secrets.
: "${FT_STATE_DIR:=$FT_ROOT/.state}"
[[ $FT_STATE_DIR == /* ]] || FT_STATE_DIR="$PWD/$FT_STATE_DIR"   # scripts cd around
FT_LOG_DIR="$FT_STATE_DIR/logs"
FT_RUN_DIR="$FT_STATE_DIR/run"
FT_SECRETS_DIR="$FT_STATE_DIR/secrets"

# Ports on 127.0.0.1, chosen away from the usual ones (a system PostgreSQL or Kafka is never
# touched) and below Linux's ephemeral range (32768-60999): a port in that range can be taken
# for a moment by any outgoing connection, and the server then fails to bind.
: "${FT_PG_PORT:=25432}"
: "${FT_KAFKA_PORT:=29092}"
: "${FT_KAFKA_CONTROLLER_PORT:=29093}"
: "${FT_HTTP_PORT:=8080}"
# The PortOne imitation that stands in for the payment provider under make run/up.
: "${FT_PORTONE_PORT:=8090}"

# PostgreSQL: the role and databases created in the local cluster.
: "${FT_PG_USER:=fairticket}"
: "${FT_PG_DB:=fairticket}"
: "${FT_PG_TEST_DB:=fairticket_test}"
: "${FT_PG_BIN:=/usr/lib/postgresql/15/bin}"
: "${FT_DATABASE_URL:=postgresql://$FT_PG_USER@127.0.0.1:$FT_PG_PORT/$FT_PG_DB}"
: "${FT_TEST_DATABASE_URL:=postgresql://$FT_PG_USER@127.0.0.1:$FT_PG_PORT/$FT_PG_TEST_DB}"
# Superuser connection to the local cluster (trust on loopback), for creating roles and databases.
FT_PG_ADMIN_URL="postgresql://postgres@127.0.0.1:$FT_PG_PORT/postgres"

# Kafka.
: "${FT_KAFKA_BROKERS:=127.0.0.1:$FT_KAFKA_PORT}"
: "${FT_TOPIC_COMMANDS:=ft.reservation-commands}"
: "${FT_TOPIC_OUTCOMES:=ft.reservation-outcomes}"
: "${FT_TOPIC_PARTITIONS:=12}"
# Topics of `make test`: separate from the dev stack's, and deleted and recreated on every
# run, like the test database (a fresh database with old commands still in the topic would
# make a worker replay them).
: "${FT_TEST_TOPIC_COMMANDS:=ft.test.reservation-commands}"
: "${FT_TEST_TOPIC_OUTCOMES:=ft.test.reservation-outcomes}"
: "${FT_KAFKA_HEAP:=-Xms256m -Xmx512m}"

# Builds.
# What `stack.sh up` runs: build/release, unless the caller names another build (the
# bench's smoke run in `make test` runs build/asan's).
: "${FT_RELEASE_BIN:=$FT_ROOT/build/release/bin}"
FT_ASAN_BIN="$FT_ROOT/build/asan/bin"
# Services started by `stack.sh up`, in start order (each is $FT_RELEASE_BIN/ft-<name>).
: "${FT_SERVICES:=ingress worker expirer}"

# The operator account created by `stack.sh up`.
: "${FT_ADMIN_EMAIL:=admin@fairticket.local}"
: "${FT_ADMIN_NAME:=Operator}"

export FT_ROOT FT_STATE_DIR FT_PG_PORT FT_KAFKA_PORT FT_KAFKA_CONTROLLER_PORT FT_HTTP_PORT FT_PORTONE_PORT \
  FT_DATABASE_URL FT_TEST_DATABASE_URL FT_KAFKA_BROKERS FT_TOPIC_COMMANDS FT_TOPIC_OUTCOMES \
  FT_TOPIC_PARTITIONS

# --- helpers -------------------------------------------------------------------------------

ft_log() { printf '[%s] %s\n' "${FT_COMPONENT:-stack}" "$*" >&2; }
ft_die() { printf '[%s] ERROR: %s\n' "${FT_COMPONENT:-stack}" "$*" >&2; exit 1; }

# ft_port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
ft_port_open() {
  # shellcheck disable=SC2016  # $1 is expanded by the inner shell
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# ft_running PID: the process exists and is not a zombie (if PID 1 does not reap, a dead
# daemon can linger as a zombie).
ft_running() {
  local stat state
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  state=${stat##*) }   # the field after "(comm)", which may itself contain spaces
  state=${state%% *}
  [[ -n $state && $state != Z && $state != X ]]
}

# ft_pid_alive PIDFILE PATTERN: prints the pid and succeeds when the pid file names a live
# process whose command line contains PATTERN (guards against a recycled pid).
ft_pid_alive() {
  local pidfile=$1 pattern=$2 pid cmd
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  ft_running "$pid" || return 1
  { cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline"); } 2>/dev/null || return 1
  [[ $cmd == *"$pattern"* ]] || return 1
  echo "$pid"
}

# ft_stop_pid PIDFILE PATTERN NAME GRACE: SIGTERM, wait up to GRACE seconds, then SIGKILL.
# Removes the pid file. Harmless when nothing runs.
ft_stop_pid() {
  local pidfile=$1 pattern=$2 name=$3 grace=$4 pid i
  if ! pid=$(ft_pid_alive "$pidfile" "$pattern"); then
    rm -f "$pidfile"
    return 0
  fi
  ft_log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    ft_running "$pid" || break
    sleep 0.1
  done
  if ft_running "$pid"; then
    ft_log "$name did not stop within ${grace}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do ft_running "$pid" || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

# ft_tail_log FILE: the end of a log, for error messages.
ft_tail_log() {
  [[ -f $1 ]] || return 0
  printf -- '----- last lines of %s -----\n' "$1" >&2
  tail -n "${2:-40}" "$1" >&2
  printf -- '-----\n' >&2
}

# ft_rotate_log FILE: keep the previous run's log as FILE.1, start a fresh one.
ft_rotate_log() {
  [[ -f $1 ]] && mv -f "$1" "$1.1"
  : >"$1"
}

ft_state_dirs() {
  mkdir -p "$FT_STATE_DIR" "$FT_LOG_DIR" "$FT_RUN_DIR" "$FT_SECRETS_DIR"
  chmod 700 "$FT_SECRETS_DIR"
}
