#!/usr/bin/env bash
# 0302: the query and column rules, each refused with a message that names
# the column (and suggests AS) before a single row is published: by
# `retl preview` (exit 1, nothing sent to Kafka) and by a run (a FAILED
# RunFinished right after RunStarted, no Row). A passing preview exits 0.
# A sql_variant column (the stand-in sends it as SQL Server does) is refused
# by name, with the CONVERT that carries it.
. "$(dirname "$0")/extract-lib.sh"
PREFIX=t0302

cat > "$T/src.sql" <<'X'
CREATE TABLE people(id INT, email NVARCHAR(100), Name NVARCHAR(50), gone NVARCHAR(5), updated BIGINT,
 v SQL_VARIANT);
INSERT INTO people VALUES(1, 'a@x.io', 'Ann', 'no', 100, 42), (2, 'b@x.io', 'Bo', 'yes', 100, 'x');
CREATE TABLE contacts(mail NVARCHAR(50), nm NVARCHAR(50));
X
start_standin "$T/src.sql"
# (An unnamed expression is covered by tests/unit/test_columns.c: the stand-in,
# like SQLite, names every column by its text.)
# name|import|identify_by|query|relationship query|expected message
cases=(
 "ok|people|id|SELECT id, email, Name AS name FROM people||column rules: ok"
 "noid|people|id|SELECT email, Name FROM people||no column named 'id'"
 "noemail|people|email|SELECT id, Name FROM people||no column named 'email'"
 "star|people|email|SELECT * FROM contacts||SELECT * is allowed only when the result holds a column named email"
 "caseid|people|id|SELECT id AS ID, email FROM people||column 'ID' must be spelled 'id'"
 "dup|people|id|SELECT id, email, Name, email AS EMAIL FROM people||columns 2 'email' and 4 'EMAIL' have the same name"
 "noobj|objects|id|SELECT id, Name FROM people||no column named 'object_id'"
 "relnoobj|people|id|SELECT id FROM people|SELECT id, Name FROM people|no column named 'object_id'"
 "relnoid|people|id|SELECT id FROM people|SELECT id AS object_id, Name FROM people|no column named 'id'"
 "reldeleted|people|id|SELECT id FROM people|SELECT id, id AS object_id, gone AS deleted FROM people|column 'deleted' must be a bit"
 "write|people|id|DELETE FROM people||DELETE changes data"
 "into|people|id|SELECT id INTO people2 FROM people||SELECT ... INTO"
 "two|people|id|SELECT id FROM people; DROP TABLE people||single SELECT"
 "exec|people|id|EXEC sp_who||EXEC runs a procedure"
 "tmpl|people|id|SELECT id FROM people WHERE updated > {{last_run}}||unknown template {{last_run}}"
 "variant|people|id|SELECT id, v FROM people||column 2 'v' has a type retl cannot carry (sql_variant, TDS type 98); CONVERT it in the query"
)
# 301 columns
wide="SELECT id"; for i in $(seq 2 301); do wide="$wide, $i AS c$i"; done
cases+=("wide|people|id|$wide FROM people||301 columns; at most 300")

syncs=""
for c in "${cases[@]}"; do
        IFS='|' read -r name imp ident q rq msg <<< "$c"
        syncs="$syncs { name = \"$name\"; workspace = \"acme\"; database = \"src\"; import = \"$imp\";"
        syncs="$syncs identify_by = \"$ident\"; relationship_identify_by = \"$ident\"; interval = \"1h\"; query = \"$q\";"
        [ -n "$rq" ] && syncs="$syncs relationship_query = \"$rq\";"
        syncs="$syncs },"
done
write_cfg $PREFIX "${syncs%,}"

for c in "${cases[@]}"; do
        IFS='|' read -r name imp ident q rq msg <<< "$c"
        set +e
        "$RETL" preview -c "$T/retl.cfg" "$name" > "$T/preview.$name" 2> "$T/preview.$name.err"
        rc=$?
        set -e
        grep -qF "$msg" "$T/preview.$name" || { cat "$T/preview.$name" "$T/preview.$name.err"; fail "preview $name: no '$msg'"; }
        if [ "$name" = ok ]; then
                [ $rc = 0 ] || fail "preview ok: exit $rc"
                grep -q '^verdict: ok' "$T/preview.ok" || fail "preview ok: verdict"
                grep -q 'rows: 2 shown' "$T/preview.ok" || fail "preview ok: rows"
                continue
        fi
        [ $rc = 1 ] || fail "preview $name: exit $rc, want 1"
done
ok "preview: ${#cases[@]} cases, each with its message; exit 1 on a broken rule, 0 when ok"

"$RETL" preview -c "$T/retl.cfg" ok --json > "$T/preview.json" || fail "preview --json"
python3 - "$T/preview.json" <<'X' || fail "preview --json"
import json, sys
d = json.load(open(sys.argv[1]))
q = d["queries"][0]
assert d["ok"] is True and d["sync"] == "ok" and q["ok"] is True
assert [c["name"] for c in q["columns"]] == ["id", "email", "name"]
assert q["columns"][0]["sql_type"] == "int" and q["columns"][0]["avro"] == "long"
assert q["rows"] == [[1, "a@x.io", "Ann"], [2, "b@x.io", "Bo"]], q["rows"]
X
ok "preview --json: one document with columns, types, rows, verdict"
# preview sends nothing to Kafka: the workspace topic does not even exist
if kcat -b "$RETL_KAFKA_BROKERS" -L -t "$PREFIX.acme" 2>/dev/null | grep -q 'with [1-9][0-9]* partitions'; then
        fail "preview created or wrote the workspace topic"
fi
ok "preview sent nothing to Kafka"

# The runs: every broken rule gives RunStarted + a FAILED RunFinished whose
# error carries the message; no Row. The uploader commits after each.
n=0
for c in "${cases[@]}"; do
        IFS='|' read -r name imp ident q rq msg <<< "$c"
        [ "$name" = ok ] && continue
        set +e
        "$RETL" extract -c "$T/retl.cfg" --once "$name" 2> "$T/run.$name.log"
        rc=$?
        set -e
        [ $rc = 1 ] || { cat "$T/run.$name.log"; fail "run $name: exit $rc, want 1"; }
        dump
        python3 - "$T/dump.jsonl" "$n" "$name" "$msg" <<'X' || fail "run $name"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]):]
assert [r["type"] for r in recs] == ["RunStarted", "RunFinished"], [r["type"] for r in recs]
assert recs[1]["status"] == "FAILED" and recs[1]["rows"] == 0
assert sys.argv[4] in recs[1]["error"], recs[1]["error"]
X
        n=$((n + 2))
        commit_all "$name" 0
done
ok "runs: each broken rule fails its run before a single row is published"
