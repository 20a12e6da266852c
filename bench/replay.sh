#!/usr/bin/env bash
# Replay speed from the archive: a standby started from the anchors' pre-workload base backup replays the
# whole cached WAL backlog (2.4 GB), fetched by walferry archive-get with prefetch (the restore_command
# `walferry restore-command` prints; wf-launcher: the plain `walferry archive-get %f "%p"`) and without
# (one JVM per segment), against the same standby replaying from a local pg_wal, and against pgBackRest
# 2.45's async archive-get (process-max=2), in one run.
#
#   sudo bench/replay.sh                 # about 4 minutes (PREFETCH=16 segments, as pgBackRest's 256 MiB queue)
#   CONFIGS="local wf-prefetch" bench/replay.sh
#   CONFIGS="local wf-prefetch wf-prefetch local" bench/replay.sh   # each row twice, in mirrored order: the
#                                        ratio of the mean times cancels the first row's disadvantage
#
# Method (as the anchors' wal_restore.sh): copy $WL_DIR/base, add standby.signal and restore_command (or,
# for "local", put every segment of the backlog into pg_wal first, outside the clock), start it, poll
# pg_last_wal_replay_lsn() until it reaches END_LSN. seconds = start -> reached. MB/s = WAL from the
# backup's redo point to END_LSN / seconds; ratio = MB/s / local MB/s (target: >= 0.9 with prefetch).
# The archives are filled first, outside the clock: walferry's by its agent (lz4), pgBackRest's by its
# async archive-push (lz4).
#
# Row mv-floor (not in the default list): restore_command = mv from a directory of the uncompressed
# segments, what restore_command itself costs with no archive behind it.
# Row pg-stream (not in the default list): no archive at all; the standby streams the backlog from the
# primary that wrote it (a copy, started before the clock), by PostgreSQL's own streaming replication.
#
# Where each row's WAL comes from is in the same state for every row when its clock starts (SOURCES):
#   SOURCES=cached (the default): in the page cache. Local pg_wal's segments are, having just been copied
#     there; the archives are read through once (walferry's and pgBackRest's repository, the mv-floor copy).
#   SOURCES=disk: not cached. The page cache is emptied after the row's copies: every row reads its WAL,
#     and the data directory, from disk.
#   SOURCES=as-copied: what runs before 2026-12-01 measured: local's segments (and mv-floor's) cached by the
#     copy, the repositories not, when DROP_CACHES=1 had emptied the cache before the copies.
#
# Env: CONFIGS="local wf-prefetch wf-launcher wf-noprefetch pgbackrest mv-floor pg-stream"  WF_HOME  RESULTS_DIR  KEEP=1  DROP_CACHES=1 (default; see the rows loop)  WARM_GB=0  SOURCES=cached
#      STEAL_MAX=5 ATTEMPTS=3: a row during which the host took more than STEAL_MAX% of the CPU is run again (see the rows loop)
set -Eeuo pipefail
SELF_DIR=$(cd "$(dirname "$0")" && pwd)
ANCHORS=$(cd "$SELF_DIR/../../shared/bench/anchors" && pwd)
WF_HOME=${WF_HOME:-$(cd "$SELF_DIR/.." && pwd)}
# shellcheck source=/dev/null
source "$ANCHORS/lib.sh"
need "$PGBACKREST_BIN" setpriv
CONFIGS=${CONFIGS:-"local wf-prefetch wf-noprefetch pgbackrest"}
# walferry's queue in segments: 16 x 16 MiB = pgBackRest's archive-get-queue-max of 256 MiB below
PREFETCH=${PREFETCH:-16}
RESULTS_DIR=${RESULTS_DIR:-$SELF_DIR/results}
PG_UID=$(id -u postgres)
lsn2int() { local h=${1%/*} l=${1#*/}; echo $(((16#$h << 32) + 16#$l)); }
[[ -f $WF_HOME/target/walferry.jar ]] || die "build first: ./walferry --version"

ab_setup walferry-replay
mkdir -p "$RESULTS_DIR"
ensure_workload
BASE_REDO=$(sed -n 's/^START WAL LOCATION: \([0-9A-F]*\/[0-9A-F]*\) .*/\1/p' "$WL_DIR/base/backup_label")
REPLAY_BYTES=$(($(lsn2int "$END_LSN") - $(lsn2int "$BASE_REDO")))
RESULT_FILE=$RESULTS_DIR/replay-$(date +%Y%m%d-%H%M%S).txt
{
  echo "# replay $(date -Is) cores=$(nproc) walferry git=$(git -C "$WF_HOME" rev-parse --short HEAD) pgbackrest=$($PGBACKREST_BIN version | awk '{print $2}')"
  echo "# workload $(basename "$WL_DIR"): replay $BASE_REDO..$END_LSN = $(mb $REPLAY_BYTES) MB; DROP_CACHES=${DROP_CACHES:-1} WARM_GB=${WARM_GB:-0} SOURCES=${SOURCES:-cached} PREFETCH=$PREFETCH"
} | tee "$RESULT_FILE"

# frozen walferry, as an installation: its owner records the startup cache once
WFX=$AB_WORK/walferry-dist
mkdir -p "$WFX/target" && cp "$WF_HOME/walferry" "$WFX/" && cp "$WF_HOME/target/walferry.jar" "$WFX/target/"
chmod -R a+rX "$WFX" && "$WFX/walferry" self-test >/dev/null || die "self-test failed"
WF=$WFX/walferry

wf_yaml() { # file prefetch [port]
  cat >"$1" <<EOF
cluster: bench
nodes:
  - name: pg1
    port: ${3:-5432}
    data_directory: $AB_WORK/primary
repositories:
  - name: local
    type: fs
    path: $AB_WORK/wf-repo
archive:
  compression: lz4
  workers: 2
  prefetch: $2
  spool_directory: $AB_WORK/spool
EOF
  chown postgres:postgres "$1"
}

# ---- fill the archives (outside the clock) ------------------------------------------------------
mkdir_pg "$AB_WORK/wf-repo" "$AB_WORK/spool"
if [[ " $CONFIGS " == *" wf-"* ]]; then
  log "[fill walferry repository] agent + archive-push"
  port=$(free_port)
  clone_primary "$AB_WORK/primary" "$port"
  wf_yaml "$AB_WORK/fill.yaml" 8 "$port"
  pg_start "$AB_WORK/primary" "$AB_WORK/primary.log"
  as_pg "$WF" -c "$AB_WORK/fill.yaml" repo-create >/dev/null
  setpriv --reuid="$PG_UID" --regid="$(id -g postgres)" --init-groups env HOME=/var/lib/postgresql "$WF" -c "$AB_WORK/fill.yaml" agent \
    >"$AB_WORK/agent.log" 2>&1 </dev/null &
  AGENT=$!; AB_PIDS+=("$AGENT")
  for i in $(seq 1 300); do grep -q 'agent for node' "$AB_WORK/agent.log" && break; sleep 0.1; done
  q "$port" "alter system set archive_command = '$WF -c $AB_WORK/fill.yaml archive-push %p'" >/dev/null
  q "$port" "select pg_reload_conf()" >/dev/null
  wait_for "$port" "select archived_count >= $N_READY from pg_stat_archiver" || die "walferry archive incomplete"
  pg_stop "$AB_WORK/primary" fast
  kill "$AGENT" 2>/dev/null || true; wait "$AGENT" 2>/dev/null || true
  rm -rf "/tmp/walferry-$PG_UID/$(realpath "$AB_WORK/primary" | tr / %)"
fi
if [[ " $CONFIGS " == *" pgbackrest "* ]]; then
  log "[fill pgBackRest repository] async archive-push"
  pgbr_conf "$AB_WORK/pgbr" "$AB_WORK/pgbr/pg" lz4 async
  drain_backlog "$AB_WORK/pgbr"
  [[ $D_ARCH -ge $N_READY ]] || die "pgBackRest archive incomplete"
fi

# ---- the rows -----------------------------------------------------------------------------------
declare -A MBS SUM N
for c in $CONFIGS; do
  # A row the host took more than STEAL_MAX% of the CPU from (steal, in /proc/stat) is run again, up to
  # ATTEMPTS times; every attempt is in the results file. This VM's host takes more when both cores are busy,
  # which the archive rows do and local replay does not (docs/benchmarks.md): a row it disturbed measures the
  # neighbours. The last attempt counts whatever its steal.
  for ((attempt = 1; attempt <= ${ATTEMPTS:-3}; attempt++)); do
    dir=$AB_WORK/$c d=$AB_WORK/$c/pg
    mkdir_pg "$dir"
    # a row named twice starts afresh: no prefetch queue left by its first run
    rm -rf "/tmp/walferry-$(id -u postgres)/${d//\//%}"
    # DROP_CACHES=1 (the default; 0 to skip): every row starts from an emptied page cache, before its own
    # copies. Otherwise the first row pays for reclaiming the memory the set-up filled, and the later ones
    # reuse what the previous row freed (measured: the first row 2 to 5 s slower, whichever it was).
    if [[ ${DROP_CACHES:-1} == 1 ]]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi
    cp -a "$WL_DIR/base" "$d"
    port=$(free_port)
    sed -i -e "s|^port = .*|port = $port|" "$d/postgresql.conf"
    case $c in
      local)
        # every segment of the backlog in pg_wal, before the clock
        cp "$WL_DIR"/primary/pg_wal/[0-9A-F]*[0-9A-F] "$d/pg_wal/" 2>/dev/null || true
        chown -R postgres:postgres "$d/pg_wal"
        rcmd="" ;;
      pg-stream)
        # PostgreSQL's own streaming replication: the primary that wrote the backlog (a copy, started outside
        # the clock, its pg_wal just copied and so cached) sends it to the standby, no restore_command at all
        rm -rf "$dir/src"
        sport=$(free_port)
        clone_primary "$dir/src" "$sport"
        echo "archive_mode = off" >>"$dir/src/postgresql.conf"
        pg_start "$dir/src" "$dir/src.log"
        rcmd="" ;;
      mv-floor)
        # the cheapest restore_command there is: a rename from a directory of the uncompressed segments
        mkdir_pg "$dir/raw"
        cp "$WL_DIR"/primary/pg_wal/[0-9A-F]*[0-9A-F] "$dir/raw/" 2>/dev/null || true
        chown -R postgres:postgres "$dir/raw"
        rcmd="mv $dir/raw/%f \"%p\"" ;;
      # what walferry restore writes: sh hands a queued segment over itself, the launcher does the rest
      wf-prefetch) wf_yaml "$dir/walferry.yaml" "$PREFETCH"; rcmd=$(as_pg "$WF" -c "$dir/walferry.yaml" restore-command) ;;
      # the same queue behind the plain line users write by hand: the launcher for every segment
      wf-launcher) wf_yaml "$dir/walferry.yaml" "$PREFETCH"; rcmd="$WF -c $dir/walferry.yaml archive-get %f \"%p\"" ;;
      wf-noprefetch) wf_yaml "$dir/walferry.yaml" 0; rcmd="$WF -c $dir/walferry.yaml archive-get %f \"%p\"" ;;
      pgbackrest)
        PGBR_EXTRA="archive-get-queue-max=268435456" pgbr_conf "$dir" "$d" lz4 async "repo1-path=$AB_WORK/pgbr/repo"
        rcmd="$PGBACKREST_BIN --config=$dir/pgbackrest.conf --stanza=$STANZA archive-get %f \"%p\"" ;;
      *) die "unknown row $c" ;;
    esac
    printf "archive_mode = off\nhot_standby = on\nrestore_command = '%s'\n" "${rcmd//\'/\'\'}" >>"$d/postgresql.conf"
    [[ $c == pg-stream ]] && echo "primary_conninfo = 'host=127.0.0.1 port=$sport user=postgres application_name=bench'" >>"$d/postgresql.conf"
    as_pg touch "$d/standby.signal"
    sync # the copies above are on disk before the clock starts, for every row alike
    case ${SOURCES:-cached} in
      cached)
        case $c in
          wf-*) find "$AB_WORK/wf-repo" -type f -exec cat {} + >/dev/null ;;
          pgbackrest) find "$AB_WORK/pgbr/repo" -type f -exec cat {} + >/dev/null ;;
        esac ;;
      disk) echo 3 >/proc/sys/vm/drop_caches ;;
      as-copied) ;;
      *) die "SOURCES must be cached, disk or as-copied" ;;
    esac
    # WARM_GB=N: N GiB written to /dev/shm and freed just before the clock. This VM hands freed memory back
    # to its host within seconds, and a write to such a page costs 14x one to a page freed a moment ago
    # (docs/benchmarks.md): warm, every row starts with the fast memory a busy server has.
    if [[ ${WARM_GB:-0} != 0 ]]; then
      dd if=/dev/zero of=/dev/shm/wf-bench-warm bs=1M count=$((WARM_GB * 1024)) status=none; rm -f /dev/shm/wf-bench-warm
    fi
    log "[$c]"
    m=$(cpu_mark); t0=$(now)
    pg_start "$d" "$dir/pg.log"
    ok=yes; wait_for "$port" "select pg_last_wal_replay_lsn() >= '$END_LSN'" || ok=NO
    secs=$(since "$t0"); cpu=$(cpu_since "$m")
    pg_stop "$d" immediate
    if [[ $c == pg-stream ]]; then pg_stop "$dir/src" immediate; [[ ${KEEP:-0} == 1 ]] || rm -rf "$dir/src"; fi
    [[ $c == pgbackrest ]] && reap_pgbackrest 30 "$dir"
    pkill -u postgres -f "archive-prefetch --data-directory $d" 2>/dev/null || true
    steal=${cpu##*/}
    ((attempt < ${ATTEMPTS:-3} && steal > ${STEAL_MAX:-5})) || break
    printf '%-14s reached=%s seconds=%s steal=%s%% > %s%%: not counted, run again %s\n' "$c" "$ok" "$secs" "$steal" "${STEAL_MAX:-5}" "$cpu" | tee -a "$RESULT_FILE"
    [[ ${KEEP:-0} == 1 ]] || rm -rf "$d"
  done
  MBS[$c]=$(calc "$REPLAY_BYTES / 1048576 / $secs" 1)
  SUM[$c]=$(calc "${SUM[$c]:-0} + $secs" 3); N[$c]=$((${N[$c]:-0} + 1))
  printf '%-14s reached=%s seconds=%s MB/s=%s %s\n' "$c" "$ok" "$secs" "${MBS[$c]}" "$cpu" | tee -a "$RESULT_FILE"
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$d"
done
if [[ -n ${MBS[local]:-} ]]; then
  for c in $CONFIGS; do
    [[ $c == local ]] && continue
    printf 'ratio %-14s MB/s / local MB/s = %s / %s = %sx%s\n' "$c" "${MBS[$c]}" "${MBS[local]}" \
      "$(calc "${MBS[$c]} / ${MBS[local]}" 2)" "$([[ $c == wf-prefetch ]] && echo ' (target >= 0.9x)')" | tee -a "$RESULT_FILE"
  done
  # rows named more than once (e.g. "local wf-prefetch wf-prefetch local"): the ratio of the mean times,
  # which cancels the advantage of a row's position in the run
  for c in "${!N[@]}"; do
    [[ $c == local || ${N[$c]} -lt 2 || ${N[local]} -lt 2 ]] && continue
    printf 'ratio %-14s mean of %s runs: local %s s / %s s = %sx%s\n' "$c" "${N[$c]}" "$(calc "${SUM[local]} / ${N[local]}" 2)" \
      "$(calc "${SUM[$c]} / ${N[$c]}" 2)" "$(calc "(${SUM[local]} / ${N[local]}) / (${SUM[$c]} / ${N[$c]})" 2)" \
      "$([[ $c == wf-prefetch ]] && echo ' (target >= 0.9x)')" | tee -a "$RESULT_FILE"
  done
fi
log "results in $RESULT_FILE"
