#!/usr/bin/env bash
# 0304: SIGTERM during a run ends it cleanly (the query cancelled, a
# CANCELLED RunFinished, everything flushed, exit 0); the daemon runs a sync
# at its start, again every interval (skipped while the uploaders have not
# imported the previous run), leaves paused syncs alone, and stops on
# SIGTERM with exit 0.
. "$(dirname "$0")/extract-lib.sh"
PREFIX=t0304

start_big_standin
write_cfg $PREFIX '
 { name = "big"; workspace = "acme"; database = "src"; import = "people"; interval = "1h";
   query = "SELECT id, email, note FROM people ORDER BY id"; }'

has_rows() { local h; h=$(high "$PREFIX.acme"); [ -n "$h" ] && [ "$h" -gt 2000 ]; }

"$RETL" extract -c "$T/retl.cfg" --once big 2> "$T/big.log" &
DAEMON_PID=$!
wait_for "rows on the topic" 120 has_rows
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=
[ $rc = 0 ] || { tail -5 "$T/big.log"; fail "SIGTERM during a run: exit $rc, want 0"; }
dump
python3 - "$T/dump.jsonl" <<'X' || fail "cancelled run"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs[0]["type"] == "RunStarted" and recs[-1]["type"] == "RunFinished"
rows = len(recs) - 2
fin = recs[-1]
assert fin["status"] == "CANCELLED" and fin["rows"] == rows and 0 < rows < 1000000, (fin, rows)
assert all(r["type"] == "Row" and r["row_number"] == i + 1 for i, r in enumerate(recs[1:-1]))
X
grep -q 'cancelled after' "$T/big.log" || fail "cancel not logged"
ok "SIGTERM mid-run: CANCELLED RunFinished after the rows sent, all flushed, exit 0"

# The daemon: "tick" every 2 s from now, "idle" paused.
commit_all big 0
write_cfg $PREFIX '
 { name = "tick"; workspace = "acme"; database = "src"; import = "people"; interval = "2s";
   query = "SELECT id, email FROM people WHERE id <= 3"; },
 { name = "idle"; workspace = "acme"; database = "src"; import = "people"; interval = "1s";
   paused = true; query = "SELECT id FROM people WHERE id <= 3"; }'
start_offset=$(high "$PREFIX.acme")
"$RETL" extract -c "$T/retl.cfg" 2> "$T/daemon.log" &
DAEMON_PID=$!
skipped() { "$RETL" dump -c "$T/retl.cfg" --topic "$PREFIX.imports" --from-beginning --json 2>/dev/null | grep -q '"status":"SKIPPED"'; }
wait_for "a skipped second run" 30 skipped
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=
[ $rc = 0 ] || fail "daemon SIGTERM: exit $rc"
dump
python3 - "$T/dump.jsonl" "$start_offset" <<'X' || fail "daemon runs"
import json, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r["offset"] >= int(sys.argv[2])]
assert [r["type"] for r in recs] == ["RunStarted", "Row", "Row", "Row", "RunFinished"], [r["type"] for r in recs]
assert recs[0]["sync"] == "tick" and recs[-1]["status"] == "OK"
assert not any(r.get("sync") == "idle" for r in recs)
X
grep -q 'sync idle is paused' "$T/daemon.log" || fail "paused sync not reported"
ok "daemon: runs at start, repeats each interval (skipped while not imported), paused sync idle, SIGTERM exit 0"
