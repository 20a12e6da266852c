#!/usr/bin/env bash
# Logical replication (issue #19), in one run, on the anchors' cached pgbench scale-100 database
# (plus its 1 GiB of incompressible rows):
#
#   sudo bench/logical.sh          # installs pgcopydb (Debian's package) if missing
#
# 1. Initial copy of the whole database into an empty database of a second PostgreSQL 15 server, by
#    `walferry logical create` (slot, schema, data in the slot's snapshot, indexes; copy_jobs 2),
#    `pgcopydb clone --table-jobs 2 --index-jobs 2` (0.10) and `pg_dump -Fd -j2 | pg_restore -j2`.
#    The source is idle meanwhile, so the three copies hold the same rows.
# 2. Apply throughput: with the walferry stream not running and a native subscription (made on the
#    pg_restore copy, copy_data off, disabled) both at the same source position, 8 pgbench clients
#    write a backlog of TX transactions; then `walferry logical run` catches up, then the subscription
#    is enabled and catches up. Seconds until each slot has confirmed the source's last position;
#    rows/s and transactions/s over that time (rows: pgbench's 4 changes per transaction).
# 3. The floor: the target executing the same kind and number of changes itself (pgbench's TPC-B changes,
#    the SELECT left out, on a copy of the target database, synchronous_commit off as the native apply
#    worker has it), by one session and by 8 sessions: what no applier can beat.
#
#   APPLY_COMMIT=async|sync (default async): the stream's apply_commit. JFR=1 records a JFR profile of the walferry
#   JVM during the apply (bench/results/logical-*.jfr). PERF=1 records the target's applying processes with perf
#   (walferry's sessions; the native apply worker) and writes their hottest functions to bench/results/logical-*.perf-*.txt,
#   and what they wait for (pg_stat_activity every 10 ms) to bench/results/logical-*.waits-*.txt.
#   APPLY_SESSIONS="1 3" (default "1"): one walferry apply per count (the stream's apply_sessions), each on its own copy
#   of the target database and its own copy of the slot (pg_copy_logical_replication_slot), all at the same position
#   and applying the same backlog one after the other. BACKLOG=independent writes a backlog of transactions that
#   seldom touch the same rows (one account updated, one history row inserted: 2 rows each, no branch or teller)
#   instead of pgbench's TPC-B (whose 100 branches every transaction updates). FLOOR=0 skips step 3. Each apply is also timed from its slot's stream start (the slot active): the time
#   before it is the applier's start (walferry's JVM and its checks; the subscription's worker). A checkpoint on both servers before each apply, so that no
#   tool pays for the checkpoint of what came before it (the database copies write GiBs of WAL).
#   The copy's floor (FLOOR=1): the schema restored before the data, every table piped by psql from COPY TO to COPY FROM
#   (binary, 2 at a time, the largest first), then indexes and constraints with pg_restore -j2.
#   SECTIONS="copy apply" (default); SECTIONS=apply skips pgcopydb and pg_dump (walferry's create still
#   makes the stream). CPU seconds of the walsenders, the target's backends and walferry's JVM are
#   reported for each apply: where the time goes.
# Rows: one line per tool; a result file in bench/results.
set -Eeuo pipefail
SELF_DIR=$(cd "$(dirname "$0")" && pwd)
ANCHORS=$(cd "$SELF_DIR/../../shared/bench/anchors" && pwd)
WF_HOME=${WF_HOME:-$(cd "$SELF_DIR/.." && pwd)}
# shellcheck source=/dev/null
source "$ANCHORS/lib.sh"
TX=${TX:-40000}
SECTIONS=${SECTIONS:-copy apply}
APPLY_COMMIT=${APPLY_COMMIT:-async}
JFR=${JFR:-0}
PERF=${PERF:-0}
FLOOR=${FLOOR:-1}
APPLY_SESSIONS=${APPLY_SESSIONS:-1}
BACKLOG=${BACKLOG:-tpcb}
read -ra SESSIONS <<<"$APPLY_SESSIONS"
RESULTS_DIR=${RESULTS_DIR:-$SELF_DIR/results}
[[ -f $WF_HOME/target/walferry.jar ]] || die "build first: ./walferry --version"
[[ $PERF != 1 ]] || command -v perf >/dev/null || { apt-get install -y -q linux-perf >/dev/null || die "cannot install perf"; }
command -v pgcopydb >/dev/null || { apt-get install -y -q pgcopydb >/dev/null || die "cannot install pgcopydb"; }

ensure_workload
ab_setup walferry-logical
mkdir -p "$RESULTS_DIR"
WFX=$AB_WORK/walferry-dist
mkdir -p "$WFX/target" && cp "$WF_HOME/walferry" "$WFX/" && cp "$WF_HOME/target/walferry.jar" "$WFX/target/"
chmod -R a+rX "$WFX" && "$WFX/walferry" self-test >/dev/null || die "self-test failed"

SRC_PORT=$(free_port)
DST_PORT=$(free_port)
[[ $SRC_PORT != "$DST_PORT" ]] || DST_PORT=$(free_port)
SRC=$AB_WORK/source/data
DST=$AB_WORK/target/data
clone_primary "$SRC" "$SRC_PORT"
cat >>"$SRC/postgresql.conf" <<EOF
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
log_min_messages = warning
EOF
echo "host replication all 127.0.0.1/32 trust" >>"$SRC/pg_hba.conf"
pg_start "$SRC" "$AB_WORK/source.log"
pg_init "$DST" "$DST_PORT"
pg_start "$DST" "$AB_WORK/target.log"
# pgbench_history and the random rows have no key: their rows are identified whole (every tool needs that for a table without one)
q "$SRC_PORT" "alter table pgbench_history replica identity full; alter table anchorbench_random replica identity full; checkpoint" >/dev/null
DB_BYTES=$(q "$SRC_PORT" "select pg_database_size('postgres')")
qd() { local port=$1 db=$2; shift 2; "$PGBIN/psql" -XAtq -h 127.0.0.1 -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 -c "$*"; }
for db in wf pgcopydb dumprestore; do q "$DST_PORT" "create database $db" >/dev/null; done

CONF=$AB_WORK/walferry.yaml
cat >"$CONF" <<YAML
cluster: bench
nodes:
  - name: source
    host: 127.0.0.1
    port: $SRC_PORT
    data_directory: $SRC
repositories:
  - name: local
    type: fs
    path: $AB_WORK/repo
archive:
  spool_directory: $AB_WORK/spool
logical:
  - name: bench
    source: {node: source, database: postgres}
    target: {host: 127.0.0.1, port: $DST_PORT, database: wf, user: postgres}
    copy_jobs: 2
    apply_commit: $APPLY_COMMIT
    apply_sessions: ${SESSIONS[0]}
YAML
# the other session counts: streams of their own on copies of the target database and of the slot (made below)
for ((i = 1; i < ${#SESSIONS[@]}; i++)); do
  cat >>"$CONF" <<YAML
  - name: bench_p$i
    source: {node: source, database: postgres}
    target: {host: 127.0.0.1, port: $DST_PORT, database: wf_p$i, user: postgres}
    publication: walferry_bench
    slot: walferry_bench_p$i
    apply_commit: $APPLY_COMMIT
    apply_sessions: ${SESSIONS[$i]}
YAML
done
mkdir_pg "$AB_WORK/repo" "$AB_WORK/spool"
chown postgres "$CONF"
wf() { (cd "$AB_WORK" && as_pg "$WFX/walferry" -c "$CONF" "$@"); }

RESULT_FILE=$RESULTS_DIR/logical-$(date +%Y%m%d-%H%M%S).txt
{
  echo "# logical $(date -Is) cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg) walferry git=$(git -C "$WF_HOME" rev-parse --short HEAD) apply_commit=$APPLY_COMMIT apply_sessions=${SESSIONS[*]}"
  echo "# source database $(mb "$DB_BYTES") MiB (pgbench scale $SCALE + ${RANDOM_MB} MiB random rows), PostgreSQL 15 to 15 on one machine"
  printf '%-24s %10s %10s\n' "initial copy" seconds "MiB/s"
} | tee "$RESULT_FILE"
copy_row() { printf '%-24s %10s %10s\n' "$1" "$2" "$(calc "$DB_BYTES/1048576/$2" 1)" | tee -a "$RESULT_FILE"; }

log "walferry logical create"
t0=$(now)
wf logical create bench >/dev/null
copy_row "walferry" "$(since "$t0")"

if [[ $SECTIONS == *copy* ]]; then
log "pgcopydb clone"
mkdir_pg "$AB_WORK/pgcopydb"
t0=$(now)
as_pg env PGCOPYDB_SOURCE_PGURI="postgres://postgres@127.0.0.1:$SRC_PORT/postgres" \
  PGCOPYDB_TARGET_PGURI="postgres://postgres@127.0.0.1:$DST_PORT/pgcopydb" \
  pgcopydb clone --table-jobs 2 --index-jobs 2 --dir "$AB_WORK/pgcopydb/work" >"$AB_WORK/pgcopydb.log" 2>&1 ||
  { tail -20 "$AB_WORK/pgcopydb.log" >&2; die "pgcopydb failed"; }
copy_row "pgcopydb 0.10" "$(since "$t0")"

log "pg_dump -Fd -j2 | pg_restore -j2"
mkdir_pg "$AB_WORK/dump"
t0=$(now)
as_pg "$PGBIN/pg_dump" -h 127.0.0.1 -p "$SRC_PORT" -U postgres -Fd -j2 -f "$AB_WORK/dump/d" postgres
as_pg "$PGBIN/pg_restore" -h 127.0.0.1 -p "$DST_PORT" -U postgres -j2 -d dumprestore "$AB_WORK/dump/d"
copy_row "pg_dump -j2 | pg_restore -j2" "$(since "$t0")"
rm -rf "$AB_WORK/dump" "$AB_WORK/pgcopydb/work"

if [[ $FLOOR == 1 ]]; then
  # the same work with no tool in the way: the schema before the data, each table's rows piped from COPY TO to COPY FROM
  # in binary by psql (two at a time, the largest first), then indexes and constraints with two jobs
  log "floor: COPY piped by psql, 2 at a time"
  q "$DST_PORT" "create database floorcopy" >/dev/null
  mkdir_pg "$AB_WORK/floorschema"
  t0=$(now)
  as_pg "$PGBIN/pg_dump" -h 127.0.0.1 -p "$SRC_PORT" -U postgres -Fd --schema-only -f "$AB_WORK/floorschema/d" postgres
  as_pg "$PGBIN/pg_restore" -h 127.0.0.1 -p "$DST_PORT" -U postgres --section=pre-data -d floorcopy "$AB_WORK/floorschema/d"
  q "$SRC_PORT" "select format('%I.%I', schemaname, relname) from pg_stat_user_tables order by pg_total_relation_size(relid) desc" |
    xargs -P2 -I{} bash -o pipefail -c "$PGBIN/psql -XAtq -h 127.0.0.1 -p $SRC_PORT -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c '\\copy {} to stdout (format binary)' | $PGBIN/psql -XAtq -h 127.0.0.1 -p $DST_PORT -U postgres -d floorcopy \
      -v ON_ERROR_STOP=1 -c '\\copy {} from stdin (format binary)'"
  as_pg "$PGBIN/pg_restore" -h 127.0.0.1 -p "$DST_PORT" -U postgres -j2 --section=post-data -d floorcopy "$AB_WORK/floorschema/d"
  copy_row "floor: psql COPY pipes" "$(since "$t0")"
  [[ $(qd "$DST_PORT" floorcopy "select count(*) from pgbench_accounts") == $(q "$SRC_PORT" "select count(*) from pgbench_accounts") ]] ||
    die "the floor's copy of pgbench_accounts differs from the source"
  rm -rf "$AB_WORK/floorschema"
fi
fi
[[ $SECTIONS == *apply* ]] || exit 0

# the native subscription's and the floor's databases: copies of walferry's, at the same source position
for db in native floor; do q "$DST_PORT" "create database $db template wf" >/dev/null; done
for ((i = 1; i < ${#SESSIONS[@]}; i++)); do
  q "$DST_PORT" "create database wf_p$i template wf" >/dev/null
  qd "$DST_PORT" "wf_p$i" "update walferry.logical_stream set stream = 'bench_p$i', slot = 'walferry_bench_p$i'" >/dev/null
  q "$SRC_PORT" "select pg_copy_logical_replication_slot('walferry_bench', 'walferry_bench_p$i')" >/dev/null
done

# the native subscription's slot, at the source's position now (the source is idle: the copy of wf matches it)
q "$SRC_PORT" "create publication native for table pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history" >/dev/null
qd "$DST_PORT" native "create subscription native connection 'host=127.0.0.1 port=$SRC_PORT user=postgres dbname=postgres' \
  publication native with (copy_data = false, enabled = false)" >/dev/null

log "backlog: $TX pgbench transactions ($BACKLOG) by 8 clients"
BACKLOG_ARGS=()
ROWS=$((TX * 4))
if [[ $BACKLOG == independent ]]; then
  cat >"$AB_WORK/independent.sql" <<'SQL'
\set aid random(1, 100000 * :scale)
\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :aid, :delta, CURRENT_TIMESTAMP);
END;
SQL
  chmod a+r "$AB_WORK/independent.sql"
  BACKLOG_ARGS=(-s "$SCALE" -f "$AB_WORK/independent.sql")
  ROWS=$((TX * 2))
fi
"$PGBIN/pgbench" -n "${BACKLOG_ARGS[@]}" -c 8 -j 2 -t $((TX / 8)) -h 127.0.0.1 -p "$SRC_PORT" -U postgres postgres >"$AB_WORK/pgbench.log" 2>&1 ||
  { tail "$AB_WORK/pgbench.log" >&2; die "pgbench failed"; }
END=$(q "$SRC_PORT" "select pg_current_wal_lsn()")
BACKLOG_BYTES=$(q "$SRC_PORT" "select pg_wal_lsn_diff('$END', confirmed_flush_lsn)::bigint from pg_replication_slots where slot_name = 'native'")
{
  echo "# backlog ($BACKLOG): $TX transactions, $ROWS rows, $(mb "$BACKLOG_BYTES") MiB of WAL"
  printf '%-24s %10s %10s %10s\n' "apply the backlog" seconds "rows/s" "tx/s"
} | tee -a "$RESULT_FILE"
apply_row() { printf '%-24s %10s %10s %10s\n' "$1" "$2" "$(calc "$ROWS/$2" 0)" "$(calc "$TX/$2" 0)" | tee -a "$RESULT_FILE"; }
# CPU seconds (user+system) of processes: the source's and target's postgres children by role, walferry's JVM
clk=$(getconf CLK_TCK)
cpu_of() { local s=0 p; for p in "$@"; do [[ -r /proc/$p/stat ]] && s=$((s + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$s"; }
children() { pgrep -P "$(pg_pid "$1")" || true; }
CPU_BASE=()
cpu_mark_roles() { CPU_BASE=("$(cpu_of $(children "$SRC"))" "$(cpu_of $(children "$DST"))" "$(cpu_of "$@")"); }
cpu_report() { # label jvm-pids...
  local s d j
  s=$(cpu_of $(children "$SRC")); d=$(cpu_of $(children "$DST")); j=$(cpu_of "${@:2}")
  printf '#   %s cpu seconds: source %s, target %s, walferry %s\n' "$1" "$(calc "($s-${CPU_BASE[0]})/$clk" 1)" \
    "$(calc "($d-${CPU_BASE[1]})/$clk" 1)" "$(calc "($j-${CPU_BASE[2]})/$clk" 1)" | tee -a "$RESULT_FILE"
}

# perf on the target's processes that apply (found by a query), until perf_stop; a report of the hottest functions
PERF_PID=""
perf_start() { # label sql-returning-pids
  [[ $PERF == 1 ]] || return 0
  local pids="" i
  for i in $(seq 1 100); do pids=$(q_try "$DST_PORT" "$2" | paste -sd, -); [[ -n $pids ]] && break; sleep 0.1; done
  [[ -n $pids ]] || { log "perf: no process to record for $1"; return 0; }
  PERF_LABEL=$1
  perf record -F 499 -g -p "$pids" -o "$AB_WORK/perf-$1.data" >/dev/null 2>&1 &
  PERF_PID=$!
  # and what they wait for, sampled every 10 ms (off-CPU time perf does not see)
  echo "select coalesce(wait_event_type || ':' || wait_event, 'on CPU') || ' (' || state || ')' from pg_stat_activity where pid in ($pids) \\watch 0.01" \
    >"$AB_WORK/waits.sql"
  chmod a+r "$AB_WORK/waits.sql"
  "$PGBIN/psql" -XAtq -h 127.0.0.1 -p "$DST_PORT" -U postgres -d postgres -f "$AB_WORK/waits.sql" >"$AB_WORK/waits-$1.txt" 2>/dev/null &
  WAITS_PID=$!
}
perf_stop() {
  [[ -n $PERF_PID ]] || return 0
  kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true
  kill -TERM "$WAITS_PID" 2>/dev/null || true; wait "$WAITS_PID" 2>/dev/null || true
  grep -v '^$' "$AB_WORK/waits-$PERF_LABEL.txt" | sort | uniq -c | sort -rn >"${RESULT_FILE%.txt}.waits-$PERF_LABEL.txt" || true
  PERF_PID=""
  perf report -i "$AB_WORK/perf-$PERF_LABEL.data" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^$' |
    grep -E '^ +[0-9]' | head -60 >"${RESULT_FILE%.txt}.perf-$PERF_LABEL.txt" || true
  perf report -i "$AB_WORK/perf-$PERF_LABEL.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -v '^$' |
    grep -E '^ +[0-9]' | head -60 >"${RESULT_FILE%.txt}.perf-$PERF_LABEL-children.txt" || true
}

# when a slot's stream starts (its walsender is there): the time before it is the applier's start (walferry's JVM,
# its connections and checks; the subscription's worker), reported apart from the apply itself
STREAM_T0=""
stream_started() { # slot
  local i
  for i in $(seq 1 1200); do
    [[ $(q_try "$SRC_PORT" "select active from pg_replication_slots where slot_name = '$1'") == t ]] && { STREAM_T0=$(now); return 0; }
    sleep 0.05
  done
  STREAM_T0=""
}
stream_row() { # label
  [[ -n $STREAM_T0 ]] || return 0
  local s; s=$(since "$STREAM_T0")
  printf '#   %s from the stream start: %s s, %s rows/s, %s tx/s\n' "$1" "$s" "$(calc "$ROWS/$s" 0)" "$(calc "$TX/$s" 0)" | tee -a "$RESULT_FILE"
}

checkpoints() { q "$SRC_PORT" "checkpoint" >/dev/null; q "$DST_PORT" "checkpoint" >/dev/null; }
JVM_OPTS=""
if [[ $JFR == 1 ]]; then
  mkdir_pg "$AB_WORK/jfr"
  JVM_OPTS="-XX:StartFlightRecording=filename=$AB_WORK/jfr/run.jfr,settings=profile"
fi
walferry_apply() { # stream slot-suffix sessions
  checkpoints
  log "walferry logical run $1 ($3 target sessions)"
  t0=$(now)
  (cd "$AB_WORK" && exec runuser -u postgres -- env WALFERRY_JVM_OPTS="$JVM_OPTS" "$WFX/walferry" -c "$CONF" logical run "$1") >"$AB_WORK/run-$1.log" 2>&1 &
  RUN_PID=$!
  AB_PIDS+=("$RUN_PID")
  cpu_mark_roles
  perf_start "walferry-$3" "select pid from pg_stat_activity where datname like 'wf%' and application_name = 'walferry logical $1'"
  stream_started "walferry_bench$2"
  wait_for "$SRC_PORT" "select confirmed_flush_lsn >= '$END' from pg_replication_slots where slot_name = 'walferry_bench$2'" 3600
  apply_row "walferry, $3 session(s)" "$(since "$t0")"
  stream_row "walferry, $3 session(s)"
  perf_stop
  cpu_report "walferry, $3 session(s)" $(pgrep -f "walferry.jar.*logical run $1\$" || true)
  kill -TERM "$RUN_PID"; wait "$RUN_PID" 2>/dev/null || true
  [[ $JFR == 1 && -f $AB_WORK/jfr/run.jfr ]] && cp "$AB_WORK/jfr/run.jfr" "${RESULT_FILE%.txt}.$1.jfr"
  return 0
}
walferry_apply bench "" "${SESSIONS[0]}"
for ((i = 1; i < ${#SESSIONS[@]}; i++)); do walferry_apply "bench_p$i" "_p$i" "${SESSIONS[$i]}"; done

checkpoints
log "native subscription"
cpu_mark_roles
t0=$(now)
qd "$DST_PORT" native "alter subscription native enable" >/dev/null
perf_start native "select pid from pg_stat_subscription where subname = 'native' and pid is not null"
stream_started native
wait_for "$SRC_PORT" "select confirmed_flush_lsn >= '$END' from pg_replication_slots where slot_name = 'native'" 3600
apply_row "native subscription" "$(since "$t0")"
stream_row native
perf_stop
cpu_report native
qd "$DST_PORT" native "alter subscription native disable; alter subscription native set (slot_name = none); drop subscription native" >/dev/null

# the floor: the same changes executed on the target directly (pgbench's TPC-B without its SELECT)
cat >"$AB_WORK/changes.sql" <<'SQL'
\set aid random(1, 100000 * :scale)
\set bid random(1, 1 * :scale)
\set tid random(1, 10 * :scale)
\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
SQL
chmod a+r "$AB_WORK/changes.sql"
for c in $([[ $FLOOR == 1 ]] && echo 1 8); do
  log "floor: $c sessions on the target"
  t0=$(now)
  PGOPTIONS="-c synchronous_commit=off" "$PGBIN/pgbench" -n -M prepared -s "$SCALE" -c $c -j $((c < 2 ? 1 : 2)) -t $((TX / c)) \
    -f "$AB_WORK/changes.sql" -h 127.0.0.1 -p "$DST_PORT" -U postgres floor >"$AB_WORK/floor-$c.log" 2>&1 ||
    { tail "$AB_WORK/floor-$c.log" >&2; die "pgbench on the target failed"; }
  apply_row "floor, $c session(s)" "$(since "$t0")"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULT_FILE"

# both targets hold what the source holds
for db in wf native $(for ((i = 1; i < ${#SESSIONS[@]}; i++)); do echo "wf_p$i"; done); do
  for t in pgbench_accounts pgbench_branches pgbench_tellers pgbench_history; do
    s=$(qd "$SRC_PORT" postgres "select count(*) || ' ' || coalesce(sum(hashtext(x::text)::bigint), 0) from $t x")
    d=$(qd "$DST_PORT" "$db" "select count(*) || ' ' || coalesce(sum(hashtext(x::text)::bigint), 0) from $t x")
    [[ $s == "$d" ]] || die "$db.$t differs from the source: $d vs $s"
  done
done
echo "# both targets equal to the source (count and checksum of every pgbench table)" | tee -a "$RESULT_FILE"
