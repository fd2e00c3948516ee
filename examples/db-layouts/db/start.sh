#!/bin/sh
# PostgreSQL from the machine's Debian package, as the postgres user: initdb on first start into
# $PGDATA (the container's own writable layer, so a restart keeps the data and a new container
# starts empty), then postgres in the foreground as the container's main process.
# PGPORT (default 5432) and PG_LISTEN (TCP addresses, default all; empty for the socket only) are
# there for tests that run it in the host's network namespace.
set -eu
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
: "${PGDATA:=/tmp/pgdata}"
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pw"
  # Local (unix socket) connections are trusted; TCP ones need the password.
  "$PGBIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --no-sync --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pw" >/dev/null
  rm -f "$pw"
  # TCP from other containers of the stack (split mode reaches the database over the bridge).
  echo 'host all all 0.0.0.0/0 scram-sha-256' >> "$PGDATA/pg_hba.conf"
fi
mkdir -p "${PGSOCKET:=/var/run/postgresql}"
exec "$PGBIN/postgres" -D "$PGDATA" \
  -c listen_addresses="${PG_LISTEN-*}" -c unix_socket_directories="$PGSOCKET" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c shared_buffers=32MB -c max_connections=40 -c log_min_messages=warning
