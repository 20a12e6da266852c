#!/usr/bin/env bash
# Ratio and single-core encode/decode speed of every compression setting on real WAL (the anchors'
# cached pgbench workload), through walferry's object codec, in memory.
#
#   bench/compression-levels.sh                 # 32 segments (512 MB), ~2 min
#   SEGMENTS=64 SETTINGS=lz4:0,zstd:1,zstd:3 bench/compression-levels.sh
#
# Env: SEGMENTS=32  SETTINGS (default: none,lz4:0,lz4:3,lz4:9,zstd:1,zstd:3,zstd:6,zstd:9; zstd:19 is about 3 MB/s)
#      WAL_DIR (default: the anchors' cached workload primary's pg_wal; anchors/wal_archive.sh makes it)
set -Eeuo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WF_HOME=$(cd "$HERE/.." && pwd)
JAVA=${WALFERRY_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
WAL_DIR=${WAL_DIR:-$(ls -d /tmp/anchorbench/cache/wal-*/primary/pg_wal 2>/dev/null | head -1)}
[[ -d $WAL_DIR ]] || { echo "no WAL directory: set WAL_DIR or run ../shared/bench/anchors/wal_archive.sh once" >&2; exit 2; }
[[ -f $WF_HOME/target/walferry.jar ]] || { echo "build first: mvn package" >&2; exit 2; }
"$JAVA" -Xmx4g --enable-native-access=ALL-UNNAMED -cp "$WF_HOME/target/walferry.jar" "$HERE/CompressionLevels.java" "$WAL_DIR" "${SEGMENTS:-32}" ${SETTINGS:+"$SETTINGS"}
