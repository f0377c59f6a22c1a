#!/usr/bin/env bash
# 0309: the watermark. A run's last_sync_time is the database server's clock
# at its start, and the query sees it less the sync's overlap window, so:
#   1. an extractor whose host clock runs an hour ahead (a test hook, test
#      builds only) loses nothing: last_sync_time is the server's time;
#   2. a row changed after a run started, within the same second, arrives;
#   3. a row committed late with an `updated` inside the overlap window
#      arrives; one outside it is the documented limit (it does not).
# The whole pipeline: stand-in, `retl extract --once`, the real broker, one
# `retl upload`, `retl sandbox`; what landed is read from the sandbox.
. "${RETL_ROOT:-$(dirname "$0")/../..}/tests/it/extract-lib.sh"
PREFIX=t0309
export RETL_TEST_API_KEY=k0309

# ts SECONDS [FRACTION]: a datetime2 literal in UTC
ts() { echo "$(date -u -d "@$1" '+%F %T').${2:-000}"; }
now=$(date +%s)
cat > "$T/src.sql" <<X
CREATE TABLE people(id INT PRIMARY KEY, email NVARCHAR(100), plan NVARCHAR(20), updated DATETIME2);
INSERT INTO people VALUES (1, 'a@example.com', 'v1', '$(ts $((now - 3600)))'),
                          (2, 'b@example.com', 'v1', '$(ts $((now - 3600)))'),
                          (3, 'c@example.com', 'v1', '$(ts $((now - 3600)))'),
                          (4, 'd@example.com', 'v1', '$(ts $((now - 3600)))');
X
start_standin "$T/src.sql"

start_sandbox s0309
pipeline_cfg s0309 "$(cat <<'S'
{ name = "people"; workspace = "acme"; database = "src"; import = "people";
  interval = "1h"; overlap = "60s";
  query = "SELECT id, email, plan FROM people
           WHERE DATEDIFF(second, '1970-01-01', updated) > {{last_sync_time}}"; }
S
)"
"$RETL" upload -c "$T/retl.cfg" --client-id u1 > "$T/upload.log" 2>&1 &
DAEMON_PID=$!

# imported N: the sync's N-th import completed and nothing is pending
imported() {
        "$RETL" status -c "$T/retl.cfg" --json > "$T/status.json" 2>/dev/null || return 1
        python3 - "$T/status.json" "$1" <<'X'
import json, sys
s = json.load(open(sys.argv[1]))["syncs"][0]
assert s.get("pending_records") == 0 and len(s["imports"]) >= int(sys.argv[2])
assert s["imports"][0]["status"] == "completed"
X
}
lst() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["syncs"][0]["last_sync_time"])' "$T/status.json"; }
# run N: one run, by an extractor whose clock is an hour ahead, imported
run() {
        RETL_TEST_CLOCK_SKEW_MS=3600000 "$RETL" extract -c "$T/retl.cfg" --once people \
                > "$T/run$1.log" 2>&1 || { cat "$T/run$1.log"; fail "run $1"; }
        wait_for "import $1" 120 imported "$1"
}
plan_of() { curl -fsS "$SBX/_sandbox/people?id=$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["attributes"]["plan"])'; }

# ---------------------------------------------------------------- 1. clock ahead
before=$(date +%s)
run 1
after=$(date +%s)
lst1=$(lst)
[ "$lst1" -ge "$before" ] && [ "$lst1" -le "$after" ] ||
        fail "last_sync_time $lst1 is not the database's time of run 1 ($before..$after): the extractor's clock is an hour ahead"
grep -q "database clock" "$T/run1.log" || fail "run 1 does not log the database clock"
for i in 1 2 3 4; do [ "$(plan_of $i)" = v1 ] || fail "person $i after run 1"; done
ok "an extractor an hour ahead: last_sync_time $lst1 is the database's clock at the run's start"

# A change after run 1, stamped by the database's clock: an extractor that
# used its own clock would ask for rows after lst1 + 3600 and never see it.
src_sql "UPDATE people SET plan = 'v2', updated = '$(ts $((lst1 + 1)))' WHERE id = 1"
run 2
[ "$(plan_of 1)" = v2 ] || fail "the change after run 1 did not arrive"
ok "the row changed after run 1 arrived though the extractor's clock is ahead"

# ---------------------------------------------------------------- 2. same second
lst2=$(lst)
[ "$lst2" -gt "$lst1" ] || fail "last_sync_time did not move: $lst1 -> $lst2"
# changed 0.9 s into the second run 2 started in, after its query read the
# table: DATEDIFF(second) of it equals last_sync_time, so without the
# overlap `> {{last_sync_time}}` would never match it
src_sql "UPDATE people SET plan = 'v3', updated = '$(ts "$lst2" 900)' WHERE id = 2"
# ---------------------------------------------------------------- 3. late commits
# committed after run 2 with an `updated` before run 2 started: 30 s before
# (inside the 60 s overlap) arrives; 600 s before (outside) is the limit
src_sql "UPDATE people SET plan = 'v3', updated = '$(ts $((lst2 - 30)))' WHERE id = 3"
src_sql "UPDATE people SET plan = 'v3', updated = '$(ts $((lst2 - 600)))' WHERE id = 4"
run 3
grep -q "{{last_sync_time}} = $((lst2 - 60)) " "$T/run3.log" ||
        fail "run 3 did not substitute last_sync_time less the overlap ($((lst2 - 60)))"
[ "$(plan_of 2)" = v3 ] || fail "the row changed in the second run 2 started in did not arrive"
ok "a row changed within the second the last run started in arrived"
[ "$(plan_of 3)" = v3 ] || fail "the row committed late inside the overlap window did not arrive"
ok "a row committed late, stamped 30 s before the last run, inside the 60 s overlap, arrived"
[ "$(plan_of 4)" = v1 ] || fail "the row stamped outside the overlap window arrived: the limit test is wrong"
ok "a row stamped 600 s before the last run (outside the overlap) is the documented limit"
echo "0309 ok"
