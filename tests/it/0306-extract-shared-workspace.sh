#!/usr/bin/env bash
# 0306: two syncs of one workspace falling due at the same moment both run:
# the second waits for the first's import instead of being skipped every
# time (it would starve), and a slot is reported skipped only when the
# workspace stays busy until the sync's next slot.
. "$(dirname "$0")/extract-lib.sh"
PREFIX=t0306

cat > "$T/src.sql" <<'X'
CREATE TABLE people(id INT, email NVARCHAR(100));
INSERT INTO people VALUES (1, 'a@x.io'), (2, 'b@x.io');
X
start_standin "$T/src.sql"
write_cfg $PREFIX '
 { name = "sa"; workspace = "acme"; database = "src"; import = "people"; interval = "3s";
   query = "SELECT id, email FROM people WHERE id = 1"; },
 { name = "sb"; workspace = "acme"; database = "src"; import = "people"; interval = "3s";
   query = "SELECT id, email FROM people WHERE id = 2"; }'

# Stands in for the uploaders: commits whatever is on the topic.
committer() { while :; do commit_all sa 0 2>/dev/null || true; sleep 0.3; done; }
committer &
COMMITTER=$!
trap 'kill $COMMITTER 2>/dev/null || true; cleanup' EXIT

"$RETL" extract -c "$T/retl.cfg" 2> "$T/daemon.log" &
DAEMON_PID=$!
runs_of() { "$RETL" dump -c "$T/retl.cfg" acme --from-beginning --json 2>/dev/null |
        python3 -c 'import json,sys; print(sum(1 for r in map(json.loads, sys.stdin) if r["type"] == "RunStarted" and r["sync"] == sys.argv[1]))' "$1"; }
both_ran() { [ "$(runs_of sa)" -ge 3 ] && [ "$(runs_of sb)" -ge 3 ]; }
wait_for "three runs of each sync" 60 both_ran
grep -q 'sync sb waits: the previous import of workspace acme is still going' "$T/daemon.log" ||
        fail "sb never had to wait (the test did not exercise the case)"
ok "both syncs run every interval; sb waits for sa's import instead of being skipped"

# Without the uploaders the workspace stays busy: sb's slot ends skipped.
kill $COMMITTER; wait $COMMITTER 2>/dev/null || true
skipped() { "$RETL" dump -c "$T/retl.cfg" --topic "$PREFIX.imports" --from-beginning --json 2>/dev/null | grep -q '"status":"SKIPPED"'; }
wait_for "a skipped slot once nothing is imported" 30 skipped
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=
[ $rc = 0 ] || fail "daemon exit $rc"
ok "a slot the workspace stays busy through is reported skipped"
