#!/usr/bin/env bash
# Sandbox throughput: starts `retl sandbox` on a free loopback port, sends it
# person identifies with tests/bench/sandbox_bench (libcurl multi, keep-alive)
# and prints entities/s and the sandbox's CPU time per 100,000 entities (the
# figure that does not depend on the machine's load); the sandbox is stopped
# whatever happens.
#   tests/bench/sandbox.sh [bench options, e.g. --entities 400000 --inflight 8]
# Uses bin/retl (make) and builds build/bench/sandbox_bench when missing or older.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
RETL_BIN=${RETL_BIN:-$ROOT/bin/retl}
BENCH=$ROOT/build/bench/sandbox_bench
SRC=tests/bench/sandbox_bench.c

[ -x "$RETL_BIN" ] || { echo "sandbox.sh: $RETL_BIN missing (run make)" >&2; exit 1; }
if [ ! -x "$BENCH" ] || [ "$SRC" -nt "$BENCH" ]; then
        mkdir -p "$(dirname "$BENCH")"
        cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$BENCH" "$SRC" \
                $(pkg-config --cflags --libs libcurl)
fi

TMP=$(mktemp -d)
pid=
cleanup() {
        if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
        rm -rf "$TMP"
}
trap cleanup EXIT

"$RETL_BIN" sandbox --listen 127.0.0.1:0 --port-file "$TMP/port" --log-level warn \
        ${SANDBOX_OPTS:-} >"$TMP/out" 2>"$TMP/err" &
pid=$!
# wait on the port file (written once the server listens), not on a sleep
for _ in $(seq 300); do
        [ -s "$TMP/port" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$TMP/err" >&2; exit 1; }
        sleep 0.05
done
[ -s "$TMP/port" ] || { echo "sandbox.sh: the sandbox did not start" >&2; exit 1; }
port=$(cat "$TMP/port")
echo "sandbox on port $port ($(nproc) CPUs)"
"$BENCH" --url "http://127.0.0.1:$port" --server-pid "$pid" "$@"
curl -s "http://127.0.0.1:$port/_sandbox/counters" | python3 -c '
import json,sys
c=json.load(sys.stdin)
print("sandbox counters: %d requests, %d entities accepted, %d rejected, %d people" %
      (c["requests"]["total"], c["entities"]["accepted"], c["entities"]["rejected"],
       c["workspace"]["people"]))'
