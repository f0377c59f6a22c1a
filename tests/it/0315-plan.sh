#!/usr/bin/env bash
# 0315: `retl plan` says what the next run does, and the run then does it.
# The whole pipeline: stand-in, `retl extract --once`, the real broker, one
# `retl upload`, `retl sandbox`. For each of three runs the plan's figures
# (new, changed, unchanged, failed) equal the run's import report (imported =
# new + changed) and the requests the sandbox received; the sample of changed
# rows names each attribute's earlier and new value; nothing is sent by the
# plan itself (no record on the workspace's topic, no request).
. "${RETL_ROOT:-$(dirname "$0")/../..}/tests/it/extract-lib.sh"
PREFIX=t0315
export RETL_TEST_API_KEY=k0315

cat > "$T/src.sql" <<'X'
CREATE TABLE people(id INT PRIMARY KEY, email NVARCHAR(100), plan NVARCHAR(20), seats INT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)
 INSERT INTO people SELECT x, 'p' || x || '@example.com', 'free', x % 7 FROM c;
X
start_standin "$T/src.sql"

start_sandbox s0315
pipeline_cfg s0315 '{ name = "people"; workspace = "acme"; database = "src"; import = "people";
           interval = "1h"; query = "SELECT id, email, plan, seats FROM people"; }'
"$RETL" upload -c "$T/retl.cfg" --client-id u1 > "$T/upload.log" 2>&1 &
DAEMON_PID=$!

# requests: Track API requests the sandbox received, and the entities it accepted
requests() {
        curl -fsS "$SBX/_sandbox/counters" | python3 -c 'import json,sys; c=json.load(sys.stdin); print("%d/%d" % (c["requests"]["total"], c["entities"]["accepted"]))'
}
# imported N: the sync's N-th import finished and nothing is pending
imported() {
        "$RETL" status -c "$T/retl.cfg" --json > "$T/status.json" 2>/dev/null || return 1
        python3 - "$T/status.json" "$1" <<'X'
import json, sys
s = json.load(open(sys.argv[1]))["syncs"][0]
assert s.get("pending_records") == 0 and len(s["imports"]) >= int(sys.argv[2])
assert s["imports"][0]["status"] in ("completed", "some rows failed")
X
}
# plan_then_run N: a plan, checked to send nothing, then the run; the
# plan's figures must equal the run's report
plan_then_run() {
        local before_high before_req
        before_high=$(high "$PREFIX.acme" || echo 0)
        before_req=$(requests)
        "$RETL" plan -c "$T/retl.cfg" people --json > "$T/plan$1.json" 2> "$T/plan$1.err" \
                || { cat "$T/plan$1.err"; fail "plan $1 exited $?"; }
        "$RETL" plan -c "$T/retl.cfg" people > "$T/plan$1.txt" 2>&1 || fail "plan $1 (text)"
        [ "$(high "$PREFIX.acme" || echo 0)" = "$before_high" ] || fail "plan $1 wrote to the topic"
        [ "$(requests)" = "$before_req" ] || fail "plan $1 sent requests"
        "$RETL" extract -c "$T/retl.cfg" --once people > "$T/run$1.log" 2>&1 || true
        wait_for "import $1" 120 imported "$1"
        python3 - "$T/plan$1.json" "$T/status.json" "$before_req" "$(requests)" <<'X' || fail "plan $1 differs from run $1"
import json, sys
p = json.load(open(sys.argv[1]))["total"]
r = json.load(open(sys.argv[2]))["syncs"][0]["imports"][0]
b, a = [list(map(int, x.split("/"))) for x in sys.argv[3:5]]
reqs, accepted = a[0] - b[0], a[1] - b[1]
print("   plan:", p, "\n   run: ", {k: r[k] for k in ("rows", "imported", "unchanged", "failed")}, "requests", reqs, "entities accepted", accepted)
assert p["rows"] == r["rows"], "rows"
assert p["new"] + p["changed"] == r["imported"] == p["sent"], "sent"
assert p["unchanged"] == r["unchanged"], "unchanged"
assert p["failed"] == r["failed"], "failed"
assert (reqs > 0) == (p["sent"] > 0), "requests"
assert accepted == p["sent"], "entities the workspace accepted"
X
}

# 1. nothing delivered yet: every row is new
plan_then_run 1
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["total"]; assert t["new"]==3000 and t["changed"]==0, t' \
        "$T/plan1.json" || fail "first plan"
ok "a first plan: 3000 new, and the run imports exactly them"

# 2. three rows change, two are added, one gets an email the rules refuse
src_sql "UPDATE people SET plan = 'pro' WHERE id IN (10, 20, 30);
         UPDATE people SET seats = 99 WHERE id = 30;
         INSERT INTO people VALUES (3001, 'n1@example.com', 'free', 1), (3002, 'n2@example.com', 'free', 2);
         UPDATE people SET email = 'not-an-email' WHERE id = 40;"
plan_then_run 2
python3 - "$T/plan2.json" <<'X' || fail "second plan's figures"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["total"]
assert (t["new"], t["changed"], t["unchanged"], t["failed"]) == (2, 3, 2996, 1), t
assert d["state_entries"] == 3000, d["state_entries"]
ch = {c["identifier"]: {x["attribute"]: (x.get("from"), x.get("to")) for x in c["changes"]}
      for c in d["changed_rows"]}
assert ch == {"10": {"plan": ("free", "pro")}, "20": {"plan": ("free", "pro")},
              "30": {"plan": ("free", "pro"), "seats": (2, 99)}}, ch
assert all(c["earlier_found"] for c in d["changed_rows"])
f = d["failed_rows"]
assert len(f) == 1 and f[0]["identifier"] == "40" and "invalid email" in f[0]["reason"], f
X
grep -q 'plan: "free" -> "pro"' "$T/plan2.txt" || { cat "$T/plan2.txt"; fail "text plan lacks the change"; }
ok "a plan of 2 new, 3 changed (each attribute from -> to), 1 failing: the run does exactly that"

# 3. nothing changed since (the failed row is still failing): nothing to send
plan_then_run 3
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["total"]; assert t["sent"]==0 and t["failed"]==1 and t["unchanged"]==3001, t' \
        "$T/plan3.json" || fail "third plan"
ok "an unchanged source: the plan sends nothing and neither does the run"

# usage and a failing query
"$RETL" plan -c "$T/retl.cfg" nosuch > /dev/null 2>&1 && fail "unknown sync accepted"
[ $? -eq 2 ] || fail "unknown sync: exit status"
sed -i 's/SELECT id, email, plan, seats FROM people/SELECT email AS mail FROM people/' "$T/retl.cfg"
set +e
"$RETL" plan -c "$T/retl.cfg" people > "$T/plan4.txt" 2>&1
st=$?
set -e
[ $st -eq 1 ] || fail "a query that breaks the column rules: exit $st"
grep -q "column rules FAILED" "$T/plan4.txt" || { cat "$T/plan4.txt"; fail "no column verdict"; }
ok "a query that breaks the column rules: exit 1, the rule named"
echo "0315 passed"
