#!/usr/bin/env bash
# 0308: a row with a value too large to import (a 1 MB nvarchar(max), over
# Kafka's 1 MB message limit; a 40 KB one, over the Track API's 32 KB entity
# limit) does not fail the run: the value is published as Oversize (its size
# only), so the uploaders fail that row and the other rows go on.
. "$(dirname "$0")/extract-lib.sh"
PREFIX=t0308

cat > "$T/src.sql" <<'X'
CREATE TABLE docs(id INT, bio "NVARCHAR(MAX)", blob "VARBINARY(MAX)");
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1048576)
 INSERT INTO docs SELECT 1, group_concat('x', ''), NULL FROM c;
INSERT INTO docs VALUES (2, 'short', X'00FF');
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40000)
 INSERT INTO docs SELECT 3, 'fine', CAST(group_concat('y', '') AS BLOB) FROM c;
X
start_standin "$T/src.sql"
write_cfg $PREFIX '
 { name = "docs"; workspace = "acme"; database = "src"; import = "people"; interval = "1h";
   query = "SELECT id, bio, blob FROM docs ORDER BY id"; }'
"$RETL" extract -c "$T/retl.cfg" --once docs 2> "$T/run.log" || { tail -5 "$T/run.log"; fail "the run failed"; }
grep -q "row 1: column 'bio' is 1048576 bytes" "$T/run.log" || fail "the oversize value is not logged"
dump
python3 - "$T/dump.jsonl" <<'X' || fail "published records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in recs if r["type"] == "Row"]
assert recs[-1]["type"] == "RunFinished" and recs[-1]["status"] == "OK" and recs[-1]["rows"] == 3, recs[-1]
cols = {r["row_number"]: {c["name"]: c for c in r["columns"]} for r in rows}
assert cols[1]["bio"]["type"] == "Oversize" and cols[1]["bio"]["value"] == {"oversize_bytes": 1048576}, cols[1]["bio"]
assert cols[2]["bio"]["value"] == "short", cols[2]
assert cols[3]["blob"]["type"] == "Oversize" and cols[3]["blob"]["value"]["oversize_bytes"] == 40000, cols[3]["blob"]
assert cols[3]["bio"]["value"] == "fine"
X
ok "values too large to import are published as their size; the run completes with every row"
