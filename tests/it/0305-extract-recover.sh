#!/usr/bin/env bash
# 0305: an extractor killed (-9) while publishing leaves its run open; the
# next extractor daemon closes it at start with a CANCELLED RunFinished, so
# the uploaders can finish it and the workspace's later runs are not skipped
# forever. A run that has its end is left alone.
. "$(dirname "$0")/extract-lib.sh"
PREFIX=t0305

start_big_standin
write_cfg $PREFIX '
 { name = "big"; workspace = "acme"; database = "src"; import = "people"; interval = "1h";
   start = "2099-01-01T00:00:00Z";
   query = "SELECT id, email, note FROM people ORDER BY id"; }'

has_rows() { local h; h=$(high "$PREFIX.acme"); [ -n "$h" ] && [ "$h" -gt 2000 ]; }

"$RETL" extract -c "$T/retl.cfg" --once big 2> "$T/killed.log" &
DAEMON_PID=$!
wait_for "rows on the topic" 120 has_rows
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
dump
python3 - "$T/dump.jsonl" <<'X' || fail "the killed run should be open"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs[0]["type"] == "RunStarted" and recs[-1]["type"] == "Row", recs[-1]
X
ok "kill -9 mid-run leaves the run open (RunStarted, rows, no RunFinished)"

# The daemon (its sync's first slot is far away) closes the open run at start.
"$RETL" extract -c "$T/retl.cfg" 2> "$T/daemon.log" &
DAEMON_PID=$!
closed() { grep -q 'closed run big-' "$T/daemon.log"; }
wait_for "the daemon to close the open run" 60 closed
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=
[ $rc = 0 ] || fail "daemon exit $rc"
dump
python3 - "$T/dump.jsonl" <<'X' || fail "the open run should be closed"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
started, fin = recs[0], recs[-1]
rows = [r for r in recs if r["type"] == "Row"]
assert fin["type"] == "RunFinished" and fin["status"] == "CANCELLED", fin
assert fin["run_id"] == started["run_id"] and fin["rows"] == len(rows), (fin, len(rows))
assert "restarted" in fin["error"], fin
assert sum(1 for r in recs if r["type"] == "RunFinished") == 1
X
ok "the restarted daemon closed it: CANCELLED RunFinished with the rows published"

# Once the uploaders imported it (commit), the next run is not skipped; a
# second daemon start finds nothing open and writes nothing.
commit_all big 0
before=$(high "$PREFIX.acme")
"$RETL" extract -c "$T/retl.cfg" 2> "$T/daemon2.log" &
DAEMON_PID=$!
ready() { grep -q 'sync big: every' "$T/daemon2.log"; }
wait_for "the second daemon to plan its syncs" 60 ready
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=
[ $rc = 0 ] || fail "second daemon exit $rc"
[ "$(high "$PREFIX.acme")" = "$before" ] || fail "a closed log was written to"
! grep -q 'closed run' "$T/daemon2.log" || fail "a finished run was closed again"
ok "nothing open: nothing written"

# The uploaders may have committed everything published so far part-way
# through the killed run (a mid-run checkpoint): nothing is uncommitted, yet
# the run is open. The daemon still closes it.
run_start=$(high "$PREFIX.acme")
"$RETL" extract -c "$T/retl.cfg" --once big 2> "$T/killed2.log" &
DAEMON_PID=$!
has_more() { local h; h=$(high "$PREFIX.acme"); [ -n "$h" ] && [ "$h" -gt $((run_start + 2000)) ]; }
wait_for "rows of the second run" 120 has_more
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
end=$(high "$PREFIX.acme")
"$HELPER_COMMIT" "$RETL_KAFKA_BROKERS" "g-$PREFIX" "$PREFIX.acme" high \
        "retl1 run=$run_start,$((end - run_start - 1)),$((end - run_start - 1)),0 s=big:0" > /dev/null
"$RETL" extract -c "$T/retl.cfg" 2> "$T/daemon3.log" &
DAEMON_PID=$!
closed3() { grep -q 'closed run big-' "$T/daemon3.log"; }
wait_for "the daemon to close the run behind the mid-run checkpoint" 60 closed3
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=
[ $rc = 0 ] || fail "third daemon exit $rc"
dump
python3 - "$T/dump.jsonl" "$run_start" <<'X' || fail "the run behind the checkpoint should be closed"
import json, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r["offset"] >= int(sys.argv[2])]
assert recs[0]["type"] == "RunStarted", recs[0]
fin = recs[-1]
assert fin["type"] == "RunFinished" and fin["status"] == "CANCELLED" and fin["run_id"] == recs[0]["run_id"], fin
X
ok "a run open behind a mid-run checkpoint (nothing uncommitted) is closed too"
