#!/usr/bin/env bash
# walferry router against PgBouncer 1.18 and pgpool-II 4.3 (Debian's packages) on the same pgbench work, with the floor:
# HAProxy 2.6 in TCP mode (Debian's package: a proxy doing no protocol work) and direct connections to PostgreSQL 15
# (issue #20).
#
#   sudo bench/router.sh                                         # every mode, both workloads, 8 64 256 clients
#   sudo CLIENTS_LIST="8 64" WORKLOADS=select-only DURATION=10 bench/router.sh
#
# Needs pgbouncer, haproxy and pgpool2 (installed with apt-get when missing, with a policy-rc.d that keeps their
# services from starting), the anchors' lib.sh (../../shared/bench/anchors), and target/walferry.jar (mvn -DskipTests package).
#
# One PostgreSQL (pgbench -i -s SCALE, max_connections 1000); pgbench -n -M simple, -j PB_THREADS, -T DURATION, for each
# workload (WORKLOADS: select-only = -S, tpcb = the default TPC-B-like script), client count (CLIENTS_LIST) and mode
# (MODES, in this order, interleaved so that noise spreads over all):
#   direct            to PostgreSQL
#   haproxy           HAProxy, mode tcp, one server
#   pgbouncer-session PgBouncer, pool_mode session, pool_size 300 (a server connection per client, as HAProxy)
#   pgbouncer-tx      PgBouncer, pool_mode transaction, pool_size POOL_SIZE
#   pgpool            pgpool-II in raw mode (one backend, no load balancing, no replication checks): connection pooling
#                     (connection_cache on, max_pool 1), num_init_children PGPOOL_CHILDREN (a process per client)
#   walferry-session  walferry router's rw endpoint, session pooling, pool_size 300
#   walferry-tx       walferry router's rw endpoint, transaction pooling, pool_size POOL_SIZE
# Each row: tps, latency p50 and p99 (ms, from pgbench's per-transaction log), tps ratio to haproxy and to direct, the
# machine's CPU split, the proxy's own CPU per transaction (us; on a loaded machine steadier than the tps), and for
# walferry rows the router's RSS (MB) at the end of the run.
# Results in bench/results/router-<time>.txt (RESULTS_DIR).
#
# Env: SCALE_=10 DURATION=20 CLIENTS_LIST="8 64 256" WORKLOADS="select-only tpcb" MODES=... POOL_SIZE=20 PB_THREADS=2
#      WARMUP=5 PGPOOL_CHILDREN=272 ROUTER_JVM_OPTS (extra JVM options for the router)  KEEP=1
set -Eeuo pipefail

SELF_DIR=$(cd "$(dirname "$0")" && pwd)
ANCHORS=$(cd "$(dirname "$0")/../../shared/bench/anchors" && pwd) ||
  { echo "anchors not found at $(dirname "$0")/../../shared/bench/anchors" >&2; exit 2; }
WF_HOME=${WF_HOME:-$(cd "$SELF_DIR/.." && pwd)}
# shellcheck source=/dev/null
source "$ANCHORS/lib.sh"

install_missing() { # binary package
  [[ -x $1 ]] && return 0
  log "installing $2"
  local policy=0
  # no service of the package may start (a pgpool2 on its default port, say): a policy-rc.d says no, then goes
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null; }
  ((policy)) && rm -f /usr/sbin/policy-rc.d
  return 0
}
install_missing /usr/sbin/pgbouncer pgbouncer
install_missing /usr/sbin/haproxy haproxy
install_missing /usr/sbin/pgpool pgpool2
need /usr/sbin/pgbouncer /usr/sbin/haproxy /usr/sbin/pgpool "$WF_HOME/walferry"
[[ -f $WF_HOME/target/walferry.jar ]] || die "build walferry first: mvn -DskipTests package"

SCALE_=${SCALE_:-10}
DURATION=${DURATION:-20}
CLIENTS_LIST=${CLIENTS_LIST:-8 64 256}
WORKLOADS=${WORKLOADS:-select-only tpcb}
MODES=${MODES:-direct haproxy pgbouncer-session pgbouncer-tx pgpool walferry-session walferry-tx}
POOL_SIZE=${POOL_SIZE:-20}
PB_THREADS=${PB_THREADS:-2}
WARMUP=${WARMUP:-5}
PGPOOL_CHILDREN=${PGPOOL_CHILDREN:-272}
RESULTS_DIR=${RESULTS_DIR:-$SELF_DIR/results}

ab_setup router
mkdir -p "$RESULTS_DIR"
RESULT_FILE=$RESULTS_DIR/router-$(date +%Y%m%d-%H%M%S).txt

PGPORT_=$(free_port)
D=$AB_WORK/pg
pg_init "$D" "$PGPORT_"
# every pool of every mode stays open (256 + 256 session, pgpool's PGPOOL_CHILDREN, 2 x POOL_SIZE) beside 256 direct clients
sed -i -e 's/^max_connections = .*/max_connections = 1500/' "$D/postgresql.conf"
pg_start "$D" "$AB_WORK/pg.log"
log "pgbench -i -s $SCALE_ on port $PGPORT_"
"$PGBIN/pgbench" -h 127.0.0.1 -p "$PGPORT_" -U postgres -i -s "$SCALE_" -q postgres >"$AB_WORK/init.log" 2>&1
q "$PGPORT_" "vacuum analyze" >/dev/null

wait_port() { # port what
  local t0; t0=$(now)
  until "$PGBIN/psql" -XAtq -h 127.0.0.1 -p "$1" -U postgres -d "${3:-postgres}" -c "select 1" >/dev/null 2>&1; do
    awk -v e="$(since "$t0")" 'BEGIN{exit !(e>180)}' && die "$2 not answering on port $1 after 180s"
    sleep 0.3
  done
}

# HAProxy: TCP only
HPORT=$(free_port)
cat >"$AB_WORK/haproxy.cfg" <<EOF
global
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
listen pg
  bind 127.0.0.1:$HPORT
  server pg1 127.0.0.1:$PGPORT_
EOF
/usr/sbin/haproxy -db -f "$AB_WORK/haproxy.cfg" >"$AB_WORK/haproxy.log" 2>&1 &
AB_PIDS+=($!)
HAPROXY_PID=$!
wait_port "$HPORT" haproxy

# PgBouncer: a database alias per pool mode
BPORT=$(free_port)
BDIR=$AB_WORK/pgbouncer
mkdir_pg "$BDIR"
echo '"postgres" ""' >"$BDIR/userlist.txt"
cat >"$BDIR/pgbouncer.ini" <<EOF
[databases]
bench_session = host=127.0.0.1 port=$PGPORT_ dbname=postgres user=postgres pool_mode=session pool_size=300
bench_tx      = host=127.0.0.1 port=$PGPORT_ dbname=postgres user=postgres pool_mode=transaction pool_size=$POOL_SIZE

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BPORT
unix_socket_dir =
auth_type = trust
auth_file = $BDIR/userlist.txt
max_client_conn = 1000
max_db_connections = 0
ignore_startup_parameters = extra_float_digits
logfile = $BDIR/pgbouncer.log
pidfile = $BDIR/pgbouncer.pid
log_connections = 0
log_disconnections = 0
EOF
chown -R postgres:postgres "$BDIR"
as_pg /usr/sbin/pgbouncer -d "$BDIR/pgbouncer.ini"
for _ in $(seq 1 50); do [[ -s $BDIR/pgbouncer.pid ]] && break; sleep 0.1; done
[[ -s $BDIR/pgbouncer.pid ]] || { tail "$BDIR/pgbouncer.log" >&2; die "pgbouncer did not start"; }
AB_PIDS+=("$(cat "$BDIR/pgbouncer.pid")")
wait_port "$BPORT" pgbouncer bench_tx

# pgpool-II: a pooling proxy in front of the one server, as comparable as it gets: raw mode (no streaming-replication
# checks), no load balancing, no health checks; a child process per client, each caching its server connection
PPORT=$(free_port)
PDIR=$AB_WORK/pgpool
mkdir_pg "$PDIR"
cat >"$PDIR/pgpool.conf" <<EOF
backend_clustering_mode = 'raw'
listen_addresses = '127.0.0.1'
port = $PPORT
unix_socket_directories = '$PDIR'
pcp_listen_addresses = ''
pcp_port = $(free_port)
pcp_socket_dir = '$PDIR'
backend_hostname0 = '127.0.0.1'
backend_port0 = $PGPORT_
backend_weight0 = 1
backend_flag0 = 'DISALLOW_TO_FAILOVER'
num_init_children = $PGPOOL_CHILDREN
max_pool = 1
reserved_connections = 0
listen_backlog_multiplier = 2
child_life_time = 0
child_max_connections = 0
connection_life_time = 0
client_idle_limit = 0
connection_cache = on
load_balance_mode = off
enable_pool_hba = off
health_check_period = 0
sr_check_period = 0
failover_on_backend_error = off
use_watchdog = off
log_destination = 'stderr'
log_connections = off
log_statement = off
logdir = '$PDIR'
pid_file_name = '$PDIR/pgpool.pid'
EOF
: >"$PDIR/pcp.conf"
chown -R postgres:postgres "$PDIR"
# pgpool's own pid, not runuser's: a signal to runuser would leave pgpool and its children running. Fast shutdown
# (SIGINT) ends the children too; it goes first on exit, before lib.sh's cleanup stops PostgreSQL.
stop_pgpool() {
  local p
  p=$(tr -d '\0\n' 2>/dev/null <"$PDIR/pgpool.pid") || return 0
  kill -INT "$p" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$p" 2>/dev/null || true
}
trap 'stop_pgpool; ab_cleanup' EXIT
as_pg /usr/sbin/pgpool -n -f "$PDIR/pgpool.conf" -F "$PDIR/pcp.conf" >"$PDIR/pgpool.log" 2>&1 &
wait_port "$PPORT" pgpool

# walferry router: rw in session mode, and (another router) in transaction mode
WSPORT=$(free_port)
WTPORT=$(free_port)
start_router() { # name port mode pool_size
  local conf=$AB_WORK/walferry-$1.yaml
  mkdir -p "$AB_WORK/repo"
  cat >"$conf" <<EOF
cluster: bench
nodes:
  - name: pg1
    port: $PGPORT_
    data_directory: $D
repositories:
  - name: local
    type: fs
    path: $AB_WORK/repo
router:
  auth: trust
  metrics_port: 0
  max_client_connections: 1000
  endpoints:
    rw: { port: $2, pool_mode: $3, pool_size: $4 }
EOF
  WALFERRY_JVM_OPTS="${ROUTER_JVM_OPTS:-}" "$WF_HOME/walferry" -c "$conf" router >"$AB_WORK/router-$1.log" 2>&1 &
  AB_PIDS+=($!)
  eval "ROUTER_PID_$1=$!"
  wait_port "$2" "walferry router ($3)"
}
start_router session "$WSPORT" session 300
start_router tx "$WTPORT" transaction "$POOL_SIZE"

# -> "tps p50_ms p99_ms cpu"
pb() { # port db clients workload-args...
  local port=$1 db=$2 c=$3 out m lat=$AB_WORK/lat; shift 3
  rm -rf "$lat"; mkdir -p "$lat"
  m=$(cpu_mark)
  out=$("$PGBIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -M simple -c "$c" -j "$PB_THREADS" -T "$DURATION" \
    --log --log-prefix="$lat/tx" "$@" "$db" 2>&1) || { { echo "$out" | grep -m3 "error" ; echo "$out" | tail -5; } >&2; echo "0 0 0 failed"; return 0; }
  read -r p50 p99 < <(cat "$lat"/tx* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END{
    if (NR==0) {print "0 0"; exit} printf "%.2f %.2f\n", a[int((NR-1)*0.50)+1]/1000, a[int((NR-1)*0.99)+1]/1000}')
  awk -v c="$(cpu_since "$m")" -v p50="$p50" -v p99="$p99" '/^tps = /{t=$3} END{printf "%s %s %s %s\n", t, p50, p99, c}' <<<"$out"
}

# CPU (user + system) a process used so far, in clock ticks; "pgpool": all of pgpool's processes (one per client)
cpu_ticks() {
  if [[ $1 == pgpool ]]; then
    local p t=0
    for p in $(pgrep -d ' ' -x pgpool); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
    echo "$t"
  else
    awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
  fi
}

rss_mb() { awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

echo "# router $(date -Is) cores=$(nproc) pg=15 pgbouncer=$(/usr/sbin/pgbouncer --version | head -1 | awk '{print $2}') pgpool=$(/usr/sbin/pgpool --version 2>&1 | awk '{print $3}') haproxy=$(/usr/sbin/haproxy -v | head -1 | awk '{print $3}') scale=$SCALE_ duration=${DURATION}s threads=$PB_THREADS tx_pool_size=$POOL_SIZE walferry=$(git -C "$WF_HOME" rev-parse --short HEAD 2>/dev/null || echo ?) load=$(cut -d' ' -f1-3 /proc/loadavg)" | tee "$RESULT_FILE"

log "warm-up ${WARMUP}s through each"
for port_db in "$PGPORT_ postgres" "$HPORT postgres" "$BPORT bench_tx" "$PPORT postgres" "$WSPORT postgres" "$WTPORT postgres"; do
  read -r port db <<<"$port_db"
  DURATION=$WARMUP pb "$port" "$db" 8 -S >/dev/null
done

for wl in $WORKLOADS; do
  case $wl in select-only) args=(-S) ;; tpcb) args=() ;; *) die "unknown workload $wl" ;; esac
  for c in $CLIENTS_LIST; do
    direct="" floor=""
    for mode in $MODES; do
      rss=""
      case $mode in
        direct) port=$PGPORT_ db=postgres ;;
        haproxy) port=$HPORT db=postgres ;;
        pgbouncer-session) port=$BPORT db=bench_session ;;
        pgbouncer-tx) port=$BPORT db=bench_tx ;;
        pgpool) port=$PPORT db=postgres ;;
        walferry-session) port=$WSPORT db=postgres ;;
        walferry-tx) port=$WTPORT db=postgres ;;
        *) die "unknown mode $mode" ;;
      esac
      case $mode in
        haproxy) proxy=$HAPROXY_PID ;;
        pgbouncer-*) proxy=$(cat "$BDIR/pgbouncer.pid") ;;
        pgpool) proxy=pgpool ;;
        walferry-session) proxy=$ROUTER_PID_session ;;
        walferry-tx) proxy=$ROUTER_PID_tx ;;
        *) proxy="" ;;
      esac
      t0=$([[ -n $proxy ]] && cpu_ticks "$proxy" || echo 0)
      log "$wl, $c clients: $mode (${DURATION}s)"
      read -r tps p50 p99 cpu < <(pb "$port" "$db" "$c" "${args[@]}")
      # the proxy's own CPU per transaction: less at the mercy of the machine's other load than its throughput
      pcpu=$([[ -n $proxy ]] && awk -v a="$t0" -v b="$(cpu_ticks "$proxy")" -v hz="$(getconf CLK_TCK)" -v n="$tps" -v d="$DURATION" \
        'BEGIN{ if (n>0) printf " proxy_cpu_us_per_tx=%.1f", (b-a)/hz*1e6/(n*d); }' || true)
      case $mode in
        direct) direct=$tps ;;
        haproxy) floor=$tps ;;
        walferry-session) rss=" router_rss_mb=$(rss_mb "$ROUTER_PID_session")" ;;
        walferry-tx) rss=" router_rss_mb=$(rss_mb "$ROUTER_PID_tx")" ;;
      esac
      printf 'workload=%-11s clients=%-3s mode=%-17s tps=%9.1f p50_ms=%7.2f p99_ms=%7.2f vs_haproxy=%-5s vs_direct=%-5s %s%s\n' \
        "$wl" "$c" "$mode" "$tps" "$p50" "$p99" \
        "$(awk -v a="$tps" -v b="$floor" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }')" \
        "$(awk -v a="$tps" -v b="$direct" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }')" "$cpu" "$pcpu$rss" | tee -a "$RESULT_FILE"
    done
  done
done
log "results in $RESULT_FILE"
