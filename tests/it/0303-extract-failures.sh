#!/usr/bin/env bash
# 0303: what fails, and how it shows: `retl check` naming the failed step
# (refused, name resolution, login, database) without the password; a
# failed login failing its run; a query that fails halfway ending its run
# with a FAILED RunFinished after the rows it had; a run skipped while the
# workspace topic holds records the uploaders have not committed.
. "$(dirname "$0")/extract-lib.sh"
PREFIX=t0303

cat > "$T/src.sql" <<'X'
CREATE TABLE people(id INT, email NVARCHAR(100), updated BIGINT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50)
 INSERT INTO people SELECT x, 'p' || x || '@x.io', 100 FROM c;
X
start_standin "$T/src.sql"
syncs='
 { name = "people"; workspace = "acme"; database = "src"; import = "people"; interval = "1h";
   query = "SELECT id, email FROM people ORDER BY id"; },
 { name = "halfway"; workspace = "acme"; database = "src"; import = "people"; interval = "1h";
   query = "SELECT RETL_FAIL_AT(id, 20) AS id, email FROM people ORDER BY id"; }'

# check: each failed step by name; the password never printed
write_cfg $PREFIX "$syncs"
sed -i 's/user = "retl"/user = "nobody"/' "$T/retl.cfg"
set +e
out=$("$RETL" check -c "$T/retl.cfg" src 2>&1); rc=$?
set -e
[ $rc = 1 ] || fail "check with a wrong user: exit $rc"
echo "$out" | grep -q '^FAILED (login)' || fail "check, wrong user: $out"
echo "$out" | grep -q "$RETL_TEST_DB_PASSWORD" && fail "the password was printed"
ok "check: login failure named (18456), password not shown"

write_cfg $PREFIX "$syncs"
sed -i 's/database = "crm"/database = "nosuchdb"/' "$T/retl.cfg"
set +e; out=$("$RETL" check -c "$T/retl.cfg" src 2>&1); rc=$?; set -e
[ $rc = 1 ] && echo "$out" | grep -q '^FAILED (database)' || fail "check, unknown database: $out"
ok "check: database failure named"

write_cfg $PREFIX "$syncs"
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed "s/port = $PORT;/port = $closed;/" "$T/retl.cfg" > "$T/closed.cfg"
set +e; out=$("$RETL" check -c "$T/closed.cfg" src 2>&1); rc=$?; set -e
[ $rc = 1 ] && echo "$out" | grep -q '^FAILED (connection refused)' || fail "check, closed port: $out"
sed "s/host = \"127.0.0.1\"; port = $PORT;/host = \"no-such-host.invalid\"; port = $PORT;/" "$T/retl.cfg" > "$T/dns.cfg"
set +e; out=$("$RETL" check -c "$T/dns.cfg" src 2>&1); rc=$?; set -e
[ $rc = 1 ] && echo "$out" | grep -q '^FAILED (name resolution)' || fail "check, unknown host: $out"
ok "check: refused and name resolution named"

# a failed login fails the run
write_cfg $PREFIX "$syncs"
sed -i 's/user = "retl"/user = "nobody"/' "$T/retl.cfg"
set +e; "$RETL" extract -c "$T/retl.cfg" --once people 2> "$T/login.log"; rc=$?; set -e
[ $rc = 1 ] || fail "run with a failed login: exit $rc"
dump
python3 - "$T/dump.jsonl" <<'X' || fail "failed-login run"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["type"] for r in recs] == ["RunStarted", "RunFinished"], [r["type"] for r in recs]
assert recs[1]["status"] == "FAILED" and "login" in recs[1]["error"], recs[1]["error"]
X
grep -q "$RETL_TEST_DB_PASSWORD" "$T/login.log" && fail "the password was logged"
ok "a failed login fails the run (FAILED RunFinished, exit 1)"

# skip: those two records are not committed yet
set +e; "$RETL" extract -c "$T/retl.cfg" --once people 2> "$T/skip.log"; rc=$?; set -e
[ $rc = 3 ] || { cat "$T/skip.log"; fail "skip: exit $rc, want 3"; }
grep -q 'skipped: previous import still in progress (2 records not yet imported)' "$T/skip.log" || fail "skip not logged"
"$RETL" dump -c "$T/retl.cfg" --topic "$PREFIX.imports" --from-beginning --json > "$T/imports.jsonl"
python3 - "$T/imports.jsonl" <<'X' || fail "skip report"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 1, recs
r = recs[0]
assert r["type"] == "ImportReport" and r["status"] == "SKIPPED" and r["sync"] == "people"
assert r["rows"] == 0 and r["imported"] == 0 and r["failed"] == 0
assert r["run_id"].startswith("people-") and "2 records not yet imported" in r["error"], r
X
dump
[ "$(wc -l < "$T/dump.jsonl")" = 2 ] || fail "a skipped run published to the workspace topic"
ok "skip while uncommitted records remain: ImportReport SKIPPED, exit 3, nothing else published"

# a query failing halfway: rows before the error, then FAILED
commit_all people 0
write_cfg $PREFIX "$syncs"
set +e; "$RETL" extract -c "$T/retl.cfg" --once halfway 2> "$T/halfway.log"; rc=$?; set -e
[ $rc = 1 ] || { cat "$T/halfway.log"; fail "halfway: exit $rc, want 1"; }
dump
python3 - "$T/dump.jsonl" <<'X' || fail "halfway run"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])][2:]
types = [r["type"] for r in recs]
assert types[0] == "RunStarted" and types[-1] == "RunFinished", types
rows = [r for r in recs if r["type"] == "Row"]
assert len(rows) < 20 and [r["row_number"] for r in rows] == list(range(1, len(rows) + 1))
fin = recs[-1]
assert fin["status"] == "FAILED" and fin["rows"] == len(rows), fin
assert "8134" in fin["error"] and "Divide by zero" in fin["error"], fin["error"]
X
ok "a query failing halfway ends its run with a FAILED RunFinished"

# and a good run after all that
commit_all people 0
"$RETL" extract -c "$T/retl.cfg" --once people 2> "$T/good.log" || { cat "$T/good.log"; fail "good run"; }
dump
tail -1 "$T/dump.jsonl" | grep -q '"status":"OK","rows":50' || fail "good run: $(tail -1 "$T/dump.jsonl")"
ok "the next run succeeds with 50 rows"
