#!/usr/bin/env bash
# Runs a command against a real Kafka broker and a real PostgreSQL: starts them when they are not
# already running, and stops afterwards only what it started. The command gets their addresses in
# SOSA_KAFKA_BOOTSTRAP_SERVERS and SOSA_TEST_POSTGRES_URL, the broker's credentials file in
# SOSA_TEST_KAFKA_CREDENTIALS, and acts as the broker's super user (SOSA_KAFKA_USERNAME/PASSWORD):
# the test process's own clients are the super user's; each service a test starts runs as its own
# principal (tests/kafka_principals.py). Used by scripts/test.sh and bench.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ -x .tools/bin/uv ]] && export PATH="$root/.tools/bin:$PATH"

started=()
cleanup() {
  local code=$?
  for svc in "${started[@]}"; do scripts/"$svc".sh stop || true; done
  exit "$code"
}
trap cleanup EXIT INT TERM

for svc in kafka postgres; do
  if scripts/"$svc".sh status >/dev/null 2>&1; then
    echo "[infra] $svc already running: using it"
  else
    scripts/"$svc".sh start
    started+=("$svc")
  fi
done

export SOSA_KAFKA_BOOTSTRAP_SERVERS="${SOSA_KAFKA_BOOTSTRAP_SERVERS:-$(scripts/kafka.sh bootstrap)}"
export SOSA_TEST_KAFKA_CREDENTIALS="${SOSA_TEST_KAFKA_CREDENTIALS:-$(scripts/kafka.sh credentials)}"
# shellcheck source=scripts/kafka-principal.sh
source scripts/kafka-principal.sh
kafka_principal "$SOSA_TEST_KAFKA_CREDENTIALS" sosa-admin
export SOSA_TEST_POSTGRES_URL="${SOSA_TEST_POSTGRES_URL:-postgresql+asyncpg://postgres@127.0.0.1:${SOSA_PG_PORT:-55432}/postgres}"
"$@"
