#!/usr/bin/env bash
# The benchmarks (docs/performance.md): intake, router and notifier as processes on a real Kafka
# broker and a real PostgreSQL, each measured beside its anchor (its bare stack) in the same run.
# The HTTP load comes from wrk (Debian's package, installed here when absent). The broker and
# PostgreSQL are started when they are not already running (scripts/with-infra.sh). Arguments go
# to `python -m bench` (scenarios a b c d, --quick, --no-record, --note TEXT).
# Figures: stdout and var/bench/results.jsonl.
set -euo pipefail
if ! command -v wrk >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "[bench] wrk is missing: install Debian's package (apt-get install wrk)" >&2
    exit 1
  fi
  echo "[bench] installing wrk from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
exec "$(dirname "${BASH_SOURCE[0]}")/with-infra.sh" uv run python -m bench "$@"
