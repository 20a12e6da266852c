#!/usr/bin/env bash
# WAL streamed into the repository (issue #23, docs/streaming.md): how soon an archive-only standby (restore_command
# only, no connection to the primary) sees a commit, with walferry's stream, with walferry's archive_command and
# archive_timeout 10 s, with pgBackRest's asynchronous archive_command and archive_timeout 10 s, and with PostgreSQL's
# own streaming replication (the floor); then what a synchronous archive costs the primary's commits, against a
# synchronous streaming standby and Barman's synchronous pg_receivewal; in one run.
#
#   sudo bench/stream.sh                          # about 10 minutes on 2 busy cores
#   sudo MODES="wf-stream" N=60 IDLE_MS=60000 bench/stream.sh   # one commit a minute for an hour
#
# Modes (MODES, default "wf-stream wf-archive pgbr-async pg-stream"), each on a fresh primary (initdb) on loopback and a standby
# made from it by pg_basebackup:
#   wf-stream   archive.stream: on (stream_interval STREAM_INTERVAL, default 1s, the shipped default),
#               archive_timeout = 0; the standby's restore_command as `walferry restore-command` prints it,
#               wal_retrieve_retry_interval = 200ms (docs/streaming.md)
#   wf-archive  walferry's agent and archive_command, archive_timeout = 10s; the standby as above
#   pgbr-async  pgBackRest (as the anchors set it up): archive_command archive-push with archive-async=y, spool on
#               local disk, process-max 2, archive_timeout = 10s; the standby's restore_command archive-get,
#               wal_retrieve_retry_interval = 200ms as above
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
# Synchronous modes (SYNC_MODES, default "async pg-sync wf-sync-fs wf-sync-s3 barman"), each on a fresh primary
# (initdb, pgbench -i -s 10): pgbench -c 8 -j 2 -T SYNC_SECONDS (default 30) with synchronous_commit = on and a per
# transaction log (-l): TPS and commit latency p50/p99 (the transaction's latency, the commit's wait included).
#   async       no synchronous standby: the ceiling
#   pg-sync     a streaming standby made by pg_basebackup, application_name standby1, synchronous_standby_names
#               'standby1'
#   wf-sync-fs  walferry archive.stream + archive.synchronous: on, a filesystem repository (the agent adds itself to
#               synchronous_standby_names)
#   wf-sync-s3  the same, the repository on S3Proxy (the jar the build copies to target/s3proxy; plain HTTP on
#               loopback, filesystem-nio2 blob store)
#   barman      Barman (Debian's package, installed here if missing) with streaming_archiver = on and its slot;
#               synchronous_standby_names 'barman_receive_wal', so `barman receive-wal` runs pg_receivewal
#               --synchronous (Barman adds it when the setting names it)
# Target (issue #23): wf-sync TPS >= 0.8 x pg-sync TPS.
#
# Env: MODES SYNC_MODES N IDLE_MS LOAD_SECONDS SYNC_SECONDS STREAM_INTERVAL KEEP=1 (keep the work directory) RESULTS_DIR
#      STREAM_IN_FLIGHT (archive.stream_in_flight of the wf-sync modes; unset: the default)
set -Eeuo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WF_HOME=$(cd "$HERE/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
JAVA=${WALFERRY_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
MODES=${MODES:-"wf-stream wf-archive pgbr-async pg-stream"}
SYNC_MODES=${SYNC_MODES:-"async pg-sync wf-sync-fs wf-sync-s3 barman"}
SYNC_SECONDS=${SYNC_SECONDS:-30}
N=${N:-30}
IDLE_MS=${IDLE_MS:-2000}
LOAD_SECONDS=${LOAD_SECONDS:-30}
STREAM_INTERVAL=${STREAM_INTERVAL:-1s}
RESULTS_DIR=${RESULTS_DIR:-$HERE/results}
[[ -f $WF_HOME/target/walferry.jar ]] || { echo "build first: mvn -DskipTests package" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "run as root (servers and agents run as postgres)" >&2; exit 2; }

# pgBackRest's configuration as the anchors write it (pgbr_conf); this script's own helpers below take precedence
ANCHORS=${ANCHORS:-$(cd "$HERE/../../shared/bench/anchors" && pwd)} || { echo "anchors not found at $HERE/../../shared/bench/anchors" >&2; exit 2; }
# shellcheck source=/dev/null
source "$ANCHORS/lib.sh"
# Barman (Debian's package) for the synchronous modes, installed once
if [[ " $SYNC_MODES " == *" barman "* ]] && ! command -v barman >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q barman >/dev/null || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q barman >/dev/null; }
fi

WORK=$(mktemp -d /tmp/wf-bench-stream.XXXXXX)
chmod 755 "$WORK"
chown postgres: "$WORK"
PIDS=()
DATADIRS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || true; done
  for d in "${DATADIRS[@]}"; do runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true; done
  [[ -z ${PIDS_S3:-} ]] || kill -- "-$PIDS_S3" 2>/dev/null || true
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
  echo "# stream $(date -Is) cores=$(nproc) walferry git=${WF_GIT:-$(git -C "$WF_HOME" rev-parse --short HEAD 2>/dev/null)} N=$N IDLE_MS=$IDLE_MS LOAD_SECONDS=$LOAD_SECONDS STREAM_INTERVAL=$STREAM_INTERVAL STREAM_IN_FLIGHT=${STREAM_IN_FLIGHT:-default}"
  echo "# uptime: $(uptime)"
  printf '%-11s %-40s %-40s %s\n' mode "isolated commits: lag s" "under pgbench -c 8: lag s" "tps"
} | tee "$RESULT_FILE"

init_primary() { # DIR PORT: a fresh primary in DIR/primary on loopback, its repository and spool directories
  local d=$1 port=$2
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
}

run_mode() {
  local mode=$1 d=$WORK/$1 port sport mport cfg
  port=$(free_port); sport=$(free_port); mport=$(free_port)
  init_primary "$d" "$port"
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
  if [[ $mode == pgbr-async ]]; then
    pgbr_conf "$d/pgbr" "$d/primary" lz4 async
    cat >>"$d/primary/postgresql.conf" <<CONF
archive_mode = on
archive_command = '$PGBACKREST_BIN --config=$d/pgbr/pgbackrest.conf --stanza=$STANZA archive-push %p'
archive_timeout = 10s
CONF
  fi
  as_pg "$PGBIN/pg_ctl" -D "$d/primary" -l "$d/primary.log" -w start >/dev/null
  if [[ $mode == pgbr-async ]]; then
    pgbr "$d/pgbr/pgbackrest.conf" --no-online stanza-create >/dev/null
    mkdir_pg "$d/pgbr/lock-standby"
  fi
  if [[ $mode == wf-* ]]; then
    as_pg "$WF_HOME/walferry" -c "$cfg" repo-create >/dev/null
    # a process group of its own: runuser does not pass SIGTERM on to the agent's JVM, a group kill reaches it
    setsid runuser -u postgres -- "$WF_HOME/walferry" ${WF_AGENT_FLAGS:-} -c "$cfg" agent --node primary >"$d/agent.log" 2>&1 &
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
  elif [[ $mode == pgbr-async ]]; then
    # the standby reads the repository only; its own spool and lock paths (archive-get is synchronous)
    cat >>"$d/standby/postgresql.conf" <<CONF
archive_mode = off
restore_command = '$PGBACKREST_BIN --config=$d/pgbr/pgbackrest.conf --stanza=$STANZA --archive-async=n --lock-path=$d/pgbr/lock-standby --pg1-path=$d/standby archive-get %f "%p"'
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
  [[ $mode != pgbr-async ]] || reap_pgbackrest 30 "$d"
}

for m in $MODES; do
  run_mode "$m"
done

# ---- what a synchronous archive costs the commits --------------------------------------------------------------
S3PORT=""
start_s3proxy() { # plain HTTP on loopback, one bucket "bench"
  local dir=$WORK/s3proxy jar=${S3PROXY_JAR:-$WF_HOME/target/s3proxy/s3proxy.jar}
  [[ -s $jar ]] || { echo "no S3Proxy jar at $jar (mvn process-test-resources copies it there)" >&2; exit 2; }
  mkdir -p "$dir/blobs"; S3PORT=$(free_port)
  printf '%s\n' "s3proxy.endpoint=http://127.0.0.1:$S3PORT" "s3proxy.authorization=aws-v2-or-v4" "s3proxy.identity=bench" \
    "s3proxy.credential=bench-secret" "jclouds.provider=filesystem-nio2" "jclouds.identity=bench" "jclouds.credential=bench-secret" \
    "jclouds.filesystem.basedir=$dir/blobs" >"$dir/s3proxy.conf"
  setsid java -Xmx512m -jar "$jar" --properties "$dir/s3proxy.conf" >"$dir/s3proxy.log" 2>&1 &
  PIDS_S3=$!
  await 60 "S3Proxy" curl -s -o /dev/null "http://127.0.0.1:$S3PORT/"
  curl -s --fail --aws-sigv4 "aws:amz:us-east-1:s3" --user "bench:bench-secret" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" -X PUT "http://127.0.0.1:$S3PORT/bench" >/dev/null
  printf 'bench' >"$WORK/s3.id"; printf 'bench-secret' >"$WORK/s3.secret"
  chown postgres: "$WORK/s3.id" "$WORK/s3.secret"; chmod 600 "$WORK/s3.id" "$WORK/s3.secret"
}
sync_state() { [[ $(psql_at "$1" "select count(*) from pg_stat_replication where application_name = '$2' and sync_state = 'sync'") == 1 ]]; }
# p50 and p99 of the per-transaction latencies in pgbench's logs (third column, microseconds), in milliseconds
latency_pcts() { cat "$@" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END{if (NR==0) {print "n=0"; exit}
  printf "n=%d p50=%.2fms p99=%.2fms", NR, a[int((NR-1)*0.50)+1]/1000, a[int((NR-1)*0.99)+1]/1000}'; }

run_sync() {
  local mode=$1 d=$WORK/sync-$1 port sport cfg app=""
  port=$(free_port); sport=$(free_port)
  init_primary "$d" "$port"
  as_pg "$PGBIN/pg_ctl" -D "$d/primary" -l "$d/primary.log" -w start >/dev/null
  as_pg "$PGBIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -s 10 -q postgres >/dev/null 2>&1
  case $mode in
    pg-sync)
      app=standby1
      as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$d/standby" -X stream -c fast
      DATADIRS+=("$d/standby")
      printf "port = %s\nprimary_conninfo = 'host=127.0.0.1 port=%s user=postgres application_name=standby1'\n" "$sport" "$port" >>"$d/standby/postgresql.conf"
      as_pg touch "$d/standby/standby.signal"
      as_pg "$PGBIN/pg_ctl" -D "$d/standby" -l "$d/standby.log" -w start >/dev/null
      psql_at "$port" "alter system set synchronous_standby_names = 'standby1'" >/dev/null
      psql_at "$port" "select pg_reload_conf()" >/dev/null ;;
    wf-sync-*)
      app=walferry_stream_primary
      cfg=$d/walferry.yaml
      {
        printf 'cluster: bench\nnodes:\n  - name: primary\n    host: 127.0.0.1\n    port: %s\n    data_directory: %s\n    metrics_port: %s\n' \
          "$port" "$d/primary" "$(free_port)"
        if [[ $mode == wf-sync-s3 ]]; then
          printf 'repositories:\n  - name: s3\n    type: s3\n    bucket: bench\n    prefix: %s\n    endpoint: http://127.0.0.1:%s\n' "$mode" "$S3PORT"
          printf '    region: us-east-1\n    path_style: true\n    credentials:\n      access_key_id: ${file:%s}\n      secret_access_key: ${file:%s}\n' \
            "$WORK/s3.id" "$WORK/s3.secret"
        else
          printf 'repositories:\n  - name: local\n    type: fs\n    path: %s\n' "$d/repo"
        fi
        printf 'archive:\n  spool_directory: %s\n  stream: on\n  synchronous: on\n' "$d/spool"
        [[ -z ${STREAM_IN_FLIGHT:-} ]] || printf '  stream_in_flight: %s\n' "$STREAM_IN_FLIGHT"
      } >"$cfg"
      chown postgres: "$cfg"
      as_pg "$WF_HOME/walferry" -c "$cfg" repo-create >/dev/null
      psql_at "$port" "alter system set archive_mode = on" >/dev/null
      psql_at "$port" "alter system set archive_command = '$WF_HOME/walferry -c $cfg archive-push %p'" >/dev/null
      as_pg "$PGBIN/pg_ctl" -D "$d/primary" -l "$d/primary.log" -w restart >/dev/null
      setsid runuser -u postgres -- "$WF_HOME/walferry" ${WF_AGENT_FLAGS:-} -c "$cfg" agent --node primary >"$d/agent.log" 2>&1 &
      PIDS+=($!) ;;
    barman)
      app=barman_receive_wal
      mkdir -p "$d/barman"; chown postgres: "$d/barman"
      cat >"$d/barman.conf" <<CONF
[barman]
barman_user = postgres
barman_home = $d/barman
log_file = $d/barman/barman.log
log_level = INFO
configuration_files_directory = $d/barman.d

[pg]
description = bench
conninfo = host=127.0.0.1 port=$port user=postgres dbname=postgres
streaming_conninfo = host=127.0.0.1 port=$port user=postgres
backup_method = postgres
streaming_archiver = on
slot_name = barman
path_prefix = $PGBIN
CONF
      mkdir -p "$d/barman.d"; chown postgres: "$d/barman.conf" "$d/barman.d"
      # Barman runs pg_receivewal --synchronous only when synchronous_standby_names names it as it starts
      psql_at "$port" "alter system set synchronous_standby_names = 'barman_receive_wal'" >/dev/null
      psql_at "$port" "select pg_reload_conf()" >/dev/null
      as_pg barman -c "$d/barman.conf" -q receive-wal --create-slot pg >/dev/null
      setsid runuser -u postgres -- barman -c "$d/barman.conf" receive-wal pg >"$d/barman-receive.log" 2>&1 &
      PIDS+=($!) ;;
  esac
  [[ -z $app ]] || await 120 "$app as the synchronous standby" sync_state "$port" "$app"
  (cd "$d" && as_pg "$PGBIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -c 8 -j 2 -T "$SYNC_SECONDS" -n -l --log-prefix="$d/txn" postgres >"$d/pgbench.out" 2>&1)
  local tps lat
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$d/pgbench.out" | head -1)
  lat=$(latency_pcts "$d"/txn.*)
  printf '%-11s %-10s %-40s %s\n' "$mode" "$tps" "$lat" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULT_FILE"
  if [[ -n $app ]] && ! sync_state "$port" "$app"; then echo "# $mode: $app was not synchronous at the end" | tee -a "$RESULT_FILE"; fi
  if [[ $mode == wf-* ]] && grep -q ERROR "$d/agent.log"; then
    echo "# $mode: the agent logged errors:" | tee -a "$RESULT_FILE"; grep ERROR "$d/agent.log" | head -3 | tee -a "$RESULT_FILE"
  fi
  for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || true; done
  PIDS=()
  [[ ! -d $d/standby ]] || as_pg "$PGBIN/pg_ctl" -D "$d/standby" -m immediate stop >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$d/primary" -m immediate stop >/dev/null
  [[ -n ${KEEP:-} ]] || rm -rf "$d"
}

if [[ -n $SYNC_MODES ]]; then
  [[ " $SYNC_MODES " != *" wf-sync-s3 "* ]] || start_s3proxy
  {
    echo "# synchronous: pgbench -c 8 -j 2 -T $SYNC_SECONDS (scale 10), synchronous_commit = on; uptime: $(uptime)"
    printf '%-11s %-10s %-40s %s\n' mode tps "commit latency" "load (1/5/15 min)"
  } | tee -a "$RESULT_FILE"
  for m in $SYNC_MODES; do
    run_sync "$m"
  done
  [[ -z ${PIDS_S3:-} ]] || kill -- "-$PIDS_S3" 2>/dev/null || true
fi
echo "# uptime: $(uptime)" | tee -a "$RESULT_FILE"
echo "# results in $RESULT_FILE"
