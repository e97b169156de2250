#!/usr/bin/env bash
# The project's single-node Apache Kafka 3.9 (KRaft, broker and controller in one JVM) on
# 127.0.0.1:$FT_KAFKA_PORT, from jars fetched from Maven Central (no tarball).
#
#   kafka.sh fetch               fetch the jars into .state/kafka/libs (skipped when present)
#   kafka.sh start               fetch, format the storage once, start, wait until it serves
#   kafka.sh stop                SIGTERM, bounded wait, SIGKILL as a last resort
#   kafka.sh status              exit 0 when running
#   kafka.sh delete-topics T…    delete topics if they exist (the test topics, before each test run)
#   kafka.sh tool CLASS ARGS…    run a Kafka command-line class, e.g.
#                                  kafka.sh tool org.apache.kafka.tools.TopicCommand --list
#                                (--bootstrap-server is added for you)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
FT_COMPONENT=kafka

KAFKA_SRC="$FT_ROOT/deploy/kafka"
KAFKA_DIR="$FT_STATE_DIR/kafka"
LIBS="$KAFKA_DIR/libs"
DATA="$KAFKA_DIR/data"
CONF="$KAFKA_DIR/server.properties"
PIDFILE="$FT_RUN_DIR/kafka.pid"
LOG="$FT_LOG_DIR/kafka.log"
PID_PATTERN="kafka.Kafka"
READY_LINE="Kafka Server started"   # logged by kafka.server.KafkaRaftServer once it serves
: "${FT_KAFKA_START_TIMEOUT:=90}"

# java_cmd CLASS ARGS…: a Kafka command-line class (not the broker).
java_cmd() {
  command -v java >/dev/null || ft_die "java not found: is openjdk-17-jre-headless installed? (deploy/local/install-deps.sh)"
  java -Dlog4j.configuration="file:$KAFKA_SRC/tools-log4j.properties" -cp "$LIBS/*" "$@"
}

# The jars are fetched again only when pom.xml changes (its checksum is kept next to them).
kafka_fetch() {
  local sum tmp
  sum=$(sha256sum "$KAFKA_SRC/pom.xml" | cut -d' ' -f1)
  if [[ -f $LIBS/.pom-sha256 && $(<"$LIBS/.pom-sha256") == "$sum" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || ft_die "mvn not found: is maven installed? (deploy/local/install-deps.sh)"
  ft_state_dirs
  mkdir -p "$KAFKA_DIR"
  tmp="$KAFKA_DIR/libs.tmp"
  rm -rf "$tmp"
  ft_log "fetching the broker's jars from Maven Central (log: $FT_LOG_DIR/maven.log)"
  if ! mvn -B -q -Dstyle.color=never -f "$KAFKA_SRC/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$FT_LOG_DIR/maven.log" 2>&1; then
    ft_tail_log "$FT_LOG_DIR/maven.log"
    ft_die "Maven could not fetch the Kafka jars (log: $FT_LOG_DIR/maven.log)"
  fi
  ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || ft_die "Maven finished but no kafka_2.13 jar is in $tmp"
  echo "$sum" >"$tmp/.pom-sha256"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
}

# Rendered on every start from deploy/kafka/server.properties.in, so changed ports apply.
kafka_render_conf() {
  local text
  text=$(<"$KAFKA_SRC/server.properties.in")
  text=${text//@KAFKA_PORT@/$FT_KAFKA_PORT}
  text=${text//@KAFKA_CONTROLLER_PORT@/$FT_KAFKA_CONTROLLER_PORT}
  text=${text//@KAFKA_DATA_DIR@/$DATA}
  printf '%s\n' "$text" >"$CONF"
}

# Format the storage once: a cluster id, kept in .state/kafka/cluster-id.
kafka_format() {
  local id
  [[ -f $DATA/meta.properties ]] && return 0
  if [[ ! -s $KAFKA_DIR/cluster-id ]]; then
    id=$(java_cmd kafka.tools.StorageTool random-uuid 2>>"$LOG" | tail -n1)
    [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || { ft_tail_log "$LOG"; ft_die "StorageTool random-uuid gave '$id' (log: $LOG)"; }
    echo "$id" >"$KAFKA_DIR/cluster-id"
  fi
  id=$(<"$KAFKA_DIR/cluster-id")
  ft_log "formatting $DATA (cluster id $id)"
  if ! java_cmd kafka.tools.StorageTool format -t "$id" -c "$CONF" --ignore-formatted >>"$LOG" 2>&1; then
    ft_tail_log "$LOG"
    ft_die "formatting the Kafka storage failed (log: $LOG)"
  fi
}

kafka_start() {
  local pid i port
  ft_state_dirs
  if pid=$(ft_pid_alive "$PIDFILE" "$PID_PATTERN"); then
    ft_log "already running (pid $pid)"
    kafka_wait_port "$pid"
    return 0
  fi
  rm -f "$PIDFILE"
  for port in "$FT_KAFKA_PORT" "$FT_KAFKA_CONTROLLER_PORT"; do
    ! ft_port_open "$port" ||
      ft_die "port $port is taken by another program; stop it or set FT_KAFKA_PORT / FT_KAFKA_CONTROLLER_PORT"
  done
  kafka_fetch
  mkdir -p "$DATA"
  ft_rotate_log "$LOG"
  kafka_render_conf
  kafka_format

  ft_log "starting on 127.0.0.1:$FT_KAFKA_PORT (log: $LOG)"
  # setsid -f: the broker gets its own session, so it outlives the calling shell (make up)
  # and a Ctrl-C in the terminal; `stop` ends it through the pid file. The inner shell
  # writes its own pid, then becomes the JVM with exec, so the pid file names the JVM.
  # shellcheck disable=SC2086,SC2016  # FT_KAFKA_HEAP holds several options; $$ is the inner shell's
  (cd "$KAFKA_DIR" && setsid -f bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PIDFILE" \
    java $FT_KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_SRC/log4j.properties" -cp "$LIBS/*" \
    kafka.Kafka "$CONF" </dev/null >>"$LOG" 2>&1)

  for ((i = 0; i < 50; i++)); do
    pid=$(ft_pid_alive "$PIDFILE" "$PID_PATTERN") && break
    sleep 0.1
  done
  [[ -n ${pid:-} ]] || { ft_tail_log "$LOG"; ft_die "the broker did not start (log: $LOG)"; }

  # Ready = the port answers AND the server logged that it finished starting (in combined
  # mode that is after the controller quorum formed and the broker was unfenced).
  for ((i = 0; i < FT_KAFKA_START_TIMEOUT * 2; i++)); do
    if ! ft_running "$pid"; then
      ft_tail_log "$LOG"
      rm -f "$PIDFILE"
      ft_die "the broker exited during start-up (log: $LOG)"
    fi
    if ft_port_open "$FT_KAFKA_PORT" && grep -qF "$READY_LINE" "$LOG"; then
      ft_log "ready after $((i / 2)) s (pid $pid)"
      return 0
    fi
    sleep 0.5
  done
  ft_tail_log "$LOG"
  ft_stop_pid "$PIDFILE" "$PID_PATTERN" kafka 30
  ft_die "the broker was not ready after ${FT_KAFKA_START_TIMEOUT} s; stopped it (log: $LOG)"
}

# For a broker that already runs (perhaps still starting): wait for its port.
kafka_wait_port() {
  local pid=$1 i
  for ((i = 0; i < FT_KAFKA_START_TIMEOUT * 2; i++)); do
    ft_port_open "$FT_KAFKA_PORT" && return 0
    ft_running "$pid" || ft_die "the broker (pid $pid) exited (log: $LOG)"
    sleep 0.5
  done
  ft_die "the running broker (pid $pid) does not answer on port $FT_KAFKA_PORT (log: $LOG)"
}

kafka_stop() {
  # A clean shutdown of a combined node takes a few seconds; 60 s before SIGKILL.
  ft_stop_pid "$PIDFILE" "$PID_PATTERN" kafka 60
}

kafka_status() {
  local pid
  if pid=$(ft_pid_alive "$PIDFILE" "$PID_PATTERN"); then
    echo "kafka: running (pid $pid) on $FT_KAFKA_BROKERS"
  else
    echo "kafka: stopped"
    return 1
  fi
}

kafka_tool() {
  local class=$1
  shift
  [[ -f $LIBS/.pom-sha256 ]] || ft_die "the Kafka jars are not fetched yet (run: $0 fetch)"
  java_cmd "$class" --bootstrap-server "$FT_KAFKA_BROKERS" "$@"
}

# delete-topics T…: one TopicCommand run for all of them (each run is a JVM start).
kafka_delete_topics() {
  local regex="" t
  for t in "$@"; do
    t=${t//./\\.}
    regex+="${regex:+|}$t"
  done
  [[ -n $regex ]] || return 0
  kafka_tool org.apache.kafka.tools.TopicCommand --delete --if-exists --topic "^($regex)\$" >/dev/null
}

case "${1:-}" in
  fetch) kafka_fetch ;;
  start) kafka_start ;;
  stop) kafka_stop ;;
  status) kafka_status ;;
  delete-topics) shift; kafka_delete_topics "$@" ;;
  tool) shift; [[ $# -ge 1 ]] || ft_die "usage: $0 tool CLASS [ARGS…]"; kafka_tool "$@" ;;
  *) echo "usage: $0 fetch|start|stop|status|delete-topics TOPIC…|tool CLASS ARGS…" >&2; exit 2 ;;
esac
