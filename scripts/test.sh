#!/usr/bin/env bash
# Runs every test but the fault suite against a real Kafka broker and a real PostgreSQL, started
# when they are not already running (scripts/with-infra.sh). Arguments go to pytest.
set -euo pipefail
"$(dirname "${BASH_SOURCE[0]}")/browser.sh" # Chromium for the dashboard's browser test
exec "$(dirname "${BASH_SOURCE[0]}")/with-infra.sh" uv run pytest -m "not faults" "$@"
