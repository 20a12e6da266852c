#!/usr/bin/env bash
# WAL streamed into the repository (issue #23, docs/streaming.md): how soon an archive-only standby (restore_command
# only, no connection to the primary) sees a commit, with walferry's stream, with walferry's archive_command and
# archive_timeout 10 s, and with PostgreSQL's own streaming replication (the floor), in one run.
#
#   sudo bench/stream.sh                          # about 10 minutes on 2 busy cores
#   sudo MODES="wf-stream" N=60 IDLE_MS=60000 bench/stream.sh   # one commit a minute for an hour
#
# Modes (MODES, default "wf-stream wf-archive pg-stream"), each on a fresh primary (initdb) on loopback and a standby
# made from it by pg_basebackup:
#   wf-stream   archive.stream: on (stream_interval STREAM_INTERVAL, default 1s, the shipped default),
#               archive_timeout = 0; the standby's restore_command as `walferry restore-command` prints it,
#               wal_retrieve_retry_interval = 200ms (docs/streaming.md)
#   wf-archive  walferry's agent and archive_command, archive_timeout = 10s; the standby as above
#   pg-stream   PostgreSQL's streaming replication (pg_basebackup -R): the floor, no archive involved
# Two measures per mode (bench/StreamLag.java):
#   isolated    N commits (default 30), each after IDLE_MS (default 2000) with no write at all on the primary: from a
#               commit's acknowledgement to the row's visibility on the standby (polled every 5 ms). The low-rate case:
#               nothing completes or switches a segment but archive_timeout.
#   load        pgbench -c 8 -j 2 (scale 10) for LOAD_SECONDS (default 30); a heartbeat row updated every 100 ms on the
#               primary; the standby reads clock_timestamp() - its time every 100 ms on average (includes up to
#               100 ms of heartbeat age). TPS is pgbench's.
# Target (issue #23): wf-stream p99 <= 2 s in both measures.
#
# Env: MODES N IDLE_MS LOAD_SECONDS STREAM_INTERVAL KEEP=1 (keep the work directory) RESULTS_DIR
set -Eeuo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WF_HOME=$(cd "$HERE/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
JAVA=${WALFERRY_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
MODES=${MODES:-"wf-stream wf-archive pg-stream"}
N=${N:-30}
IDLE_MS=${IDLE_MS:-2000}
LOAD_SECONDS=${LOAD_SECONDS:-30}
STREAM_INTERVAL=${STREAM_INTERVAL:-1s}
RESULTS_DIR=${RESULTS_DIR:-$HERE/results}
[[ -f $WF_HOME/target/walferry.jar ]] || { echo "build first: mvn -DskipTests package" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "run as root (servers and agents run as postgres)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/wf-bench-stream.XXXXXX)
chmod 755 "$WORK"
chown postgres: "$WORK"
PIDS=()
DATADIRS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || true; done
  for d in "${DATADIRS[@]}"; do runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true; done
  [[ -n ${KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT
as_pg() { runuser -u postgres -- "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
url() { echo "jdbc:postgresql://127.0.0.1:$1/postgres?user=postgres"; }
probe() { "$JAVA" -cp "$WF_HOME/target/walferry.jar" "$HERE/StreamLag.java" "$@"; }
await() { # await SECONDS WHAT COMMAND...
  local until=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do ((SECONDS < until)) || { echo "timed out waiting for $what" >&2; exit 1; }; sleep 0.2; done
}
stream_active() { [[ $(psql_at "$1" "select count(*) from pg_replication_slots where slot_name = 'walferry_stream_primary' and active") == 1 ]]; }
psql_at() { "$PGBIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtqc "$2"; }

mkdir -p "$RESULTS_DIR"
RESULT_FILE=$RESULTS_DIR/stream-$(date +%Y%m%d-%H%M%S).txt
{
  echo "# stream $(date -Is) cores=$(nproc) walferry git=${WF_GIT:-$(git -C "$WF_HOME" rev-parse --short HEAD 2>/dev/null)} N=$N IDLE_MS=$IDLE_MS LOAD_SECONDS=$LOAD_SECONDS STREAM_INTERVAL=$STREAM_INTERVAL"
  echo "# uptime: $(uptime)"
  printf '%-11s %-40s %-40s %s\n' mode "isolated commits: lag s" "under pgbench -c 8: lag s" "tps"
} | tee "$RESULT_FILE"

run_mode() {
  local mode=$1 d=$WORK/$1 port sport mport cfg
  port=$(free_port); sport=$(free_port); mport=$(free_port)
  mkdir -p "$d/repo" "$d/spool"
  chown -R postgres: "$d"
  as_pg "$PGBIN/initdb" -D "$d/primary" -U postgres --auth=trust -E UTF8 --locale=C --no-instructions >/dev/null
  DATADIRS+=("$d/primary")
  cat >>"$d/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
shared_buffers = 128MB
max_wal_size = 1GB
CONF
  printf 'host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n' >"$d/primary/pg_hba.conf"
  cfg=$d/walferry.yaml
  if [[ $mode == wf-* ]]; then
    cat >"$cfg" <<YAML
cluster: bench
nodes:
  - name: primary
    host: 127.0.0.1
    port: $port
    data_directory: $d/primary
    metrics_port: $mport
repositories:
  - name: local
    type: fs
    path: $d/repo
archive:
  spool_directory: $d/spool
YAML
    if [[ $mode == wf-stream ]]; then
      printf '  stream: on\n  stream_interval: %s\n' "$STREAM_INTERVAL" >>"$cfg"
    fi
    chown postgres: "$cfg"
    cat >>"$d/primary/postgresql.conf" <<CONF
archive_mode = on
archive_command = '$WF_HOME/walferry -c $cfg archive-push %p'
archive_timeout = $([[ $mode == wf-stream ]] && echo 0 || echo 10s)
CONF
  fi
  as_pg "$PGBIN/pg_ctl" -D "$d/primary" -l "$d/primary.log" -w start >/dev/null
  if [[ $mode == wf-* ]]; then
    as_pg "$WF_HOME/walferry" -c "$cfg" repo-create >/dev/null
    # a process group of its own: runuser does not pass SIGTERM on to the agent's JVM, a group kill reaches it
    setsid runuser -u postgres -- "$WF_HOME/walferry" -c "$cfg" agent --node primary >"$d/agent.log" 2>&1 &
    PIDS+=($!)
  fi
  as_pg "$PGBIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -s 10 -q postgres >/dev/null 2>&1
  if [[ $mode == wf-stream ]]; then
    await 60 "the stream slot" stream_active "$port"
  fi
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$d/standby" -X stream -c fast $([[ $mode == pg-stream ]] && echo -R)
  DATADIRS+=("$d/standby")
  echo "port = $sport" >>"$d/standby/postgresql.conf"
  if [[ $mode == wf-* ]]; then
    cat >>"$d/standby/postgresql.conf" <<CONF
restore_command = '$(as_pg "$WF_HOME/walferry" -c "$cfg" restore-command | sed "s/'/''/g")'
wal_retrieve_retry_interval = 200ms
CONF
  fi
  as_pg touch "$d/standby/standby.signal"
  as_pg "$PGBIN/pg_ctl" -D "$d/standby" -l "$d/standby.log" -w start >/dev/null
  await 120 "the standby to accept connections" psql_at "$sport" "select 1"

  local isolated load tps
  isolated=$(probe isolated "$(url "$port")" "$(url "$sport")" "$N" "$IDLE_MS" 2>>"$d/probe.log")
  as_pg "$PGBIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -c 8 -j 2 -T $((LOAD_SECONDS + 4)) -n postgres >"$d/pgbench.out" 2>&1 &
  local pgbench=$!
  load=$(probe heartbeat "$(url "$port")" "$(url "$sport")" "$LOAD_SECONDS" 2>>"$d/probe.log")
  wait "$pgbench"
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$d/pgbench.out" | head -1)
  printf '%-11s %-40s %-40s %s\n' "$mode" "$isolated" "$load" "$tps" | tee -a "$RESULT_FILE"
  if [[ $mode == wf-* ]] && grep -q ERROR "$d/agent.log"; then
    echo "# $mode: the agent logged errors:" | tee -a "$RESULT_FILE"; grep ERROR "$d/agent.log" | head -3 | tee -a "$RESULT_FILE"
  fi
  for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || true; done
  PIDS=()
  as_pg "$PGBIN/pg_ctl" -D "$d/standby" -m immediate stop >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$d/primary" -m fast stop >/dev/null
}

for m in $MODES; do
  run_mode "$m"
done
echo "# uptime: $(uptime)" | tee -a "$RESULT_FILE"
echo "# results in $RESULT_FILE"
