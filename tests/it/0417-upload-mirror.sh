#!/usr/bin/env bash
# 0417: mirror syncs. A people sync with a relationship query and
# mirror = true: what the source no longer holds is deleted from the
# workspace — exactly that, and nothing retl did not import (a person
# created in the workspace by someone else stays). Two people and one
# membership removed at the source: two people and three relationships
# deleted. The table emptied: nothing deleted (an empty result never
# deletes). Most of the table gone: the run is held by the delete
# guardrail (max_deletes_percent, 10 by default), nothing deleted; rejected,
# still nothing; the next run, approved, deletes exactly what the source
# lost. An objects mirror sync deletes the company the source lost.
# The whole pipeline: stand-in, `retl extract --once`, the real
# broker, `retl upload`, `retl sandbox`.
. "${RETL_ROOT:-$(dirname "$0")/../..}/tests/it/extract-lib.sh"
PREFIX=t0417
export RETL_TEST_API_KEY=k0417

cat > "$T/src.sql" <<'X'
CREATE TABLE people(id INT PRIMARY KEY, email NVARCHAR(100), plan NVARCHAR(20));
CREATE TABLE members(person_id INT, company NVARCHAR(20));
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100)
 INSERT INTO people SELECT x, 'p' || x || '@example.com', 'free' FROM c;
INSERT INTO members SELECT id, 'co' || (id % 5) FROM people;
CREATE TABLE companies(id NVARCHAR(20), name NVARCHAR(40));
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10)
 INSERT INTO companies SELECT 'c' || x, 'Company ' || x FROM c;
X
start_standin "$T/src.sql"

start_sandbox s0417 --object-types 1,2
pipeline_cfg s0417 '{ name = "people"; workspace = "acme"; database = "src"; import = "people";
           interval = "1h"; mirror = true;
           query = "SELECT id, email, plan FROM people";
           relationship_query = "SELECT person_id AS id, company AS object_id FROM members"; },
         { name = "companies"; workspace = "acme"; database = "src"; import = "objects";
           object_type_id = "2"; interval = "1h"; mirror = true;
           query = "SELECT id AS object_id, name FROM companies"; }'

# a mirror sync's query may not use {{last_sync_time}}: refused, named
sed 's/FROM people";/FROM people WHERE id > {{last_sync_time}}";/' "$T/retl.cfg" > "$T/bad.cfg"
"$RETL" config -c "$T/bad.cfg" > "$T/bad.out" 2>&1 && fail "a mirror sync with {{last_sync_time}} accepted"
grep -q "mirror = true reads the whole result" "$T/bad.out" || fail "refusal: $(cat "$T/bad.out")"
ok "a mirror sync's query with {{last_sync_time}} is refused by name"

# someone else's person in the workspace: never touched
curl -fsS -u "s0417:$RETL_TEST_API_KEY" -H 'Content-Type: application/json' "$SBX/api/v2/entity" \
        -d '{"type":"person","identifiers":{"id":"outsider"},"action":"identify","attributes":{"plan":"vip"}}' \
        > /dev/null || fail "creating the outsider"

"$RETL" upload -c "$T/retl.cfg" --client-id u1 > "$T/upload.log" 2>&1 &
DAEMON_PID=$!

# run [SYNC]: one extractor run that must succeed; RUN = its id
run() {
        run_once "${1:-people}"
        [ "$RUN_RC" = 0 ] || { cat "$T/run.log"; fail "extract"; }
}
# matches: the workspace holds exactly the source's people and memberships,
# and the outsider
matches() {
        sqlite3 "$T/src.sqlite" "SELECT id FROM people" > "$T/want.people"
        sqlite3 "$T/src.sqlite" "SELECT person_id || ' ' || company FROM members" > "$T/want.members"
        python3 - "$SBX" "$T/want.people" "$T/want.members" <<'X'
import json, sys, urllib.request
get = lambda p: json.load(urllib.request.urlopen(sys.argv[1] + p))
people = {p["id"] for p in get("/_sandbox/people?limit=10000")["people"]}
rels = {"%s %s" % (r["person"]["id"], r["object_id"]) for r in get("/_sandbox/relationships?limit=10000")["relationships"]}
want_p = set(open(sys.argv[2]).read().split()) | {"outsider"}
want_r = set(l for l in open(sys.argv[3]).read().splitlines() if l)
bad = sorted(people ^ want_p)[:5] + sorted(rels ^ want_r)[:5]
if bad:
    print("   differs:", bad, len(people), len(want_p), len(rels), len(want_r))
    sys.exit(1)
X
}

# 1. the first run imports everything; nothing to delete yet
run
wait_for "the first import" 60 import_is "$RUN" completed
matches || fail "after the first run"
ok "the first run: 100 people, 100 memberships, and the outsider untouched"

# plan_says DELETED HELD: `retl plan` foresees the run's deletes and verdict
plan_says() {
        "$RETL" plan -c "$T/retl.cfg" people --json > "$T/plan.json" 2> "$T/plan.err" || { cat "$T/plan.err"; fail "plan"; }
        python3 - "$T/plan.json" "$1" "$2" <<'X' || fail "the plan differs"
import json, sys
d = json.load(open(sys.argv[1]))
want = (int(sys.argv[2]), sys.argv[3] == "held")
got = (d["total"]["deleted"], d["held"])
print("   plan: deleted %d, held %s %s" % (got[0], got[1], d["held_reason"] or ""))
assert got == want, (got, want)
X
}

# 2. two people and one membership gone at the source
src_sql "DELETE FROM people WHERE id IN (7, 42); DELETE FROM members WHERE person_id IN (7, 42, 10);"
plan_says 5 no
run
wait_for "the second import" 60 import_is "$RUN" completed
[ "$(import_of "$RUN" deleted)" = 5 ] || fail "deleted $(import_of "$RUN" deleted), want 5 (2 people, 3 relationships)"
matches || fail "after the deletes"
curl -fsS "$SBX/_sandbox/people?id=10" > /dev/null || fail "person 10 (only a membership removed) is gone"
curl -fsS "$SBX/_sandbox/counters" | python3 -c '
import json, sys
a = json.load(sys.stdin)["entities"]["by_action"]
assert a["person.delete"]["accepted"] == 2, a
assert a["person.delete_relationships"]["accepted"] == 3, a' || fail "the sandbox saw other deletes"
"$RETL" status -c "$T/retl.cfg" people | grep -q "deleted 5 identifiers the result no longer holds" \
        || fail "retl status does not show the deletes"
ok "2 people and 3 memberships removed at the source: exactly those deleted, the outsider kept"

# 3. the table emptied: an empty result deletes nothing
cp "$T/src.sqlite" "$T/keep.sqlite"
src_sql "DELETE FROM people; DELETE FROM members;"
run
wait_for "the run on the empty table" 60 import_is "$RUN" completed
[ "$(import_of "$RUN" deleted)" = 0 ] || fail "an empty result deleted $(import_of "$RUN" deleted)"
import_of "$RUN" error | grep -q "mirror: nothing deleted: the query returned no rows while the sync holds 195 identifiers" \
        || fail "no reason given: $(import_import_of "$RUN" error)"
src_sql "ATTACH '$T/keep.sqlite' AS k; INSERT INTO people SELECT * FROM k.people; INSERT INTO members SELECT * FROM k.members;"
matches || fail "an empty result changed the workspace"
ok "the table emptied: nothing deleted, and the status says why"

# 4. most of the table gone: held by the delete guardrail
src_sql "DELETE FROM people WHERE id <= 60; DELETE FROM members WHERE person_id <= 60;"
before=$(curl -fsS "$SBX/_sandbox/counters" | python3 -c 'import json,sys; print(json.load(sys.stdin)["entities"]["accepted"])')
plan_says 115 held
run
HELD=$RUN
wait_for "the run to be held" 60 import_is "$HELD" held
import_of "$HELD" error | grep -q "identifiers to delete of the 195 the sync holds (.*), over max_deletes_percent = 10" \
        || fail "held without its figures: $(import_import_of "$HELD" error)"
"$RETL" reject -c "$T/retl.cfg" "$HELD" > /dev/null || fail "reject"
wait_for "the rejection" 60 import_is "$HELD" rejected
after=$(curl -fsS "$SBX/_sandbox/counters" | python3 -c 'import json,sys; print(json.load(sys.stdin)["entities"]["accepted"])')
[ "$after" = "$before" ] || fail "a held and rejected run changed the workspace ($before -> $after)"
ok "58 of 98 people gone: held by max_deletes_percent, rejected, nothing deleted"

run
wait_for "the next run to be held" 60 import_is "$RUN" held
"$RETL" approve -c "$T/retl.cfg" "$RUN" > /dev/null || fail "approve"
wait_for "the approved run" 60 import_is "$RUN" completed
[ "$(import_of "$RUN" deleted)" = 115 ] || fail "deleted $(import_of "$RUN" deleted), want 115 (58 people, 57 memberships)"
matches || fail "after the approved deletes"
ok "approved: exactly the 58 people and 57 memberships the source lost are deleted"

# 5. objects: a mirror sync of companies (object type 2)
objects() { curl -fsS "$SBX/_sandbox/objects?type=2&limit=100" | python3 -c 'import json,sys; print(" ".join(sorted(o["object_id"] for o in json.load(sys.stdin)["objects"])))'; }
run companies
wait_for "the companies" 60 import_is "$RUN" completed
[ "$(objects)" = "c1 c10 c2 c3 c4 c5 c6 c7 c8 c9" ] || fail "companies: $(objects)"
src_sql "DELETE FROM companies WHERE id = 'c3';"
run companies
wait_for "the companies' second run" 60 import_is "$RUN" completed
[ "$(import_of "$RUN" deleted)" = 1 ] || fail "companies: deleted $(import_of "$RUN" deleted)"
[ "$(objects)" = "c1 c10 c2 c4 c5 c6 c7 c8 c9" ] || fail "companies after the delete: $(objects)"
matches || fail "deleting a company touched the people sync's entities"
ok "an objects mirror sync: the company removed at the source is deleted, nothing else"
echo "0417 passed"
