#!/usr/bin/env bash
# Extractor: 1,000,000 rows x 10 columns from the SQL Server stand-in
# (SQLite behind TDS 7.4) through `retl extract --once` to a real Kafka
# broker (idempotent producer, acks=all), release build. Prints rows/s and
# the extractor's peak RSS (/usr/bin/time -v), which stays flat with the
# size of the result: rows stream from the wire to Kafka, the producer's
# queue is bounded.
#   tests/bench/extract.sh [ROWS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. tests/bench/common.bash
ROWS=${1:-1000000}
make -s bin/retl bin/retl-mssql-standin >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/retl-bench.XXXXXX")
SPID=
cleanup() {
        [ -n "$SPID" ] && kill "$SPID" 2>/dev/null || true
        tests/kafka/broker.sh stop "$W/kafka" >/dev/null 2>&1 || true
        rm -rf "$W"
}
trap cleanup EXIT
B=$(tests/kafka/broker.sh start "$W/kafka")
bench_table "$W/src.sqlite" "$ROWS" 100
bench_standin "$W/src.sqlite" "$W"
SPID=$STANDIN_PID
cat > "$W/retl.cfg" <<X
log_level = "warn";
kafka = { brokers = "$B"; replication_factor = 1; topic_prefix = "bench."; group = "bench";
          imports_topic = "bench.imports"; failures_topic = "bench.failures"; properties = { }; };
databases = ({ name = "src"; host = "127.0.0.1"; port = $STANDIN_PORT; database = "crm";
               user = "retl"; password_env = "RETL_BENCH_PW"; encryption = "off"; });
workspaces = ({ name = "acme"; api_url = "http://127.0.0.1:9"; site_id = "x"; api_key_env = "RETL_BENCH_PW"; });
syncs = ({ name = "people"; workspace = "acme"; database = "src"; import = "people"; interval = "1d";
           query = "SELECT id, email, first_name, last_name, score, plan, active, signed_up, visits, updated FROM people WHERE updated > {{last_sync_time}}"; });
X
start=$(date +%s.%N)
/usr/bin/time -v bin/retl extract -c "$W/retl.cfg" --once people 2> "$W/time.log" || {
        tail -20 "$W/time.log"; exit 1; }
end=$(date +%s.%N)
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/time.log")
cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u + s}' "$W/time.log")
high=$(kcat -b "$B" -Q -t bench.acme:0:-1 | awk '{print $NF}')
[ "$high" = $((ROWS + 2)) ] || { echo "expected $((ROWS + 2)) records on the topic, found $high"; exit 1; }
python3 - "$ROWS" "$start" "$end" "$rss" "$cpu" <<'X'
import sys
rows, t0, t1, rss, cpu = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
print("   extract: %d rows x 10 columns in %.1f s = %.0f rows/s (extractor CPU %.1f s); "
      "peak RSS %.1f MiB" % (rows, t1 - t0, rows / (t1 - t0), cpu, rss / 1024))
X
