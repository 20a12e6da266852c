#!/usr/bin/env bash
# WAL archive to a filesystem repository: walferry vs pgBackRest (see archive.sh).
REPO=fs exec "$(dirname "$0")/archive.sh" "$@"
