#!/usr/bin/env bash
# 0602: the uploader fleet scales out, and the pipeline survives losing an
# uploader and restarting the extractor.
#
# Four workspaces (one `retl sandbox` each, site ids site-w1..site-w4), one
# SQLite source behind the TDS stand-in with a table per workspace, ONE
# extractor daemon (`retl extract -c`, every sync each 4 s) and THREE uploader
# processes (u1, u2, u3) in one consumer group, on the real broker.
#
#   1. initial load: every workspace is served (each uploader logs what it
#      holds), every row lands; prints the assignment and rows per second.
#   2. a second generation of every row, the Track API slowed down; the
#      uploader holding the most workspaces is killed with -9 once one of its
#      runs has a mid-run checkpoint; the others take its workspaces over and
#      every row lands with the new generation. Prints the takeover time.
#   3. a third generation with a slow query (rows take ms each): the extractor
#      is stopped with SIGTERM in the middle of a run, started again, then
#      killed with -9 in the middle of a run and started again (it closes the
#      abandoned run with a CANCELLED RunFinished at start); every row
#      lands, every run on the workspace topics has exactly one final import
#      report, no run is published twice, and last_sync_time only moves
#      forward (in the reports and in `retl status --json`).
. "${RETL_ROOT:-$(dirname "$0")/../..}/tests/it/extract-lib.sh"
PREFIX=t0602
NWS=4
NROWS=${RETL_0602_ROWS:-10000}           # rows per workspace
export RETL_TEST_API_KEY=k0602
SBX_PIDS=(); SBX_PORTS=(); UP_PIDS=()

cleanup() {
        local p
        [ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null
        for p in "${UP_PIDS[@]}" "${SBX_PIDS[@]}"; do
                [ -n "$p" ] && kill "$p" 2>/dev/null
        done
        [ -n "$STANDIN_PID" ] && kill "$STANDIN_PID" 2>/dev/null
        wait 2>/dev/null || true
}
trap cleanup EXIT
now_ms() { date +%s%3N; }
say() { echo "   $*"; }

# ---------------------------------------------------------------- the source
{
        echo "CREATE TABLE pad(x INT);"
        for w in $(seq 1 $NWS); do
                echo "CREATE TABLE people_w$w(id INT PRIMARY KEY, email NVARCHAR(100), gen INT,"
                echo "  note NVARCHAR(200), updated BIGINT);"
                echo "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $NROWS)"
                echo " INSERT INTO people_w$w SELECT x, 'w$w-' || x || '@example.com', 1,"
                echo "  'workspace $w row ' || x || ' of the scale-out test', 100 FROM c;"
        done
} > "$T/src.sql"
start_standin "$T/src.sql"

# ---------------------------------------------------------------- sandboxes
for w in $(seq 1 $NWS); do
        "$RETL" sandbox --listen 127.0.0.1:0 --port-file "$T/sbx$w.port" --site-id "site-w$w" \
                --api-key-env RETL_TEST_API_KEY --identifiers id --threads 2 \
                > "$T/sbx$w.log" 2>&1 &
        SBX_PIDS+=($!)
done
for w in $(seq 1 $NWS); do
        wait_for "sandbox w$w" 30 test -s "$T/sbx$w.port"
        SBX_PORTS+=("$(cat "$T/sbx$w.port")")
done
sbx() { echo "http://127.0.0.1:${SBX_PORTS[$(($1 - 1))]}"; }
faults() { # faults JSON: the same fault settings on every sandbox
        local w
        for w in $(seq 1 $NWS); do
                curl -fsS -XPOST "$(sbx $w)/_sandbox/faults" -d "$1" >/dev/null || fail "faults on w$w"
        done
}

# ---------------------------------------------------------------- configuration
# The query costs one scan of `pad` per row: empty, it is free; phase 3 fills it
# to make runs last long enough to be interrupted.
{
        cat <<X
log_level = "info";
kafka = { brokers = "$RETL_KAFKA_BROKERS"; replication_factor = 1; topic_prefix = "$PREFIX."; state_topic_prefix = "$PREFIX-state.";
          group = "g-$PREFIX"; imports_topic = "$PREFIX-imports"; failures_topic = "$PREFIX-failures";
          properties = { session_timeout_ms = 6000; heartbeat_interval_ms = 500;
                         topic_metadata_refresh_interval_ms = 1000; }; };
databases = ({ name = "src"; host = "127.0.0.1"; port = $PORT; database = "crm"; user = "retl";
               password_env = "RETL_TEST_DB_PASSWORD"; encryption = "off"; login_timeout = 5; });
workspaces = (
X
        for w in $(seq 1 $NWS); do
                echo "  { name = \"w$w\"; api_url = \"$(sbx $w)\"; site_id = \"site-w$w\";"
                echo "    api_key_env = \"RETL_TEST_API_KEY\"; max_in_flight = 2; }$([ $w = $NWS ] || echo ,)"
        done
        echo ");"
        echo "syncs = ("
        for w in $(seq 1 $NWS); do
                echo "  { name = \"people-w$w\"; workspace = \"w$w\"; database = \"src\"; import = \"people\";"
                echo "    identify_by = \"id\"; interval = \"4s\";"
                echo "    query = \"SELECT p.id, p.email, p.gen, p.note FROM people_w$w p"
                echo "             WHERE p.updated >= {{last_sync_time}}"
                echo "               AND (SELECT count(*) FROM pad WHERE pad.x > p.id - p.id) >= 0 ORDER BY p.id\"; }$([ $w = $NWS ] || echo ,)"
        done
        echo ");"
} > "$T/retl.cfg"
"$RETL" config -c "$T/retl.cfg" > /dev/null || fail "test configuration"

# ---------------------------------------------------------------- daemons
start_uploader() { # start_uploader N
        "$RETL" upload -c "$T/retl.cfg" --client-id "u$1" --checkpoint-rows 500 \
                --checkpoint-interval 2 --batch-bytes 50000 >> "$T/u$1.log" 2>&1 &
        UP_PIDS[$1]=$!
}
start_extractor() {
        echo "=== extractor start $(date -u +%FT%T.%3NZ)" >> "$T/extract.log"
        "$RETL" extract -c "$T/retl.cfg" >> "$T/extract.log" 2>&1 &
        DAEMON_PID=$!
}
stop_extractor() { # stop_extractor SIGNAL: stops it, checks the exit status
        local rc
        kill -"$1" "$DAEMON_PID"
        set +e; { wait "$DAEMON_PID"; rc=$?; } 2>/dev/null; set -e
        DAEMON_PID=
        case $1 in
        TERM) [ $rc = 0 ] || { tail -5 "$T/extract.log"; fail "extractor: SIGTERM exit $rc, want 0"; } ;;
        9) [ $rc = 137 ] || fail "extractor: kill -9 exit $rc, want 137" ;;
        esac
}

# holdings: "u1 w1,w3" lines, from the uploaders' assigned/revoked log lines.
holdings() {
        local u
        for u in 1 2 3; do
                [ -f "$T/u$u.log" ] || continue
                echo "u$u $(awk -v p="$PREFIX." '
                        / assigned / { for (i = 1; i <= NF; i++) if (index($i, p) == 1) h[substr($i, length(p) + 1)] = 1 }
                        / revoked /  { for (i = 1; i <= NF; i++) if (index($i, p) == 1) delete h[substr($i, length(p) + 1)] }
                        END { s = ""; for (k in h) s = s (s == "" ? "" : ",") k; print s }' "$T/u$u.log" |
                        tr ',' '\n' | sort | paste -sd, -)"
        done
}
alive_holdings() { # holdings of the uploaders still running
        local u
        holdings | while read -r u ws; do
                kill -0 "${UP_PIDS[${u#u}]}" 2>/dev/null && echo "$u $ws"
        done
}
# every workspace held by exactly one live uploader
all_served() {
        local got
        got=$(alive_holdings | awk '{print $2}' | tr ',' '\n' | grep . | sort)
        [ "$got" = "$(seq 1 $NWS | sed 's/^/w/')" ]
}

# imports: the imports topic as JSON lines in $T/imports.jsonl
imports() {
        "$RETL" dump -c "$T/retl.cfg" --topic "$PREFIX-imports" --from-beginning --json \
                > "$T/imports.jsonl" 2> "$T/dump.err"
}
# landed GEN: every sandbox holds its NROWS people, all of generation GEN
landed() {
        python3 - "$1" "$NROWS" "${SBX_PORTS[@]}" <<'X'
import json, sys, urllib.request
gen, n, ports = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
for w, port in enumerate(ports, 1):
    d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_sandbox/people?limit=1000000" % port))
    if d["count"] != n:
        sys.exit(1)
    for p in d["people"]:
        if p["attributes"].get("gen") != gen or p["email"] != "w%d-%s@example.com" % (w, p["id"]):
            sys.exit(1)
X
}
# pending: the workspace topics with records not yet committed by the uploaders
pending() {
        "$RETL" upload -c "$T/retl.cfg" --status 2>/dev/null |
                awk '{ c = ""; e = ""; for (i = 1; i <= NF; i++) { if ($i ~ /^committed=/) c = substr($i, 11); if ($i ~ /^end=/) e = substr($i, 5) }
                       if (c != e) print $1 }'
}
idle() { [ -z "$(pending)" ] && "$RETL" upload -c "$T/retl.cfg" --status >/dev/null 2>&1; }
# status_lst: "sync lst" lines from retl status --json; checks they never go back
status_lst() {
        "$RETL" status -c "$T/retl.cfg" --json --limit 1 > "$T/status.json" || fail "retl status"
        python3 - "$T/status.json" "$T/lst.seen" <<'X' || fail "last_sync_time went back"
import json, os, sys
cur = {s["sync"]: s["last_sync_time"] for s in json.load(open(sys.argv[1]))["syncs"]}
seen = json.load(open(sys.argv[2])) if os.path.exists(sys.argv[2]) else {}
for k, v in cur.items():
    assert v >= seen.get(k, 0), "%s: last_sync_time %d after %d" % (k, v, seen.get(k, 0))
json.dump(cur, open(sys.argv[2], "w"))
X
}

# ================================================================ 1. scale out
say "phase 1: $NWS workspaces x $NROWS rows, 3 uploaders, 1 extractor"
for u in 1 2 3; do start_uploader $u; done
t_start=$(now_ms)
start_extractor
# every workspace held by one uploader, every uploader holding one at least
spread() {
        local u
        all_served || return 1
        for u in 1 2 3; do
                alive_holdings | awk -v u=u$u '$1 == u && $2 != "" { f = 1 } END { exit !f }' || return 1
        done
}
wait_for "the workspaces spread over the 3 uploaders" 60 spread
say "assignment ($(( $(now_ms) - t_start )) ms after the extractor started):"
holdings | sed 's/^/      /'
ok "every workspace is held by one uploader, and every uploader holds one at least"
wait_for "every row of generation 1 in its sandbox" 120 landed 1
t_landed=$(now_ms)
imports
python3 - "$T/imports.jsonl" "$NROWS" "$NWS" "$t_start" "$t_landed" <<'X' || fail "phase 1 reports"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
n, nws, t0, t1 = map(int, sys.argv[2:])
done = [r for r in recs if r["status"] == "COMPLETED" and r["rows"] == n]
ws = sorted({r["workspace"] for r in done})
assert ws == ["w%d" % i for i in range(1, nws + 1)], ws
first = {}
for r in done:
    first.setdefault(r["workspace"], r)
start = min(r["started_at_ms"] for r in first.values())
end = max(r["finished_at_ms"] for r in first.values())
# a run taken over when the group rebalanced as the uploaders joined counts
# the rows its first owner delivered as unchanged (row state): none is lost
rows = sum(r["imported"] + r.get("unchanged", 0) for r in first.values())
assert rows == n * nws, rows
for w in sorted(first):
    r = first[w]
    print("      %s: %d rows in %.1f s (run start to import report), %.0f rows/s" % (
        w, r["imported"], (r["finished_at_ms"] - r["started_at_ms"]) / 1000,
        r["imported"] * 1000 / max(1, r["finished_at_ms"] - r["started_at_ms"])))
print("   overall: %d rows in %.1f s from the first run's start to the last import report: %.0f rows/s"
      % (rows, (end - start) / 1000, rows * 1000 / (end - start)))
print("   (from the extractor's start to the last row seen in the sandboxes: %.1f s)" % ((t1 - t0) / 1000))
X
ok "phase 1: every row of every workspace landed, each run COMPLETED"

# ================================================================ 2. kill -9 an uploader
say "phase 2: generation 2 of every row; the Track API answers after 400 ms"
wait_for "the uploaders idle" 60 idle
faults '{"latency_ms":400}'
for w in $(seq 1 $NWS); do
        src_sql "UPDATE people_w$w SET gen = 2, updated = strftime('%s','now')"
done
victim=$(alive_holdings | awk '{ print gsub(/w/, "w", $2), $1 }' | sort -rn | head -1 | awk '{print $2}')
victim_ws=$(alive_holdings | awk -v v="$victim" '$1 == v { print $2 }')
say "victim: $victim holding $victim_ws"
# kill once one of its workspaces has a mid-run checkpoint (a run= marker) with
# 500 rows imported at least
midrun() {
        "$RETL" upload -c "$T/retl.cfg" --status 2>/dev/null | grep -E "workspace=($(echo "$victim_ws" | tr , '|')) " |
                grep -qE 'checkpoint="retl1 run=[0-9]+,[0-9]+,([5-9][0-9]{2}|[0-9]{4,}),'
}
wait_for "a mid-run checkpoint (500 rows imported at least) on $victim_ws" 90 midrun
LOGPOS=(); for u in 1 2 3; do LOGPOS[$u]=$(wc -l < "$T/u$u.log"); done
kill -9 "${UP_PIDS[${victim#u}]}"
t_kill=$(now_ms)
wait "${UP_PIDS[${victim#u}]}" 2>/dev/null || true
say "killed $victim (-9) in the middle of a run"
faults '{}'
wait_for "the other uploaders to take $victim_ws over" 60 all_served
t_takeover=$(now_ms)
say "assignment after the kill:"; alive_holdings | sed 's/^/      /'
say "takeover: $(( (t_takeover - t_kill) )) ms from kill -9 to every workspace of $victim assigned to a live uploader (session.timeout.ms 6000)"
wait_for "every row of generation 2 in its sandbox" 120 landed 2
t_landed=$(now_ms)
say "every row of generation 2 landed $(( (t_landed - t_kill) )) ms after the kill"
# What the new owners did with the runs the victim was importing: they resumed
# them at its last checkpoint, and those runs completed with every row imported.
for u in 1 2 3; do
        [ "u$u" = "$victim" ] || tail -n +"$((${LOGPOS[$u]} + 1))" "$T/u$u.log"
done | grep -E 'resuming a run in progress|sync=.* resumed at offset' > "$T/resumed.log" || true
imports
python3 - "$T/resumed.log" "$T/imports.jsonl" <<'X' || fail "runs resumed after the takeover"
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
reports = {}
for r in map(json.loads, open(sys.argv[2])):
    if r["status"] != "RUNNING":
        reports[r["run_id"]] = r
resumed = []
for i, l in enumerate(lines):
    m = re.search(r"ws=(\S+): resuming a run in progress: .*continuing at \d+ \((\d+) rows done", l)
    if m:
        run = next(re.search(r"run=(\S+) ", k).group(1) for k in lines[i + 1:] if "ws=%s:" % m.group(1) in k and "resumed at" in k)
        resumed.append((m.group(1), run, int(m.group(2))))
assert resumed, "no run was resumed from the victim's checkpoint"
for ws, run, done in resumed:
    r = reports.get(run)
    # rows the workspace holds already (row state) are not sent again
    assert r and r["status"] == "COMPLETED" and r["imported"] + r["unchanged"] == r["rows"] and r["failed"] == 0, (run, r)
    print("      %s: run %s resumed at row %d (the victim's last checkpoint); completed, %d of %d rows imported, %d unchanged"
          % (ws, run, done + 1, r["imported"], r["rows"], r["unchanged"]))
X
ok "phase 2: uploader $victim killed mid-run; its workspaces moved to the others, no row lost"
# a replacement joins, so phase 3 runs on three uploaders again
start_uploader "${victim#u}"

# ================================================================ 3. extractor restarts
say "phase 3: generation 3 with a slow query; the extractor is stopped mid-run (TERM, then -9) and restarted"
wait_for "the uploaders idle" 60 idle
status_lst
src_sql "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${RETL_0602_PAD:-3000})
        INSERT INTO pad SELECT x FROM c"
for w in $(seq 1 $NWS); do
        src_sql "UPDATE people_w$w SET gen = 3, updated = strftime('%s','now')"
done
# midpublish: the running extractor's last run has started (log) and published
# 100 rows at least since it was first seen (the topic's high watermark), with
# no finished/cancelled/skipped line after it
high() { kcat -b "$RETL_KAFKA_BROKERS" -Q -t "$1:0:-1" 2>/dev/null | awk '{print $NF}'; }
MP_RUN=; MP_HIGH=
midpublish() {
        local line run topic h
        line=$(awk '/^=== extractor start/ { l = "" } / started: workspace | finished: | cancelled after | skipped: / { l = $0 }
                    END { print l }' "$T/extract.log")
        case $line in *" started: workspace "*) ;; *) return 1 ;; esac
        run=$(sed -E 's/.* run=([^:]+):.*/\1/' <<<"$line")
        topic=$(sed -E 's/.* topic ([^,]+),.*/\1/' <<<"$line")
        h=$(high "$topic"); [ -n "$h" ] || return 1
        if [ "$run" != "$MP_RUN" ]; then MP_RUN=$run; MP_HIGH=$h; return 1; fi
        [ "$h" -ge $((MP_HIGH + 100)) ]
}
wait_for "a run in the middle of publishing" 90 midpublish
stop_extractor TERM
say "extractor stopped with SIGTERM mid-run (exit 0)"
status_lst
start_extractor
wait_for "a run in the middle of publishing (after the restart)" 90 midpublish
KILLED_RUN=$MP_RUN
stop_extractor 9
say "extractor killed with -9 mid-run (run $KILLED_RUN)"
status_lst
start_extractor
wait_for "the abandoned run to be finished and every row of generation 3 to land" 150 landed 3
status_lst
src_sql "DELETE FROM pad"
stop_extractor TERM
wait_for "the uploaders to import everything published" 90 idle
status_lst
ok "phase 3: every row of generation 3 landed through extractor restarts (TERM and -9 mid-run)"

# ---------------------------------------------------------------- the whole history
imports
for w in $(seq 1 $NWS); do
        "$RETL" dump -c "$T/retl.cfg" "w$w" --from-beginning --json > "$T/topic-w$w.jsonl" || fail "dump w$w"
done
python3 - "$T/imports.jsonl" "$KILLED_RUN" "$T/extract.log" "$T"/topic-w*.jsonl <<'X' || fail "run history"
import collections, json, sys
reports = [json.loads(l) for l in open(sys.argv[1])]
killed, extract_log = sys.argv[2], sys.argv[3]
started, finished = collections.Counter(), collections.Counter()
run_sync, fin_of, rows_of = {}, {}, collections.Counter()
for path in sys.argv[4:]:
    for r in map(json.loads, open(path)):
        if r["type"] == "RunStarted":
            started[r["run_id"]] += 1
            run_sync[r["run_id"]] = r["sync"]
        elif r["type"] == "RunFinished":
            finished[r["run_id"]] += 1
            fin_of[r["run_id"]] = r
        elif r["type"] == "Row" and r["part"] == "MAIN":
            rows_of[r["run_id"]] += 1
dup = [k for k, v in started.items() if v > 1]
assert not dup, "runs published twice: %s" % dup
# Every run has exactly one RunFinished, except perhaps the run killed with -9. The
# restarted extractor closes it with a CANCELLED RunFinished holding its row count
# (producer/recover.c) when the uploaders have not committed all of it yet; when
# they have (a mid-run checkpoint reached the end of the log before the restart)
# it stays open, and the uploader ends it as failed at the next RunStarted.
bad = [k for k in started if finished[k] != 1 and not (k == killed and finished[k] == 0)]
assert not bad, "runs without exactly one RunFinished: %s" % [(k, finished[k]) for k in bad]
assert killed in started, "the run killed with -9 (%s) is not on its topic" % killed
closed_at_start = "closed run %s of sync" % killed in open(extract_log).read()
assert closed_at_start == (finished[killed] == 1), "closed at start: %s, RunFinished: %d" % (
    closed_at_start, finished[killed])
if closed_at_start:
    assert fin_of[killed]["status"] == "CANCELLED" and fin_of[killed]["rows"] == rows_of[killed], (
        "run killed with -9: %r, %d rows on the topic" % (fin_of[killed], rows_of[killed]))
final = collections.defaultdict(list)
for r in reports:
    if r["status"] != "RUNNING":
        final[r["run_id"]].append(r["status"])
lost = [k for k in started if k not in final]
assert not lost, "runs on the topics without a final import report: %s" % lost
twice = {k: v for k, v in final.items() if len(v) != 1}
assert not twice, "runs with more than one final import report: %s" % twice
stray = [k for k, v in final.items() if k not in started and v != ["SKIPPED"]]
assert not stray, "final reports of runs that are on no topic: %s" % stray
# last_sync_time never goes back, per sync, in report order
last = {}
for r in reports:
    if r["status"] in ("RUNNING", "SKIPPED"):
        continue
    s = r["sync"]
    assert r["last_sync_time"] >= last.get(s, 0), "%s: last_sync_time %d after %d (run %s)" % (
        s, r["last_sync_time"], last.get(s, 0), r["run_id"])
    last[s] = r["last_sync_time"]
by = collections.Counter(final[k][0] for k in started)
skipped = sum(1 for v in final.values() if v == ["SKIPPED"])
print("   runs: %d published, final reports %s; %d runs skipped (import still in progress)" % (
    len(started), ", ".join("%d %s" % (n, s) for s, n in sorted(by.items())), skipped))
cancelled = [r for r in reports if r["status"] == "FAILED" and r["run_id"] in started]
print("   failed runs (stopped by SIGTERM / kill -9), each imported once and re-run:")
for r in cancelled:
    print("      %s: %d rows imported; %s" % (r["run_id"], r["imported"], r.get("error")))
assert killed in [r["run_id"] for r in cancelled], "the run killed with -9 was not reported FAILED"
if closed_at_start:
    print("   run killed with -9: closed by the restarted extractor (CANCELLED RunFinished, %d rows)"
          % fin_of[killed]["rows"])
else:
    print("   run killed with -9: its %d rows were all committed before the restart, so the extractor"
          " left it open; the uploader ended it at the next RunStarted" % rows_of[killed])
X
ok "every run published once, with one RunFinished and exactly one final import report; last_sync_time never went back"

# ---------------------------------------------------------------- clean exits
for u in 1 2 3; do
        kill -TERM "${UP_PIDS[$u]}"
        set +e; wait "${UP_PIDS[$u]}"; rc=$?; set -e
        UP_PIDS[$u]=
        [ $rc = 0 ] || { tail -5 "$T/u$u.log"; fail "uploader u$u: SIGTERM exit $rc, want 0"; }
done
for i in "${!SBX_PIDS[@]}"; do
        kill -TERM "${SBX_PIDS[$i]}"
        set +e; wait "${SBX_PIDS[$i]}"; rc=$?; set -e
        SBX_PIDS[$i]=
        [ $rc = 0 ] || fail "sandbox w$((i + 1)): SIGTERM exit $rc"
done
if grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T"/*.log; then
        fail "sanitizer reports in the logs above"
fi
ok "uploaders and sandboxes stop with exit 0; no sanitizer report in any log"
