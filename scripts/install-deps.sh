#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the PostgreSQL
# server binaries (a throwaway cluster is started from them; no PostgreSQL
# service is used), espeak-ng (the sounds package synthesises a prompt) and
# Chromium (the console's browser tests drive it headless). Does nothing
# when they are already there. `install-deps.sh demo` installs only what
# `make demo` needs: the PostgreSQL server binaries.
set -euo pipefail
only_demo=false
if [ "${1:-}" = demo ]; then
  only_demo=true
fi

need=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql postgresql-contrib)
fi
if ! $only_demo && ! command -v espeak-ng >/dev/null 2>&1; then
  need+=(espeak-ng)
fi
if ! $only_demo && ! command -v chromium >/dev/null 2>&1; then
  # fonts-dejavu-core: readable text in the pages the tests render.
  need+=(chromium fonts-dejavu-core)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: ${need[*]}; install them (sudo apt-get install ${need[*]})" >&2
  exit 1
fi
echo "installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
