#!/usr/bin/env bash
# 0701: `retl console` in a real browser. A demo-like pipeline (the stand-in,
# `retl extract --once`, the real broker, one `retl upload`, `retl sandbox`)
# imports twice, the second time with failed rows, one of whose reasons holds
# a <script>; then Debian's chromium, headless through puppeteer-core
# (tests/console, pinned by its package-lock.json, installed into .cache),
# reads the console: the figures equal `retl status --json`, the CSV download
# equals `retl errors`, the <script> stays text, a request without the token
# is refused, a replay goes through its confirmation and lands. Screenshots of
# each page are kept in $RETL_TEST_TMP.
. "${RETL_ROOT:-$(dirname "$0")/../..}/tests/it/extract-lib.sh"
PREFIX=t0701
export RETL_TEST_API_KEY=k0701
SBX_PID=
CONSOLE_PID=
OPEN_PID=

cleanup() {
        for p in "$CONSOLE_PID" "$OPEN_PID" "$DAEMON_PID" "$SBX_PID" "$STANDIN_PID"; do
                [ -n "$p" ] && kill "$p" 2>/dev/null || true
        done
        wait 2>/dev/null || true
}
trap cleanup EXIT

# ---------------------------------------------------------------- browser and driver
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] || fail "no chromium (scripts/deps.sh installs Debian's package)"
command -v node >/dev/null && command -v npm >/dev/null || fail "no node/npm (scripts/deps.sh)"
MODS=$RETL_ROOT/.cache/console-test
if ! cmp -s "$RETL_ROOT/tests/console/package-lock.json" "$MODS/package-lock.json" ||
        [ ! -d "$MODS/node_modules/puppeteer-core" ]; then
        rm -rf "$MODS"; mkdir -p "$MODS"
        cp "$RETL_ROOT"/tests/console/{package.json,package-lock.json,.npmrc} "$MODS/"
        (cd "$MODS" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) \
                > "$T/npm.log" 2>&1 || { tail -20 "$T/npm.log"; fail "npm ci of tests/console"; }
fi

# ---------------------------------------------------------------- the pipeline
now=$(date +%s)
cat > "$T/src.sql" <<X
CREATE TABLE people(id INT PRIMARY KEY, email NVARCHAR(100), plan NVARCHAR(20), updated BIGINT);
INSERT INTO people VALUES (1, 'a@example.com', 'free', $((now - 3600))),
                          (2, 'b@example.com', 'team', $((now - 3600))),
                          (3, 'c@example.com', 'free', $((now - 3600)));
X
start_standin "$T/src.sql"
start_sandbox s0701
# the query holds markup characters: the page must show them as text
pipeline_cfg s0701 "$(cat <<'S'
{ name = "people"; workspace = "acme"; database = "src"; import = "people";
  interval = "1h"; overlap = "1s";
  query = "SELECT id, email, plan FROM people WHERE plan <> '<none>' AND updated > {{last_sync_time}}"; }
S
)"
"$RETL" upload -c "$T/retl.cfg" --client-id u1 > "$T/upload.log" 2>&1 &
DAEMON_PID=$!

# imported N: N imports, the newest finished, nothing pending
imported() {
        "$RETL" status -c "$T/retl.cfg" --json > "$T/status.json" 2>/dev/null || return 1
        python3 - "$T/status.json" "$1" <<'X'
import json, sys
s = json.load(open(sys.argv[1]))["syncs"][0]
assert s.get("pending_records") == 0 and len(s["imports"]) == int(sys.argv[2])
assert s["imports"][0]["status"] not in ("running",)
X
}
run() {
        "$RETL" extract -c "$T/retl.cfg" --once people > "$T/run$1.log" 2>&1 ||
                { cat "$T/run$1.log"; fail "run $1"; }
        wait_for "import $1" 120 imported "$1"
}
run 1
sleep 1.1 # the second run's rows must be stamped after the first run's start (1 s resolution)
src_sql "INSERT INTO people VALUES (4, '<script>window.__retl_xss=1</script><b>x</b>', 'team', $(date +%s));
         INSERT INTO people VALUES (5, 'not-an-email', 'free', $(date +%s));
         UPDATE people SET plan = 'business', updated = $(date +%s) WHERE id = 1;"
run 2
FAILED_RUN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["syncs"][0]["imports"][0]["run"])' "$T/status.json")
"$RETL" errors -c "$T/retl.cfg" "$FAILED_RUN" > "$T/errors.csv" || fail "retl errors"
grep -q '<script>' "$T/errors.csv" || fail "the failed row with <script> is not in retl errors"
ok "two imports, the second with 2 failed rows ($FAILED_RUN)"

# ---------------------------------------------------------------- the console
head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$T/token"
"$RETL" console -c "$T/retl.cfg" --listen 127.0.0.1:0 --port-file "$T/console.port" \
        --token-file "$T/token" > "$T/console.log" 2>&1 &
CONSOLE_PID=$!
wait_for "the console" 30 test -s "$T/console.port"
URL=http://127.0.0.1:$(cat "$T/console.port")
TOKEN=$(cat "$T/token")

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$URL/")" = 401 ] || fail "a request without the token is not refused"
[ "$(code -H "Authorization: Bearer wrong-token-wrong" "$URL/")" = 401 ] || fail "a wrong token is not refused"
[ "$(code -H "Authorization: Bearer $TOKEN" "$URL/")" = 200 ] || fail "the bearer token is not accepted"
ok "the console refuses requests without the token and accepts it (bearer)"
curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/run/errors.csv?id=$FAILED_RUN" > "$T/console.csv" ||
        fail "the CSV download"
cmp "$T/errors.csv" "$T/console.csv" || fail "the console's CSV differs from retl errors"
ok "the console's CSV download is byte for byte retl errors"
[ "$(code -H "Authorization: Bearer $TOKEN" -d "id=$FAILED_RUN" "$URL/replay")" = 403 ] ||
        fail "a POST without the CSRF token is not refused"
ok "an action without the form's CSRF token is refused"
# no secret on any page: the API key's variable value and the database password
for p in / "/sync?name=people" "/run?id=$FAILED_RUN"; do
        curl -fsS -H "Authorization: Bearer $TOKEN" "$URL$p" > "$T/page.html" || fail "GET $p"
        ! grep -qe "$RETL_TEST_API_KEY" -e "$RETL_TEST_DB_PASSWORD" -e "$TOKEN" "$T/page.html" ||
                fail "a secret shows on $p"
done
ok "no secret on the pages"
# without a token, only loopback: the console refuses to listen elsewhere
! "$RETL" console -c "$T/retl.cfg" --listen 0.0.0.0:0 > "$T/open.log" 2>&1 ||
        fail "the console listened on 0.0.0.0 without a token"
grep -q "requires a token" "$T/open.log" || fail "no reason given: $(cat "$T/open.log")"
# ... and answers only to a loopback host name (a rebound DNS name is refused)
"$RETL" console -c "$T/retl.cfg" --listen 127.0.0.1:0 --port-file "$T/open.port" > "$T/open.log" 2>&1 &
OPEN_PID=$!
wait_for "the console without a token" 30 test -s "$T/open.port"
OPEN=http://127.0.0.1:$(cat "$T/open.port")
[ "$(code "$OPEN/")" = 200 ] || fail "the loopback console without a token does not answer"
[ "$(code -H "Host: rebound.example:$(cat "$T/open.port")" "$OPEN/")" = 403 ] ||
        fail "the loopback console answers to a foreign host name"
kill "$OPEN_PID"; wait "$OPEN_PID" 2>/dev/null || true; OPEN_PID=
echo short > "$T/short-token"
! "$RETL" console -c "$T/retl.cfg" --listen 127.0.0.1:0 --token-file "$T/short-token" > "$T/short.log" 2>&1 ||
        fail "a token of 5 characters was accepted"
ok "without a token the console listens only on loopback, for loopback names; short tokens are refused"

# ---------------------------------------------------------------- the browser
python3 - "$T/status.json" "$T/errors.csv" "$FAILED_RUN" > "$T/expect.json" <<'X'
import json, sys, time
s = json.load(open(sys.argv[1]))["syncs"][0]
print(json.dumps({
    "sync": s["sync"], "workspace": s["workspace"], "pending": s["pending_records"],
    "last_sync_time_text": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s["last_sync_time"])),
    "status": s["imports"][0]["status"],
    "imports": [{k: i[k] for k in ("run", "status", "rows", "imported", "failed")} for i in s["imports"]],
    "failed_run": sys.argv[3], "failed_rows": s["imports"][0]["failed"],
    "csv": open(sys.argv[2]).read(), "query_marker": "plan <> '<none>'",
}))
X
# an ES module resolves its imports from where it lies: beside node_modules
cp "$RETL_ROOT/tests/console/browse.mjs" "$T/browse.mjs"
ln -sfn "$MODS/node_modules" "$T/node_modules"
rc=0
CONSOLE_URL=$URL CONSOLE_TOKEN=$TOKEN EXPECT=$T/expect.json SHOTS=$T CHROMIUM=$CHROMIUM \
        timeout -k 5 180 node "$T/browse.mjs" > "$T/browse.log" 2>&1 || rc=$?
sed 's/^/   /' "$T/browse.log"
[ $rc = 0 ] || fail "the browser checks (see above; screenshots in $T)"
for p in syncs sync run; do
        [ -s "$T/console-$p.png" ] || fail "no screenshot of the $p page"
done
ok "chromium read the console: figures, CSV, escaping, token, replay (screenshots in $T)"

# the replay the browser asked for lands as an import of its own
replayed() {
        "$RETL" status -c "$T/retl.cfg" --json > "$T/status.json" 2>/dev/null || return 1
        python3 - "$T/status.json" "$FAILED_RUN" <<'X'
import json, sys
s = json.load(open(sys.argv[1]))["syncs"][0]
r = [i for i in s["imports"] if i.get("replay_of") == sys.argv[2]]
assert r and r[0]["status"] == "some rows failed" and r[0]["failed"] == 2, r
X
}
wait_for "the replay's import" 120 replayed
ok "the replay asked for in the browser was imported (replay of $FAILED_RUN)"
echo "0701 ok"
