#!/usr/bin/env bash
# Monitoring: the walferry agent's GET /metrics against prometheus-postgres-exporter's, on the same node in the
# same run: scrape latency, and each process's CPU and resident memory, at one scrape per second of each,
#   phase "archiving": while the agent archives the anchors' cached WAL backlog (149 segments, 2.4 GB) to a
#                      filesystem repository (the exporter scrapes the same server meanwhile);
#   phase "idle":      IDLE_SECONDS more once the backlog is archived.
#
#   sudo bench/monitoring.sh                      # ~3 min (+4 min the first time: the anchors build the workload)
#
# Each second: curl's time_total of one scrape of each endpoint (the order alternates), and /proc of both
# processes (utime+stime, VmRSS; the agent's resident memory against the 256 MB of #21). The agent's CPU in the
# archiving phase is mostly archiving; the idle phase is what scraping (and its reading the node each second) costs. The walferry build is frozen as in archive.sh (this script never builds).
#
# Env: WF_HOME (default: this script's repo)  EXPORTER (default /usr/bin/prometheus-postgres-exporter, Debian's
#      package prometheus-postgres-exporter)  IDLE_SECONDS=60  RESULTS_DIR (default bench/results)  KEEP=1
set -Eeuo pipefail

SELF_DIR=$(cd "$(dirname "$0")" && pwd)
ANCHORS=$(cd "$(dirname "$0")/../../shared/bench/anchors" && pwd) ||
  { echo "anchors not found at $(dirname "$0")/../../shared/bench/anchors" >&2; exit 2; }
WF_HOME=${WF_HOME:-$(cd "$SELF_DIR/.." && pwd)}
# shellcheck source=/dev/null
source "$ANCHORS/lib.sh"
EXPORTER=${EXPORTER:-/usr/bin/prometheus-postgres-exporter}
IDLE_SECONDS=${IDLE_SECONDS:-60}
RESULTS_DIR=${RESULTS_DIR:-$SELF_DIR/results}
need curl setpriv "$EXPORTER"
[[ -f $WF_HOME/target/walferry.jar ]] || die "$WF_HOME/target/walferry.jar is missing: build it first (this script never builds)"
PG_UID=$(id -u postgres)
PG_GID=$(id -g postgres)
CLK_TCK=$(getconf CLK_TCK)

ab_setup walferry-monitoring
AGENT=""
EXPORTER_PID=""
mon_cleanup() {
  local rc=$? p
  set +e
  for p in $AGENT $EXPORTER_PID; do
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null
  done
  (exit $rc)
  ab_cleanup
}
trap mon_cleanup EXIT
mkdir -p "$RESULTS_DIR"

# the frozen build, as archive.sh makes it
WFX=$AB_WORK/walferry-dist
mkdir -p "$WFX/target"
cp "$WF_HOME/walferry" "$WFX/walferry"
cp "$WF_HOME/target/walferry.jar" "$WFX/target/walferry.jar"
chmod 755 "$WFX" "$WFX/target" "$WFX/walferry"; chmod 644 "$WFX/target/walferry.jar"
"$WFX/walferry" self-test >/dev/null || die "walferry self-test failed in $WFX"
WF_GIT=${WF_GIT:-$(git -C "$WF_HOME" rev-parse --short HEAD 2>/dev/null || echo unknown)}

# as postgres, in the background, with $! the program itself (setpriv execs)
bg_as_pg() { # logfile cmd...
  local logf=$1; shift
  setpriv --reuid="$PG_UID" --regid="$PG_GID" --init-groups \
    env HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres "$@" >"$logf" 2>&1 </dev/null &
}
cpu_s() { awk -v t="$CLK_TCK" '{ sub(/^.*\) /, ""); printf "%.2f", ($12+$13)/t }' "/proc/$1/stat"; }
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2/1024 }' "/proc/$1/status"; }
scrape_ms() { curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 10 "$1" | awk '$1 == 200 { printf "%.2f", $2*1000 }'; }
# the agent's scrape, and the part of it that gathered the values (walferry_scrape_collect_seconds: the agent reads the
# node and the backlog every second in the background, so this is the last readings, not the reading itself)
scrape_wf_ms() {
  local t
  t=$(curl -s -o "$AB_WORK/wf.txt" -w '%{http_code} %{time_total}\n' --max-time 10 "$WF_URL" | awk '$1 == 200 { printf "%.2f", $2*1000 }')
  [[ -n $t ]] && echo "$t $(awk '/^walferry_scrape_collect_seconds/ { printf "%.2f", $NF*1000 }' "$AB_WORK/wf.txt")"
}

ensure_workload
dir=$AB_WORK/node
port=$(free_port); wf_port=$(free_port); ex_port=$(free_port)
clone_primary "$dir/pg" "$port"
mkdir_pg "$dir/repo" "$dir/spool"
cat >"$dir/walferry.yaml" <<YAML
cluster: bench
nodes:
  - name: pg1
    port: $port
    data_directory: $dir/pg
    metrics_port: $wf_port
repositories:
  - name: local
    type: fs
    path: $dir/repo
archive:
  compression: lz4
  workers: 2
  spool_directory: $dir/spool
YAML
chown postgres:postgres "$dir/walferry.yaml"
pg_start "$dir/pg" "$dir/pg.log"
as_pg "$WFX/walferry" -c "$dir/walferry.yaml" repo-create >"$dir/repo-create.log" 2>&1 || { cat "$dir/repo-create.log" >&2; die "repo-create failed"; }

bg_as_pg "$dir/agent.log" "$WFX/walferry" -c "$dir/walferry.yaml" agent
AGENT=$!
bg_as_pg "$dir/exporter.log" env DATA_SOURCE_NAME="postgresql://postgres@127.0.0.1:$port/postgres?sslmode=disable" \
  "$EXPORTER" --web.listen-address="127.0.0.1:$ex_port"
EXPORTER_PID=$!
WF_URL=http://127.0.0.1:$wf_port/metrics
EX_URL=http://127.0.0.1:$ex_port/metrics
for i in $(seq 1 300); do
  [[ -n $(scrape_ms "$WF_URL") && -n $(scrape_ms "$EX_URL") ]] && break
  kill -0 "$AGENT" 2>/dev/null || { cat "$dir/agent.log" >&2; die "the agent exited"; }
  kill -0 "$EXPORTER_PID" 2>/dev/null || { cat "$dir/exporter.log" >&2; die "the exporter exited"; }
  sleep 0.2
done
# one scrape each before the clock: both processes have answered once (the agent's JIT, the exporter's connection)
scrape_ms "$WF_URL" >/dev/null; scrape_ms "$EX_URL" >/dev/null

RESULT_FILE=$RESULTS_DIR/monitoring-$(date +%Y%m%d-%H%M%S).txt
{
  echo "# monitoring $(date -Is) host=$(hostname) cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# walferry git=$WF_GIT | $("$EXPORTER" --version 2>&1 | head -1) | workload: $N_READY files, $(mb "$WAL_BYTES") MB of WAL"
  echo "# per phase: scrapes, latency of each (curl time_total), CPU seconds and CPU% of each process, resident memory max"
} | tee "$RESULT_FILE"

sample() { # phase
  local phase=$1 t0 n=0 w e
  t0=$(now)
  while :; do
    if ((n % 2)); then e=$(scrape_ms "$EX_URL"); w=$(scrape_wf_ms); else w=$(scrape_wf_ms); e=$(scrape_ms "$EX_URL"); fi
    read -r w wc <<<"$w"
    echo "$phase ${w:--} ${e:--} $(rss_mb "$AGENT") $(rss_mb "$EXPORTER_PID") ${wc:--}" >>"$AB_WORK/samples.txt"
    n=$((n + 1))
    if [[ $phase == archiving ]]; then
      [[ $(q_try "$port" "select archived_count >= $N_READY from pg_stat_archiver") == t ]] && break
      awk -v e="$(since "$t0")" -v m="$WAIT_MAX" 'BEGIN{exit !(e>m)}' && { log "the backlog was not archived in ${WAIT_MAX}s"; break; }
    else
      awk -v e="$(since "$t0")" -v m="$IDLE_SECONDS" 'BEGIN{exit !(e>=m)}' && break
    fi
    # one scrape of each per second
    sleep "$(awk -v e="$(since "$t0")" -v n="$n" 'BEGIN{d = n - e; printf "%.3f", (d > 0 ? d : 0)}')"
  done
  echo "$(since "$t0")"
}
report() { # phase seconds wf_cpu ex_cpu
  local phase=$1 secs=$2
  emit_lat() { awk -v p="$phase" -v c="$1" '$1 == p && $c != "-" { print $c }' "$AB_WORK/samples.txt" | lat_stats; }
  emit_rss() { awk -v p="$phase" -v c="$1" '$1 == p && $c != "-" && $c + 0 > m { m = $c + 0 } END { printf "%.1f", m }' "$AB_WORK/samples.txt"; }
  printf '%-9s %6.1f s | walferry agent: scrape %s (of which gathering: %s), cpu_s=%s (%s%%), rss_max=%s MB | postgres_exporter: scrape %s, cpu_s=%s (%s%%), rss_max=%s MB\n' \
    "$phase" "$secs" "$(emit_lat 2)" "$(emit_lat 6 | sed 's/^n=[0-9]* //')" "$3" "$(calc "100 * $3 / $secs" 1)" "$(emit_rss 4)" \
    "$(emit_lat 3)" "$4" "$(calc "100 * $4 / $secs" 1)" "$(emit_rss 5)" | tee -a "$RESULT_FILE"
}

: >"$AB_WORK/samples.txt"
sq="'"
cmd="$WFX/walferry -c $dir/walferry.yaml archive-push %p"
log "archiving $N_READY files while scraping both endpoints every second"
wc0=$(cpu_s "$AGENT"); ec0=$(cpu_s "$EXPORTER_PID")
q "$port" "alter system set archive_command = '${cmd//$sq/$sq$sq}'" >/dev/null
q "$port" "select pg_reload_conf()" >/dev/null
secs=$(sample archiving)
wc1=$(cpu_s "$AGENT"); ec1=$(cpu_s "$EXPORTER_PID")
report archiving "$secs" "$(calc "$wc1 - $wc0")" "$(calc "$ec1 - $ec0")"
log "idle for ${IDLE_SECONDS}s, still scraping"
secs=$(sample idle)
wc2=$(cpu_s "$AGENT"); ec2=$(cpu_s "$EXPORTER_PID")
report idle "$secs" "$(calc "$wc2 - $wc1")" "$(calc "$ec2 - $ec1")"
echo "# series: walferry $(curl -s "$WF_URL" | grep -vc '^#'), postgres_exporter $(curl -s "$EX_URL" | grep -vc '^#')" | tee -a "$RESULT_FILE"
log "results in $RESULT_FILE"
