#!/usr/bin/env bash
# Start the local PostgreSQL and Redis servers the integration tests use, if they are down.
# Fails with a clear message when it cannot be had: the suite never skips it.
set -u
host=127.0.0.1
port=5432

pg_up() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "error: PostgreSQL client tools (pg_isready) are not installed; install postgresql" >&2
  exit 1
fi
if ! pg_up; then
  echo "PostgreSQL is down on $host:$port; starting it"
  if [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if ! pg_up; then
  echo "error: PostgreSQL is not reachable on $host:$port and could not be started; the integration tests need it" >&2
  exit 1
fi
echo "PostgreSQL is up on $host:$port"

# Redis carries live events between processes when ARTSYNC_REDIS_URL is set; the tests use it.
redis_up() { redis-cli -h "$host" -p 6379 ping 2>/dev/null | grep -q PONG; }
if ! command -v redis-server >/dev/null 2>&1; then
  echo "error: redis-server is not installed; install redis-server (the live-relay tests need it)" >&2
  exit 1
fi
if ! redis_up; then
  echo "Redis is down on $host:6379; starting it"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi
if ! redis_up; then
  echo "error: Redis is not reachable on $host:6379 and could not be started; the live-relay tests need it" >&2
  exit 1
fi
echo "Redis is up on $host:6379"
