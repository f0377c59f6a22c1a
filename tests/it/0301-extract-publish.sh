#!/usr/bin/env bash
# 0301: people (every SQL Server type, and NULL in each), objects and
# relationship rows published through the TDS stand-in to the real broker,
# decoded back with `retl dump` and compared value by value; then a second
# run, after the uploader group committed, picks only the rows changed since
# the first run started.
. "$(dirname "$0")/extract-lib.sh"
PREFIX=t0301

cat > "$T/src.sql" <<'X'
CREATE TABLE people(id INT, email NVARCHAR(100), c_tinyint TINYINT, c_smallint SMALLINT,
 c_int INT, c_bigint BIGINT, c_bit BIT, c_dec DECIMAL TEXT(38,10), c_num NUMERIC(10,4),
 c_money MONEY, c_smallmoney SMALLMONEY, c_real REAL, c_float FLOAT,
 c_char CHAR(10), c_varchar VARCHAR(50), c_nchar NCHAR(5), c_nvarchar NVARCHAR(50),
 c_text TEXT, c_ntext NTEXT, c_date DATE, c_time TIME(7), c_time3 TIME(3),
 c_datetime DATETIME, c_dt2 DATETIME2(7), c_dt2_0 DATETIME2(0), c_sdt SMALLDATETIME,
 c_dto DATETIMEOFFSET(7), c_guid UNIQUEIDENTIFIER, c_binary BINARY(4),
 c_varbinary VARBINARY(16), c_vcmax "VARCHAR(MAX)", c_nvcmax [NVARCHAR(MAX)],
 c_vbmax VARBINARY(-1), c_image IMAGE, c_xml XML, updated BIGINT);
INSERT INTO people VALUES(1, 'ann@example.com', 255, -32768, -2147483648,
 9223372036854775807, 1, '12345678901234567890123456.1234567890', '-123456.7891',
 '123456789.1234', '-214748.3648', 3.5, 2.718281828459045, 'abc', 'Café ñ €', 'äö',
 'Zoë 😀 日本', 'long text Café €', 'ntext ü 😀 日本', '2024-05-01', '23:59:59.1234567', '01:02:03.456',
 '2024-05-01 12:34:56.789', '2024-05-01 12:34:56.1234567', '2024-05-01 12:34:56',
 '2024-05-01 12:34:29', '2024-05-01T12:34:56.1234567+02:00',
 '6F9619FF-8B86-D011-B42D-00C04FC964FF', X'DEADBEEF', X'00FF10',
 replace(hex(zeroblob(4500)), '00', 'ab'), replace(hex(zeroblob(3000)), '00', 'é😀'),
 CAST(replace(hex(zeroblob(10000)), '00', 'Z') AS BLOB), X'CAFE00',
 '<a b="1">ü 😀</a>', 100);
INSERT INTO people(id, updated) VALUES(2, 100);
INSERT INTO people(id, email, c_dec, c_money, c_bit, c_dto, updated) VALUES(3, 'cy@example.com',
 '-0.5000000000', '-92233720368.5477', 0, '2024-12-31T23:30:00.5-05:30', 100);
CREATE TABLE companies(cid INT, name NVARCHAR(50), kind INT, updated BIGINT);
INSERT INTO companies VALUES(10, 'Acme', 2, 100), (11, 'Globex', NULL, 100);
CREATE TABLE members(person INT, company INT, gone BIT, role NVARCHAR(20));
INSERT INTO members VALUES(1, 10, 0, 'owner'), (3, 11, 1, NULL);
X
start_standin "$T/src.sql"
write_cfg $PREFIX '
 { name = "people"; workspace = "acme"; database = "src"; import = "people"; interval = "1h";
   query = "SELECT * FROM people WHERE updated > {{ last_sync_time }} ORDER BY id"; },
 { name = "companies"; workspace = "acme"; database = "src"; import = "objects";
   object_type_id = "2"; interval = "1h";
   query = "SELECT cid AS object_id, kind AS object_type_id, name FROM companies WHERE updated > {{last_sync_time}} ORDER BY cid";
   relationship_query = "SELECT person AS id, company AS object_id, gone AS deleted, role FROM members ORDER BY person"; }'

"$RETL" check -c "$T/retl.cfg" src | grep -q '^ok: connected' || fail "retl check"
ok "retl check connects"

"$RETL" extract -c "$T/retl.cfg" --once people 2> "$T/run1.log" || { cat "$T/run1.log"; fail "first run"; }
grep -q 'sync=people run=people-' "$T/run1.log" || fail "log lines lack sync=/run= context"
dump
python3 - "$T/dump.jsonl" <<'X' || fail "people values differ"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["type"] for r in recs] == ["RunStarted", "Row", "Row", "Row", "RunFinished"], [r["type"] for r in recs]
st, fin = recs[0], recs[-1]
assert st["sync"] == "people" and st["workspace"] == "acme" and st["last_sync_time"] == 0
assert st["run_id"].startswith("people-%d-" % st["started_at_ms"]) and len(st["run_id"].split("-")[-1]) == 4
assert st["settings"]["query"] == "SELECT * FROM people WHERE updated > 0 ORDER BY id", st["settings"]["query"]
assert st["settings"]["import"] == "PEOPLE" and st["settings"]["interval_s"] == 3600
assert fin["status"] == "OK" and fin["rows"] == 3 and fin["relationship_rows"] == 0 and fin["error"] is None
assert all(r["key"] == "people" for r in recs)
rows = recs[1:4]
assert [r["row_number"] for r in rows] == [1, 2, 3] and all(r["part"] == "MAIN" for r in rows)
assert all(r["run_id"] == st["run_id"] for r in recs)
want1 = [
 ("id", "long", 1), ("email", "string", "ann@example.com"), ("c_tinyint", "long", 255),
 ("c_smallint", "long", -32768), ("c_int", "long", -2147483648),
 ("c_bigint", "long", 9223372036854775807), ("c_bit", "boolean", True),
 ("c_dec", "Decimal", "12345678901234567890123456.1234567890"),
 ("c_num", "Decimal", "-123456.7891"), ("c_money", "Decimal", "123456789.1234"),
 ("c_smallmoney", "Decimal", "-214748.3648"), ("c_real", "double", 3.5),
 ("c_float", "double", 2.718281828459045), ("c_char", "string", "abc       "),
 ("c_varchar", "string", "Café ñ €"), ("c_nchar", "string", "äö   "),
 ("c_nvarchar", "string", "Zoë 😀 日本"), ("c_text", "string", "long text Café €"),
 ("c_ntext", "string", "ntext ü 😀 日本"), ("c_date", "Date", "2024-05-01"),
 ("c_time", "Time", "23:59:59.1234567"), ("c_time3", "Time", "01:02:03.456"),
 ("c_datetime", "DateTime", "2024-05-01T12:34:56.790"),
 ("c_dt2", "DateTime", "2024-05-01T12:34:56.1234567"),
 ("c_dt2_0", "DateTime", "2024-05-01T12:34:56"), ("c_sdt", "DateTime", "2024-05-01T12:34:00"),
 ("c_dto", "DateTimeOffset", "2024-05-01T12:34:56.1234567+02:00"),
 ("c_guid", "Uuid", "6F9619FF-8B86-D011-B42D-00C04FC964FF"),
 ("c_binary", "bytes", "0xDEADBEEF"), ("c_varbinary", "bytes", "0x00FF10"),
 ("c_vcmax", "string", "ab" * 4500), ("c_nvcmax", "string", "é😀" * 3000),
 ("c_vbmax", "bytes", "0x" + "5A" * 10000), ("c_image", "bytes", "0xCAFE00"),
 ("c_xml", "string", '<a b="1">ü 😀</a>'), ("updated", "long", 100)]
got1 = [(c["name"], c["type"], c["value"]) for c in rows[0]["columns"]]
for g, w in zip(got1, want1):
    assert g == w, "row 1: got %r want %r" % (str(g)[:120], str(w)[:120])
assert len(got1) == len(want1) == 36
got2 = [(c["name"], c["type"], c["value"]) for c in rows[1]["columns"]]
for (n, t, v), (wn, _, _) in zip(got2, want1):
    if n in ("id", "updated"):
        continue
    assert n == wn and t == "null" and v is None, (n, t, v)
got3 = {c["name"]: (c["type"], c["value"]) for c in rows[2]["columns"]}
assert got3["c_dec"] == ("Decimal", "-0.5000000000"), got3["c_dec"]
assert got3["c_money"] == ("Decimal", "-92233720368.5477"), got3["c_money"]
assert got3["c_bit"] == ("boolean", False)
assert got3["c_dto"] == ("DateTimeOffset", "2024-12-31T23:30:00.5000000-05:30"), got3["c_dto"]
X
ok "people: every type and NULL decoded back value by value"

# The uploader imports the run and commits; a second run sees the first
# run's start as last_sync_time, less the default overlap window (300 s),
# and picks only the rows changed since.
started_s=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["started_at_ms"] // 1000)' "$T/dump.jsonl")
commit_all people "$started_s"
src_sql "UPDATE people SET email = 'bo@example.com', updated = $started_s + 1 WHERE id = 2"
"$RETL" extract -c "$T/retl.cfg" --once people 2> "$T/run2.log" || { cat "$T/run2.log"; fail "second run"; }
dump
python3 - "$T/dump.jsonl" "$started_s" <<'X' || fail "second run"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])][5:]
lst = int(sys.argv[2])
assert [r["type"] for r in recs] == ["RunStarted", "Row", "RunFinished"], [r["type"] for r in recs]
assert recs[0]["last_sync_time"] == lst - 300, recs[0]["last_sync_time"]
assert recs[0]["settings"]["query"] == "SELECT * FROM people WHERE updated > %d ORDER BY id" % (lst - 300)
cols = {c["name"]: c["value"] for c in recs[1]["columns"]}
assert cols["id"] == 2 and cols["email"] == "bo@example.com" and recs[1]["row_number"] == 1
assert recs[2]["status"] == "OK" and recs[2]["rows"] == 1
X
ok "second run: last_sync_time read back from the uploader group, only the changed row"

# Objects with a relationship query, in the same workspace topic.
commit_all people "$started_s"
"$RETL" extract -c "$T/retl.cfg" --once companies 2> "$T/run3.log" || { cat "$T/run3.log"; fail "objects run"; }
dump
python3 - "$T/dump.jsonl" <<'X' || fail "objects/relationships"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])][8:]
assert [r["type"] for r in recs] == ["RunStarted", "Row", "Row", "Row", "Row", "RunFinished"], [r["type"] for r in recs]
st = recs[0]
assert st["sync"] == "companies" and st["settings"]["import"] == "OBJECTS"
assert st["settings"]["object_type_id"] == "2"
assert st["settings"]["relationship_query"].startswith("SELECT person AS id")
def cols(r): return [(c["name"], c["type"], c["value"]) for c in r["columns"]]
assert [r["part"] for r in recs[1:5]] == ["MAIN", "MAIN", "RELATIONSHIPS", "RELATIONSHIPS"]
assert [r["row_number"] for r in recs[1:5]] == [1, 2, 1, 2]
assert cols(recs[1]) == [("object_id", "long", 10), ("object_type_id", "long", 2), ("name", "string", "Acme")], cols(recs[1])
assert cols(recs[2]) == [("object_id", "long", 11), ("object_type_id", "null", None), ("name", "string", "Globex")]
assert cols(recs[3]) == [("id", "long", 1), ("object_id", "long", 10), ("deleted", "boolean", False), ("role", "string", "owner")], cols(recs[3])
assert cols(recs[4]) == [("id", "long", 3), ("object_id", "long", 11), ("deleted", "boolean", True), ("role", "null", None)]
assert recs[5]["status"] == "OK" and recs[5]["rows"] == 2 and recs[5]["relationship_rows"] == 2
assert all(r["key"] == "companies" for r in recs)
X
ok "objects and relationship rows, in order, with their parts and numbers"

# One partition, created by the extractor, plus the imports and failures topics.
kcat -b "$RETL_KAFKA_BROKERS" -L -t "$PREFIX.acme" | grep -q '1 partitions' || fail "workspace topic partitions"
kcat -b "$RETL_KAFKA_BROKERS" -L -t "$PREFIX.imports" | grep -q '1 partitions' || fail "imports topic"
kcat -b "$RETL_KAFKA_BROKERS" -L -t "$PREFIX.failures" | grep -q '1 partitions' || fail "failures topic"
ok "topics created with exactly one partition"
