#!/usr/bin/env bash
# The fault suite (docs/guarantees.md): kills, stops and restarts infrastructure under load and
# prints the figures of each scenario. It runs on infrastructure of its own, never on the broker
# (19092) or PostgreSQL (55432) that `make test` and `make run` use, since it stops and kills what
# it runs on: a Kafka broker on 19292, a PostgreSQL on 55532 (data in /tmp, see below) and, for
# the cluster scenario, three brokers on 19392/19492/19592. It starts them when they are not
# running and stops afterwards only what it started. Arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ -x .tools/bin/uv ]] && export PATH="$root/.tools/bin:$PATH"

export SOSA_FAULTS_KAFKA_PORT="${SOSA_FAULTS_KAFKA_PORT:-19292}"
export SOSA_FAULTS_PG_PORT="${SOSA_FAULTS_PG_PORT:-55532}"
# Scratch data in /tmp: the `postgres` user the server runs as may not reach a checkout under a
# private home directory (postgres.sh falls back the same way for its default cluster).
export SOSA_FAULTS_PG_DIR="${SOSA_FAULTS_PG_DIR:-/tmp/sosa-postgres-faults-$(printf '%s' "$root" | sha256sum | cut -c1-12)}"
export SOSA_FAULTS_CLUSTER_PORT_BASE="${SOSA_FAULTS_CLUSTER_PORT_BASE:-19392}"
export SOSA_FAULTS_CLUSTER_PORT_STEP="${SOSA_FAULTS_CLUSTER_PORT_STEP:-100}"
# One credentials file for the fault broker and the fault cluster (the same users and passwords on
# both): the tests' services and clients move between them.
export SOSA_TEST_KAFKA_CREDENTIALS="${SOSA_TEST_KAFKA_CREDENTIALS:-$root/var/kafka/faults-$SOSA_FAULTS_KAFKA_PORT-$SOSA_FAULTS_CLUSTER_PORT_BASE.credentials}"

for port in "$SOSA_FAULTS_KAFKA_PORT" "$SOSA_FAULTS_PG_PORT" "$SOSA_FAULTS_CLUSTER_PORT_BASE"; do
  case $port in 19092 | 19093 | 55432)
    echo "[faults] port $port is the shared development infrastructure's: refusing" >&2
    exit 2
    ;;
  esac
done

# The scripts read their usual variables; here they always point at the fault instances.
kafka() {
  SOSA_KAFKA_CREDENTIALS_FILE=$SOSA_TEST_KAFKA_CREDENTIALS SOSA_KAFKA_REFORMAT_UNAUTHENTICATED=1 \
    SOSA_KAFKA_PORT=$SOSA_FAULTS_KAFKA_PORT \
    SOSA_KAFKA_CLUSTER_PORT_BASE=$SOSA_FAULTS_CLUSTER_PORT_BASE \
    SOSA_KAFKA_CLUSTER_PORT_STEP=$SOSA_FAULTS_CLUSTER_PORT_STEP scripts/kafka.sh "$@"
}
postgres() { SOSA_PG_PORT=$SOSA_FAULTS_PG_PORT SOSA_PG_DIR=$SOSA_FAULTS_PG_DIR scripts/postgres.sh "$@"; }

started=()
cleanup() {
  local code=$?
  for what in "${started[@]}"; do
    case $what in
      kafka) kafka stop || true ;;
      cluster) kafka cluster-stop || true ;;
      postgres) postgres stop || true ;;
    esac
  done
  exit "$code"
}
trap cleanup EXIT INT TERM

if kafka status >/dev/null 2>&1; then echo "[faults] fault broker already running: using it"; else started+=(kafka); fi
kafka start
if postgres status >/dev/null 2>&1; then echo "[faults] fault PostgreSQL already running: using it"; else started+=(postgres); fi
postgres start
# The cluster scenario starts (and heals) the cluster itself; stop it afterwards unless it ran before.
kafka cluster-status >/dev/null 2>&1 || started+=(cluster)

# shellcheck source=scripts/kafka-principal.sh
source scripts/kafka-principal.sh
kafka_principal "$SOSA_TEST_KAFKA_CREDENTIALS" sosa-admin # the test process's own clients

t0=$SECONDS
uv run pytest -m faults tests/faults -s "$@"
echo "[faults] fault suite took $((SECONDS - t0)) s"
