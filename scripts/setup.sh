#!/usr/bin/env bash
# Installs what Puente needs on a fresh machine; safe to run again (each step is skipped when done).
#   scripts/setup.sh          the Python venv and its pinned packages
#   scripts/setup.sh test     also the system packages and the npm package the tests need
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
LOCK=requirements.lock

find_python310() {
  if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' >/dev/null 2>&1; then
    command -v python3.10; return
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local prefix
    prefix=$(pyenv prefix 3.10.13 2>/dev/null || pyenv prefix "$(pyenv versions --bare | grep '^3\.10' | tail -1)" 2>/dev/null || true)
    if [ -n "$prefix" ] && [ -x "$prefix/bin/python3.10" ]; then echo "$prefix/bin/python3.10"; return; fi
  fi
  echo "Python 3.10 is required (Rasa 3.6 does not run on newer Python)." >&2
  exit 1
}

install_python() {
  local stamp="$VENV/.installed-$(sha256sum "$LOCK" | cut -c1-16)"
  [ -f "$stamp" ] && return
  [ -x "$VENV/bin/python" ] || "$(find_python310)" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade "pip<25"
  "$VENV/bin/pip" install --quiet -r "$LOCK"
  rm -f "$VENV"/.installed-*
  touch "$stamp"
}

install_system() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${missing[*]} (install them with apt-get as root)." >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_npm() {
  local dir=tests/browser
  local stamp="$dir/node_modules/.installed-$(sha256sum "$dir/package-lock.json" | cut -c1-16)"
  [ -f "$stamp" ] && return
  npm ci --prefix "$dir" --no-audit --no-fund --silent
  touch "$stamp"
}

install_python
if [ "${1:-}" = "test" ]; then
  install_system
  install_npm
fi
