#!/usr/bin/env bash
# `make run`: start Kafka and the three services on their embedded defaults (SQLite files under
# var/sosa), run the demo flow, print the URLs, and stop everything it started on Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ -x .tools/bin/uv ]] && export PATH="$root/.tools/bin:$PATH"
mkdir -p var/log

pids=()
kafka_started=0
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "[run] stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ((kafka_started)) && scripts/kafka.sh stop || true
  echo "[run] stopped"
}
trap stop_all EXIT
trap 'exit 0' INT TERM # Ctrl-C is how a run is meant to end

if scripts/kafka.sh status >/dev/null 2>&1; then
  echo "[run] Kafka already running: using it"
else
  scripts/kafka.sh start
  kafka_started=1
fi

# the demo receiver listens on 127.0.0.1:8099: allow-list loopback for the notifier's SSRF guard
export SOSA_WEBHOOK_ALLOWED_NETWORKS="${SOSA_WEBHOOK_ALLOWED_NETWORKS:-[\"127.0.0.0/8\",\"::1/128\"]}"
# The router's test clock stays off (issue #23): set SOSA_ROUTER_CLOCK_CONTROL=true yourself to
# move it forward with the operator key (docs/api.md, "Silence"); never in production.
export SOSA_ROUTER_CLOCK_CONTROL="${SOSA_ROUTER_CLOCK_CONTROL:-false}"
# the dashboard's page (intake, :8000) reads the notifier's live stream (:8002) from the browser
export SOSA_CORS_ALLOW_ORIGINS="${SOSA_CORS_ALLOW_ORIGINS:-[\"http://127.0.0.1:8000\"]}"
# the first operator credential of this run (never printed): the demo creates its parties and
# their API keys with it. Set SOSA_BOOTSTRAP_OPERATOR_KEY yourself to keep one across runs.
export SOSA_BOOTSTRAP_OPERATOR_KEY="${SOSA_BOOTSTRAP_OPERATOR_KEY:-$(uv run python -c 'import secrets; print(secrets.token_urlsafe(32))')}"
# for the dashboard: the operator key of this run, readable by this user only (never printed)
(umask 077 && printf '%s\n' "$SOSA_BOOTSTRAP_OPERATOR_KEY" >var/operator.key)
# the key that encrypts webhook signing secrets at rest (docs/notifications.md): made once and
# kept with the SQLite files it protects (var/), readable by this user only, never printed
if [[ -z "${SOSA_WEBHOOK_SECRET_KEYS:-}" ]]; then
  [[ -s var/webhook-secret.key ]] ||
    (umask 077 && uv run python -m sosa.notifier.secret_box new-key >var/webhook-secret.key)
  SOSA_WEBHOOK_SECRET_KEYS="[\"$(cat var/webhook-secret.key)\"]"
  export SOSA_WEBHOOK_SECRET_KEYS
fi
# The bus authenticates and authorizes every client (docs/kafka.md): create this deployment's
# topics and ACLs as the broker's super user, then start each service as its own principal. The
# passwords stay in the broker's credentials file (mode 600); none is printed.
credentials=$(scripts/kafka.sh credentials)
# shellcheck source=scripts/kafka-principal.sh
source scripts/kafka-principal.sh
(kafka_principal "$credentials" sosa-admin && uv run python -m sosa.infra.bus_provisioning) \
  >>var/log/provisioning.log 2>&1 || {
  echo "[run] provisioning the bus failed; see var/log/provisioning.log" >&2
  exit 1
}
echo "[run] bus provisioned: topics and ACLs (var/log/provisioning.log)"
for service in intake router notifier; do
  (kafka_principal "$credentials" "sosa-$service" && exec uv run python -m "sosa.$service") \
    >>"var/log/$service.log" 2>&1 &
  pids+=($!)
done

wait_ready() {
  local name=$1 url=$2
  for _ in $(seq 1 150); do
    if curl -fsS "$url/readyz" >/dev/null 2>&1; then echo "[run] $name ready at $url"; return 0; fi
    sleep 0.2
  done
  echo "[run] $name did not become ready; last lines of var/log/$name.log:" >&2
  tail -n 30 "var/log/$name.log" >&2
  return 1
}
wait_ready intake http://127.0.0.1:8000
wait_ready router http://127.0.0.1:8001
wait_ready notifier http://127.0.0.1:8002

uv run python scripts/demo.py &
pids+=($!)

cat <<'URLS'
[run] sosa is running:
  intake API        http://127.0.0.1:8000        (OpenAPI docs: http://127.0.0.1:8000/docs)
  dashboard         http://127.0.0.1:8000/dashboard  (paste the operator key of this run: var/operator.key)
  workspace         http://127.0.0.1:8000/workspace  (a party's key: the demo's are in var/keys/)
  router health     http://127.0.0.1:8001/readyz
  notifier API      http://127.0.0.1:8002        (OpenAPI docs: http://127.0.0.1:8002/docs)
  demo receiver     http://127.0.0.1:8099/hook
  Kafka             127.0.0.1:19092 (SASL/SCRAM; users and passwords in var/kafka/single/credentials)
  logs              var/log/{intake,router,notifier}.log
[run] press Ctrl-C to stop everything this command started
URLS
wait -n "${pids[@]}" || true
sleep 0.5 # a Ctrl-C that also reached the children is handled by the trap above
echo "[run] a process exited unexpectedly; see var/log" >&2
exit 1
