#!/usr/bin/env bash
# A working local WAL archive, end to end, on this machine:
#   a PostgreSQL 15 primary on a loopback port, a filesystem repository, the walferry agent,
#   a write workload, then proof: every archived segment restored byte-identical by archive-get.
# Run as root (the server then runs as the postgres user) or as an ordinary user. Leaves nothing
# running; KEEP=1 keeps the files in $WORK.
#
# On a shared host: $WORK is a new private directory (mktemp -d), never a fixed name in /tmp; the
# server takes scram-sha-256 only, on 127.0.0.1 and on a socket in $WORK/run (mode 0700), with a random
# password in files only its user can read.
set -Eeuo pipefail
umask 077
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
say() { printf '\n==> %s\n' "$*"; }

[[ -x $PGBIN/initdb ]] || { echo "no PostgreSQL server found (hint: apt-get install postgresql-15, or set PGBIN)" >&2; exit 2; }
if [[ -n ${WORK:-} ]]; then
  # It is deleted at the end: only a directory of this user's, and no link, or a new one.
  if [[ -e $WORK || -h $WORK ]] && ! [[ -d $WORK && ! -h $WORK && -O $WORK ]]; then
    echo "WORK=$WORK is not a directory of this user's (hint: unset WORK for a new private one)" >&2
    exit 2
  fi
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/walferry-example.XXXXXXXX")
fi
if [[ $EUID -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

say "Building walferry (first use only)"
"$ROOT/walferry" --version
# The server's OS user runs archive_command, so it gets its own copy of the launcher and jar.
find "$WORK" -mindepth 1 -delete && mkdir -p "$WORK/bin/target" "$WORK/run"
cp "$ROOT/walferry" "$WORK/bin/" && cp "$ROOT/target/walferry.jar" "$WORK/bin/target/"
WF=$WORK/bin/walferry
PORT=$(comm -23 <(seq 25432 25532) <(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -n) | head -1)
PORT=${PORT:-25432}

cleanup() {
  # The agent's JVM by its pid (runuser does not pass SIGTERM on to it).
  [[ -s $WORK/agent.pid ]] && kill -TERM "$(<"$WORK/agent.pid")" 2>/dev/null || true
  [[ -z ${AGENT_PID:-} ]] || wait "$AGENT_PID" 2>/dev/null || true # 143: stopped by the signal, as intended
  as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

say "Creating a PostgreSQL cluster in $WORK/data on 127.0.0.1:$PORT"
mkdir -p "$WORK/repo" "$WORK/spool"
PASSWORD=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PASSWORD" >"$WORK/password"
printf '*:*:*:postgres:%s\n' "$PASSWORD" >"$WORK/pgpass"
[[ $EUID -eq 0 ]] && chown -R postgres: "$WORK"
as_pg "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth=scram-sha-256 --pwfile="$WORK/password" >/dev/null
cat >"$WORK/walferry.yaml" <<YAML
cluster: example
nodes:
  - name: pg1
    region: local
    host: 127.0.0.1
    port: $PORT
    data_directory: $WORK/data
repositories:
  - name: local
    type: fs
    path: $WORK/repo
archive:
  compression: lz4
  workers: 2
  spool_directory: $WORK/spool
connection:
  password: \${file:$WORK/password}
YAML
cat >>"$WORK/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK/run'
wal_level = replica
archive_mode = on
archive_command = '$WF -c $WORK/walferry.yaml archive-push %p'
CONF
[[ $EUID -eq 0 ]] && chown postgres: "$WORK/walferry.yaml" "$WORK/data/postgresql.conf"
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/postgres.log" -w start >/dev/null
psql() { PGPASSFILE=$WORK/pgpass "$PGBIN/psql" -X -h "$WORK/run" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }

say "Registering the cluster in the repository (walferry repo-create)"
as_pg "$WF" -c "$WORK/walferry.yaml" repo-create

say "Starting the agent: it pushes WAL ahead of archive_command, with 2 workers"
# sh writes its pid and becomes the launcher, which becomes the JVM: agent.pid is the JVM's
as_pg sh -c 'echo $$ >"$1" && exec "$0" -c "$2" agent' "$WF" "$WORK/agent.pid" "$WORK/walferry.yaml" >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 1 100); do grep -q "agent for node" "$WORK/agent.log" && break; sleep 0.1; done

say "Checking the setup (walferry check): settings, repository, and a real round trip"
as_pg "$WF" -c "$WORK/walferry.yaml" check

say "Writing data: about 200 MB of WAL"
psql -qc "create table demo as select g as id, md5(g::text) as payload from generate_series(1, 2000000) g"
LAST=$(psql -Atc "select pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 600); do
  [[ $(psql -Atc "select coalesce(last_archived_wal >= '$LAST', false) from pg_stat_archiver") == t ]] && break
  sleep 0.1
done
psql -c "select archived_count, failed_count, last_archived_wal from pg_stat_archiver"

say "What the repository holds (walferry info)"
as_pg "$WF" -c "$WORK/walferry.yaml" info

say "Restoring every archived segment with archive-get and comparing it with pg_wal"
mkdir -p "$WORK/restore" && [[ $EUID -eq 0 ]] && chown postgres: "$WORK/restore"
n=0
for f in "$WORK"/data/pg_wal/[0-9A-F]*; do
  seg=$(basename "$f")
  [[ $seg =~ ^[0-9A-F]{24}$ && ! $seg > $LAST ]] || continue
  as_pg "$WF" -c "$WORK/walferry.yaml" archive-get "$seg" "$WORK/restore/$seg"
  cmp "$f" "$WORK/restore/$seg"
  rm "$WORK/restore/$seg"
  n=$((n + 1))
done
echo "$n segments restored, each byte-identical to what PostgreSQL wrote"
echo "archive_command calls confirmed by the agent: see $WORK/agent.log (KEEP=1 keeps it)"
say "Done: the local archive works"
