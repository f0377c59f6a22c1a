#!/usr/bin/env bash
# 0313: `retl extract` on a file whose sync `retl config` refuses (a query
# that writes): it says at start, once, that the sync will never run and
# why, and the other syncs run; the refused sync publishes nothing.
. "$(dirname "$0")/extract-lib.sh"
PREFIX=t0313

cat > "$T/src.sql" <<'X'
CREATE TABLE people(id INT, email NVARCHAR(100));
INSERT INTO people VALUES (1, 'a@x.io'), (2, 'b@x.io');
X
start_standin "$T/src.sql"
write_cfg $PREFIX '
 { name = "good"; workspace = "acme"; database = "src"; import = "people"; interval = "1h";
   query = "SELECT id, email FROM people"; },
 { name = "writer"; workspace = "acme"; database = "src"; import = "people"; interval = "1h";
   query = "SELECT id, email FROM people; DELETE FROM people"; }'
set +e
"$RETL" config -c "$T/retl.cfg" > "$T/config.out" 2>&1; rc=$?
set -e
[ $rc != 0 ] && grep -q "writer" "$T/config.out" || fail "retl config accepts the writing query"

"$RETL" extract -c "$T/retl.cfg" > "$T/extract.log" 2>&1 &
DAEMON_PID=$!
# the good sync's run finished on the topic
finished() { dump && grep -q '"type": *"RunFinished"' "$T/dump.jsonl"; }
wait_for "the good sync's run" 60 finished
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" || true; DAEMON_PID=
n=$(grep -c "sync writer will never run" "$T/extract.log" || true)
[ "$n" = 1 ] || { cat "$T/extract.log"; fail "'sync writer will never run' logged $n times, not once"; }
grep "sync writer will never run" "$T/extract.log" | grep -q "DELETE" ||
        fail "the message does not say why: $(grep 'will never run' "$T/extract.log")"
python3 - "$T/dump.jsonl" <<'X' || fail "what the topic holds"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
syncs = {r.get("sync") for r in recs if r["type"] in ("RunStarted", "RunFinished")}
assert syncs == {"good"}, syncs
fin = [r for r in recs if r["type"] == "RunFinished"]
assert fin[0]["status"] == "OK" and fin[0]["rows"] == 2, fin
X
ok "a sync whose query writes is named once at start and never run; the other sync ran"
echo "0313 ok"
