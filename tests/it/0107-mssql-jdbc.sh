#!/usr/bin/env bash
# 0107: a client we did not write. Microsoft's JDBC driver (mssql-jdbc,
# pinned in tests/jdbc/driver.sh) runs tests/jdbc/StandinCheck.java against
# the stand-in: login right and wrong (18456, 4060), TLS (trusting any
# certificate, then a test CA), the type matrix at its edges, cancels with
# the connection reused, prepared statements, transactions, the T-SQL of
# issue #11 value by value, and 1,000,000 rows whose count and sum must be
# SQLite's own. Every check prints ok/FAIL; any FAIL fails the test.
set -euo pipefail
: "${RETL_MSSQL_STANDIN:?}" "${RETL_TEST_TMP:?}" "${RETL_ROOT:?}"
T=$RETL_TEST_TMP
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v javac >/dev/null || fail "javac is missing (scripts/deps.sh installs default-jdk-headless)"

"$RETL_ROOT/tests/jdbc/driver.sh" fetch
jar=$("$RETL_ROOT/tests/jdbc/driver.sh" path)
mkdir -p "$T/classes"
javac -nowarn -d "$T/classes" -cp "$jar" "$RETL_ROOT/tests/jdbc/StandinCheck.java"

db=$T/jdbc.sqlite
sqlite3 "$db" <<'SQL'
CREATE TABLE t(id INT NOT NULL, name NVARCHAR(20));
INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'drei');
CREATE TABLE matrix(id INT NOT NULL, i INT, bi BIGINT, d DECIMAL TEXT(38,10), nv "NVARCHAR(MAX)",
    dto DATETIMEOFFSET(7), dt2 DATETIME2(7), dtm DATETIME, dte DATE, bt BIT, f FLOAT,
    g UNIQUEIDENTIFIER, vb "VARBINARY(MAX)", vc VARCHAR(50), tm TIME(7), m MONEY TEXT, nv2 NVARCHAR(40));
INSERT INTO matrix VALUES (1, 2147483647, 9223372036854775807, '1234567890123456789012345678.0123456789',
    replace(hex(zeroblob(25000)), '00', '😀漢字x'), '2024-05-01T12:34:56.1234567+05:30',
    '2024-05-01 12:34:56.1234567', '2024-05-01 12:34:56.789', '9999-12-31', 1, 1.7976931348623157e308,
    '6F9619FF-8B86-D011-B42D-00C04FC964FF', x'00FF10', 'café', '23:59:59.9999999',
    '922337203685477.5807', '𝄞 漢字 😀 ü');
INSERT INTO matrix(id) VALUES (2);
INSERT INTO matrix VALUES (3, -2147483648, -9223372036854775808, '-0.0000000001', '',
    '0001-01-01 00:00:00-14:00', '0001-01-01 00:00:00', '1753-01-01 00:00:00', '0001-01-01', 0, -1.5,
    '00000000-0000-0000-0000-000000000000', x'', '', '00:00:00', '-922337203685477.5808', '');
CREATE TABLE legacy(id INT NOT NULL, t TEXT, nt NTEXT, img IMAGE, x XML, v SQL_VARIANT);
INSERT INTO legacy VALUES (1, 'long text café', replace(hex(zeroblob(25000)), '00', '😀漢字x'), x'00FF10',
    '<a b="1">ü 😀</a>', 42),
    (2, NULL, NULL, NULL, NULL, NULL),
    (3, '', '', x'', '<r/>', 'nvar ü 😀'),
    (4, 'x', 'y', x'00', '<r/>', 12.5),
    (5, 'x', 'y', x'00', '<r/>', 5000000000),
    (6, 'x', 'y', x'00', '<r/>', x'0102');
CREATE TABLE people(id INT NOT NULL, first_name NVARCHAR(50), email NVARCHAR(100), "plan" VARCHAR(10),
    created DATETIME2(7), updated DATETIME, company_id INT, amount DECIMAL(10,2));
INSERT INTO people VALUES (1, 'Ada', 'ada@example.com', 'pro', '2024-05-01 10:00:00', '2024-05-01 09:30:00', NULL, 12.50),
    (2, 'Bob', 'bob@example.com', 'free', '2023-12-31 23:59:59.5', '2024-04-30 08:00:00', 2, 7.25);
CREATE TABLE million(id INT NOT NULL, label NVARCHAR(20));
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000)
INSERT INTO million SELECT x, CASE WHEN x % 10 = 0 THEN NULL ELSE 'row ' || x END FROM n;
SQL
# SQLite's own answers, which the driver's must equal
MILLION_COUNT=$(sqlite3 "$db" "SELECT COUNT(*) FROM million")
MILLION_SUM=$(sqlite3 "$db" "SELECT SUM(id) FROM million")
MILLION_NULLS=$(sqlite3 "$db" "SELECT COUNT(*) FROM million WHERE label IS NULL")
export MILLION_COUNT MILLION_SUM MILLION_NULLS

# a test CA and a server certificate it signed, for localhost and 127.0.0.1
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=retl-test-ca -days 1 \
        -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$T/key.pem" -out "$T/req.pem" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$T/san.ext"
openssl x509 -req -in "$T/req.pem" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 1 \
        -extfile "$T/san.ext" -out "$T/cert.pem" 2>/dev/null
export TRUSTSTORE=$T/trust.p12 TRUSTSTORE_PW=changeit
keytool -importcert -noprompt -storetype PKCS12 -keystore "$TRUSTSTORE" -storepass "$TRUSTSTORE_PW" \
        -alias retl-test-ca -file "$T/ca.pem" >/dev/null 2>&1

export STANDIN_PW=s3cret-jdbc
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
start() { # start NAME [ARGS...]: a stand-in writing its port to $T/NAME.port
        local name=$1; shift
        rm -f "$T/$name.port"
        "$RETL_MSSQL_STANDIN" --listen 127.0.0.1:0 --db "$db" --database jdbcdb --user loader \
                --password-env STANDIN_PW --port-file "$T/$name.port" "$@" \
                >"$T/$name.out" 2>"$T/$name.err" &
        pids+=($!)
        for _ in $(seq 1 400); do
                [ -s "$T/$name.port" ] && return 0
                kill -0 "${pids[-1]}" 2>/dev/null || fail "stand-in $name exited: $(cat "$T/$name.err")"
                sleep 0.05
        done
        fail "stand-in $name did not start"
}
start plain
start tls --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
export STANDIN_PORT STANDIN_TLS_PORT
STANDIN_PORT=$(cat "$T/plain.port")
STANDIN_TLS_PORT=$(cat "$T/tls.port")

set +e
java -Xmx512m -cp "$T/classes:$jar" StandinCheck | tee "$T/checks.out"
rc=${PIPESTATUS[0]}
set -e
grep -q '^ok ' "$T/checks.out" || fail "no check ran"
[ "$rc" = 0 ] || fail "$(grep -c '^FAIL ' "$T/checks.out") JDBC checks failed (exit $rc)"
echo "0107 ok"
