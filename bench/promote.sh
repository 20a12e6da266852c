#!/usr/bin/env bash
# walferry promote of a caught-up streaming replica after kill -9 of the primary's postmaster, and
# walferry replica rejoin of the old primary, RUNS times back and forth between two nodes under a
# pgbench write load.
#
#   sudo bench/promote.sh            # about 3 minutes
#
# Each run: pgbench (2 clients, TPC-B) writes to the primary; once the replica has replayed what the
# primary had written a moment before, the primary's postmaster is killed (kill -9, its backends die
# with it), and the clock runs while `walferry promote --node REPLICA` fences the old primary on disk,
# promotes and waits for the new timeline's history file in the repository. Then `walferry replica
# rejoin` makes the old primary a streaming replica of the new one (no rewind needed, pg_rewind, or from
# the newest backup: the row says which), and the next run promotes it back. Rows: seconds of each
# promote and rejoin, and their medians.
set -Eeuo pipefail
SELF_DIR=$(cd "$(dirname "$0")" && pwd)
ANCHORS=$(cd "$SELF_DIR/../../shared/bench/anchors" && pwd)
WF_HOME=${WF_HOME:-$(cd "$SELF_DIR/.." && pwd)}
# shellcheck source=/dev/null
source "$ANCHORS/lib.sh"
RUNS=${RUNS:-5}
RESULTS_DIR=${RESULTS_DIR:-$SELF_DIR/results}
[[ -f $WF_HOME/target/walferry.jar ]] || die "build first: ./walferry --version"

ab_setup walferry-promote
mkdir -p "$RESULTS_DIR"
WFX=$AB_WORK/walferry-dist
mkdir -p "$WFX/target" && cp "$WF_HOME/walferry" "$WFX/" && cp "$WF_HOME/target/walferry.jar" "$WFX/target/"
chmod -R a+rX "$WFX" && "$WFX/walferry" self-test >/dev/null || die "self-test failed"

declare -A PORT DIR
for n in pg1 pg2; do PORT[$n]=$(free_port); DIR[$n]=$AB_WORK/$n/data; done
[[ ${PORT[pg1]} != "${PORT[pg2]}" ]] || PORT[pg2]=$(free_port)
mkdir_pg "$AB_WORK/repo" "$AB_WORK/spool" "$AB_WORK/pg1" "$AB_WORK/pg2"
CONF=$AB_WORK/walferry.yaml
cat >"$CONF" <<YAML
cluster: bench
nodes:
  - name: pg1
    host: 127.0.0.1
    port: ${PORT[pg1]}
    data_directory: ${DIR[pg1]}
  - name: pg2
    host: 127.0.0.1
    port: ${PORT[pg2]}
    data_directory: ${DIR[pg2]}
repositories:
  - name: local
    type: fs
    path: $AB_WORK/repo
archive:
  spool_directory: $AB_WORK/spool
YAML
chown postgres "$CONF"
wf() { (cd "$AB_WORK" && as_pg "$WFX/walferry" -c "$CONF" "$@"); }

pg_init "${DIR[pg1]}" "${PORT[pg1]}"
cat >>"${DIR[pg1]}/postgresql.conf" <<EOF
archive_mode = on
archive_command = '$WFX/walferry -c $CONF archive-push %p'
wal_log_hints = on
wal_keep_size = '1GB'
EOF
echo "host replication all 127.0.0.1/32 trust" >>"${DIR[pg1]}/pg_hba.conf"
pg_start "${DIR[pg1]}" "$AB_WORK/pg1.log"
wf repo-create --node pg1 >/dev/null
"$PGBIN/pgbench" -q -i -s 10 -h 127.0.0.1 -p "${PORT[pg1]}" -U postgres postgres >/dev/null 2>&1
wf backup --node pg1 >/dev/null
wf replica create --node pg2 >/dev/null
AB_SERVERS+=("${DIR[pg2]}")

RESULT_FILE=$RESULTS_DIR/promote-$(date +%Y%m%d-%H%M%S).txt
echo "# promote $(date -Is) cores=$(nproc) walferry git=$(git -C "$WF_HOME" rev-parse --short HEAD) runs=$RUNS" | tee "$RESULT_FILE"
printf '%-4s %-10s %-10s %10s %10s  %s\n' run promoted rejoined promote_s rejoin_s rejoined_how | tee -a "$RESULT_FILE"
primary=pg1 replica=pg2
promotes=() rejoins=()
for run in $(seq 1 "$RUNS"); do
  "$PGBIN/pgbench" -n -c 2 -T 600 -h 127.0.0.1 -p "${PORT[$primary]}" -U postgres postgres >/dev/null 2>&1 &
  load=$!
  wait_for "${PORT[$primary]}" "select count(*) > 0 from pg_stat_replication where state = 'streaming'" 60
  sleep 2 # under load for a moment
  lsn=$(q "${PORT[$primary]}" "select pg_current_wal_lsn()")
  wait_for "${PORT[$replica]}" "select pg_last_wal_replay_lsn() >= '$lsn'" 60
  kill -9 "$(pg_pid "${DIR[$primary]}")"
  wait "$load" 2>/dev/null || true
  t0=$(now)
  wf promote --node "$replica" >/dev/null
  p=$(since "$t0")
  t0=$(now)
  how=$(wf replica rejoin --node "$primary" --output json | sed -n 's/.*"how" : "\([a-z_]*\)".*/\1/p')
  r=$(since "$t0")
  printf '%-4s %-10s %-10s %10s %10s  %s\n' "$run" "$replica" "$primary" "$p" "$r" "$how" | tee -a "$RESULT_FILE"
  promotes+=("$p") rejoins+=("$r")
  tmp=$primary primary=$replica replica=$tmp
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median promote $(median "${promotes[@]}") s, median rejoin $(median "${rejoins[@]}") s" | tee -a "$RESULT_FILE"
