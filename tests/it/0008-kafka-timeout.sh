#!/usr/bin/env bash
# 0008: an unreachable Kafka (a loopback port bound, then closed) bounds
# every command's wait by kafka.timeout: each says once what it waits for,
# then fails naming the brokers and the setting, instead of waiting 10 to 80 s.
set -euo pipefail
T=$RETL_TEST_TMP
fail() { echo "FAIL: $*"; exit 1; }
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
export RETL_T_KEY=k RETL_T_PW=p
cat > "$T/retl.cfg" <<X
kafka = { brokers = "127.0.0.1:$PORT"; timeout = "3s"; };
workspaces = ( { name = "acme"; site_id = "s"; api_key_env = "RETL_T_KEY"; api_url = "http://127.0.0.1:9"; } );
databases = ( { name = "crm"; host = "127.0.0.1"; port = 9; database = "crm"; user = "u"; password_env = "RETL_T_PW"; } );
syncs = ( { name = "people"; workspace = "acme"; database = "crm"; import = "people"; interval = "1h";
            query = "SELECT id FROM people"; } );
X
waiting="waiting for Kafka at 127.0.0.1:$PORT (metadata)"
gave_up="Kafka at 127.0.0.1:$PORT did not answer within 3 s (kafka.timeout)"

bounded() { # bounded NAME retl-arguments...: runs it, sets rc and took (seconds)
        local name=$1 t0
        shift
        t0=$(date +%s)
        set +e; "$RETL" "$@" > "$T/$name.out" 2> "$T/$name.err"; rc=$?; set -e
        took=$(( $(date +%s) - t0 ))
        [ $took -lt 30 ] || fail "retl $*: took ${took}s with kafka.timeout = 3s"
        [ "$(grep -c -F "$waiting" "$T/$name.err")" = 1 ] ||
                { cat "$T/$name.err"; fail "retl $*: does not say once what it waits for"; }
        grep -q -F "$gave_up" "$T/$name.err" || { cat "$T/$name.err"; fail "retl $*: no '$gave_up'"; }
}

bounded status status -c "$T/retl.cfg"
[ $rc = 1 ] || fail "status: exit $rc"
bounded errors errors -c "$T/retl.cfg" people-1
[ $rc = 1 ] || fail "errors: exit $rc"
bounded dump dump -c "$T/retl.cfg" acme
[ $rc = 1 ] || fail "dump: exit $rc"
bounded replay replay -c "$T/retl.cfg" acme --run people-1
[ $rc = 1 ] || fail "replay: exit $rc"
bounded once extract -c "$T/retl.cfg" --once people
[ $rc = 1 ] || fail "extract --once: exit $rc"
bounded daemon extract -c "$T/retl.cfg"
[ $rc = 1 ] || fail "extract: exit $rc"
bounded upstatus upload -c "$T/retl.cfg" --status
[ $rc = 1 ] || fail "upload --status: exit $rc"
[ ! -s "$T/upstatus.out" ] || fail "upload --status: printed a workspace line without Kafka"
# preview goes on without Kafka (last_sync_time 0); the database is not there either
bounded preview preview -c "$T/retl.cfg" people
grep -q "last_sync_time 0 (Kafka unreachable, 0 used)" "$T/preview.out" || { cat "$T/preview.out"; fail "preview"; }

# a duration, checked like any setting
sed -i 's/timeout = "3s"/timeout = "soon"/' "$T/retl.cfg"
set +e; "$RETL" config -c "$T/retl.cfg" 2> "$T/bad.err"; rc=$?; set -e
[ $rc = 1 ] && grep -q "kafka.timeout.*bad duration 'soon'" "$T/bad.err" || { cat "$T/bad.err"; fail "bad kafka.timeout"; }
echo "   ok: every command gives up on an unreachable Kafka after kafka.timeout, saying why"
