#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the PostgreSQL
# server binaries (a throwaway cluster is started from them; no PostgreSQL
# service is used), espeak-ng (the sounds package synthesises a prompt) and
# Chromium (the console's browser tests drive it headless), Kamailio (the
# cluster test puts it in front of two line Asterisk nodes) and, when the
# shared build is beside the repository, Asterisk 22 (../shared/asterisk).
# Does nothing when they are already there. `install-deps.sh demo` installs
# only what `make demo` needs: the PostgreSQL server binaries.
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
# Debian's kamailio lands in /usr/sbin, outside a user's PATH.
if ! $only_demo && ! command -v kamailio >/dev/null 2>&1 && [ ! -x /usr/sbin/kamailio ]; then
  need+=(kamailio)
fi
here="$(cd "$(dirname "$0")/.." && pwd)"
if ! $only_demo && ! command -v asterisk >/dev/null 2>&1 && [ -x "$here/../shared/asterisk/install.sh" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Asterisk is missing: sudo $here/../shared/asterisk/install.sh" >&2
    exit 1
  fi
  "$here/../shared/asterisk/install.sh"
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
