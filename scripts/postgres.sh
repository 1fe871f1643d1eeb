#!/usr/bin/env bash
# A disposable PostgreSQL server for sosa's tests: installed from Debian's archive when absent,
# one cluster per checkout, loopback only, trust auth, tuned for speed rather than durability.
# See docs/postgres.md.
#
#   scripts/postgres.sh install           install the Debian `postgresql` package if the server binaries are missing
#   scripts/postgres.sh start             install if needed, create the cluster if needed, start it, wait until ready
#   scripts/postgres.sh stop              stop our cluster (pg_ctl stop -m fast); no-op when not running
#   scripts/postgres.sh status            where everything is and whether it answers; exit 0 = answering, 3 = not
#   scripts/postgres.sh reset             stop and delete the data directory
#   scripts/postgres.sh url [asyncpg]     print the connection URL (postgresql+asyncpg://... with `asyncpg`)
#   scripts/postgres.sh createdb NAME     create a database (no-op when it exists)
#   scripts/postgres.sh dropdb NAME       drop a database (no-op when absent; disconnects its sessions)
#
# Environment: SOSA_PG_PORT (default 55432), SOSA_PG_DIR (default <repo>/var/postgres; see docs/postgres.md).
set -euo pipefail

readonly PROG="postgres.sh"
SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
readonly SCRIPT_DIR REPO_ROOT

readonly PG_HOST="127.0.0.1"
readonly PG_USER="postgres"
readonly PG_DB="postgres"
readonly PG_PORT="${SOSA_PG_PORT:-55432}"
readonly PG_LIB_ROOT="/usr/lib/postgresql"
readonly PG_SYSTEM_USER="postgres"  # created by Debian's postgresql-common package
readonly READY_TIMEOUT_S=60

REPO_HASH="$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)"
readonly REPO_HASH
readonly FALLBACK_DIR="/tmp/sosa-postgres-$REPO_HASH"

# ---------------------------------------------------------------------------------------------- helpers

say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}

usage() {
  printf 'usage: %s COMMAND\n' "$0"
  sed -n '6,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

now_ms() {
  local t="${EPOCHREALTIME/[.,]/}" # microseconds, locale-independent
  printf '%s' "$((t / 1000))"
}

elapsed() { # elapsed START_MS -> "1.234s"
  local ms=$(($(now_ms) - $1))
  printf '%d.%03ds' "$((ms / 1000))" "$((ms % 1000))"
}

is_root() { [[ $EUID -eq 0 ]]; }

# The server must not run as root: as root we act as the `postgres` system user, otherwise as ourselves.
server_user() {
  if is_root; then printf '%s' "$PG_SYSTEM_USER"; else id -un; fi
}

# Run a command as the server user, from / so that an unreadable cwd (e.g. /root) does not matter.
as_server() {
  if is_root; then
    id -u "$PG_SYSTEM_USER" >/dev/null 2>&1 ||
      die "system user '$PG_SYSTEM_USER' does not exist (the Debian postgresql-common package creates it; run '$0 install')"
    if command -v runuser >/dev/null 2>&1; then
      (cd / && runuser -u "$PG_SYSTEM_USER" -- "$@" 9>&-)
    else
      local cmd
      cmd="$(printf '%q ' "$@")"
      (cd / && su -s /bin/sh "$PG_SYSTEM_USER" -c "$cmd" 9>&-)
    fi
  else
    (cd / && "$@" 9>&-)
  fi
}

# Newest /usr/lib/postgresql/<ver>/bin holding the server binaries; fails when there is none.
# Deliberately ignores PATH: only what the Debian packages put under /usr/lib/postgresql counts.
find_bindir() {
  local d
  [[ -d $PG_LIB_ROOT ]] || return 1
  while IFS= read -r d; do
    if [[ -x $d/bin/initdb && -x $d/bin/pg_ctl && -x $d/bin/postgres ]]; then
      printf '%s' "$d/bin"
      return 0
    fi
  done < <(find "$PG_LIB_ROOT" -mindepth 1 -maxdepth 1 -type d | sort -rV)
  return 1
}

require_bindir() {
  BINDIR="$(find_bindir)" || die "PostgreSQL server binaries not found under $PG_LIB_ROOT/<version>/bin (run '$0 install')"
  PG_VERSION_DIR="$(basename "$(dirname "$BINDIR")")"
}

# Where the cluster lives. <repo>/var/postgres unless the server user cannot reach it (or the unix
# socket path would be too long), then /tmp/sosa-postgres-<hash of repo path>. SOSA_PG_DIR overrides.
# A directory that already holds a cluster wins, so every subcommand agrees with what `start` chose.
resolve_base() {
  if [[ -n ${SOSA_PG_DIR:-} ]]; then
    BASE_DIR="$SOSA_PG_DIR"
  elif [[ -s $REPO_ROOT/var/postgres/data/PG_VERSION ]]; then
    BASE_DIR="$REPO_ROOT/var/postgres"
  elif [[ -s $FALLBACK_DIR/data/PG_VERSION ]]; then
    BASE_DIR="$FALLBACK_DIR"
  elif repo_usable_by_server; then
    BASE_DIR="$REPO_ROOT/var/postgres"
  else
    BASE_DIR="$FALLBACK_DIR"
  fi
  DATA_DIR="$BASE_DIR/data"
  LOG_FILE="$BASE_DIR/postgres.log"
}

repo_usable_by_server() {
  local sock="$REPO_ROOT/var/postgres/data/.s.PGSQL.$PG_PORT"
  ((${#sock} <= 100)) || return 1 # sun_path holds 107 bytes
  # The deepest directory that already exists on the way to var/postgres.
  local probe="$REPO_ROOT"
  [[ -d $REPO_ROOT/var ]] && probe="$REPO_ROOT/var"
  [[ -d $REPO_ROOT/var/postgres ]] && probe="$REPO_ROOT/var/postgres"
  if is_root; then
    # Root creates and chowns var/postgres; the server user must be able to traverse the path to it.
    id -u "$PG_SYSTEM_USER" >/dev/null 2>&1 || return 0 # decided again once the package created the user
    as_server test -x "$probe" 2>/dev/null
  else
    [[ -x $probe && -w $probe ]]
  fi
}

prepare_base() {
  mkdir -p "$BASE_DIR" || die "cannot create $BASE_DIR"
  if is_root; then
    chown "$PG_SYSTEM_USER:" "$BASE_DIR" || die "cannot chown $BASE_DIR to $PG_SYSTEM_USER"
  fi
  chmod 0700 "$BASE_DIR"
  as_server test -w "$BASE_DIR" || die "$BASE_DIR is not writable by $(server_user)"
}

url() { printf 'postgresql://%s@%s:%s/%s' "$PG_USER" "$PG_HOST" "$PG_PORT" "$PG_DB"; }

# pg_isready exit codes: 0 accepting, 1 rejecting (starting/stopping), 2 no response, 3 no attempt.
ping_port() {
  local rc=0
  "$BINDIR/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -t 3 || rc=$?
  return "$rc"
}

port_is_bound() { (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null; }

# Is the cluster in DATA_DIR running (according to its postmaster.pid)?
ours_running() {
  [[ -s $DATA_DIR/PG_VERSION ]] || return 1
  as_server "$BINDIR/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1
}

# Port recorded by the running cluster (line 4 of postmaster.pid).
ours_port() { as_server sed -n 4p "$DATA_DIR/postmaster.pid" 2>/dev/null || true; }

log_tail() {
  if [[ -f $LOG_FILE ]]; then
    warn "last lines of $LOG_FILE:"
    tail -n 40 "$LOG_FILE" >&2 || true
  fi
}

# Serialise start/stop/reset of one checkout's cluster (parallel `make` targets, two terminals).
# fd 9 holds the lock: every command that may leave a daemon behind (pg_ctl start, apt-get
# starting the default cluster) runs with `9>&-`, or the server would hold the lock forever.
take_lock() {
  local lock="${TMPDIR:-/tmp}/sosa-postgres-$REPO_HASH-$EUID.lock"
  command -v flock >/dev/null 2>&1 || return 0
  if ! { exec 9>>"$lock"; } 2>/dev/null; then
    warn "cannot open lock file $lock; continuing without it"
    return 0
  fi
  flock -w 300 9 || die "timed out after 300s waiting for another $PROG on this checkout (lock $lock)"
}

validate_port() {
  if ! [[ $PG_PORT =~ ^[0-9]+$ ]] || ((PG_PORT < 1 || PG_PORT > 65535)); then
    die "SOSA_PG_PORT must be a TCP port number, got '$PG_PORT'"
  fi
}

# -------------------------------------------------------------------------------------------- commands

cmd_install() {
  local bindir
  if bindir="$(find_bindir)"; then
    say "PostgreSQL $(basename "$(dirname "$bindir")") server binaries present in $bindir"
    return 0
  fi
  local -a sudo=()
  if ! is_root; then
    command -v sudo >/dev/null 2>&1 || die "PostgreSQL is not installed and installing it needs root (no sudo found)"
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available to install it"

  local t0 before
  t0="$(now_ms)"
  before="$(list_clusters)"
  say "installing the Debian 'postgresql' package (server binaries missing under $PG_LIB_ROOT)"
  "${sudo[@]}" apt-get update 9>&- || die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql 9>&- ||
    die "apt-get install postgresql failed"
  bindir="$(find_bindir)" || die "installed 'postgresql' but no server binaries appeared under $PG_LIB_ROOT/<version>/bin"
  quiesce_new_clusters "$before"
  say "installed PostgreSQL $(basename "$(dirname "$bindir")") in $(elapsed "$t0")"
}

# "ver/name port status" for every Debian-managed cluster (empty when postgresql-common is absent).
list_clusters() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  pg_lsclusters -h 2>/dev/null | awk '{print $1 "/" $2, $3, $4}' || true
}

# The package creates (and, where services may start, starts) a default cluster on 5432. We do not
# use it: stop any cluster the install created and keep it from autostarting. Pre-existing clusters
# are left as they were.
quiesce_new_clusters() {
  local before="$1" id port status
  local -a sudo=()
  is_root || sudo=(sudo)
  while read -r id port status; do
    [[ -n $id ]] || continue
    grep -q "^$id " <<<"$before" && continue
    if [[ $status == online* ]]; then
      say "stopping the default cluster $id (port $port) that the package install started"
      "${sudo[@]}" pg_ctlcluster "${id%%/*}" "${id#*/}" stop 9>&- || warn "could not stop cluster $id"
    fi
    if [[ -f /etc/postgresql/$id/start.conf ]]; then
      printf 'manual\n' | "${sudo[@]}" tee "/etc/postgresql/$id/start.conf" >/dev/null ||
        warn "could not set /etc/postgresql/$id/start.conf to manual"
    fi
  done <<<"$(list_clusters)"
}

cmd_start() {
  local t0
  t0="$(now_ms)"
  take_lock
  find_bindir >/dev/null || cmd_install
  require_bindir
  resolve_base

  local rc=0
  ping_port || rc=$?
  if ((rc == 1)); then # a server is starting up or shutting down there: give it a moment
    local i
    for ((i = 0; i < READY_TIMEOUT_S * 5; i++)); do
      rc=0
      ping_port || rc=$?
      ((rc == 1)) || break
      sleep 0.2
    done
  fi
  if ((rc == 0)); then
    if ours_running && [[ $(ours_port) == "$PG_PORT" ]]; then
      say "already running: cluster in $DATA_DIR answers on $PG_HOST:$PG_PORT"
    else
      say "a PostgreSQL server (not the cluster in $DATA_DIR) already answers on $PG_HOST:$PG_PORT; using it as is"
    fi
    url
    echo
    return 0
  fi
  ((rc != 1)) || die "a PostgreSQL server on $PG_HOST:$PG_PORT keeps rejecting connections"
  port_is_bound && die "port $PG_PORT on $PG_HOST is taken by something that is not a PostgreSQL server (set SOSA_PG_PORT)"

  if ours_running; then # running, but not answering on our port: a leftover with another port
    die "the cluster in $DATA_DIR runs on port $(ours_port), not $PG_PORT; run '$0 stop' first"
  fi

  prepare_base
  if [[ ! -s $DATA_DIR/PG_VERSION ]]; then
    if [[ -e $DATA_DIR ]] && [[ -n $(as_server ls -A "$DATA_DIR" 2>/dev/null) ]]; then
      die "$DATA_DIR exists but holds no cluster (interrupted initdb?); run '$0 reset'"
    fi
    init_cluster
  fi

  say "starting PostgreSQL $PG_VERSION_DIR on $PG_HOST:$PG_PORT (data $DATA_DIR, log $LOG_FILE)"
  local options="-p $PG_PORT -c listen_addresses=$PG_HOST"
  # pg_stat_statements (in Debian's server package): `make bench` reads the statements each
  # service runs per request from it (bench/pgstatements.py); a hash lookup per statement
  if [[ -e $BINDIR/../lib/pg_stat_statements.so ]]; then
    options+=" -c shared_preload_libraries=pg_stat_statements"
  fi
  if ! as_server "$BINDIR/pg_ctl" start -w -t "$READY_TIMEOUT_S" -D "$DATA_DIR" -l "$LOG_FILE" \
    -o "$options" >/dev/null; then
    log_tail
    die "pg_ctl start failed"
  fi
  local i
  for ((i = 0; i < READY_TIMEOUT_S * 10; i++)); do
    ping_port && break
    sleep 0.1
  done
  if ! ping_port; then
    log_tail
    die "server started but does not accept connections on $PG_HOST:$PG_PORT after ${READY_TIMEOUT_S}s"
  fi
  say "ready in $(elapsed "$t0")"
  url
  echo
}

init_cluster() {
  local t0
  t0="$(now_ms)"
  say "creating a new cluster in $DATA_DIR (initdb, PostgreSQL $PG_VERSION_DIR)"
  local out
  if ! out="$(as_server "$BINDIR/initdb" -D "$DATA_DIR" -U "$PG_USER" --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync --no-instructions 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "initdb failed"
  fi

  # Loopback only, no password: the server also listens on 127.0.0.1 only.
  as_server tee "$DATA_DIR/pg_hba.conf" >/dev/null <<'EOF'
# sosa disposable test cluster (scripts/postgres.sh): trust, loopback only
# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             all                                     trust
host    all             all             127.0.0.1/32            trust
host    all             all             ::1/128                 trust
local   replication     all                                     trust
host    replication     all             127.0.0.1/32            trust
host    replication     all             ::1/128                 trust
EOF

  # Later settings win, so appending overrides initdb's defaults.
  as_server tee -a "$DATA_DIR/postgresql.conf" >/dev/null <<EOF

# ---- sosa disposable test cluster (scripts/postgres.sh) ----
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$DATA_DIR'
max_connections = 200
shared_buffers = 128MB
# Durability is worthless for a throwaway test database; speed is not.
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
log_timezone = 'UTC'
EOF
  say "initdb done in $(elapsed "$t0")"
}

cmd_stop() {
  take_lock
  require_bindir
  resolve_base
  if ! ours_running; then
    say "not running (data $DATA_DIR)"
    return 0
  fi
  if ! as_server "$BINDIR/pg_ctl" stop -m fast -w -t "$READY_TIMEOUT_S" -D "$DATA_DIR" >/dev/null; then
    log_tail
    die "pg_ctl stop failed for $DATA_DIR"
  fi
  say "stopped (data $DATA_DIR)"
}

cmd_status() {
  if ! find_bindir >/dev/null; then
    say "not installed: no server binaries under $PG_LIB_ROOT/<version>/bin"
    return 3
  fi
  require_bindir
  resolve_base
  say "binaries: $BINDIR"
  say "data:     $DATA_DIR$([[ -s $DATA_DIR/PG_VERSION ]] || printf ' (no cluster yet)')"
  say "log:      $LOG_FILE"
  say "url:      $(url)"
  if ours_running; then
    say "cluster:  running (pid $(as_server sed -n 1p "$DATA_DIR/postmaster.pid"), port $(ours_port))"
  else
    say "cluster:  not running"
  fi
  if ping_port; then
    say "port $PG_PORT: accepting connections"
    return 0
  fi
  say "port $PG_PORT: no PostgreSQL server answering"
  return 3
}

cmd_reset() {
  cmd_stop
  resolve_base
  [[ $DATA_DIR == */data && -n $BASE_DIR ]] || die "refusing to delete suspicious path '$DATA_DIR'"
  if [[ -e $DATA_DIR ]]; then
    rm -rf -- "$DATA_DIR" || die "could not delete $DATA_DIR"
    say "deleted $DATA_DIR"
  else
    say "nothing to delete ($DATA_DIR does not exist)"
  fi
}

cmd_url() {
  case "${1:-}" in
    "") url ;;
    asyncpg) printf 'postgresql+asyncpg://%s@%s:%s/%s' "$PG_USER" "$PG_HOST" "$PG_PORT" "$PG_DB" ;;
    *) die "url takes no argument or 'asyncpg', got '$1'" ;;
  esac
  echo
}

require_server() {
  require_bindir
  ping_port || die "no PostgreSQL server answers on $PG_HOST:$PG_PORT (run '$0 start')"
}

cmd_createdb() {
  local name="${1:-}"
  [[ -n $name ]] || die "usage: $0 createdb NAME"
  require_server
  local exists
  exists="$("$BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" \
    -v name="$name" <<<"SELECT 1 FROM pg_database WHERE datname = :'name';")" || # stdin: psql interpolates :'name' there, not in -c
    die "could not query databases on $PG_HOST:$PG_PORT"
  if [[ $exists == 1 ]]; then
    say "database '$name' already exists"
    return 0
  fi
  "$BINDIR/createdb" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -- "$name" || die "createdb '$name' failed"
  say "created database '$name'"
}

cmd_dropdb() {
  local name="${1:-}"
  [[ -n $name ]] || die "usage: $0 dropdb NAME"
  require_server
  "$BINDIR/dropdb" --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -- "$name" ||
    die "dropdb '$name' failed"
  say "dropped database '$name' (if it existed)"
}

main() {
  validate_port
  local cmd="${1:-}"
  (($# == 0)) || shift
  case "$cmd" in
    install) take_lock && cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    reset) cmd_reset ;;
    url) cmd_url "$@" ;;
    createdb) cmd_createdb "$@" ;;
    dropdb) cmd_dropdb "$@" ;;
    -h | --help | help) usage ;;
    "")
      usage >&2
      exit 2
      ;;
    *)
      warn "unknown command '$cmd'"
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
