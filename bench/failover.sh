#!/usr/bin/env bash
# Failover and switchover of walferry's HA (docs/ha.md) against Patroni 3.0.2 (Debian's package) on the same etcd
# 3.4, same machine; and the visible-data lag of a streaming replica 80 ms of round trip away (issue #18).
#
#   sudo bench/failover.sh                                   # every section, about an hour on 2 busy cores
#   sudo SECTIONS="walferry sync" RUNS=3 bench/failover.sh   # some sections (each one stands alone)
#
# Needs Debian's patroni (3.0.2; pulls python3-psycopg2 and python3-etcd) and etcd-server (/usr/bin/etcd): installed
# here with apt-get when missing (the container's policy-rc.d keeps their services from starting), and python3, curl.
# One etcd member on loopback ports serves every section; each tool gets its own key prefix.
#
# Sections (SECTIONS, default "walferry patroni sync lag"):
#   walferry, patroni   three nodes on loopback (walferry: a primary made by initdb and two replicas by `walferry
#       replica create`, one agent per node; Patroni: bootstrapped by Patroni, one patroni per node), once per
#       setting (SETTINGS, default "default fast"): `default` is each tool's own (ttl 30 s, loop_wait 10 s,
#       retry_timeout 10 s for both), `fast` the same for both: ttl 10 s, loop_wait 1 s, retry_timeout 2 s. RUNS
#       events (default 5) of each scenario (SCENARIOS, default "crash lost switchover"):
#         crash       kill -9 of the primary's postmaster, its agent (its patroni) alive
#         lost        the primary's node is lost: kill -9 of its agent, its watchdog and its postmaster (walferry),
#                     of patroni and its postmaster (Patroni); the node comes back afterwards, before the next run
#         switchover  `walferry switchover --to N` / `patronictl switchover --candidate N --force`, N a replica
#         crashloop   (not in the default list) crash, then kill -9 again each time the node is a writable primary
#                     again, 3 times: the tool should restart it in place every time (docs/benchmarks.md)
#       The client (failover_client.py writer) inserts one row every 10 ms through a multi-host
#       target_session_attrs=read-write connection string and retries every 50 ms after an error.
#       recovery_s = the kill to the first write acknowledged after it; downtime_s (switchover) = the longest gap
#       between two acknowledged writes. lost = acknowledged ids missing on the primary afterwards. Each event
#       comes after a random pause in [0, loop_wait), so that it falls anywhere in the HA loop's period.
#       Columns after the figures: where the time went, from the logs (seconds after the event).
#   sync    walferry with `synchronous: on` at the fast setting: RUNS node losses under the same client; every
#           acknowledged id must be on the new primary (lost must be 0).
#   lag     one primary under the demo's write load (one client inserting batches of 200 rows, back to back),
#           two streaming replicas behind one TCP proxy adding LAG_DELAY_MS (40) each way: one made by `walferry
#           replica create` (its primary_conninfo then pointed at the proxy), one by pg_basebackup -R through the
#           proxy (PostgreSQL's own streaming; walferry's replica streams the same way, with a slot). A heartbeat
#           row is updated every 100 ms on the primary with clock_timestamp(); each replica reads clock_timestamp()
#           - that every 100 ms on average; lag p50/p99 over LAG_SECONDS (60).
#
# Results: one line per event and the medians, in results/failover-<time>.txt (RESULTS_DIR).
set -Eeuo pipefail
SELF_DIR=$(cd "$(dirname "$0")" && pwd)
ANCHORS=$(cd "$SELF_DIR/../../shared/bench/anchors" && pwd)
WF_HOME=${WF_HOME:-$(cd "$SELF_DIR/.." && pwd)}
# shellcheck source=/dev/null
source "$ANCHORS/lib.sh"
PYTHON=${PYTHON:-/usr/bin/python3}   # Debian's, with the python3-* packages (not a pyenv shim)
# Debian's packages, once: apt-get only runs when something is missing (update only if the install cannot find them)
apt_install() { # package...
  log "installing $* (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; } ||
    die "apt-get install $* failed"
}
[[ -x /usr/bin/etcd ]] || apt_install etcd-server
{ command -v patroni && command -v patronictl && "$PYTHON" -c 'import psycopg2'; } >/dev/null 2>&1 || apt_install patroni
need curl "$PYTHON" /usr/bin/etcd patroni patronictl
[[ $(patroni --version | awk '{print $2}') == 3.0.2 ]] || log "WARNING: patroni $(patroni --version) is not the 3.0.2 the figures were taken with"
SECTIONS=${SECTIONS:-"walferry patroni sync lag"}
SETTINGS=${SETTINGS:-"default fast"}
SCENARIOS=${SCENARIOS:-"crash lost switchover"}
RUNS=${RUNS:-5}
LAG_SECONDS=${LAG_SECONDS:-60}
LAG_DELAY_MS=${LAG_DELAY_MS:-40}
RESULTS_DIR=${RESULTS_DIR:-$SELF_DIR/results}
CLIENT=$SELF_DIR/failover_client.py
NODES=(pg1 pg2 pg3)
[[ -f $WF_HOME/target/walferry.jar ]] || die "build first: ./walferry --version"

ab_setup walferry-failover
mkdir -p "$RESULTS_DIR"
WFX=$AB_WORK/walferry-dist
mkdir -p "$WFX/target" && cp "$WF_HOME/walferry" "$WFX/" && cp "$WF_HOME/target/walferry.jar" "$WFX/target/"
chmod -R a+rX "$WFX" && "$WFX/walferry" self-test >/dev/null || die "self-test failed"

# ---- processes: every one started here is stopped by PID ------------------------------------------------------
RUNUSERS=()   # runuser PIDs of agents and patronis (their child is the JVM / the python process)
HELPERS=()    # writers, proxies, load
WATCHDOG_FILES=()
fo_cleanup() {
  local rc=$? p c f
  set +e
  for p in "${RUNUSERS[@]}"; do
    for c in $(pgrep -P "$p"); do kill -KILL "$c" 2>/dev/null; done
    kill -KILL "$p" 2>/dev/null
  done
  for p in "${HELPERS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for f in "${WATCHDOG_FILES[@]}"; do kill_watchdog "$f"; done
  (exit "$rc")
  ab_cleanup
}
trap fo_cleanup EXIT

# The watchdog walferry's agent leaves behind (<spool>/<cluster>/<node>/ha/watchdog.pid), by its PID.
kill_watchdog() { # pidfile
  local p
  p=$(cat "$1" 2>/dev/null || true)
  [[ $p =~ ^[0-9]+$ ]] && grep -qa walferry-watchdog "/proc/$p/cmdline" 2>/dev/null && kill -KILL "$p" 2>/dev/null
  return 0
}

declare -A USED_PORTS
port() { local p; while :; do p=$(free_port); [[ -z ${USED_PORTS[$p]:-} ]] && break; done; USED_PORTS[$p]=1; echo "$p"; }

# Polls a command until it succeeds; false after max seconds.
until_true() { # max interval cmd...
  local max=$1 iv=$2 t0; shift 2
  t0=$(now)
  until "$@"; do
    awk -v e="$(since "$t0")" -v m="$max" 'BEGIN{exit !(e>m)}' && return 1
    sleep "$iv"
  done
}
http() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true; }
median() { printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -n | awk '{a[NR]=$1} END{if (!NR) {print "-"; exit}
  printf "%.2f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# "median (min-max)" of the numbers given
spread() { printf '%s (%s)' "$(median "$@")" "$(printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -n | awk 'NR == 1 {a = $1} {b = $1}
  END {if (NR) printf "%.2f-%.2f", a, b; else print "-"}')"; }
# epoch seconds of a log line's "YYYY-MM-DD HH:MM:SS.mmm" (walferry, PostgreSQL) or ",mmm" (Patroni) stamp
stamp() { date -d "$(sed -E 's/^([0-9-]+ [0-9:]+)[.,]([0-9]+).*/\1.\2/' <<<"$1")" +%s.%N; }
# seconds from t0 to the first line after t0 (by its stamp) of a log matching a pattern, or "-"
first_after() { # t0 file pattern
  local line t
  while IFS= read -r line; do
    t=$(stamp "$line" 2>/dev/null) || continue
    if awk -v a="$t" -v b="$1" 'BEGIN{exit !(a>=b)}'; then calc "$t-$1" 2; return; fi
  done < <(grep -aE "$3" "$2" 2>/dev/null | grep -aE '^[0-9]{4}-')
  echo -
}

# ---- etcd: one member on loopback ports, for every section ----------------------------------------------------
ETCD_PORT=$(port)
etcd_peer=$(port)
/usr/bin/etcd --name bench --data-dir "$AB_WORK/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "bench=http://127.0.0.1:$etcd_peer" --initial-cluster-state new >"$AB_WORK/etcd.log" 2>&1 &
AB_PIDS+=($!)
etcd_up() { curl -s --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
until_true 60 0.2 etcd_up || die "etcd did not start (see $AB_WORK/etcd.log)"

RESULT_FILE=$RESULTS_DIR/failover-$(date +%Y%m%d-%H%M%S).txt
{
  echo "# failover $(date -Is) cores=$(nproc) cpu=\"$(lscpu | sed -n 's/^Model name: *//p')\" mem=$(free -g | awk '/^Mem/ {print $2}')GB" \
    "load=$(cut -d' ' -f1-3 /proc/loadavg) walferry git=$(git -C "$WF_HOME" rev-parse --short HEAD)" \
    "patroni=$(patroni --version | awk '{print $2}') etcd=$(/usr/bin/etcd --version | awk '/etcd Version/{print $3}')" \
    "postgres=$("$PGBIN/postgres" --version | awk '{print $3}') sections=\"$SECTIONS\" runs=$RUNS"
} | tee "$RESULT_FILE"
out() { echo "$*" | tee -a "$RESULT_FILE"; }

# ---- the cluster under test: TOOL (wf or pa), its nodes' ports, directories and processes ----------------------
declare -A PORT API DIR RU
TOOL="" WD="" CONF="" LOOP_WAIT=10
DSN=""

# postgresql.conf lines both tools' nodes get (Patroni: as parameters)
COMMON_PARAMS=(shared_buffers=128MB max_connections=100 wal_keep_size=1GB wal_log_hints=on "log_line_prefix='%m [%p] '")
# more settings, e.g. PG_PARAMS="log_min_messages=debug3" to see each restore_command call in the server log
read -r -a PG_EXTRA <<<"${PG_PARAMS:-}"
COMMON_PARAMS+=("${PG_EXTRA[@]}")

alloc_nodes() {
  local n
  for n in "${NODES[@]}"; do PORT[$n]=$(port); API[$n]=$(port); DIR[$n]=$WD/$n/data; mkdir_pg "$WD/$n"; done
  DSN="host=127.0.0.1,127.0.0.1,127.0.0.1 port=${PORT[pg1]},${PORT[pg2]},${PORT[pg3]} user=postgres dbname=postgres"
  DSN+=" target_session_attrs=read-write connect_timeout=2"
}

writable() { [[ $(q_try "${PORT[$1]}" "select pg_is_in_recovery()") == f ]]; }
node_of_port() { local n; for n in "${NODES[@]}"; do [[ ${PORT[$n]} == "$1" ]] && echo "$n"; done; return 0; }

# The member whose API says it is the primary holding the leader key (same path, same status codes, for both tools).
leader() { local n; for n in "${NODES[@]}"; do [[ $(http "http://127.0.0.1:${API[$n]}/primary") == 200 ]] && { echo "$n"; return 0; }; done; return 1; }

# A leader with both other nodes streaming from it and caught up (in sync mode: one of them synchronous), each
# receiving the leader's timeline: a node that left the leader's history (ahead of where the new timeline forked off)
# shows up as streaming for a moment, and as less than 64 kB behind.
healthy() {
  local l s tli n
  l=$(leader) || return 1
  s=$(q_try "${PORT[$l]}" "select count(*) filter (where state = 'streaming' and pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) between 0 and 65536)
    || ':' || count(*) filter (where sync_state in ('sync', 'quorum')) from pg_stat_replication")
  [[ ${s%%:*} == 2 ]] || return 1
  [[ ${SYNC:-off} == off || ${s##*:} -ge 1 ]] || return 1
  tli=$(q_try "${PORT[$l]}" "select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int")
  for n in "${NODES[@]}"; do
    [[ $n == "$l" || $(q_try "${PORT[$n]}" "select status || ':' || received_tli from pg_stat_wal_receiver") == "streaming:$tli" ]] || return 1
  done
  LEADER=$l
}
# healthy now and still 3 s later (a node that cannot follow drops out within that)
healthy_stable() { healthy && sleep 3 && healthy; }
await_healthy() { # max
  until_true "${1:-180}" 0.2 healthy || { diagnose; die "$TOOL cluster not healthy within ${1:-180}s"; }
}

diagnose() {
  local n
  for n in "${NODES[@]}"; do
    log "---- $n: port ${PORT[$n]} api ${API[$n]} /primary $(http "http://127.0.0.1:${API[$n]}/primary") recovery=$(q_try "${PORT[$n]}" "select pg_is_in_recovery()")"
    tail -n 15 "$WD/$TOOL-$n.log" >&2 2>/dev/null || true
  done
}

# ---- walferry ----------------------------------------------------------------------------------------------------
wf() { (cd "$WD" && as_pg "$WFX/walferry" -c "$CONF" "$@"); }

wf_build() { # setting sync(on|off)
  local setting=$1 n
  SYNC=$2 TOOL=wf WD=$AB_WORK/wf-$setting-sync-$2
  mkdir_pg "$WD" "$WD/repo" "$WD/spool"
  alloc_nodes
  CONF=$WD/walferry.yaml
  {
    echo "cluster: bench"
    echo "nodes:"
    for n in "${NODES[@]}"; do
      printf '  - name: %s\n    host: 127.0.0.1\n    port: %s\n    data_directory: %s\n    api_port: %s\n' "$n" "${PORT[$n]}" "${DIR[$n]}" "${API[$n]}"
    done
    printf 'repositories:\n  - name: local\n    type: fs\n    path: %s\narchive:\n  spool_directory: %s\n' "$WD/repo" "$WD/spool"
    printf 'ha:\n  etcd:\n    endpoints: http://127.0.0.1:%s\n  namespace: /walferry-%s-%s\n' "$ETCD_PORT" "$setting" "$$"
    [[ $setting == fast ]] && printf '  ttl: 10s\n  loop_wait: 1s\n  retry_timeout: 2s\n'
    [[ $SYNC == on ]] && printf '  synchronous: on\n  synchronous_count: 1\n'
  } >"$CONF"
  chown postgres "$CONF"
  LOOP_WAIT=$([[ $setting == fast ]] && echo 1 || echo 10)
  wf_primary "${DIR[pg1]}" "${PORT[pg1]}"
  AB_SERVERS+=("${DIR[pg2]}" "${DIR[pg3]}")
  wf repo-create --node pg1 >/dev/null
  q "${PORT[pg1]}" "create table bench_fo (id bigint primary key, at timestamptz not null default clock_timestamp())"
  wf backup --node pg1 >/dev/null
  wf replica create --node pg2 >/dev/null
  wf replica create --node pg3 >/dev/null
  for n in "${NODES[@]}"; do
    WATCHDOG_FILES+=("$WD/spool/bench/$n/ha/watchdog.pid")
    wf_start "$n"
  done
  await_healthy 120
}

# A primary made by initdb that archives through walferry ($CONF) and lets replicas stream; its log beside its data.
wf_primary() { # datadir port
  pg_init "$1" "$2"
  printf '%s\n' "${COMMON_PARAMS[@]/=/ = }" "archive_mode = on" "archive_command = '$WFX/walferry -c $CONF archive-push %p'" \
    >>"$1/postgresql.conf"
  echo "host replication all 127.0.0.1/32 trust" >>"$1/pg_hba.conf"
  pg_start "$1" "$(dirname "$1")/postgres.log"
}

wf_start() { # node
  local n=$1 log=$WD/wf-$1.log
  (cd "$WD" && exec runuser -u postgres -- "$WFX/walferry" -c "$CONF" agent --node "$n") >>"$log" 2>&1 &
  RU[$n]=$!
  RUNUSERS+=($!)
  until_true 60 0.2 grep -q "agent for node" "$log" || die "agent of $n did not start (see $log)"
}

# kill -9 of the JVM (runuser's child) and wait for runuser to go
kill_under() { # node
  local c
  for c in $(pgrep -P "${RU[$1]}"); do kill -KILL "$c" 2>/dev/null || true; done
  kill -KILL "${RU[$1]}" 2>/dev/null || true
  wait "${RU[$1]}" 2>/dev/null || true
}

wf_lose() { # node: the agent, the watchdog and the postmaster, at once
  kill_under "$1"
  kill_watchdog "$WD/spool/bench/$1/ha/watchdog.pid"
  kill -KILL "$(pg_pid "${DIR[$1]}")"
}
wf_back() { wf_start "$1"; }
wf_switchover() { wf switchover --to "$2" >/dev/null 2>>"$WD/switchover.log"; }

teardown() {
  local n
  for n in "${NODES[@]}"; do kill_under "$n"; done
  for n in "${NODES[@]}"; do
    kill_watchdog "$WD/spool/bench/$n/ha/watchdog.pid"
    pg_stop "${DIR[$n]}" immediate
  done
  stop_leftovers "$WD" # a server a killed agent's pg_ctl was still starting
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$WD"
}

# ---- Patroni -----------------------------------------------------------------------------------------------------
pa_build() { # setting
  local setting=$1 n p
  SYNC=off TOOL=pa WD=$AB_WORK/patroni-$setting
  mkdir_pg "$WD"
  alloc_nodes
  LOOP_WAIT=$([[ $setting == fast ]] && echo 1 || echo 10)
  for n in "${NODES[@]}"; do
    mkdir_pg "$WD/$n/pglog"
    {
      printf 'scope: bench\nnamespace: /patroni-%s-%s/\nname: %s\n' "$setting" "$$" "$n"
      printf 'restapi:\n  listen: 127.0.0.1:%s\n  connect_address: 127.0.0.1:%s\n' "${API[$n]}" "${API[$n]}"
      printf 'etcd3:\n  hosts: 127.0.0.1:%s\n  protocol: http\n' "$ETCD_PORT"
      printf 'bootstrap:\n  dcs:\n'
      [[ $setting == fast ]] && printf '    ttl: 10\n    loop_wait: 1\n    retry_timeout: 2\n'
      printf '    postgresql:\n      parameters:\n'
      for p in "${COMMON_PARAMS[@]}"; do printf '        %s: %s\n' "${p%%=*}" "${p#*=}"; done
      printf '  initdb:\n  - encoding: UTF8\n  - locale: C\n'
      printf '  pg_hba:\n  - local all all trust\n  - host replication all 127.0.0.1/32 trust\n  - host all all 127.0.0.1/32 trust\n'
      printf 'postgresql:\n  listen: 127.0.0.1:%s\n  connect_address: 127.0.0.1:%s\n' "${PORT[$n]}" "${PORT[$n]}"
      printf '  data_dir: %s\n  bin_dir: %s\n  pgpass: %s\n' "${DIR[$n]}" "$PGBIN" "$WD/$n/pgpass"
      printf '  authentication:\n    superuser:\n      username: postgres\n    replication:\n      username: postgres\n'
      printf '  parameters:\n    unix_socket_directories: %s\n    logging_collector: on\n    log_directory: %s\n' "$WD/$n" "$WD/$n/pglog"
    } >"$WD/$n.yml"
    chown postgres "$WD/$n.yml"
    AB_SERVERS+=("${DIR[$n]}")
  done
  pa_start pg1
  until_true 120 0.2 leader >/dev/null || { diagnose; die "Patroni did not bootstrap pg1"; }
  q "${PORT[pg1]}" "create table bench_fo (id bigint primary key, at timestamptz not null default clock_timestamp())"
  pa_start pg2
  pa_start pg3
  await_healthy 180
}

pa_start() { # node
  local n=$1
  (cd "$WD" && exec runuser -u postgres -- /usr/bin/patroni "$WD/$n.yml") >>"$WD/pa-$n.log" 2>&1 &
  RU[$n]=$!
  RUNUSERS+=($!)
}
pa_lose() { kill_under "$1"; kill -KILL "$(pg_pid "${DIR[$1]}")"; }
# Patroni runs with its defaults, so without pg_rewind: a lost primary that wrote past the new one's timeline
# switch cannot follow; it is reinitialised (only for the next run, outside any measurement).
pa_back() {
  pa_start "$1"
  until_true 60 0.5 healthy_stable && return 0
  log "  $1 does not follow the new leader: patronictl reinit"
  patronictl -c "$WD/$1.yml" reinit --force bench "$1" >/dev/null
}
pa_switchover() { patronictl -c "$WD/$1.yml" switchover --leader "$1" --candidate "$2" --force bench >/dev/null; }

# ---- one event under the retrying client ---------------------------------------------------------------------
NEXT_ID=1000000
WRITER="" WLOG=""
writer_start() {
  WLOG=$WD/writer-$NEXT_ID.log
  : >"$WLOG"
  "$PYTHON" "$CLIENT" writer "$DSN" "$WLOG" "$NEXT_ID" &
  WRITER=$!
  HELPERS+=($!)
  NEXT_ID=$((NEXT_ID + 1000000))
  until_true 30 0.1 awk '$1 == "ack" {n++} END {exit !(n >= 20)}' "$WLOG" || die "the writer does not write (see $WLOG)"
}
writer_stop() {
  kill -TERM "$WRITER" 2>/dev/null || true
  until_true 15 0.1 bash -c "! kill -0 $WRITER 2>/dev/null" || kill -KILL "$WRITER" 2>/dev/null || true
  wait "$WRITER" 2>/dev/null || true
}
# seconds from t0 to the first write acknowledged after the first error after t0, and the port that acknowledged it
recovered() { # t0
  awk -v t0="$1" '$1 == "err" && $3 > t0 {e = 1} $1 == "ack" && e && $3 > t0 {printf "%.3f %s\n", $3 - t0, $4; found = 1; exit}
    END {exit !found}' "$WLOG"
}
acks_after() { # t0 n
  awk -v t0="$1" -v n="$2" '$1 == "ack" && $3 > t0 {c++} END {exit !(c >= n)}' "$WLOG"
}
longest_gap() { awk '$1 == "ack" {if (p && $3 - p > m) m = $3 - p; p = $3} END {printf "%.3f", m}' "$WLOG"; }
# acknowledged ids of this run missing on the node that acknowledged the last write
lost_writes() {
  local port first
  port=$(awk '$1 == "ack" {p = $4} END {print p}' "$WLOG")
  first=$(awk '$1 == "ack" {print $2; exit}' "$WLOG")
  comm -23 <(awk '$1 == "ack" {print $2}' "$WLOG" | sort) \
    <(q "$port" "select id from bench_fo where id >= $first and id < $first + 1000000" | sort) | wc -l
}
random_pause() { sleep "$(awk -v s="$RANDOM" -v w="$LOOP_WAIT" 'BEGIN{srand(s); printf "%.3f", rand() * w}')"; }

# where walferry's and Patroni's time went, from their logs
explain() { # scenario t0 old new
  local sc=$1 t0=$2 old=$3 new=$4 L=$WD/$TOOL-$3.log N=$WD/$TOOL-$4.log
  case $TOOL:$sc in
    wf:crash) echo "detected=$(first_after "$t0" "$L" 'PostgreSQL is not running on the leader')" \
      "ready=$(first_after "$t0" "${DIR[$old]}/walferry-server.log" 'ready to accept connections')" ;;
    wf:lost | wf:sync) echo "key_taken=$(first_after "$t0" "$N" 'leader key expired')" \
      "promoted=$(first_after "$t0" "$N" 'Promotion: promoted')" "history_archived=$(first_after "$t0" "$N" 'HA: promoted')" ;;
    wf:switchover) echo "handed_over=$(first_after "$t0" "$L" 'switchover: .* holds all WAL')" \
      "promoted=$(first_after "$t0" "$N" 'Promotion: promoted')" ;;
    pa:crash) echo "detected=$(first_after "$t0" "$L" 'starting as readonly|starting primary|restarting after failure')" \
      "promote=$(first_after "$t0" "$L" 'promoted self to leader|cleared rewind state after becoming the leader')" ;;
    pa:lost) echo "key_taken=$(first_after "$t0" "$N" 'promoted self to leader by acquiring session lock')" ;;
    pa:switchover) echo "promote=$(first_after "$t0" "$N" 'promoted self to leader|acquiring session lock')" ;;
  esac
}

# One event of a scenario; prints its row.
event() { # scenario run
  local sc=$1 run=$2 old new t0 r rec how lost gap extra
  await_healthy 240
  old=$LEADER
  writer_start
  random_pause
  case $sc in
    crash)
      t0=$(now); kill -KILL "$(pg_pid "${DIR[$old]}")" ;;
    crashloop) # kill -9 of the primary's postmaster, and again each time it is back as the primary, 3 times
      t0=$(now); kill -KILL "$(pg_pid "${DIR[$old]}")"
      for k in 2 3 4; do
        until_true 60 0.05 writable "$old" || break
        log "  crashloop: $old is the primary again $(since "$t0") s after the first kill: kill -9 number $k"
        kill -KILL "$(pg_pid "${DIR[$old]}")"
      done ;;
    lost | sync)
      t0=$(now); "${TOOL}_lose" "$old" ;;
    switchover)
      for new in "${NODES[@]}"; do [[ $new != "$old" ]] && break; done
      t0=$(now); "${TOOL}_switchover" "$old" "$new" ;;
  esac
  until_true 300 0.1 recovered "$t0" >/dev/null || { writer_stop; diagnose; die "no write acknowledged within 300s of the $sc"; }
  until_true 30 0.1 acks_after "$t0" 100 || true
  writer_stop
  read -r rec how <<<"$(recovered "$t0")"
  new=$(node_of_port "$how")
  gap=$(longest_gap)
  lost=$(lost_writes)
  extra=$(explain "$sc" "$t0" "$old" "$new")
  if [[ $sc == lost || $sc == sync ]]; then
    "${TOOL}_back" "$old"
    await_healthy 240 # the lost node back as a replica: the next event (or the teardown) finds the cluster whole
  fi
  printf '%-9s %-8s %-10s %3s %-4s %-4s %10s %10s %5s  %s\n' "$([[ $TOOL == wf ]] && echo walferry || echo patroni)" "$SETTING" "$sc" \
    "$run" "$old" "$new" "$rec" "$gap" "$lost" "$extra" | tee -a "$RESULT_FILE" >&2
  REC+=("$rec") GAP+=("$gap") LOST+=("$lost")
}

HEADER=$(printf '%-9s %-8s %-10s %3s %-4s %-4s %10s %10s %5s  %s' tool setting scenario run old new recovery_s downtime_s lost "where the time went (s)")

ha_section() { # tool
  local tool=$1 sc run
  for SETTING in $SETTINGS; do
    log "[$tool $SETTING] building the cluster"
    if [[ $tool == walferry ]]; then wf_build "$SETTING" off; else pa_build "$SETTING"; fi
    out "$HEADER"
    for sc in $SCENARIOS; do
      REC=() GAP=() LOST=()
      for run in $(seq 1 "$RUNS"); do event "$sc" "$run"; done
      out "median (min-max) $tool $SETTING $sc: recovery $(spread "${REC[@]}") s, longest gap $(spread "${GAP[@]}") s," \
        "acknowledged writes lost $(printf '%s\n' "${LOST[@]}" | awk '{s += $1} END {print s}') in total"
    done
    teardown
  done
}

sync_section() {
  local run
  SETTING=fast
  log "[walferry synchronous: on] building the cluster"
  wf_build fast on
  out "$HEADER"
  REC=() GAP=() LOST=()
  for run in $(seq 1 "$RUNS"); do event sync "$run"; done
  out "median (min-max) walferry synchronous node lost: recovery $(spread "${REC[@]}") s, longest gap $(spread "${GAP[@]}") s;" \
    "acknowledged writes lost $(printf '%s\n' "${LOST[@]}" | awk '{s += $1} END {print s}') in total (must be 0)"
  teardown
}

# ---- cross-region lag ----------------------------------------------------------------------------------------------
lag_section() {
  local proxy plain=$AB_WORK/lag/plain/data load lsn0 lsn1 t0 name
  TOOL=wf WD=$AB_WORK/lag NODES=(pg1 eu)
  mkdir_pg "$WD" "$WD/repo" "$WD/spool" "$WD/pg1" "$WD/eu" "$WD/plain"
  declare -A LP=([pg1]=$(port) [eu]=$(port) [plain]=$(port))
  proxy=$(port)
  CONF=$WD/walferry.yaml
  cat >"$CONF" <<EOF
cluster: lag
nodes:
  - name: pg1
    host: 127.0.0.1
    port: ${LP[pg1]}
    data_directory: $WD/pg1/data
  - name: eu
    host: 127.0.0.1
    port: ${LP[eu]}
    data_directory: $WD/eu/data
repositories:
  - name: local
    type: fs
    path: $WD/repo
archive:
  spool_directory: $WD/spool
EOF
  chown postgres "$CONF"
  wf_primary "$WD/pg1/data" "${LP[pg1]}"
  AB_SERVERS+=("$WD/eu/data" "$plain")
  wf repo-create --node pg1 >/dev/null
  q "${LP[pg1]}" "create table orders (id bigserial primary key, region text not null, amount numeric not null,
    created timestamptz not null default now());
    insert into orders (region, amount) select 'us-east-1', g % 1000 from generate_series(1, 1000) g;
    create table heartbeat (id int primary key, at timestamptz not null); insert into heartbeat values (1, clock_timestamp())" >/dev/null
  # the agent archives ahead of archive_command, as in the demo
  (cd "$WD" && exec runuser -u postgres -- "$WFX/walferry" -c "$CONF" agent --node pg1) >>"$WD/wf-pg1.log" 2>&1 &
  RUNUSERS+=($!)
  "$PYTHON" "$CLIENT" proxy "$proxy" "${LP[pg1]}" "$LAG_DELAY_MS" >"$WD/proxy.log" 2>&1 &
  HELPERS+=($!)
  answers() { [[ $(q_try "$1" "select 1") == 1 ]]; }
  until_true 10 0.1 answers "$proxy" || die "the proxy does not answer"
  log "[lag] a primary, its proxy on port $proxy, two replicas behind it"
  wf backup --node pg1 >/dev/null
  wf replica create --node eu >/dev/null
  # the cross-region path: the replica reaches the primary through the proxy (reloaded, no restart)
  q "${LP[eu]}" "alter system set primary_conninfo = 'host=127.0.0.1 port=$proxy user=postgres application_name=eu'" >/dev/null
  q "${LP[eu]}" "select pg_reload_conf()" >/dev/null
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$proxy" -U postgres -D "$plain" -X stream -c fast -R -C -S plain
  sed -i -e "s|^port = .*|port = ${LP[plain]}|" "$plain/postgresql.conf"
  pg_start "$plain" "$WD/plain/postgres.log"
  streams_via() { [[ $(q_try "$1" "select status || ':' || sender_port from pg_stat_wal_receiver") == "streaming:$2" ]]; }
  for name in eu plain; do
    until_true 60 0.2 streams_via "${LP[$name]}" "$proxy" || die "replica $name does not stream through the proxy"
  done
  echo "insert into orders (region, amount) select 'us-east-1', random() * 1000 from generate_series(1, 200);" >"$WD/demo.sql"
  lsn0=$(q "${LP[pg1]}" "select pg_current_wal_lsn()")
  "$PGBIN/pgbench" -n -c 1 -T $((LAG_SECONDS + 5)) -f "$WD/demo.sql" -h 127.0.0.1 -p "${LP[pg1]}" -U postgres postgres \
    >"$WD/pgbench.log" 2>&1 &
  load=$!
  HELPERS+=($!)
  sleep 2
  t0=$(now)
  "$PYTHON" "$CLIENT" lag "host=127.0.0.1 port=${LP[pg1]} user=postgres dbname=postgres" "$LAG_SECONDS" "$WD/lag.txt" \
    "walferry=host=127.0.0.1 port=${LP[eu]} user=postgres dbname=postgres" \
    "postgres=host=127.0.0.1 port=${LP[plain]} user=postgres dbname=postgres"
  lsn1=$(q "${LP[pg1]}" "select pg_current_wal_lsn()")
  wait "$load" || true
  out "lag: $(since "$t0") s under the demo's write load ($(awk '/^tps/ {printf "%.0f", $3 * 200}' "$WD/pgbench.log") rows/s," \
    "$(calc "$(q "${LP[pg1]}" "select pg_wal_lsn_diff('$lsn1', '$lsn0')") / 1048576 / $LAG_SECONDS" 2) MB/s of WAL)," \
    "replicas behind a proxy adding ${LAG_DELAY_MS} ms each way"
  for name in walferry postgres; do
    out "$(awk -v n="$name" '$1 == n {print $3}' "$WD/lag.txt" | sort -n | awk -v n="$name" '{a[NR] = $1} END {
      printf "lag %-9s replica: n=%d p50=%.3f s p99=%.3f s max=%.3f s", n, NR, a[int((NR - 1) * 0.50) + 1], a[int((NR - 1) * 0.99) + 1], a[NR]}')"
  done
  NODES=(pg1 pg2 pg3)
}

for s in $SECTIONS; do
  case $s in
    walferry | patroni) ha_section "$s" ;;
    sync) sync_section ;;
    lag) lag_section ;;
    *) die "unknown section $s (walferry patroni sync lag)" ;;
  esac
done
log "done: $RESULT_FILE"
