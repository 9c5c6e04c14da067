#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the PostgreSQL
# server binaries (a throwaway cluster is started from them; no PostgreSQL
# service is used), espeak-ng (the sounds package synthesises a prompt),
# Chromium (the console's browser tests drive it headless) and Kamailio (the
# cluster test puts it in front of two line Asterisk nodes). Does nothing
# when they are already there. `install-deps.sh demo` installs only what
# `make demo` needs: the PostgreSQL server binaries.
#
# Asterisk (the real-Asterisk suites, tests/realline and tests/cluster):
# when `asterisk` is missing and ../shared/asterisk/install.sh exists beside
# the clone, it is installed from there (Asterisk 22.10.1); otherwise those
# tests skip, or fail under CI=true.
set -euo pipefail
only_demo=false
if [ "${1:-}" = demo ]; then
  only_demo=true
fi

shared_asterisk="$(cd "$(dirname "$0")/.." && pwd)/../shared/asterisk/install.sh"
if ! $only_demo && [ -z "${REGUL_TEST_ASTERISK:-}" ] && ! command -v asterisk >/dev/null 2>&1 && [ -f "$shared_asterisk" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "asterisk is missing: sudo $shared_asterisk" >&2
    exit 1
  fi
  echo "installing Asterisk from $shared_asterisk" >&2
  # A dangling sounds/fr link (Debian's French sounds live in a folder named
  # after their voice) makes install.sh stop at its `ln`: the tests do not
  # use the system's sounds or MOH, so go on when Asterisk itself is there.
  if ! bash "$shared_asterisk" >&2; then
    echo "install.sh did not finish; checking the Asterisk binary it installs" >&2
  fi
  export PATH="$PATH:/usr/local/sbin"
  asterisk -V >&2 || { echo "Asterisk is not installed: see $shared_asterisk" >&2; exit 1; }
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
