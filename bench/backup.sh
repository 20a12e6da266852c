#!/usr/bin/env bash
# Full backup and restore of the anchors' pgbench scale-100 database by walferry, pgBackRest 2.45
# (process-max=2, lz4) and pg_basebackup, in one run, from one running primary.
#
#   sudo bench/backup.sh            # about 3 minutes
#
# The primary is the anchors' cached workload primary (scale 100 after the TPC-B run); its WAL backlog is
# marked archived first, so that each tool's backup only waits for the WAL of its own backup. Rows:
#   pg_basebackup  pg_basebackup -c fast -X stream, plain format (no compression; nothing to restore)
#   walferry       walferry backup (2 jobs, lz4) into a filesystem repository, then walferry restore
#   pgbackrest     pgbackrest backup --type=full (process-max=2, lz4) into a posix repository, then restore
# seconds: wall time of each command (each started after a sync); MB/s = the data directory's size (without
# pg_wal) / seconds. Run it twice with the rows in both orders (CONFIGS="... pgbackrest walferry").
#
# ENCRYPT=1: both repositories encrypted on the client: walferry `encryption.key` (AES-256-GCM), pgBackRest
# repo1-cipher-type=aes-256-cbc, each with a random 48-byte base64 key/passphrase.
set -Eeuo pipefail
SELF_DIR=$(cd "$(dirname "$0")" && pwd)
ANCHORS=$(cd "$SELF_DIR/../../shared/bench/anchors" && pwd)
WF_HOME=${WF_HOME:-$(cd "$SELF_DIR/.." && pwd)}
# shellcheck source=/dev/null
source "$ANCHORS/lib.sh"
need "$PGBACKREST_BIN"
CONFIGS=${CONFIGS:-"pg_basebackup walferry pgbackrest"}
RESULTS_DIR=${RESULTS_DIR:-$SELF_DIR/results}
ENCRYPT=${ENCRYPT:-0}
[[ -f $WF_HOME/target/walferry.jar ]] || die "build first: ./walferry --version"

ab_setup walferry-backup
mkdir -p "$RESULTS_DIR"
ensure_workload
WFX=$AB_WORK/walferry-dist
mkdir -p "$WFX/target" && cp "$WF_HOME/walferry" "$WFX/" && cp "$WF_HOME/target/walferry.jar" "$WFX/target/"
chmod -R a+rX "$WFX" && "$WFX/walferry" self-test >/dev/null || die "self-test failed"
WF=$WFX/walferry

port=$(free_port)
P=$AB_WORK/primary
clone_primary "$P" "$port"
# the backlog counts as archived: each tool then archives only what its own backup writes
for f in "$P"/pg_wal/archive_status/*.ready; do mv "$f" "${f%.ready}.done"; done
# pgBackRest connects through a Unix socket
SOCK=$AB_WORK/sock; mkdir_pg "$SOCK"
echo "unix_socket_directories = '$SOCK'" >>"$P/postgresql.conf"
pg_start "$P" "$AB_WORK/primary.log"
# the checkpoint after the workload is written now, before any row: each backup's own checkpoint is then alike
q "$port" "checkpoint" >/dev/null
DATA_BYTES=$(du -sb --exclude=pg_wal "$P" | awk '{print $1}')
RESULT_FILE=$RESULTS_DIR/backup-$(date +%Y%m%d-%H%M%S).txt
{
  echo "# backup $(date -Is) cores=$(nproc) walferry git=$(git -C "$WF_HOME" rev-parse --short HEAD) pgbackrest=$($PGBACKREST_BIN version | awk '{print $2}') process-max=$PROCESS_MAX encrypt=$ENCRYPT"
  echo "# data directory without pg_wal: $(mb "$DATA_BYTES") MB ($(basename "$WL_DIR"))"
} | tee "$RESULT_FILE"
set_archive() { q "$port" "alter system set archive_command = '$1'" >/dev/null; q "$port" "select pg_reload_conf()" >/dev/null; }
# Every clock starts after a sync: the clone's 5 GB (and the previous row's files) are still being written
# back, which would slow whichever row comes first.
timed() { local t0; sync; t0=$(now); "$@"; since "$t0"; }
declare -A B R

for c in $CONFIGS; do
  dir=$AB_WORK/$c; mkdir_pg "$dir"
  log "[$c]"
  case $c in
    pg_basebackup)
      B[$c]=$( { timed as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$dir/copy" -c fast -X stream >&2; } 2>&1 | tail -1)
      size=$(du -sb "$dir/copy" | awk '{print $1}')
      R[$c]="" ;;
    walferry)
      mkdir_pg "$dir/repo" "$dir/spool"
      cat >"$dir/walferry.yaml" <<EOF
cluster: bench
nodes:
  - name: pg1
    port: $port
    data_directory: $P
repositories:
  - name: local
    type: fs
    path: $dir/repo
archive:
  compression: lz4
  workers: $PROCESS_MAX
  spool_directory: $dir/spool
EOF
      if [[ $ENCRYPT == 1 ]]; then
        openssl rand -base64 48 | tr -d '\n' >"$dir/key" && chmod 600 "$dir/key" && chown postgres:postgres "$dir/key"
        sed -i "s|^    path: $dir/repo\$|&\n    encryption:\n      key: \${file:$dir/key}|" "$dir/walferry.yaml"
        grep -q 'encryption:' "$dir/walferry.yaml" || die "could not add the encryption key to $dir/walferry.yaml"
      fi
      chown postgres:postgres "$dir/walferry.yaml"
      as_pg "$WF" -c "$dir/walferry.yaml" repo-create >/dev/null
      set_archive "$WF -c $dir/walferry.yaml archive-push %p"
      B[$c]=$( { timed as_pg "$WF" -c "$dir/walferry.yaml" ${WF_BACKUP_OPTS:-} backup --jobs "$PROCESS_MAX" >&2; } 2>&1 | tee "$dir/backup.out" | tail -1)
      size=$(du -sb "$dir/repo/bench/backup" | awk '{print $1}')
      mkdir_pg "$dir/restore"
      R[$c]=$( { timed as_pg "$WF" -c "$dir/walferry.yaml" restore --jobs "$PROCESS_MAX" --target-dir "$dir/restore/data" >&2; } 2>&1 | tail -1)
      rm -rf "$dir/restore" ;;
    pgbackrest)
      pgbr_conf "$dir" "$P" lz4 sync
      if [[ $ENCRYPT == 1 ]]; then   # global options: before the [stanza] section
        sed -i "s|^compress-type=|repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=$(openssl rand -base64 48 | tr -d '\n')\n&|" "$dir/pgbackrest.conf"
      fi
      printf 'pg1-port=%s\npg1-socket-path=%s\n' "$port" "$SOCK" >>"$dir/pgbackrest.conf"   # stanza options: the [stanza] section is last
      set_archive "$PGBACKREST_BIN --config=$dir/pgbackrest.conf --stanza=$STANZA archive-push %p"
      pgbr "$dir/pgbackrest.conf" stanza-create >/dev/null
      B[$c]=$( { timed pgbr "$dir/pgbackrest.conf" backup --type=full --start-fast >&2; } 2>&1 | tail -1)
      size=$(du -sb "$dir/repo/backup" | awk '{print $1}')
      mkdir_pg "$dir/restore"
      R[$c]=$( { timed pgbr "$dir/pgbackrest.conf" restore --pg1-path="$dir/restore/data" >&2; } 2>&1 | tail -1)
      rm -rf "$dir/restore" ;;
    *) die "unknown row $c" ;;
  esac
  printf '%-14s backup seconds=%s MB/s=%s stored_mb=%s%s\n' "$c" "${B[$c]}" "$(calc "$DATA_BYTES / 1048576 / ${B[$c]}" 1)" "$(mb "$size")" \
    "$([[ -n ${R[$c]} ]] && echo " | restore seconds=${R[$c]} MB/s=$(calc "$DATA_BYTES / 1048576 / ${R[$c]}" 1)")" | tee -a "$RESULT_FILE"
done
for c in walferry; do
  [[ -n ${B[$c]:-} && -n ${B[pgbackrest]:-} ]] || continue
  echo "ratio backup  walferry / pgbackrest = $(calc "${B[pgbackrest]} / ${B[$c]}" 2)x (target >= 1.3x)" | tee -a "$RESULT_FILE"
  echo "ratio restore walferry / pgbackrest = $(calc "${R[pgbackrest]} / ${R[$c]}" 2)x (target >= 1.3x)" | tee -a "$RESULT_FILE"
  [[ -n ${B[pg_basebackup]:-} ]] && echo "ratio backup  walferry / pg_basebackup = $(calc "${B[pg_basebackup]} / ${B[$c]}" 2)x" | tee -a "$RESULT_FILE"
done
pg_stop "$P" fast
log "results in $RESULT_FILE"
