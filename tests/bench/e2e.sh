#!/usr/bin/env bash
# End to end: ROWS rows x 10 columns (the table of extract.sh) from the SQL
# Server stand-in through `retl extract --once`, a real Kafka broker and one
# `retl upload` into `retl sandbox` (rate cap off: rate_limit = 100000,
# max_in_flight = 8; the uploader started and joined first, its topic made
# beforehand), release build. For each stage: wall time, CPU seconds, peak
# RSS; end-to-end rows/s; and beside them, on the same data, each stage's
# ceiling (tests/bench/stage_bench.c): a bare db-lib loop over the query, a
# bare librdkafka producer sending the same Avro records, a plain load
# generator posting the uploader's own request bodies to the sandbox. Then
# the uploader alone (a second group on the full topic: join apart from the
# steady state), a rate-capped run (the sandbox at 100 requests/s, the
# Track API's fair-use figure) and an incremental run (1% of the rows
# changed, found by the indexed `updated` column). Prints figures; passes or
# fails on nothing but correctness (every row lands, every run committed).
#   tests/bench/e2e.sh [ROWS ...]        (default: 100000 1000000)
#   BENCH_LOG=debug: the uploader logs every request and answer (in KEEP's dir)
#   BENCH_PERF=1: profile the end-to-end run's processes with perf
#   BENCH_ALONE_OPTS="...": extra options of the uploader-alone run (e.g. --checkpoint-rows N)
#   KEEP=1: keep the work folder (logs) and say where it is
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. tests/bench/common.bash
SIZES=${*:-100000 1000000}
make -s bin/retl bin/retl-mssql-standin bin/bench/stage_bench >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/retl-e2e.XXXXXX")
cleanup() {
        # this shell's own background jobs still running, and only those
        local p
        for p in $(jobs -p); do kill -TERM "$p" 2>/dev/null || true; done
        wait 2>/dev/null || true
        tests/kafka/broker.sh stop "$W/kafka" >/dev/null 2>&1 || true
        if [ -n "${KEEP:-}" ]; then echo "   (work folder kept: $W)"; else rm -rf "$W"; fi
}
trap cleanup EXIT
B=$(tests/kafka/broker.sh start "$W/kafka")
echo "   load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores at the start"

# stop PID: SIGTERM, and wait for it
stop() {
        kill -TERM "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
}

# sandbox DIR [OPTIONS]: starts `retl sandbox` (site acme, key bench); sets
# SBX_PID and SBX_URL.
sandbox() {
        local d=$1; shift
        rm -f "$d/sbx.port"
        RETL_BENCH_KEY=bench bin/retl sandbox --listen 127.0.0.1:0 --port-file "$d/sbx.port" \
                --site-id acme --api-key-env RETL_BENCH_KEY --log-level warn "$@" \
                > "$d/sandbox.log" 2>&1 &
        SBX_PID=$!
        for _ in $(seq 300); do [ -s "$d/sbx.port" ] && break; sleep 0.05; done
        SBX_URL=http://127.0.0.1:$(cat "$d/sbx.port")
}

# config FILE PREFIX GROUP URL RATE [IN_FLIGHT]: the configuration of one run.
# Each group keeps its own row state (state topics named after it): a second
# group reading the same topic into a fresh sandbox must send every row, not
# skip them as unchanged by what the first group delivered.
config() {
        cat > "$1" <<X
log_level = "${BENCH_LOG:-info}";
kafka = { brokers = "$B"; replication_factor = 1; topic_prefix = "$2"; group = "$3";
          state_topic_prefix = "state-$3.";
          imports_topic = "$2imports"; failures_topic = "$2failures"; properties = { }; };
databases = ({ name = "src"; host = "127.0.0.1"; port = $STANDIN_PORT; database = "crm";
               user = "retl"; password_env = "RETL_BENCH_PW"; encryption = "off"; });
workspaces = ({ name = "acme"; api_url = "$4"; site_id = "acme"; api_key_env = "RETL_BENCH_KEY";
                rate_limit = $5; max_in_flight = ${6:-8}; });
syncs = ({ name = "people"; workspace = "acme"; database = "src"; import = "people";
           interval = "1d";
           query = "SELECT id, email, first_name, last_name, score, plan, active, signed_up, visits, updated FROM people WHERE updated > {{last_sync_time}}"; });
X
}

# uploader CONF LOG [OPTIONS]: starts `retl upload` and waits for its
# assignment; sets UP_PID, UP_T0 (its start) and UP_JOINED (assigned).
uploader() {
        local conf=$1 log=$2; shift 2
        UP_T0=$(date +%s.%N)
        RETL_BENCH_KEY=bench bin/retl upload -c "$conf" "$@" > "$log" 2>&1 &
        UP_PID=$!
        for _ in $(seq 600); do grep -q ": assigned $T " "$log" && break; sleep 0.05; done
        UP_JOINED=$(log_s "$log" ": assigned $T ")
        [ -n "$UP_JOINED" ] || { echo "the uploader did not join"; tail "$log"; exit 1; }
}

# wait_committed LOG OFFSET: waits for the uploader's commit of OFFSET and
# prints the time of its log line.
wait_committed() {
        for _ in $(seq 6000); do
                grep -q "committed offset $2 " "$1" && break
                kill -0 "$UP_PID" 2>/dev/null || { echo "the uploader stopped" >&2; tail "$1" >&2; exit 1; }
                sleep 0.05
        done
        log_s "$1" "committed offset $2 "
}

# counter URL PATH: one number of the sandbox's counters (python path)
counter() {
        curl -s "$1/_sandbox/counters" | python3 -c "import json,sys; c=json.load(sys.stdin); print(c$2)"
}

fig() { python3 -c "import sys; print(eval(sys.argv[1]))" "$1"; }

# profile DATA WHAT: where the CPU went (perf), by process and library, and
# the top functions
profile() {
        echo "   profile of the $2 (perf, CPU samples):"
        { perf report -i "$1" --no-children --sort comm,dso --stdio 2>/dev/null \
                | grep -E '^ +[0-9.]+%' | head -8 | sed 's/^ */     /'; } || true
        { perf report -i "$1" --no-children --sort comm,symbol --stdio 2>/dev/null \
                | grep -E '^ +[0-9.]+%' | head -12 | sed 's/^ */     /;s/  *- *- *$//'; } || true
}

# steady_from LOG END: seconds from the run's first record read (the group
# join apart) to END
steady_from() {
        fig "$2 - $(log_s "$1" "run=.* (started|resumed)")"
}

QUERY="SELECT id, email, first_name, last_name, score, plan, active, signed_up, visits, updated FROM people"
first=1
for R in $SIZES; do
        D=$W/$R; mkdir -p "$D"
        bench_table "$D/src.sqlite" "$R" $(( $(date +%s) - 86400 ))
        bench_standin "$D/src.sqlite" "$D"
        echo "-- $R rows x 10 columns (load average $(cut -d' ' -f1 /proc/loadavg))"
        P="e$R."
        T=${P}acme
        end=$((R + 2))
        broker_jvm=$(pgrep -f -n "kafka.Kafka $W/kafka/server.properties" || true)

        # ---- end to end
        sandbox "$D"
        bin/bench/stage_bench topic "$B" "$T" 2>/dev/null
        config "$D/retl.cfg" "$P" "e$R" "$SBX_URL" 100000
        uploader "$D/retl.cfg" "$D/upload.log"
        up_join=$(fig "$UP_JOINED - $UP_T0")
        c_sbx=$(proc_cpu "$SBX_PID"); c_up=$(proc_cpu "$UP_PID"); c_sti=$(proc_cpu "$STANDIN_PID")
        c_bro=$( [ -n "$broker_jvm" ] && proc_cpu "$broker_jvm" || echo 0)
        perf_pid=
        if [ -n "${BENCH_PERF:-}" ]; then
                perf record -q -F 499 -p "$UP_PID,$SBX_PID" -o "$D/perf-up.data" >/dev/null 2>&1 &
                perf_pid=$!
                sleep 0.5
        fi
        t0=$(date +%s.%N)
        /usr/bin/time -v ${BENCH_PERF:+perf record -q -F 499 -o "$D/perf-ext.data"} \
                bin/retl extract -c "$D/retl.cfg" --once people 2> "$D/time.log" \
                || { tail -20 "$D/time.log"; exit 1; }
        t_ext=$(fig "$(date +%s.%N) - $t0")
        t_e2e=$(fig "$(wait_committed "$D/upload.log" "$end") - $t0")
        if [ -n "$perf_pid" ]; then
                kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
                profile "$D/perf-ext.data" "extractor" > "$D/profile"
                profile "$D/perf-up.data" "uploader and sandbox" >> "$D/profile"
        fi
        ext_rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$D/time.log")
        ext_cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u + s}' "$D/time.log")
        up_cpu=$(fig "$(proc_cpu "$UP_PID") - $c_up"); up_rss=$(proc_hwm "$UP_PID")
        sbx_cpu=$(fig "$(proc_cpu "$SBX_PID") - $c_sbx")
        sti_cpu=$(fig "$(proc_cpu "$STANDIN_PID") - $c_sti")
        bro_cpu=$( [ -n "$broker_jvm" ] && fig "$(proc_cpu "$broker_jvm") - $c_bro" || echo 0)
        people=$(counter "$SBX_URL" '["workspace"]["people"]')
        [ "$people" = "$R" ] || { echo "the sandbox holds $people people, not $R"; exit 1; }
        stop "$UP_PID"
        stop "$SBX_PID"

        # ---- the ceilings, on the same data
        bin/bench/stage_bench db 127.0.0.1 "$STANDIN_PORT" crm retl RETL_BENCH_PW \
                "$QUERY WHERE updated > 0" > "$D/ceil-db"
        bin/bench/stage_bench produce "$B" "$T" "copy-e$R" > "$D/ceil-kafka" 2>/dev/null
        sandbox "$D"
        c0=$(proc_cpu "$SBX_PID")
        bin/bench/stage_bench post "$B" "$T" "$SBX_URL" acme bench 8 500000 > "$D/ceil-sbx" 2>/dev/null
        ceil_sbx_cpu=$(fig "$(proc_cpu "$SBX_PID") - $c0")
        stop "$SBX_PID"

        # ---- the uploader alone: a second group on the full topic, a fresh sandbox
        sandbox "$D"
        config "$D/alone.cfg" "$P" "e$R-alone" "$SBX_URL" 100000
        uploader "$D/alone.cfg" "$D/alone.log" ${BENCH_ALONE_OPTS:-}
        a_join=$(fig "$UP_JOINED - $UP_T0")
        c0=$(proc_cpu "$UP_PID"); s0=$(proc_cpu "$SBX_PID")
        a_steady=$(steady_from "$D/alone.log" "$(wait_committed "$D/alone.log" "$end")")
        a_cpu=$(fig "$(proc_cpu "$UP_PID") - $c0"); a_rss=$(proc_hwm "$UP_PID")
        a_sbx=$(fig "$(proc_cpu "$SBX_PID") - $s0")
        stop "$UP_PID"
        stop "$SBX_PID"

        python3 - "$R" "$t_ext" "$ext_cpu" "$ext_rss" "$t_e2e" "$up_cpu" "$up_rss" "$up_join" \
                "$sbx_cpu" "$sti_cpu" "$bro_cpu" "$a_steady" "$a_cpu" "$a_rss" "$a_sbx" "$a_join" \
                "$ceil_sbx_cpu" "$(cat "$D/ceil-db")" "$(cat "$D/ceil-kafka")" \
                "$(cat "$D/ceil-sbx")" <<'X'
import re, sys
a = sys.argv
r = int(a[1])
text, ecpu, erss, te2e, ucpu, urss, ujoin, scpu, stcpu, bcpu = map(float, a[2:12])
asteady, acpu, arss, asbx, ajoin, csbx = map(float, a[12:18])
def rate(line):
    m = re.search(r"= (\d+) rows/s, CPU ([\d.]+) s", line)
    return float(m.group(1)) if m else float("nan")
db, kafka, post = rate(a[18]), rate(a[19]), rate(a[20])
ext, alone = r / text, r / asteady
print("   %-34s %7s %9s %7s %9s" % ("stage", "wall s", "rows/s", "CPU s", "peak RSS"))
row = "   %-34s %7.2f %9.0f %7.2f %5.0f MiB"
print(row % ("extractor", text, ext, ecpu, erss))
print("     ceiling: bare db-lib read %9.0f rows/s -> extractor at %3.0f%% of it" % (db, 100 * ext / db))
print("     ceiling: bare producer    %9.0f rows/s -> extractor at %3.0f%% of it" % (kafka, 100 * ext / kafka))
print(row % ("uploader, in the end-to-end run", te2e, r / te2e, ucpu, urss) +
      "  idle %.0f%%, group join %.2f s before (apart)" % (max(0, 100 * (1 - ucpu / te2e)), ujoin))
print(row % ("uploader alone, steady state", asteady, alone, acpu, arss) + "  group join %.2f s (apart)" % ajoin)
print("     ceiling: load generator   %9.0f rows/s -> uploader at %3.0f%% of it" % (post, 100 * alone / post))
print("     sandbox CPU %.2f s under the uploader, %.2f s under the load generator" % (asbx, csbx))
print("   in the end-to-end run: sandbox CPU %.2f s, SQL Server stand-in %.2f s, Kafka broker %.2f s;"
      % (scpu, stcpu, bcpu))
print("   all five processes %.1f CPU s = %.1f s of the machine's %d cores"
      % (ecpu + ucpu + scpu + stcpu + bcpu, (ecpu + ucpu + scpu + stcpu + bcpu) / 2, 2))
print("   END TO END %.2f s = %.0f rows/s (the extractor's start to the run's commit)" % (te2e, r / te2e))
X

        [ -s "$D/profile" ] && cat "$D/profile"

        # ---- rate-capped: the sandbox at 100 requests/s, the workspace's
        # rate_limit set to it, requests of CAP_BYTES (small enough that the
        # cap, not the sandbox, binds); first size only. The steady rate is
        # read from the sandbox's own log of the requests it received, past
        # the first second (an idle workspace may send rate_limit at once).
        if [ -n "$first" ]; then
                cap_bytes=${CAP_BYTES:-40000}
                sandbox "$D" --rate-limit 100
                # 16 in flight: enough for 100 requests/s while answers take
                # up to 160 ms on this loaded machine (in flight >= rate x latency)
                config "$D/capped.cfg" "$P" "e$R-capped" "$SBX_URL" 100 16
                uploader "$D/capped.cfg" "$D/capped.log" --batch-bytes "$cap_bytes"
                c_all=$(steady_from "$D/capped.log" "$(wait_committed "$D/capped.log" "$end")")
                curl -s "$SBX_URL/_sandbox/requests?limit=1000" > "$D/capped-requests.json"
                stop "$UP_PID"
                stop "$SBX_PID"
                python3 - "$R" "$c_all" "$cap_bytes" "$D/capped-requests.json" <<'X'
import json, sys
r, t_all, cb = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
reqs = [q for q in json.load(open(sys.argv[4]))["requests"] if q["path"].startswith("/api/v2/batch")]
ok = [q for q in reqs if q["status"] == 200]
n429 = sum(1 for q in reqs if q["status"] == 429)
# what the sandbox's limiter counts: requests per wall-clock second; the
# first second (an idle workspace's burst may fall in it) and the last
# (partial) are left out
win = {}
for q in ok:
    win.setdefault(q["time_ms"] // 1000, []).append(q["accepted"])
full = sorted(win)[1:-1]
per = sum(q["accepted"] for q in ok) / len(ok)
reqs_s = sum(len(win[k]) for k in full) / len(full)
rate = sum(sum(win[k]) for k in full) / len(full)
print("   rate-capped (the sandbox at 100 requests/s, rate_limit = 100, max_in_flight = 16, --batch-bytes %s, %.0f rows"
      " per request):\n     %.1f requests/s = %.0f rows/s over %d whole seconds, against the %.0f rows/s"
      " the cap allows -> %.0f%% of it; %d answers 429; the whole run %.0f rows/s"
      % (cb, per, reqs_s, rate, len(full), 100 * per, 100 * rate / (100 * per), n429, r / t_all))
X
                first=
        fi

        # ---- incremental: 1% of the rows changed since the run above (the
        # indexed updated column); the group's own uploader, joined first
        sandbox "$D"
        config "$D/retl.cfg" "$P" "e$R" "$SBX_URL" 100000
        uploader "$D/retl.cfg" "$D/incr.log"
        sqlite3 "$D/src.sqlite" "UPDATE people SET updated = $(date +%s), visits = visits + 1 WHERE id % 100 = 0"
        t0=$(date +%s.%N)
        bin/retl extract -c "$D/retl.cfg" --once people 2> "$D/incr-extract.log" \
                || { tail -20 "$D/incr-extract.log"; exit 1; }
        t_ext=$(fig "$(date +%s.%N) - $t0")
        t_inc=$(fig "$(wait_committed "$D/incr.log" "$((end + R / 100 + 2))") - $t0")
        changed=$(counter "$SBX_URL" '["workspace"]["people"]')
        [ "$changed" = "$((R / 100))" ] || { echo "the sandbox got $changed people, not $((R / 100))"; exit 1; }
        stop "$UP_PID"
        stop "$SBX_PID"
        printf "   incremental: %d changed rows of %d: end to end %.2f s (the extractor %.2f s of it)\n" \
                $((R / 100)) "$R" "$t_inc" "$t_ext"
        stop "$STANDIN_PID"
done
