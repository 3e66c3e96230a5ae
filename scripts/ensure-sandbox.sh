#!/usr/bin/env bash
# `npm start` runs every function in a bubblewrap sandbox (docs/runtimes.md, Isolation) and
# refuses to start without one. This makes the README's first command work on a fresh machine:
# bubblewrap comes from Debian's packages (as root), or the user is told how to get it.
set -euo pipefail
command -v bwrap >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "start: installing bubblewrap (the function sandbox) from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
  exit 0
fi
echo "start: functions run in a bubblewrap sandbox; install it (sudo apt-get install bubblewrap)," >&2
echo "       or choose weaker isolation explicitly: npx sigil up --examples --isolation process" >&2
exit 1
