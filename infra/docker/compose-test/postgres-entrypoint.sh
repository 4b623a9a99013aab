#!/bin/sh
# First start: initdb with POSTGRES_USER as the superuser (password
# POSTGRES_PASSWORD, scram over the network) and create POSTGRES_DB. Then run
# postgres in the foreground as the postgres user.
set -eu
PGDATA=/var/lib/postgresql/data
as_postgres() { setpriv --reuid postgres --regid postgres --init-groups "$@"; }
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  printf '%s' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" > "$pwfile"
  chown postgres "$pwfile"
  as_postgres initdb -D "$PGDATA" -U "${POSTGRES_USER:=postgres}" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 > /dev/null
  rm -f "$pwfile"
  echo 'host all all all scram-sha-256' >> "$PGDATA/pg_hba.conf"
  echo "CREATE DATABASE \"${POSTGRES_DB:-$POSTGRES_USER}\" OWNER \"$POSTGRES_USER\";" \
    | as_postgres postgres --single -D "$PGDATA" postgres > /dev/null
fi
exec setpriv --reuid postgres --regid postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*'
