#!/usr/bin/env bash
# The benchmarks (docs/performance.md): intake, router and notifier as processes on a real Kafka
# broker and a real PostgreSQL, timed. The broker and PostgreSQL are started when they are not
# already running (scripts/with-infra.sh). Arguments go to `python -m bench`
# (scenarios a b c d, --quick, --no-record, --note TEXT). Figures: stdout and var/bench/results.jsonl.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/with-infra.sh" uv run python -m bench "$@"
