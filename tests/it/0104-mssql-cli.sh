#!/usr/bin/env bash
# 0104: the stand-in's command line as scripts use it: --port-file to wait
# on (no blind sleep), --password-file, tsql (FreeTDS CLI) logging in with
# the right and a wrong password, bad arguments, and SIGINT stopping it
# cleanly (exit 0). The password must never reach the log.
set -euo pipefail
: "${RETL_MSSQL_STANDIN:?}" "${RETL_TEST_TMP:?}"
T=$RETL_TEST_TMP
db=$T/cli.sqlite
rm -f "$db" "$T/port"
sqlite3 "$db" "CREATE TABLE t(id INT, name NVARCHAR(20)); INSERT INTO t VALUES (1, 'one'), (2, 'two');"
printf 'pa55-w0rd\n' > "$T/pw"

fail() { echo "FAIL: $*" >&2; exit 1; }

# bad usage exits 2 without listening
set +e
"$RETL_MSSQL_STANDIN" --listen 127.0.0.1:0 2>/dev/null; rc=$?
"$RETL_MSSQL_STANDIN" --listen 127.0.0.1:0 --db "$db" --user u 2>/dev/null; rc2=$?
"$RETL_MSSQL_STANDIN" --listen 127.0.0.1:0 --db "$T/missing.sqlite" 2>/dev/null; rc3=$?
set -e
[ "$rc" = 2 ] || fail "no --db: exit $rc"
[ "$rc2" = 2 ] || fail "--user without password: exit $rc2"
[ "$rc3" = 1 ] || fail "missing SQLite file: exit $rc3"

"$RETL_MSSQL_STANDIN" --listen 127.0.0.1:0 --db "$db" --database clidb --user loader \
        --password-file "$T/pw" --port-file "$T/port" --log-level debug \
        >"$T/stdout" 2>"$T/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
        [ -s "$T/port" ] && break
        kill -0 $pid 2>/dev/null || fail "stand-in exited early: $(cat "$T/stderr")"
        sleep 0.05
done
port=$(cat "$T/port")
grep -q "^listening on 127.0.0.1:$port\$" "$T/stdout" || fail "no listening line"

out=$(printf 'SELECT name FROM t ORDER BY id\ngo\nexit\n' |
        TDSVER=7.4 tsql -H 127.0.0.1 -p "$port" -U loader -P pa55-w0rd -D clidb 2>&1)
echo "$out" | grep -q '^one$' || fail "query output: $out"
echo "$out" | grep -q '^two$' || fail "query output: $out"

out=$(printf 'SELECT 1\ngo\nexit\n' |
        TDSVER=7.4 tsql -H 127.0.0.1 -p "$port" -U loader -P wrong -D clidb 2>&1 || true)
echo "$out" | grep -q "Login failed for user 'loader'" || fail "wrong password: $out"

# a client asking for TDS 7.3 is refused by name, not answered in 7.4's forms
out=$(printf 'SELECT 1\ngo\nexit\n' |
        TDSVER=7.3 tsql -H 127.0.0.1 -p "$port" -U loader -P pa55-w0rd -D clidb 2>&1 || true)
echo "$out" | grep -q "retl-mssql-standin speaks TDS 7.4 only" || fail "TDS 7.3: $out"

kill -INT $pid
set +e
wait $pid; rc=$?
set -e
trap - EXIT
[ "$rc" = 0 ] || fail "exit status after SIGINT: $rc"
if grep -q 'pa55-w0rd' "$T/stderr" "$T/stdout"; then fail "password in the log"; fi
grep -q "login: user 'loader' database 'clidb'" "$T/stderr" || fail "no login line"
grep -q 'login failed for user' "$T/stderr" || fail "no failed-login line"
echo "0104 ok"
