#!/usr/bin/env bash
# Installs headless Chromium and its ChromeDriver from Debian's packages when they are missing:
# the dashboard's browser test (tests/e2e/test_dashboard.py) drives them with Selenium.
set -euo pipefail
if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  exit 0
fi
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "[browser] installing chromium and chromium-driver (Debian packages)"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
/usr/bin/chromium --version
