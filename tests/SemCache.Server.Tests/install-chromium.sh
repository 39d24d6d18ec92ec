#!/usr/bin/env bash
# Installs Debian's headless-capable chromium for the dashboard browser test, when it is missing.
# Called by .ci/run; harmless to run again.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium
