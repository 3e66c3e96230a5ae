#!/usr/bin/env bash
# The scale-out tests talk to real PostgreSQL (5432), Redis (6379) and NATS JetStream (4222) on
# this machine. This machine kind starts them before a session; when one is down, start it the
# way the machine does (Debian's packages), so `npm run setup && npm test` finds them. A service
# that cannot be started is reported here, and its tests fail loudly in CI (never skip there).
set -uo pipefail
up() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start() {
  local port=$1 name=$2; shift 2
  up "$port" && return 0
  echo "setup: starting $name (port $port)" >&2
  "$@" >/dev/null 2>&1 || true
  for _ in $(seq 1 50); do up "$port" && return 0; sleep 0.2; done
  echo "setup: $name is not reachable on 127.0.0.1:$port; its tests will fail" >&2
}
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  start 5432 PostgreSQL pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
fi
if command -v redis-server >/dev/null 2>&1; then
  start 6379 Redis redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if [ -x /usr/sbin/nats-server ]; then
  start 4222 "NATS JetStream" start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
exit 0
