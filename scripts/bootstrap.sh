#!/usr/bin/env bash
# Installs what sosa needs on this machine when it is missing: uv, the locked Python
# dependencies, and (as root, from Debian's packages) Java 17 and Maven for the Kafka broker.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
UV_VERSION="0.13.9"

say() { printf '[bootstrap] %s\n' "$*"; }

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
if ((${#need_apt[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    say "missing ${need_apt[*]}: install them (Java 17 and Maven are prerequisites, see README)" >&2
    exit 1
  fi
  say "installing ${need_apt[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! command -v uv >/dev/null 2>&1; then
  if [[ ! -x .tools/bin/uv ]]; then
    say "installing uv $UV_VERSION into .tools/"
    python3.11 -m venv .tools
    .tools/bin/pip install -q "uv==$UV_VERSION"
  fi
  export PATH="$root/.tools/bin:$PATH"
fi

# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (CI images often set it),
# every service process would otherwise compile its imports from source at each start, about
# 2 s of CPU for intake alone, paid by each test that starts a service (docs/performance.md).
uv sync --frozen --quiet --compile-bytecode
uv run --frozen python -m compileall -q -j 0 services shared >/dev/null
say "python environment ready ($(uv run python --version))"
