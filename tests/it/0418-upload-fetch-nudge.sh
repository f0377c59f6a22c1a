#!/usr/bin/env bash
# 0418: the fetch nudge loses no row and sends none twice. librdkafka 2.0
# leaves a partition whose prefetch queue reached its bound unfetched until
# its broker thread next wakes (up to a second); the uploader seeks to the
# next offset it takes when its queue has stood empty while the broker holds
# more (consumer/partition.c). Here the queue's bound is 64 KiB (a few
# hundred rows), so a run of 30,000 rows drains and nudges it again and
# again: every row must land exactly once (each person created once, never
# sent again; the sandbox accepted exactly 30,000 entities), every value as
# the source holds it, and the run completes with all rows imported.
# The whole pipeline: stand-in, `retl extract --once`, the real broker,
# `retl upload` (started after the run is in the topic), `retl sandbox`.
. "${RETL_ROOT:-$(dirname "$0")/../..}/tests/it/extract-lib.sh"
PREFIX=t0418
export RETL_TEST_API_KEY=k0418
N=30000

cat > "$T/src.sql" <<X
CREATE TABLE people(id INT PRIMARY KEY, email NVARCHAR(100), note NVARCHAR(200));
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $N)
 INSERT INTO people SELECT x, 'p' || x || '@example.com',
  'row ' || x || ' ' || substr('abcdefghijklmnopqrstuvwxyz0123456789', 1 + x % 30) FROM c;
X
start_standin "$T/src.sql"
start_sandbox s0418
pipeline_cfg s0418 '{ name = "people"; workspace = "acme"; database = "src"; import = "people";
           interval = "1h"; query = "SELECT id, email, note FROM people"; }'
# a 64 KiB prefetch queue, and the uploader's debug log (it names each nudge)
sed -i -e 's/^log_level = "info";/log_level = "debug";/' \
        -e 's/properties = { };/properties = { queued_max_messages_kbytes = "64"; fetch_message_max_bytes = "32768"; batch_num_messages = "500"; };/' "$T/retl.cfg"
"$RETL" config -c "$T/retl.cfg" > /dev/null || fail "test configuration"

run_once people
[ "$RUN_RC" = 0 ] || { cat "$T/run.log"; fail "extract"; }
"$RETL" upload -c "$T/retl.cfg" --client-id u1 > "$T/upload.log" 2>&1 &
DAEMON_PID=$!
wait_for "the import" 180 import_is "$RUN" completed

nudges=$(grep -c "fetch nudged" "$T/upload.log" || true)
[ "$nudges" -ge 2 ] || fail "the queue was never nudged ($nudges): the test does not test the nudge"
ok "the drained prefetch queue was nudged $nudges times"

[ "$(import_of "$RUN" imported)" = "$N" ] || fail "imported: $(import_of "$RUN" imported), want $N"
[ "$(import_of "$RUN" rows)" = "$N" ] || fail "rows: $(import_of "$RUN" rows), want $N"
curl -fsS "$SBX/_sandbox/counters" > "$T/counters.json"
python3 - "$T/counters.json" "$N" <<'X' || fail "the sandbox's counters"
import json, sys
c = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
if c["entities"]["accepted"] != n or c["entities"]["rejected"] != 0:
    print("   entities:", c["entities"], "want", n, "accepted")
    sys.exit(1)
X
ok "the sandbox accepted exactly $N entities, none refused"

sqlite3 -separator '|' "$T/src.sqlite" "SELECT id, email, note FROM people" > "$T/want.txt"
python3 - "$SBX" "$T/want.txt" "$N" <<'X' || fail "the workspace differs from the source"
import json, sys, urllib.request
url, want_file, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
got = {}
offset = 0
while True:
    page = json.load(urllib.request.urlopen("%s/_sandbox/people?offset=%d&limit=5000" % (url, offset)))
    for p in page["people"]:
        got[p["id"]] = p
    if len(page["people"]) < 5000:
        break
    offset += 5000
bad = []
for line in open(want_file):
    pid, email, note = line.rstrip("\n").split("|")
    p = got.pop(pid, None)
    if p is None:
        bad.append("missing " + pid)
    elif p["email"] != email or p["attributes"].get("note") != note:
        bad.append("differs %s: %s %s" % (pid, p["email"], p["attributes"]))
    elif p["updates"] != 1:
        bad.append("person %s sent %d times" % (pid, p["updates"]))
bad += ["extra " + k for k in list(got)[:5]]
if bad:
    print("   ", len(bad), "problems, e.g.", bad[:5])
    sys.exit(1)
X
ok "all $N people are as the source holds them, each created once and never sent again"
