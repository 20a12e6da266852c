#!/usr/bin/env bash
# WAL archive to a filesystem (REPO=fs) or S3 (REPO=s3) repository: walferry vs pgBackRest, in one
# run, on the same cached WAL backlog (the shared anchor workload).
#
#   sudo bench/archive.sh                          # REPO=fs, all rows, ~4-5 min (+1 min the first time)
#   sudo REPO=s3 CONFIGS="pgbackrest wf-agent" bench/archive.sh
#   CONFIGS="pgbackrest wf-agent" bench/archive-fs.sh   (= REPO=fs bench/archive.sh)
#
# REPO=s3: both tools archive to one S3Proxy (org.gaul:s3proxy, filesystem-nio2 blob store, the jar the
# build copies to target/s3proxy, else $S3PROXY_JAR) over TLS on 127.0.0.1, as the anchors' s3.sh sets it
# up; each row has its own prefix in one bucket, and its size is `du` of that prefix. pgBackRest:
# repo1-type=s3, path-style, verify-tls=n (its usual setup with a self-signed certificate); walferry:
# type s3, path_style, ca_file = the server's certificate (TLS verified).
#
# Rows (CONFIGS, in this order by default):
#   pgbackrest    pgBackRest archive-push, archive-async=y, process-max=2, compress-type=lz4,
#                 posix repo: the anchors' own path (lib.sh pgbr_conf + drain_backlog), i.e.
#                 exactly what `CONFIGS=lz4:async anchors/wal_archive.sh` runs.
#   wf-agent      walferry agent (lz4, 2 workers) + archive_command
#                 '<walferry> -c <yaml> archive-push %p' (the launcher confirms the agent's ack).
#   wf-agent-wrap the same, but archive_command is a tiny bash wrapper that records
#                 $EPOCHREALTIME before/after calling the launcher: archive_command wall time.
#   wf-sync       walferry without the agent: one JVM per archive_command call (reference).
#
# Method: identical to anchors/wal_archive.sh. Copy the cached stopped primary (every WAL segment
# since initdb still .ready), start it with archive_command='', then ALTER SYSTEM SET archive_command
# + pg_reload_conf(); done when pg_stat_archiver.archived_count >= N_READY (failed_count reported).
# seconds = pg_stat_archiver.last_archived_time - clock_timestamp() at the reload.
# For the agent rows the agent (and repo-create) must run before archive_command is set, so the
# agent sees the backlog before the reload. Those rows therefore report two clocks:
#   seconds        from the agent's launch (the earlier of launch and reload; what the MB/s and
#                  the final ratio use: no pushing happens off the clock)
#   from_reload    the anchors' clock taken literally (work the agent did before the reload is
#                  off the clock; shown for transparency, with the number of acks at the reload).
# Per-call latency: gaps between the archiver's DEBUG1 "archived write-ahead log file" lines.
#
# The walferry build is frozen: $WF_HOME/walferry and $WF_HOME/target/walferry.jar are copied into
# the scratch dir and run from there (no pom.xml beside the copy, so the launcher never rebuilds).
# This script never builds; if the jar is missing it stops.
#
# Env: CONFIGS  WF_HOME (default: this script's repo)  WF_COMPRESSION=lz4  WF_WORKERS=2
#      WF_AGENT_JVM_OPTS  extra JVM options for the agent only (%DIR% = the row's scratch dir), e.g.
#          "-XX:StartFlightRecording=filename=%DIR%/agent.jfr,settings=profile" (the .jfr is kept in
#          RESULTS_DIR)
#      S3PROXY_JVM_OPTS  extra JVM options for S3Proxy (REPO=s3), e.g. "-XX:+UnlockDiagnosticVMOptions
#          -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer" to profile it with perf
#      WF_S3_UPLOAD_CHECKSUM  walferry's upload_checksum (crc32c, its default, or md5)
#      SYNC_BEFORE_CLOCK=0  1: sync after cloning the primary, before the clock, for every row (see below)
#      QUIET_WAIT=0  seconds to wait, before each row, for other sessions' Maven/surefire JVMs to finish
#          (the machine has 2 vCPUs; a concurrent test run skews everything). Rows measured while
#          one ran (sampled every 0.5 s during the row) are marked "concurrent-mvn=yes".
#      RESULTS_DIR (default bench/results)  KEEP=1  plus the anchors' SCALE TXNS ... WAIT_MAX
set -Eeuo pipefail

SELF_DIR=$(cd "$(dirname "$0")" && pwd)
ANCHORS=$(cd "$(dirname "$0")/../../shared/bench/anchors" && pwd) ||
  { echo "anchors not found at $(dirname "$0")/../../shared/bench/anchors" >&2; exit 2; }
WF_HOME=${WF_HOME:-$(cd "$SELF_DIR/.." && pwd)}
# shellcheck source=/dev/null
source "$ANCHORS/lib.sh"

# SYNC_BEFORE_CLOCK=1: flush the page cache after cloning the 5 GB primary, before the clock starts, for
# every row alike. Without it the clone's gigabytes of dirty pages are written back during the
# measurement (about half the CPU goes to the kernel), whichever tool is measured.
if [[ ${SYNC_BEFORE_CLOCK:-0} == 1 ]]; then
  eval "anchors_$(declare -f clone_primary)"
  clone_primary() { anchors_clone_primary "$@" && sync; }
fi
need "$PGBACKREST_BIN" flock du setpriv jq getconf

CONFIGS=${CONFIGS:-"pgbackrest wf-agent wf-agent-wrap wf-sync"}
WF_COMPRESSION=${WF_COMPRESSION:-lz4}
WF_COMPRESSION_DEFAULT=$WF_COMPRESSION
WF_LEVEL=
WF_WORKERS=${WF_WORKERS:-2}
WF_AGENT_JVM_OPTS=${WF_AGENT_JVM_OPTS:-}
QUIET_WAIT=${QUIET_WAIT:-0}
RESULTS_DIR=${RESULTS_DIR:-$SELF_DIR/results}
REPO=${REPO:-fs}
[[ $REPO == fs || $REPO == s3 ]] || die "REPO must be fs or s3"
NAME=walferry-archive-$REPO
PG_UID=$(id -u postgres)
PG_GID=$(id -g postgres)
CLK_TCK=$(getconf CLK_TCK)

[[ -f $WF_HOME/target/walferry.jar ]] || die "$WF_HOME/target/walferry.jar is missing: build it first (this script never builds)"
[[ -x $WF_HOME/walferry ]] || die "$WF_HOME/walferry (the launcher) is missing"

# ---- leftovers of an interrupted run: agents (ab_setup handles servers and pgbackrest) --------------
WF_AGENTS=()      # PIDs of walferry agents we started (the java process itself)
WF_RUNTIME=()     # per-data-directory runtime dirs of those agents (/tmp/walferry-<uid>/...)
stop_agent() { # pid
  local p=$1 i
  kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$p" 2>/dev/null; then log "agent $p did not stop in 60 s; SIGKILL"; kill -KILL "$p" 2>/dev/null || true; fi
  wait "$p" 2>/dev/null || true
}
if [[ -d $AB_ROOT/$NAME ]]; then
  while IFS= read -r f; do
    p=$(cat "$f" 2>/dev/null || true)
    if [[ $p =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q 'walferry.jar.* agent'; then
      log "stopping leftover walferry agent pid $p"; stop_agent "$p"
    fi
  done < <(find "$AB_ROOT/$NAME" -maxdepth 3 -name bench-agent.pid 2>/dev/null)
fi

ab_setup "$NAME"
wf_cleanup() {
  local rc=$? d p
  set +e
  for d in "${AB_SERVERS[@]}"; do [[ -n $d ]] && pg_stop "$d" immediate; done
  for p in "${WF_AGENTS[@]}"; do stop_agent "$p"; done
  for d in "${WF_RUNTIME[@]}"; do [[ -n $d && $d == /tmp/walferry-$PG_UID/* ]] && rm -rf "$d"; done
  (exit $rc)
  ab_cleanup
}
trap wf_cleanup EXIT
mkdir -p "$RESULTS_DIR"

# ---- frozen walferry build ---------------------------------------------------------------------
WFX=$AB_WORK/walferry-dist
mkdir -p "$WFX/target"
cp "$WF_HOME/walferry" "$WFX/walferry"
cp "$WF_HOME/target/walferry.jar" "$WFX/target/walferry.jar"
chmod 755 "$WFX" "$WFX/target" "$WFX/walferry"; chmod 644 "$WFX/target/walferry.jar"
[[ ! -e $WFX/pom.xml ]] || die "frozen copy must not have a pom.xml"
# As an installation would: the owner of the copy records the startup cache once (walferry self-test),
# before any clock starts; every user then reads it.
"$WFX/walferry" self-test >/dev/null || die "walferry self-test failed in $WFX"
JAR_SHA=$(sha256sum "$WFX/target/walferry.jar" | cut -c1-12)
JAR_TIME=$(date -r "$WF_HOME/target/walferry.jar" -Is)
WF_GIT=${WF_GIT:-$(git -C "$WF_HOME" rev-parse --short HEAD 2>/dev/null || echo unknown)}
if [[ -n $(find "$WF_HOME/src/main" "$WF_HOME/pom.xml" -newer "$WF_HOME/target/walferry.jar" -print -quit 2>/dev/null) ]]; then
  log "NOTE: sources in $WF_HOME are newer than the jar; measuring the jar as built ($JAR_TIME)"
  JAR_STALE=" (sources newer than the jar)"
else
  JAR_STALE=""
fi
WF_VERSION=$(as_pg "$WFX/walferry" --version)

JAVA_VERSION="?"
for h in ${WALFERRY_JAVA_HOME:-} ${JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do  # the launcher's order
  v=$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$h/release" 2>/dev/null || true)
  if [[ -x $h/bin/java && ${v%%.*} -ge 21 ]] 2>/dev/null; then JAVA_VERSION="$v ($h)"; break; fi
done

# ---- S3: one S3Proxy for every row -------------------------------------------------------------
S3_BUCKET=bench
S3_KEY=anchorbench
S3_SECRET=anchorbench-secret-key
if [[ $REPO == s3 ]]; then
  need java keytool curl
  S3PROXY_JAR=${S3PROXY_JAR:-$WF_HOME/target/s3proxy/s3proxy.jar}
  [[ -s $S3PROXY_JAR ]] || die "no S3Proxy jar at $S3PROXY_JAR (mvn process-test-resources copies it there)"
  S3DIR=$AB_WORK/s3proxy
  mkdir -p "$S3DIR/blobs"
  S3PORT=$(free_port)
  keytool -genkeypair -keystore "$S3DIR/keystore.jks" -storetype JKS -alias s3proxy -keyalg RSA -keysize 2048 \
    -validity 30 -dname "CN=127.0.0.1" -ext "SAN=ip:127.0.0.1" -storepass anchorbench -keypass anchorbench >/dev/null 2>&1
  keytool -exportcert -rfc -keystore "$S3DIR/keystore.jks" -alias s3proxy -storepass anchorbench -file "$S3DIR/ca.pem" >/dev/null 2>&1
  chmod 644 "$S3DIR/ca.pem"; chmod 755 "$S3DIR"
  printf '%s\n' "s3proxy.secure-endpoint=https://127.0.0.1:$S3PORT" "s3proxy.keystore-path=$S3DIR/keystore.jks" \
    "s3proxy.keystore-password=anchorbench" "s3proxy.authorization=aws-v2-or-v4" "s3proxy.identity=$S3_KEY" \
    "s3proxy.credential=$S3_SECRET" "jclouds.provider=filesystem-nio2" "jclouds.identity=$S3_KEY" \
    "jclouds.credential=$S3_SECRET" "jclouds.filesystem.basedir=$S3DIR/blobs" >"$S3DIR/s3proxy.conf"
  S3PROXY_VERSION=$(unzip -p "$S3PROXY_JAR" META-INF/maven/org.gaul/s3proxy/pom.properties 2>/dev/null | sed -n 's/^version=//p' || true)
  log "starting S3Proxy ${S3PROXY_VERSION:-?} on https://127.0.0.1:$S3PORT"
  java -Xmx1g ${S3PROXY_JVM_OPTS:-} -jar "$S3PROXY_JAR" --properties "$S3DIR/s3proxy.conf" >"$S3DIR/s3proxy.log" 2>&1 &
  S3PID=$!; AB_PIDS+=("$S3PID")
  t0=$(now)
  until curl -ks -o /dev/null "https://127.0.0.1:$S3PORT/"; do
    kill -0 "$S3PID" 2>/dev/null || { tail -20 "$S3DIR/s3proxy.log" >&2; die "S3Proxy exited"; }
    awk -v e="$(since "$t0")" 'BEGIN{exit !(e>60)}' && die "S3Proxy not listening after 60s"
    sleep 0.5
  done
  curl -ks --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_KEY:$S3_SECRET" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    -X PUT "https://127.0.0.1:$S3PORT/$S3_BUCKET" >/dev/null || die "bucket creation failed"
  # Warm S3Proxy's JIT up before the first row, so that no row pays for it: 48 PUTs of 16 MiB.
  head -c $((16 << 20)) /dev/urandom >"$S3DIR/warmup.bin"
  for i in $(seq 1 "${S3_WARMUP:-48}"); do
    curl -ks --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_KEY:$S3_SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
      -T "$S3DIR/warmup.bin" "https://127.0.0.1:$S3PORT/$S3_BUCKET/warmup/$i" >/dev/null || die "S3Proxy warm-up PUT failed"
  done
  rm -rf "${S3DIR:?}/blobs/$S3_BUCKET/warmup" "$S3DIR/warmup.bin"
  log "S3Proxy warmed up with ${S3_WARMUP:-48} PUTs of 16 MiB"
  S3_LINES=("repo1-type=s3" "repo1-s3-bucket=$S3_BUCKET" "repo1-s3-endpoint=127.0.0.1" "repo1-storage-port=$S3PORT"
    "repo1-s3-region=us-east-1" "repo1-s3-key=$S3_KEY" "repo1-s3-key-secret=$S3_SECRET" "repo1-s3-uri-style=path"
    "repo1-storage-verify-tls=n")
fi
# the bytes a row's repository holds
repo_bytes() { # row-dir row-name
  if [[ $REPO == s3 ]]; then du -sb "$S3DIR/blobs/$S3_BUCKET/$2" | awk '{print $1}'; else du -sb "$1/repo" | awk '{print $1}'; fi
}

# ---- the workload --------------------------------------------------------------------------------
ensure_workload
SEG_TOTAL=$((N_SEGS * SEG_BYTES))
RESULT_FILE=$RESULTS_DIR/archive-$REPO-$(date +%Y%m%d-%H%M%S).txt
{
  echo "# archive-$REPO $(date -Is)${S3PROXY_VERSION:+ s3proxy=$S3PROXY_VERSION (filesystem-nio2, TLS)} host=$(hostname) cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# pgbackrest=$($PGBACKREST_BIN version | awk '{print $2}') process-max=$PROCESS_MAX | $WF_VERSION git=$WF_GIT jar=$JAR_SHA built=$JAR_TIME$JAR_STALE java=$JAVA_VERSION | walferry $WF_COMPRESSION, $WF_WORKERS workers"
  echo "# workload $(basename "$WL_DIR"): WAL $(mb "$WAL_BYTES") MB (LSN $START_LSN..$END_LSN), $N_SEGS segments = $(mb $SEG_TOTAL) MB (+$((N_READY - N_SEGS)) backup history file), last $LAST_SEG"
  echo "# MB/s = 16 MiB x $N_SEGS segments / seconds; ratio = segment bytes / repo bytes (du -sb)"
  echo "# sync_before_clock=${SYNC_BEFORE_CLOCK:-0}"
} | tee "$RESULT_FILE"

declare -A MBS SECS P50
emit() { echo "$*" | tee -a "$RESULT_FILE"; }

# Other sessions' Maven / surefire JVMs (a concurrent test run on this 2-vCPU machine).
other_mvn() { { pgrep -f 'plexus-classworlds|surefirebooter' 2>/dev/null || true; } | wc -l; }
wait_quiet() {
  local t0 n
  ((QUIET_WAIT > 0)) || return 0
  t0=$(now)
  while n=$(other_mvn); ((n > 0)); do
    if awk -v e="$(since "$t0")" -v m="$QUIET_WAIT" 'BEGIN{exit !(e>m)}'; then
      log "  still $n Maven/surefire processes after ${QUIET_WAIT}s; measuring anyway"; return 0
    fi
    sleep 2
  done
  awk -v e="$(since "$t0")" 'BEGIN{exit !(e>1)}' && log "  waited $(since "$t0") s for other Maven runs to finish" || true
}
row_noise() { # config -> yes/no: was another Maven/surefire JVM seen during the row
  kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true
  awk '$1 > 0 {y=1} END{print (y ? "yes" : "no")}' "$AB_WORK/mvn-$1.txt"
}
# busy CPU-seconds of the whole machine implied by a cpu_since split over a window
busy_cpu_s() { # "cpu%(usr/sys/...)=u/s/i/w/st" seconds
  local split=${1#*=}
  awk -v u="${split%%/*}" -v s="$(cut -d/ -f2 <<<"$split")" -v n="$(nproc)" -v t="$2" 'BEGIN{printf "%.1f", (u+s)/100*n*t}'
}

# ---- helpers ------------------------------------------------------------------------------------
# Run a command as postgres, in the background, without an extra process in between (setpriv execs),
# so that $! is the walferry launcher, which execs java.
bg_as_pg() { # logfile cmd...
  local logf=$1; shift
  setpriv --reuid="$PG_UID" --regid="$PG_GID" --init-groups \
    env HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres "$@" >"$logf" 2>&1 </dev/null &
}

# logback "YYYY-mm-dd HH:MM:SS.mmm" -> epoch seconds
log_epoch() { date -d "$1" +%s.%3N; }

proc_cpu_s() { # pid -> "usr sys" seconds
  awk -v t="$CLK_TCK" '{ sub(/^.*\) /, ""); printf "%.2f %.2f", $12/t, $13/t }' "/proc/$1/stat" 2>/dev/null || echo "? ?"
}
# CPU seconds of a process including its waited-for children (utime+stime+cutime+cstime)
proc_cpu_all_s() { # pid
  awk -v t="$CLK_TCK" '{ sub(/^.*\) /, ""); printf "%.2f", ($12+$13+$14+$15)/t }' "/proc/$1/stat" 2>/dev/null || echo "?"
}
# The agent's CPU per thread group (push workers, JIT compilers, GC/VM, the rest), as usr/sys seconds
agent_threads_cpu() { # pid
  local f
  for f in /proc/"$1"/task/*/stat; do cat "$f" 2>/dev/null; echo; done | awk -v t="$CLK_TCK" '
    /\(/ { c = $0; sub(/^[^(]*\(/, "", c); sub(/\).*$/, "", c); r = $0; sub(/^.*\) /, "", r); split(r, f, " ");
      g = c ~ /^push-/ ? "push" : c ~ /Compiler/ ? "jit" : c ~ /^(VM Thread|GC|VM Periodic)/ ? "gc+vm" : "other";
      u[g] += f[12]; s[g] += f[13] }
    END { for (g in u) printf "%s=%.2f/%.2f ", g, u[g]/t, s[g]/t }'
}
# pgBackRest's CPU, sampled every 0.2 s while its row runs (drain_backlog stops the server itself):
# the archiver incl. its waited-for children (the foreground archive-push calls), and every
# detached archive-push:async / :local process of this row (usr+sys of each, last sample).
# Processes that live less than 0.2 s or their last < 0.2 s are missed, so these are lower bounds.
pgbr_cpu_sampler() { # dir outfile
  local dir=$1 out=$2 pm="" arch p
  while :; do
    [[ -z $pm ]] && pm=$(pg_pid "$dir/pg")
    if [[ -n $pm ]]; then
      arch=$(pgrep -P "$pm" -f 'archiver' | head -1 || true)
      [[ -n $arch ]] && echo "archiver $arch $(proc_cpu_all_s "$arch")" >>"$out"
    fi
    for p in $(pgrep -f -- "--config=$dir/pgbackrest.conf.*archive-push:(async|local)" || true); do
      echo "worker $p $(awk -v t="$CLK_TCK" '{ sub(/^.*\) /, ""); printf "%.2f", ($12+$13)/t }' "/proc/$p/stat" 2>/dev/null)" >>"$out"
    done
    sleep 0.2
  done
}
pgbr_cpu_summary() { # outfile
  awk '$3 != "" && $3 != "?" { last[$1 " " $2] = $3; kind[$1 " " $2] = $1 }
       END { for (k in last) { s[kind[k]] += last[k]; if (kind[k] == "worker") n++ }
             printf "archive_command side cpu_s>=%.2f (archiver + its children), async+local workers cpu_s>=%.2f (%d processes)", s["archiver"], s["worker"], n }' "$1"
}
# what the agent read and wrote (from /proc/PID/io), MB
agent_io() { # pid
  awk '/^(rchar|wchar|read_bytes|write_bytes):/ { sub(":", "", $1); printf "%s=%.0f ", $1, $2/1048576 }' "/proc/$1/io" 2>/dev/null || true
}

wf_yaml() { # dir port
  local dir=$1 port=$2 repo
  mkdir_pg "$dir/repo" "$dir/spool"
  if [[ $REPO == s3 ]]; then
    printf '%s' "$S3_KEY" >"$dir/s3.key-id"; printf '%s' "$S3_SECRET" >"$dir/s3.secret"
    chmod 600 "$dir/s3.key-id" "$dir/s3.secret"; chown postgres:postgres "$dir/s3.key-id" "$dir/s3.secret"
    repo="  - name: s3
    type: s3
    bucket: $S3_BUCKET
    prefix: $(basename "$dir")
    endpoint: https://127.0.0.1:$S3PORT
    path_style: true
    ca_file: $S3DIR/ca.pem${WF_S3_UPLOAD_CHECKSUM:+
    upload_checksum: $WF_S3_UPLOAD_CHECKSUM}
    credentials:
      access_key_id: \${file:$dir/s3.key-id}
      secret_access_key: \${file:$dir/s3.secret}"
  else
    repo="  - name: local
    type: fs
    path: $dir/repo"
  fi
  cat >"$dir/walferry.yaml" <<EOF
cluster: bench
nodes:
  - name: pg1
    port: $port
    data_directory: $dir/pg
repositories:
$repo
archive:
  compression: $WF_COMPRESSION
${WF_LEVEL:+  compression_level: $WF_LEVEL
}  workers: $WF_WORKERS
  spool_directory: $dir/spool
EOF
  chown postgres:postgres "$dir/walferry.yaml"
}

# Drain the backlog with walferry ($WFBIN = the launcher to use). mode: agent | agent-wrap | sync
# (agent* = with the agent, *wrap = archive_command through the timing wrapper).
# Sets D_ARCH D_FAIL D_LAST D_SECS (from reload) D_CPU, and for agent modes A_SECS (from the agent's
# launch), A_PRE (acks present at the reload), A_START_S (launch -> agent logged it is watching),
# A_DONE_S (launch -> the agent's last "archived" log line), A_CPU (agent usr/sys CPU seconds).
wf_drain() { # dir mode
  local dir=$1 mode=$2 d=$1/pg port t0 ta r m cmd apid rtd sq="'" i
  A_SECS="" A_PRE="" A_START_S="" A_DONE_S="" A_CPU=""
  port=$(free_port)
  clone_primary "$d" "$port"
  wf_yaml "$dir" "$port"
  pg_start "$d" "$dir/pg.log"
  as_pg "$WFBIN" -c "$dir/walferry.yaml" repo-create >"$dir/repo-create.log" 2>&1 ||
    { cat "$dir/repo-create.log" >&2; die "walferry repo-create failed"; }
  cmd="$WFBIN -c $dir/walferry.yaml archive-push %p"
  if [[ $mode == agent* ]]; then
    rtd=/tmp/walferry-$PG_UID/$(realpath "$d" | tr / %)
    WF_RUNTIME+=("$rtd")
    ta=$(now)
    bg_as_pg "$dir/agent.log" WALFERRY_JVM_OPTS="${WF_AGENT_JVM_OPTS//%DIR%/$dir}" "$WFBIN" -c "$dir/walferry.yaml" agent
    apid=$!
    WF_AGENTS+=("$apid"); echo "$apid" >"$dir/bench-agent.pid"
    # ready = its fast-path directory names it (archive_command then confirms acks without a JVM)
    for i in $(seq 1 300); do
      [[ -f $rtd/agent.pid && $(cat "$rtd/agent.pid" 2>/dev/null) == "$apid" ]] && break
      kill -0 "$apid" 2>/dev/null || { cat "$dir/agent.log" >&2; die "walferry agent exited"; }
      sleep 0.05
    done
    [[ -f $rtd/agent.pid ]] || die "walferry agent not ready after 15 s"
  fi
  if [[ $mode == *wrap ]]; then
    # archive_command wall time: $EPOCHREALTIME around the launcher call. Whether the agent's ack
    # already existed is checked before the clock starts (so that check is not timed).
    cat >"$dir/wrap.sh" <<EOF
#!/bin/bash
pre=0; [[ -e $rtd/acked/\${1##*/} ]] && pre=1
t0=\$EPOCHREALTIME
$WFBIN -c $dir/walferry.yaml archive-push "\$1"
rc=\$?
t1=\$EPOCHREALTIME
printf '%s %s %s %s %s\n' "\$t0" "\$t1" "\$rc" "\$pre" "\${1##*/}" >>$dir/calls.txt
exit \$rc
EOF
    chmod 755 "$dir/wrap.sh"; chown postgres:postgres "$dir/wrap.sh"
    touch "$dir/calls.txt"; chown postgres:postgres "$dir/calls.txt"
    cmd="$dir/wrap.sh %p"
  fi
  q "$port" "alter system set archive_command = '${cmd//$sq/$sq$sq}'" >/dev/null
  m=$(cpu_mark)
  t0=$(q "$port" "select extract(epoch from clock_timestamp()) from (select pg_reload_conf()) s")
  [[ $mode == agent* ]] && A_PRE=$(find "$rtd/acked" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l)
  log "  draining $N_READY files ($N_SEGS segments) on port $port"
  wait_for "$port" "select archived_count >= $N_READY or failed_count >= 3 from pg_stat_archiver" ||
    log "  did not finish within ${WAIT_MAX}s"
  D_CPU=$(cpu_since "$m")
  A_DIED=""
  if [[ $mode == agent* ]] && ! kill -0 "$apid" 2>/dev/null; then
    A_DIED=yes; log "  WARNING: the agent (pid $apid) exited before the drain finished; this row is not valid"
  fi
  r=$(q "$port" "select archived_count, failed_count, last_archived_wal,
                 round((extract(epoch from last_archived_time) - $t0)::numeric, 3),
                 extract(epoch from last_archived_time) from pg_stat_archiver")
  local last_t
  IFS='|' read -r D_ARCH D_FAIL D_LAST D_SECS last_t <<<"$r"
  [[ $D_LAST == "$LAST_SEG" ]] || log "  WARNING last_archived_wal=$D_LAST, expected $LAST_SEG"
  [[ $D_FAIL == 0 ]] || log "  WARNING failed_count=$D_FAIL (see $dir/pg.log)"
  # CPU of everything archive_command ran (sh, launcher, wrapper, sleep, JVMs): the archiver's children
  local pm arch
  pm=$(pg_pid "$d"); arch=$(pgrep -P "$pm" -f 'archiver' | head -1 || true)
  D_ARCHCMD_CPU=$([[ -n $arch ]] && proc_cpu_all_s "$arch" || echo "?")
  pg_stop "$d" immediate
  if [[ $mode == agent* ]]; then
    A_CPU=$(proc_cpu_s "$apid")
    A_THREADS=$(agent_threads_cpu "$apid")
    A_IO=$(agent_io "$apid")
    A_SECS=$(calc "$last_t - $ta" 3)
    local l1 l2
    l1=$(grep -m1 'agent for node' "$dir/agent.log" | cut -c1-23 || true)
    l2=$(grep 'ArchiveAgent: archived ' "$dir/agent.log" | tail -1 | cut -c1-23 || true)
    [[ -n $l1 ]] && A_START_S=$(calc "$(log_epoch "$l1") - $ta" 2)
    [[ -n $l2 ]] && A_DONE_S=$(calc "$(log_epoch "$l2") - $ta" 2)
    stop_agent "$apid"
    rm -rf "$rtd"
  fi
  # what the repository says it holds (stored vs original bytes)
  as_pg "$WFBIN" -c "$dir/walferry.yaml" info --output json >"$dir/info.json" 2>"$dir/info.err" || true
  if [[ ${KEEP:-0} != 1 ]]; then rm -rf "$d"; fi
}

# ---- the rows ----------------------------------------------------------------------------------
for c in $CONFIGS; do
  # ROW@COMPRESSION[:LEVEL] runs a row with another compression (pgbackrest: lz4 or zst; walferry: lz4,
  # zstd or none, with an optional level), e.g. "pgbackrest@zst wf-agent@zstd:3"
  comp=""; level=""
  if [[ $c == *@* ]]; then comp=${c#*@}; level=${comp#*:}; [[ $level == "$comp" ]] && level=""; comp=${comp%%:*}; fi
  WF_COMPRESSION=${comp:-${WF_COMPRESSION_DEFAULT}}
  WF_LEVEL=$level
  dir=$AB_WORK/${c//[@:]/-}
  wait_quiet
  # sample, during the whole row, whether another session's Maven/surefire JVM runs
  : >"$AB_WORK/mvn-$c.txt"
  ( while :; do other_mvn >>"$AB_WORK/mvn-$c.txt"; sleep 0.5; done ) &
  SAMPLER=$!; AB_PIDS+=("$SAMPLER")
  [[ $REPO == s3 ]] && S3CPU0=$(awk -v t="$CLK_TCK" '{ sub(/^.*\) /, ""); printf "%.2f", ($12+$13)/t }' "/proc/$S3PID/stat")
  case ${c%%@*} in
    pgbackrest)
      pcomp=${comp:-lz4}
      label=pgbackrest-$pcomp-async-p$PROCESS_MAX
      log "[$label] (anchors: pgbr_conf + drain_backlog, as CONFIGS=lz4:async wal_archive.sh)"
      if [[ $REPO == s3 ]]; then pgbr_conf "$dir" "$dir/pg" "$pcomp" async "${S3_LINES[@]}" "repo1-path=/${dir##*/}"
      else pgbr_conf "$dir" "$dir/pg" "$pcomp" async; fi
      pgbr_cpu_sampler "$dir" "$AB_WORK/pgbr-cpu-$c.txt" &
      PGBR_SAMPLER=$!; AB_PIDS+=("$PGBR_SAMPLER")
      drain_backlog "$dir"
      kill "$PGBR_SAMPLER" 2>/dev/null || true; wait "$PGBR_SAMPLER" 2>/dev/null || true
      repo_b=$(repo_bytes "$dir" "${dir##*/}")
      lat_pg=$(pglog_intervals_ms "$dir/pg.log" 'archived write-ahead log file' | lat_stats)
      lat_br=$( (pgbr_cmd_ms "$dir/log/$STANZA-archive-push.log" archive-push || true) | lat_stats)
      emit "$(printf '%-26s archived=%s/%s failed=%s seconds=%s MB/s=%s repo_mb=%s ratio=%s %s busy_cpu_s~%s concurrent-mvn=%s | per-call (pg log) %s | (pgbackrest log) %s' \
        "$label" "$D_ARCH" "$N_READY" "$D_FAIL" "$D_SECS" "$(calc "$SEG_TOTAL / 1048576 / $D_SECS" 1)" \
        "$(mb "$repo_b")" "$(calc "$SEG_TOTAL / $repo_b" 2)" "$D_CPU" "$(busy_cpu_s "$D_CPU" "$D_SECS")" \
        "$(row_noise "$c")" "$lat_pg" "$lat_br") | $(pgbr_cpu_summary "$AB_WORK/pgbr-cpu-$c.txt")"
      MBS[$c]=$(calc "$SEG_TOTAL / 1048576 / $D_SECS" 1); SECS[$c]=$D_SECS
      P50[$c]=$(sed -nE 's/.*p50=([0-9.]+)ms.*/\1/p' <<<"$lat_pg")
      ;;
    wf-agent | wf-agent-wrap | wf-sync)
      mode=${c%%@*}; mode=${mode#wf-}
      WFBIN=$WFX/walferry
      label=walferry-$mode-$WF_COMPRESSION${WF_LEVEL:+$WF_LEVEL}$([[ $mode == agent* ]] && echo "-w$WF_WORKERS" || true)
      log "[$label]"
      mkdir_pg "$dir"
      wf_drain "$dir" "$mode"
      repo_b=$(repo_bytes "$dir" "${dir##*/}")
      info=$(jq -r '.[0] | "objects=\(.objects) stored_mb=\(.stored_bytes/1048576*10|round/10) original_mb=\(.original_bytes/1048576*10|round/10)"' "$dir/info.json" 2>/dev/null || echo "info failed: $(head -c 200 "$dir/info.err")")
      lat_pg=$(pglog_intervals_ms "$dir/pg.log" 'archived write-ahead log file' | lat_stats)
      if [[ $mode == agent* ]]; then
        secs=$A_SECS
        clock="seconds=$A_SECS (from agent launch; from_reload=$D_SECS, acked_at_reload=$A_PRE/$N_READY)"
      else
        secs=$D_SECS
        clock="seconds=$D_SECS"
      fi
      line=$(printf '%-26s archived=%s/%s failed=%s %s MB/s=%s repo_mb=%s ratio=%s [info %s] %s busy_cpu_s~%s concurrent-mvn=%s%s | per-call (pg log) %s' \
        "$label" "$D_ARCH" "$N_READY" "$D_FAIL" "$clock" "$(calc "$SEG_TOTAL / 1048576 / $secs" 1)" \
        "$(mb "$repo_b")" "$(calc "$SEG_TOTAL / $repo_b" 2)" "$info" "$D_CPU" "$(busy_cpu_s "$D_CPU" "$D_SECS")" \
        "$(row_noise "$c")" "${A_DIED:+ AGENT-DIED-EARLY(invalid)}" "$lat_pg")
      line+=" | archive_command side cpu_s=$D_ARCHCMD_CPU (archiver + its children)"
      if [[ $mode == agent* ]]; then
        lat_ag=$( (sed -nE 's/.*ArchiveAgent: archived [^ ]+ in ([0-9]+) ms.*/\1/p' "$dir/agent.log" || true) | lat_stats)
        line+=" | agent push $lat_ag | agent: watching after ${A_START_S:-?}s, last push done at ${A_DONE_S:-?}s, cpu usr/sys=${A_CPU// //}s (${A_THREADS% }) io MB: ${A_IO% }"
      fi
      if [[ $mode == *wrap ]]; then
        w_all=$(awk '{printf "%.3f\n", ($2-$1)*1000}' "$dir/calls.txt" | lat_stats)
        w_pre=$(awk '$4==1 {printf "%.3f\n", ($2-$1)*1000}' "$dir/calls.txt" | lat_stats)
        w_wait=$(awk '$4==0 {printf "%.3f\n", ($2-$1)*1000}' "$dir/calls.txt" | lat_stats)
        w_fail=$(awk '$3!=0' "$dir/calls.txt" | wc -l)
        line+=" | archive_command wall (wrapper, \$EPOCHREALTIME around the launcher; see note) all: $w_all; ack already there: $w_pre; waited for agent: $w_wait; nonzero exits=$w_fail"
        P50[$c]=$(sed -nE 's/.*p50=([0-9.]+)ms.*/\1/p' <<<"$w_all")
        cp "$dir/calls.txt" "$RESULT_FILE.$c.calls.txt"
      else
        P50[$c]=$(sed -nE 's/.*p50=([0-9.]+)ms.*/\1/p' <<<"$lat_pg")
      fi
      emit "$line"
      ROWNO=$((${ROWNO:-0} + 1))
      [[ $mode == agent* ]] && cp "$dir/agent.log" "$RESULT_FILE.$ROWNO-$c.agent.log"
      cp "$dir/pg.log" "$RESULT_FILE.$ROWNO-$c.pg.log"
      [[ -f $dir/agent.jfr ]] && cp "$dir/agent.jfr" "$RESULT_FILE.$c.agent.jfr"
      MBS[$c]=$(calc "$SEG_TOTAL / 1048576 / $secs" 1); SECS[$c]=$secs
      ;;
    *) die "unknown config $c (pgbackrest wf-agent wf-agent-wrap wf-sync)" ;;
  esac
  if [[ $REPO == s3 ]]; then
    emit "  s3proxy cpu_s during the row (usr+sys, its whole JVM): $(calc "$(awk -v t="$CLK_TCK" '{ sub(/^.*\) /, ""); printf "%.2f", ($12+$13)/t }' "/proc/$S3PID/stat") - $S3CPU0" 2)"
  fi
  if [[ ${KEEP:-0} != 1 ]]; then rm -rf "$dir/repo"; [[ $REPO == s3 ]] && rm -rf "${S3DIR:?}/blobs/$S3_BUCKET/${dir##*/}"; fi
done

# ---- summary ------------------------------------------------------------------------------------
emit "# note: the wrapper's times are \$EPOCHREALTIME just before and after running the launcher from a bash script:"
emit "#   they include fork+exec of the launcher (bash), its work and its exit; they exclude PostgreSQL's 'sh -c' and"
emit "#   the wrapper's own bash start, which the pg-log gaps of that row do include (those are the upper bound)."
emit "# agent rows: seconds run from the agent's launch (JVM start included), because the agent sees the backlog"
emit "#   before the reload; from_reload is the anchors' clock taken literally and leaves that head start out."
if [[ -n ${MBS[pgbackrest]:-} ]]; then
  for c in $CONFIGS; do
    [[ $c == wf-* && -n ${MBS[$c]:-} ]] || continue
    emit "$(printf 'ratio %-18s MB/s / pgbackrest MB/s = %s / %s = %sx (target >= 1.5x for wf-agent)' "$c" "${MBS[$c]}" "${MBS[pgbackrest]}" "$(calc "${MBS[$c]} / ${MBS[pgbackrest]}" 2)")"
  done
fi
[[ -n ${P50[wf-agent-wrap]:-} ]] && emit "archive_command median (wf-agent-wrap, wrapper) = ${P50[wf-agent-wrap]} ms (target <= 20 ms)"
[[ -n ${P50[wf-agent]:-} ]] && emit "archive_command median (wf-agent, pg log gaps)  = ${P50[wf-agent]} ms"
log "results in $RESULT_FILE"
