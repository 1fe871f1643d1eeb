#!/usr/bin/env bash
# Run a real Apache Kafka broker (KRaft, combined broker+controller) from Maven Central jars.
# No Docker, no Kafka distribution: deploy/kafka/pom.xml resolves the jars, this script runs them.
# Docs: docs/kafka.md.
#
# Usage: scripts/kafka.sh COMMAND
#   fetch          resolve the broker jars into deploy/kafka/libs/ (mvn only if missing or pom changed)
#   start          start the single-node broker (127.0.0.1:19092) and wait until it serves metadata;
#                  the last line on stdout is the bootstrap address (also for cluster-start)
#   stop           stop the single-node broker this script started (SIGTERM, SIGKILL after a timeout)
#   status         is the single-node broker up and answering?
#   bootstrap      print the single-node bootstrap address (nothing else)
#   reset          stop the single node and the cluster, delete their data (not the jars)
#   cluster-start  start the 3-node cluster (127.0.0.1:19092,29092,39092), or its stopped nodes
#   cluster-stop   stop the 3-node cluster this script started
#   cluster-status is the 3-node cluster up and answering?
#   cluster-bootstrap    print the cluster's bootstrap addresses (nothing else)
#   cluster-kill-node N  SIGKILL node N (1-3) of the cluster (fault tests); cluster-start restarts it
#   cluster-stop-node N  stop node N (1-3) of the cluster cleanly (SIGTERM, SIGKILL after a timeout)
#   credentials          print the path of the single node's credentials file (nothing else)
#   cluster-credentials  print the path of the cluster's credentials file (nothing else)
#
# Every client listener is SASL_PLAINTEXT (SCRAM-SHA-512) on 127.0.0.1, with ACLs (StandardAuthorizer,
# nothing allowed without an ACL). The users (the broker's own super user sosa-admin, and
# sosa-intake, sosa-router, sosa-notifier, sosa-operator) get random passwords when a node is first
# formatted, kept as NAME=PASSWORD lines in a mode-600 `credentials` file beside its data; the ACLs
# of a deployment are created by `python -m sosa.infra.bus_provisioning` (docs/kafka.md).
#
# Environment:
#   SOSA_KAFKA_PORT             single-node client port (default 19092; data then in
#                               var/kafka/single-PORT/ instead of var/kafka/single/)
#   SOSA_KAFKA_CONTROLLER_PORT  single-node controller port (default SOSA_KAFKA_PORT+1)
#   SOSA_KAFKA_CLUSTER_PORT_BASE / SOSA_KAFKA_CLUSTER_PORT_STEP
#                               cluster node i listens on BASE+(i-1)*STEP (clients) and that +1
#                               (controller); default 19092 / 10000, i.e. 19092, 29092, 39092. Other
#                               values get their own data directory, var/kafka/cluster-BASE-STEP/
#   SOSA_KAFKA_START_TIMEOUT    seconds to wait for readiness (default 60 single, 120 cluster)
#   SOSA_KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL (default 30)
#   KAFKA_HEAP_OPTS             broker heap (default -Xms256m -Xmx1g single, -Xms256m -Xmx512m per
#                               cluster node)
#   KAFKA_JVM_PERFORMANCE_OPTS  other broker JVM flags (default: see DEFAULT_PERF_OPTS below)
#   SOSA_KAFKA_REFORMAT_UNAUTHENTICATED=1  a stopped node formatted before SASL (no credentials)
#                               is formatted afresh, its data deleted (the fault suite's scratch
#                               brokers); otherwise start refuses it and says to reset
#   SOSA_KAFKA_CREDENTIALS_FILE where the users' passwords are kept (default: credentials in the
#                               single node's or the cluster's directory); a broker and a cluster
#                               given the same file share their passwords (the fault suite does)
#
# Exit codes: 0 ok (also: start when a broker already answers; stop when nothing was running);
#   1 failure (fetch, format or start failed, readiness timeout, port taken by something else);
#   2 usage; 3 status/cluster-status: not running; 4 status/cluster-status: our process(es) run but
#   do not answer (yet).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
KAFKA_DIR=$ROOT/deploy/kafka
LIBS=$KAFKA_DIR/libs
STAMP=$LIBS/.pom.sha256
TEMPLATE=$KAFKA_DIR/server.properties.template
LOG4J=$KAFKA_DIR/log4j2.properties
PROBE=$KAFKA_DIR/probe.py
VAR=$ROOT/var/kafka

PORT=${SOSA_KAFKA_PORT:-19092}
# The default broker lives in var/kafka/single/; one on another port gets its own directory.
if [[ $PORT == 19092 ]]; then SINGLE_DIR=$VAR/single; else SINGLE_DIR=$VAR/single-$PORT; fi
SINGLE_LOCK=$SINGLE_DIR.lock
CONTROLLER_PORT=${SOSA_KAFKA_CONTROLLER_PORT:-$((PORT + 1))}
STOP_TIMEOUT=${SOSA_KAFKA_STOP_TIMEOUT:-30}
CLUSTER_NODES=(1 2 3)
CLUSTER_PORT_BASE=${SOSA_KAFKA_CLUSTER_PORT_BASE:-19092}
CLUSTER_PORT_STEP=${SOSA_KAFKA_CLUSTER_PORT_STEP:-10000}
# The default cluster lives in var/kafka/cluster/; one on other ports gets its own directory.
if [[ $CLUSTER_PORT_BASE == 19092 && $CLUSTER_PORT_STEP == 10000 ]]; then
  CLUSTER_DIR=$VAR/cluster
else
  CLUSTER_DIR=$VAR/cluster-$CLUSTER_PORT_BASE-$CLUSTER_PORT_STEP
fi
CLUSTER_LOCK=$CLUSTER_DIR.lock
node_client_port() { echo $((CLUSTER_PORT_BASE + ($1 - 1) * CLUSTER_PORT_STEP)); }
node_controller_port() { echo $(($(node_client_port "$1") + 1)); }
CLUSTER_BOOTSTRAP=$(for i in "${CLUSTER_NODES[@]}"; do printf '127.0.0.1:%s\n' "$(node_client_port "$i")"; done | paste -sd,)
CLUSTER_VOTERS=$(for i in "${CLUSTER_NODES[@]}"; do printf '%s@127.0.0.1:%s\n' "$i" "$(node_controller_port "$i")"; done | paste -sd,)
# C1-only JIT + serial GC: measured faster to start on 2 cores than the G1/C2 defaults (docs/kafka.md).
DEFAULT_PERF_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true"
PERF_OPTS=${KAFKA_JVM_PERFORMANCE_OPTS:-$DEFAULT_PERF_OPTS}
READY_LINE="Kafka Server started"
# SASL/SCRAM users created at format time: the broker's super user first (inter-broker and
# controller traffic, provisioning), then one per service and the operators' tool.
ADMIN_USER=sosa-admin
USERS=("$ADMIN_USER" sosa-intake sosa-router sosa-notifier sosa-operator)
SINGLE_CREDENTIALS=${SOSA_KAFKA_CREDENTIALS_FILE:-$SINGLE_DIR/credentials}
CLUSTER_CREDENTIALS=${SOSA_KAFKA_CREDENTIALS_FILE:-$CLUSTER_DIR/credentials}

say() { printf 'kafka.sh: %s\n' "$*"; }
err() { printf 'kafka.sh: error: %s\n' "$*" >&2; }
now() { printf '%s' "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

usage() {
  sed -n '6,57p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

need() {
  command -v "$1" >/dev/null 2>&1 || { err "$1 not found on PATH ($2)"; exit 1; }
}

# --- fetch ---------------------------------------------------------------------------------------

pom_hash() { sha256sum "$KAFKA_DIR/pom.xml" | cut -d' ' -f1; }

libs_current() {
  [[ -f $STAMP && "$(cat "$STAMP")" == "$(pom_hash)" ]] && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null
}

fetch() {
  local t0 tmp
  t0=$(now)
  mkdir -p "$VAR"
  take_lock 8 "$VAR/fetch.lock"
  if libs_current; then
    say "fetch: deploy/kafka/libs is up to date ($(since "$t0"))"
  else
    need mvn "install Maven 3.8+"
    need java "install OpenJDK 17+"
    say "fetch: resolving Kafka jars from Maven Central (deploy/kafka/pom.xml) ..."
    tmp=$KAFKA_DIR/libs.tmp.$$
    rm -rf "$tmp"
    # The output goes to a log: quiet Maven 3.8 still prints colour codes.
    if ! mvn -q -B -f "$KAFKA_DIR/pom.xml" -Dkafka.libs.dir="$tmp" \
        dependency:copy-dependencies >"$VAR/fetch.log" 2>&1; then
      err "mvn dependency:copy-dependencies failed; last lines of $VAR/fetch.log:"
      tail -n 30 "$VAR/fetch.log" >&2
      rm -rf "$tmp"
      exit 1
    fi
    if ! compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null; then
      err "mvn succeeded but no kafka_2.13 jar in $tmp"
      exit 1
    fi
    pom_hash >"$tmp/.pom.sha256"
    rm -rf "$LIBS"  # stale jars of another version must not stay on the classpath
    mv "$tmp" "$LIBS"
    say "fetch: $(find "$LIBS" -name '*.jar' | wc -l) jars in deploy/kafka/libs ($(since "$t0"))"
  fi
  flock -u 8
}

ensure_libs() {
  need java "install OpenJDK 17+"
  libs_current || fetch
}

# --- helpers -------------------------------------------------------------------------------------

# take_lock FD FILE: serialise concurrent invocations (fd 8: fetch, fd 9: start). launch() closes
# both fds, or the broker would inherit the lock and hold it for its whole life.
take_lock() {
  eval "exec $1>\"\$2\""
  flock -w 300 "$1" || { err "another kafka.sh holds $2 for over 300s"; exit 1; }
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# probe BOOTSTRAP BROKERS TIMEOUT CREDENTIALS: does Kafka serve metadata there to the super user
# of CREDENTIALS? (aiokafka, see probe.py; exit 5 when it refuses those credentials). The
# workspace's .venv when it exists (no uv sync racing other edits), else uv run.
probe() {
  local password=""
  [[ -f $4 ]] && password=$(password_of "$4" "$ADMIN_USER")
  if [[ -x $ROOT/.venv/bin/python ]]; then
    SOSA_KAFKA_USERNAME=$ADMIN_USER SOSA_KAFKA_PASSWORD=$password \
      "$ROOT/.venv/bin/python" "$PROBE" "$1" --brokers "$2" --timeout "$3"
  else
    (cd "$ROOT" && SOSA_KAFKA_USERNAME=$ADMIN_USER SOSA_KAFKA_PASSWORD=$password \
      uv run --quiet python "$PROBE" "$1" --brokers "$2" --timeout "$3")
  fi | sed 's/^/kafka.sh: metadata: /'
  return "${PIPESTATUS[0]}"
}

# new_secret: 32 random bytes, base64url without padding: safe inside the JAAS quotes, the
# --add-scram argument and sed.
new_secret() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }

# ensure_credentials FILE: a password per user, made once (mode 600, never printed).
ensure_credentials() {
  local file=$1 user
  [[ -s $file ]] && return 0
  mkdir -p "$(dirname "$file")"
  (
    umask 077
    for user in "${USERS[@]}"; do printf '%s=%s\n' "$user" "$(new_secret)"; done >"$file.tmp"
  )
  mv "$file.tmp" "$file"
  say "credentials: new passwords for ${USERS[*]} in ${file#"$ROOT/"} (mode 600)"
}

# password_of FILE USER
password_of() { sed -n "s/^$2=//p" "$1"; }

# refuse_unauthenticated NODE_DIR CREDENTIALS: data formatted before the bus had users (no
# credentials file) cannot get them afterwards: say how to start afresh.
refuse_unauthenticated() {
  if [[ -f $1/data/meta.properties && ! -s $2 ]]; then
    if [[ ${SOSA_KAFKA_REFORMAT_UNAUTHENTICATED:-} == 1 && -z $(node_pid "$1") ]]; then
      say "${1#"$ROOT/"} was formatted before SASL/SCRAM: deleting its data to format it afresh (SOSA_KAFKA_REFORMAT_UNAUTHENTICATED=1)"
      rm -rf "$1/data" "$1/cluster.id"
      return 0
    fi
    err "${1#"$ROOT/"} was formatted before SASL/SCRAM (no ${2#"$ROOT/"}): its users cannot be added; run scripts/kafka.sh stop and reset (deletes its topics), then start"
    exit 1
  fi
}

# pid of the broker of NODE_DIR if it runs and is the one this script started, else nothing.
node_pid() {
  local dir=$1 pid
  [[ -f $dir/kafka.pid ]] || return 0
  pid=$(cat "$dir/kafka.pid")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  is_broker_of "$pid" "$dir" && echo "$pid"
  return 0
}

# is_broker_of PID NODE_DIR: is PID alive and the kafka.Kafka of NODE_DIR (not a reused pid)?
is_broker_of() {
  local cmdline
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
  [[ $cmdline == *"kafka.Kafka $2/server.properties"* ]]
}

new_cluster_id() {
  # Same format as `kafka.tools.StorageTool random-uuid` (16 random bytes, base64url, no padding),
  # without a JVM start. Kafka rejects ids starting with '-' on the command line: draw again.
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [[ $id == -* ]] || break
  done
  echo "$id"
}

# render NODE_DIR NODE_ID CLIENT_PORT CONTROLLER_PORT VOTERS REPLICATION MIN_ISR INTERNAL IO_THREADS
#        CREDENTIALS
# server.properties holds the super user's password (JAAS): mode 600.
render() {
  local dir=$1 admin_password
  admin_password=$(password_of "${10}" "$ADMIN_USER")
  mkdir -p "$dir/data" "$dir/logs"
  (
    umask 077
    sed -e "s|@NODE_ID@|$2|g" -e "s|@CLIENT_PORT@|$3|g" -e "s|@CONTROLLER_PORT@|$4|g" \
      -e "s|@QUORUM_VOTERS@|$5|g" -e "s|@REPLICATION@|$6|g" -e "s|@MIN_ISR@|$7|g" \
      -e "s|@INTERNAL_PARTITIONS@|$8|g" -e "s|@IO_THREADS@|$9|g" -e "s|@LOG_DIRS@|$dir/data|g" \
      -e "s|@ADMIN_USER@|$ADMIN_USER|g" -e "s|@ADMIN_PASSWORD@|$admin_password|g" \
      "$TEMPLATE" >"$dir/server.properties.tmp"
  )
  mv "$dir/server.properties.tmp" "$dir/server.properties"
}

# format NODE_DIR CLUSTER_ID CREDENTIALS: format the storage once (kafka.tools.StorageTool), with
# every user's SCRAM-SHA-512 credential in the first metadata (--add-scram).
format_node() {
  local dir=$1 id=$2 t0 user scram=()
  if [[ -f $dir/data/meta.properties ]]; then
    say "format: $(basename "$dir") already formatted (cluster id $(sed -n 's/^cluster.id=//p' "$dir/data/meta.properties"))"
    return 0
  fi
  t0=$(now)
  for user in "${USERS[@]}"; do
    scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(password_of "$3" "$user")]")
  done
  # shellcheck disable=SC2086
  if ! java -Xmx256m $PERF_OPTS -Dlog4j2.configurationFile="$LOG4J" -Dkafka.logs.dir="$dir/logs" \
      -cp "$LIBS/*" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" \
      "${scram[@]}" >"$dir/logs/format.log" 2>&1; then
    err "kafka.tools.StorageTool format failed for $dir:"
    cat "$dir/logs/format.log" >&2
    return 1
  fi
  say "format: $(basename "$dir") formatted with cluster id $id and ${#USERS[@]} SCRAM users ($(since "$t0"))"
}

# launch NODE_DIR HEAP: start kafka.Kafka in the background, in its own session, pid to kafka.pid.
launch() {
  local dir=$1 heap=$2 pid
  # server.log survives restarts: readiness only counts what this run appends after this offset.
  stat -c %s "$dir/logs/server.log" >"$dir/log.offset" 2>/dev/null || echo 0 >"$dir/log.offset"
  [[ -f $dir/logs/stdout.log ]] && mv "$dir/logs/stdout.log" "$dir/logs/stdout.log.1"
  # shellcheck disable=SC2086
  setsid java $heap $PERF_OPTS -Dlog4j2.configurationFile="$LOG4J" -Dkafka.logs.dir="$dir/logs" \
    -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/logs/stdout.log" 2>&1 </dev/null 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$dir/kafka.pid"
}

# run_log NODE_DIR: what the current run of the broker wrote to server.log so far.
run_log() {
  local log=$1/logs/server.log off size
  [[ -f $log ]] || return 0
  off=$(cat "$1/log.offset" 2>/dev/null || echo 0)
  size=$(stat -c %s "$log")
  ((size >= off)) || off=0 # rolled over
  tail -c +"$((off + 1))" "$log"
}

# logged_ready NODE_DIR: did the current run of the broker log READY_LINE?
logged_ready() { grep -qF "$READY_LINE" <(run_log "$1"); }

# show_logs NODE_DIR...: the last lines this run wrote (stdout.log: WARN+ and JVM errors).
show_logs() {
  local dir
  for dir in "$@"; do
    printf -- '--- %s/logs/stdout.log\n' "${dir#"$ROOT/"}" >&2
    tail -n 20 "$dir/logs/stdout.log" >&2 2>/dev/null || true
    printf -- '--- %s/logs/server.log (this run)\n' "${dir#"$ROOT/"}" >&2
    run_log "$dir" | tail -n 30 >&2
  done
}

# wait_started DEADLINE NODE_DIR...: until each node logged READY_LINE (fails fast if one died).
wait_started() {
  local deadline=$1 dir pending
  shift
  while :; do
    pending=0
    for dir in "$@"; do
      if [[ -z $(node_pid "$dir") ]]; then
        err "the broker of ${dir#"$ROOT/"} exited during start-up; last lines of its logs:"
        show_logs "$dir"
        return 1
      fi
      logged_ready "$dir" || pending=1
    done
    ((pending)) || return 0
    if (($(date +%s) >= deadline)); then
      err "timed out waiting for '$READY_LINE'; last lines of the logs:"
      show_logs "$@"
      return 1
    fi
    sleep 0.2
  done
}

# abandon NODE_DIR...: a start failed: stop what runs (logs stay for a post-mortem), exit 1.
abandon() {
  err "start failed: stopping the broker(s); logs stay in ${1#"$ROOT/"}/logs/ (and siblings)"
  stop_nodes "$@" >&2
  exit 1
}

remaining() { local r=$(($1 - $(date +%s))); echo $((r > 1 ? r : 1)); }

# stop_nodes NODE_DIR...: SIGTERM each broker this script started, wait, then SIGKILL leftovers.
stop_nodes() {
  local dir pid t0 deadline alive any=0
  local -A pids=()
  t0=$(now)
  for dir in "$@"; do
    pid=$(node_pid "$dir")
    if [[ -n $pid ]]; then
      pids[$dir]=$pid
      kill -TERM "$pid" 2>/dev/null || true
      any=1
    elif [[ -f $dir/kafka.pid ]]; then
      say "stop: removing stale pid file ${dir#"$ROOT/"}/kafka.pid"
      rm -f "$dir/kafka.pid"
    fi
  done
  if ((!any)); then
    say "stop: no broker started by this script is running (${*#"$ROOT/"})"
    return 0
  fi
  # Wait for the very pids signalled above (the pid file may name a newer broker by now).
  deadline=$(($(date +%s) + STOP_TIMEOUT))
  while :; do
    alive=0
    for dir in "${!pids[@]}"; do
      is_broker_of "${pids[$dir]}" "$dir" && alive=1
    done
    ((alive)) || break
    if (($(date +%s) >= deadline)); then
      for dir in "${!pids[@]}"; do
        pid=${pids[$dir]}
        if is_broker_of "$pid" "$dir"; then
          err "stop: ${dir#"$ROOT/"} (pid $pid) still running after ${STOP_TIMEOUT}s: SIGKILL"
          kill -KILL "$pid" 2>/dev/null || true
        fi
      done
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  for dir in "${!pids[@]}"; do
    [[ $(cat "$dir/kafka.pid" 2>/dev/null) == "${pids[$dir]}" ]] && rm -f "$dir/kafka.pid"
    say "stop: stopped $(basename "$dir") (pid ${pids[$dir]})"
  done
  say "stop: done ($(since "$t0"))"
}

# --- single node ---------------------------------------------------------------------------------

bootstrap_single() { echo "127.0.0.1:$PORT"; }

cmd_start() {
  local t0 deadline pid timeout
  timeout=${SOSA_KAFKA_START_TIMEOUT:-60}
  mkdir -p "$SINGLE_DIR"
  take_lock 9 "$SINGLE_LOCK"
  pid=$(node_pid "$SINGLE_DIR")
  if [[ -z $pid ]] && port_open "$PORT"; then
    if probe "$(bootstrap_single)" 1 5 "$SINGLE_CREDENTIALS" >/dev/null; then
      say "a Kafka broker already answers at $(bootstrap_single) (not started by this script): using it"
      bootstrap_single
      return 0
    fi
    err "port $PORT is in use by something that is not a Kafka broker"
    return 1
  fi
  refuse_unauthenticated "$SINGLE_DIR" "$SINGLE_CREDENTIALS"
  if [[ -n $pid ]]; then
    say "the broker started by this script is already running (pid $pid); checking it answers"
    t0=$(now)
  else
    if port_open "$CONTROLLER_PORT"; then
      err "controller port $CONTROLLER_PORT is in use (the 3-node cluster? scripts/kafka.sh cluster-stop)"
      return 1
    fi
    ensure_libs
    ensure_credentials "$SINGLE_CREDENTIALS"
    render "$SINGLE_DIR" 1 "$PORT" "$CONTROLLER_PORT" "1@127.0.0.1:$CONTROLLER_PORT" 1 1 1 4 \
      "$SINGLE_CREDENTIALS"
    [[ -f $SINGLE_DIR/cluster.id ]] || new_cluster_id >"$SINGLE_DIR/cluster.id"
    format_node "$SINGLE_DIR" "$(cat "$SINGLE_DIR/cluster.id")" "$SINGLE_CREDENTIALS"
    t0=$(now)
    launch "$SINGLE_DIR" "${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
    say "start: kafka.Kafka pid $(cat "$SINGLE_DIR/kafka.pid"), logs in ${SINGLE_DIR#"$ROOT/"}/logs/"
  fi
  deadline=$(($(date +%s) + timeout))
  wait_started "$deadline" "$SINGLE_DIR" || abandon "$SINGLE_DIR"
  if ! probe "$(bootstrap_single)" 1 "$(remaining "$deadline")" "$SINGLE_CREDENTIALS"; then
    err "the broker logged '$READY_LINE' but serves no metadata at $(bootstrap_single)"
    show_logs "$SINGLE_DIR"
    abandon "$SINGLE_DIR"
  fi
  say "ready: bootstrap $(bootstrap_single) (start-to-ready $(since "$t0"))"
  bootstrap_single
}

# stop and cluster-stop take the start lock: a stop issued during a start waits for it to finish.
cmd_stop() {
  mkdir -p "$VAR"
  take_lock 9 "$SINGLE_LOCK"
  stop_nodes "$SINGLE_DIR"
}

cmd_status() {
  local pid
  pid=$(node_pid "$SINGLE_DIR")
  if port_open "$PORT" && probe "$(bootstrap_single)" 1 5 "$SINGLE_CREDENTIALS" >/dev/null; then
    if [[ -n $pid ]]; then
      say "running: pid $pid, bootstrap $(bootstrap_single), data ${SINGLE_DIR#"$ROOT/"}/"
    else
      say "a Kafka broker not started by this script answers at $(bootstrap_single)"
    fi
    return 0
  fi
  if [[ -n $pid ]]; then
    say "pid $pid runs but does not answer at $(bootstrap_single) (starting up or stuck)"
    return 4
  fi
  if port_open "$PORT"; then
    say "not running (and port $PORT is taken by something that is not a Kafka broker)"
  else
    say "not running"
  fi
  return 3
}

# --- 3-node cluster ------------------------------------------------------------------------------

cluster_dirs() { local i; for i in "${CLUSTER_NODES[@]}"; do echo "$CLUSTER_DIR/node$i"; done; }

cmd_cluster_start() {
  local t0 deadline dirs=() todo=() i dir id port pid timeout fmt_pids=() rc=0
  timeout=${SOSA_KAFKA_START_TIMEOUT:-120}
  mapfile -t dirs < <(cluster_dirs)
  mkdir -p "$CLUSTER_DIR"
  take_lock 9 "$CLUSTER_LOCK"
  # Nodes already running (started by this script) are kept: cluster-start also restarts the
  # nodes that died or were stopped by hand.
  for i in "${CLUSTER_NODES[@]}"; do
    dir=$CLUSTER_DIR/node$i
    pid=$(node_pid "$dir")
    if [[ -n $pid ]]; then
      say "node$i already running (pid $pid)"
      continue
    fi
    for port in "$(node_client_port "$i")" "$(node_controller_port "$i")"; do
      if port_open "$port"; then
        err "port $port of node$i is in use (the single-node broker? scripts/kafka.sh stop)"
        return 1
      fi
    done
    todo+=("$i")
  done
  for i in "${CLUSTER_NODES[@]}"; do
    refuse_unauthenticated "$CLUSTER_DIR/node$i" "$CLUSTER_CREDENTIALS"
  done
  t0=$(now)
  if ((${#todo[@]})); then
    ensure_libs
    ensure_credentials "$CLUSTER_CREDENTIALS"
    [[ -f $CLUSTER_DIR/cluster.id ]] || new_cluster_id >"$CLUSTER_DIR/cluster.id"
    id=$(cat "$CLUSTER_DIR/cluster.id")
    for i in "${todo[@]}"; do
      render "$CLUSTER_DIR/node$i" "$i" "$(node_client_port "$i")" "$(node_controller_port "$i")" \
        "$CLUSTER_VOTERS" 3 2 3 2 "$CLUSTER_CREDENTIALS"
      format_node "$CLUSTER_DIR/node$i" "$id" "$CLUSTER_CREDENTIALS" &
      fmt_pids+=($!)
    done
    for pid in "${fmt_pids[@]}"; do wait "$pid" || rc=1; done
    ((rc == 0)) || return 1
    say "format: cluster done ($(since "$t0"))"
    t0=$(now)
    for i in "${todo[@]}"; do
      dir=$CLUSTER_DIR/node$i
      launch "$dir" "${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
      say "start: node$i pid $(cat "$dir/kafka.pid"), logs in ${dir#"$ROOT/"}/logs/"
    done
  else
    say "the cluster started by this script is already running; checking it answers"
  fi
  deadline=$(($(date +%s) + timeout))
  wait_started "$deadline" "${dirs[@]}" || abandon "${dirs[@]}"
  if ! probe "$CLUSTER_BOOTSTRAP" 3 "$(remaining "$deadline")" "$CLUSTER_CREDENTIALS"; then
    err "the cluster logged '$READY_LINE' but does not list 3 brokers at $CLUSTER_BOOTSTRAP"
    abandon "${dirs[@]}"
  fi
  say "ready: bootstrap $CLUSTER_BOOTSTRAP (start-to-ready $(since "$t0"))"
  echo "$CLUSTER_BOOTSTRAP"
}

cmd_cluster_stop() {
  local dirs=()
  mapfile -t dirs < <(cluster_dirs)
  mkdir -p "$VAR"
  take_lock 9 "$CLUSTER_LOCK"
  # All at once: stopped one by one, the last nodes lose the controller quorum and hang.
  stop_nodes "${dirs[@]}"
}

cmd_cluster_status() {
  local dirs=() dir pid running=0
  mapfile -t dirs < <(cluster_dirs)
  for dir in "${dirs[@]}"; do
    pid=$(node_pid "$dir")
    if [[ -n $pid ]]; then
      running=$((running + 1))
      say "$(basename "$dir"): pid $pid"
    else
      say "$(basename "$dir"): not running"
    fi
  done
  ((running > 0)) || { say "cluster not running"; return 3; }
  if probe "$CLUSTER_BOOTSTRAP" 3 5 "$CLUSTER_CREDENTIALS" >/dev/null; then
    say "cluster answers at $CLUSTER_BOOTSTRAP"
    return 0
  fi
  say "$running of ${#dirs[@]} nodes run, but the cluster does not list 3 brokers"
  return 4
}

# cluster_node N: the directory of node N, or exit 2 when N is not a node of the cluster.
cluster_node() {
  [[ ${1:-} =~ ^[1-3]$ ]] || { err "expected a node number 1-3, got '${1:-}'"; exit 2; }
  echo "$CLUSTER_DIR/node$1"
}

# Fault tests: a node dies at once (SIGKILL), leaving its data as a crash would.
cmd_cluster_kill_node() {
  local dir pid
  dir=$(cluster_node "${1:-}")
  pid=$(node_pid "$dir")
  if [[ -z $pid ]]; then
    say "kill: node$1 is not running"
    return 0
  fi
  kill -KILL "$pid"
  while is_broker_of "$pid" "$dir"; do sleep 0.1; done
  say "kill: node$1 (pid $pid) killed"
}

cmd_cluster_stop_node() {
  local dir
  dir=$(cluster_node "${1:-}")
  take_lock 9 "$CLUSTER_LOCK"
  stop_nodes "$dir"
}

cmd_reset() {
  cmd_stop
  cmd_cluster_stop
  # only this port setting's single node and cluster: the fault suite's own instances (other
  # ports, other directories) may be running beside them
  rm -rf "$SINGLE_DIR" "$SINGLE_LOCK" "$CLUSTER_DIR" "$CLUSTER_LOCK"
  # a credentials file named by SOSA_KAFKA_CREDENTIALS_FILE goes with the data it was formatted into
  [[ -n ${SOSA_KAFKA_CREDENTIALS_FILE:-} ]] && rm -f "$SOSA_KAFKA_CREDENTIALS_FILE"
  say "reset: deleted ${SINGLE_DIR#"$ROOT"/}/ and ${CLUSTER_DIR#"$ROOT"/}/"
}

# --- main ----------------------------------------------------------------------------------------

case $# in
  1) ;;
  2) [[ $1 == cluster-kill-node || $1 == cluster-stop-node ]] || usage ;;
  *) usage ;;
esac
case $1 in
  fetch) fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  bootstrap) bootstrap_single ;;
  reset) cmd_reset ;;
  cluster-start) cmd_cluster_start ;;
  cluster-stop) cmd_cluster_stop ;;
  cluster-status) cmd_cluster_status ;;
  cluster-bootstrap) echo "$CLUSTER_BOOTSTRAP" ;;
  credentials) echo "$SINGLE_CREDENTIALS" ;;
  cluster-credentials) echo "$CLUSTER_CREDENTIALS" ;;
  cluster-kill-node) cmd_cluster_kill_node "${2:-}" ;;
  cluster-stop-node) cmd_cluster_stop_node "${2:-}" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
