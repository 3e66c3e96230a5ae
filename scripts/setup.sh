#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine: npm packages (npm ci) and the
# system tools the wire-compatibility tests drive (the AWS CLI, python3 with requests and boto3,
# curl), wrk for the benchmarks, Chromium for the console's browser tests and
# bubblewrap, the sandbox every function runs in.
# The machine images of this project ship the AWS CLI and requests in their python3; Debian's
# packages are the fallback when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
# zip: the Lambda ZipFile tests read archives Info-ZIP makes.
command -v zip >/dev/null 2>&1 || need+=(zip)
# Functions run in bubblewrap sandboxes (docs/runtimes.md); prlimit/setpriv come with util-linux.
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v aws >/dev/null 2>&1 || need+=(awscli)
# wrk drives the gateway benchmarks (a Node load generator saturates before the gateway does).
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# The console's end-to-end tests drive Debian's Chromium through playwright-core.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ! python3 -c 'import requests' >/dev/null 2>&1 && ! /usr/bin/python3 -c 'import requests' >/dev/null 2>&1; then
  need+=(python3-requests)
fi
# boto3: the Lambda control-plane tests drive it as a real peer client.
if ! python3 -c 'import boto3' >/dev/null 2>&1 && ! /usr/bin/python3 -c 'import boto3' >/dev/null 2>&1; then
  need+=(python3-boto3)
fi
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${need[*]} from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: please install ${need[*]} (sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi
# `npm install`, not `npm ci`: with this machine kind's npm setting omit-lockfile-registry-resolved,
# the lock omits other platforms' optional binaries (e.g. Biome's) and `npm ci` refuses it as
# out of sync; `npm install` installs the locked versions all the same.
npm install --no-audit --no-fund
# PostgreSQL, Redis and NATS for the scale-out adapters' tests.
bash scripts/services.sh
