#!/usr/bin/env bash
# make bench: every benchmark, each printing its figures. Benchmarks measure;
# they do not pass or fail on speed (tests do not time things).
#   tests/bench/run.sh [NAME]   run only benchmarks whose file name starts with NAME
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
filter=${1:-}
echo "== benchmarks on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(date -u +%FT%TZ)"
for b in tests/bench/*.sh; do
        [ "$(basename "$b")" = run.sh ] && continue
        case "$(basename "$b")" in "$filter"*) ;; *) continue ;; esac
        echo "-- $(basename "$b" .sh)"
        bash "$b" || echo "   (benchmark $(basename "$b") failed with status $?)"
done
