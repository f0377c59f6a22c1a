#!/usr/bin/env bash
# 0310: TLS is verified by default. Stand-ins with a certificate from a test
# CA (issued for 127.0.0.1, for localhost, or for another name), a
# self-signed one, and none:
# `retl check` connects when ca_file holds the CA and the certificate names the
# host; names the failure otherwise (certificate not trusted, host name
# mismatch, server does not offer TLS), also with ca_file unset (the system's
# CAs); trust_server_certificate = true connects with a warning;
# encryption = "off" stays possible. A refused certificate never sees the
# real login: the stand-in's session log holds only the diagnostic logins.
. "$(dirname "$0")/extract-lib.sh"
PREFIX=t0310
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; cleanup' EXIT

# ------------------------------------------------------------ certificates
ec() { echo "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"; }
openssl req -x509 $(ec) -subj /CN=retl-test-ca -days 1 -keyout "$T/ca.key" -out "$T/ca.pem" \
        2>/dev/null
# issue NAME SUBJECT_ALT_NAME: a certificate from the test CA
issue() {
        printf 'subjectAltName=%s\n' "$2" > "$T/$1.ext"
        openssl req $(ec) -subj "/CN=$1" -keyout "$T/$1.key" -out "$T/$1.csr" 2>/dev/null
        openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
                -days 1 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
}
issue good "IP:127.0.0.1"
issue named "DNS:localhost"
issue othername "DNS:db.example.com"
openssl req -x509 $(ec) -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 1 \
        -keyout "$T/selfsigned.key" -out "$T/selfsigned.pem" 2>/dev/null
openssl verify -CAfile "$T/ca.pem" "$T/good.pem" "$T/named.pem" "$T/othername.pem" > /dev/null ||
        fail "test certificates"

# ------------------------------------------------------------ stand-ins
sqlite3 "$T/src.sqlite" "CREATE TABLE people(id INT, email NVARCHAR(100))"
# standin NAME [--tls-cert PEM --tls-key KEY]: sets PORT_<NAME>; session log $T/NAME.jsonl
standin() {
        local name=$1; shift
        "$RETL_MSSQL_STANDIN" --listen 127.0.0.1:0 --db "$T/src.sqlite" --database crm \
                --user retl --password-env RETL_TEST_DB_PASSWORD --port-file "$T/$name.port" \
                --log-session "$T/$name.jsonl" "$@" > "$T/$name.log" 2>&1 &
        PIDS+=($!)
        wait_for "stand-in $name" 30 test -s "$T/$name.port"
        printf -v "PORT_$name" '%s' "$(cat "$T/$name.port")"
}
standin good --tls-cert "$T/good.pem" --tls-key "$T/good.key"
standin named --tls-cert "$T/named.pem" --tls-key "$T/named.key"
standin othername --tls-cert "$T/othername.pem" --tls-key "$T/othername.key"
standin selfsigned --tls-cert "$T/selfsigned.pem" --tls-key "$T/selfsigned.key"
standin plain

# check PORT EXTRA...: runs `retl check` with the database's settings + EXTRA;
# output in $OUT, exit status in $RC
check() {
        PORT=$1; shift
        write_cfg $PREFIX '' "$*"
        sed -i '0,/encryption = "off"; /s///' "$T/retl.cfg"     # the default, require
        set +e; OUT=$("$RETL" check -c "$T/retl.cfg" src 2>&1); RC=$?; set -e
        echo "$OUT" | grep -q "$RETL_TEST_DB_PASSWORD" && fail "the password was printed: $OUT"
        return 0
}
# logins NAME: the user names of the LOGIN7s stand-in NAME received
logins() { jq -r 'select(.event == "login") | .user' "$T/$1.jsonl" 2>/dev/null | sort -u | tr '\n' ' '; }

check "$PORT_good" "ca_file = \"$T/ca.pem\";"
[ $RC = 0 ] && echo "$OUT" | grep -q "^ok: connected.*encryption require, certificate and host name verified against ca_file $T/ca.pem)" ||
        fail "CA and matching name: $OUT"
[ "$(logins good)" = "retl " ] || fail "logins seen by the good stand-in: $(logins good)"
check "$PORT_named" "ca_file = \"$T/ca.pem\";"
[ $RC = 1 ] && echo "$OUT" | grep -q "^FAILED (TLS: host name mismatch)" ||
        fail "certificate for localhost, host 127.0.0.1: $OUT"
sed -i 's/host = "127.0.0.1"/host = "localhost"/' "$T/retl.cfg"
set +e; OUT=$("$RETL" check -c "$T/retl.cfg" src 2>&1); RC=$?; set -e
[ $RC = 0 ] || fail "certificate for localhost, host localhost: $OUT"
ok "ca_file with the CA, certificate issued for the host (IP address or DNS name): connected"

check "$PORT_good" ""
[ $RC = 1 ] && echo "$OUT" | grep -q '^FAILED (TLS: certificate not trusted)' ||
        fail "default (system CAs) against the test CA: $OUT"
check "$PORT_selfsigned" "ca_file = \"$T/ca.pem\";"
[ $RC = 1 ] && echo "$OUT" | grep -q '^FAILED (TLS: certificate not trusted)' ||
        fail "self-signed certificate: $OUT"
ok "ca_file unset verifies against the system's CAs; a certificate from elsewhere is refused"

check "$PORT_othername" "ca_file = \"$T/ca.pem\";"
[ $RC = 1 ] && echo "$OUT" | grep -q "^FAILED (TLS: host name mismatch).*'127.0.0.1'" ||
        fail "certificate for another name: $OUT"
ok "a trusted certificate issued for another name is refused (host name check)"

check "$PORT_plain" ""
[ $RC = 1 ] && echo "$OUT" | grep -q '^FAILED (TLS: server does not offer it)' ||
        fail "server without TLS: $OUT"
check "$PORT_plain" 'encryption = "off";'
[ $RC = 0 ] && echo "$OUT" | grep -q '^ok: connected.*encryption off)' || fail "encryption off: $OUT"
ok "a server without TLS is named as such; encryption = \"off\" connects"

# the real login (user retl, its password) never went to a refused certificate
for s in selfsigned othername; do
        [ "$(logins $s)" = "retl-tls-probe " ] || fail "logins seen by $s: $(logins $s)"
done
ok "refused certificates saw only the diagnostic login (user retl-tls-probe, no password)"

check "$PORT_othername" "trust_server_certificate = true;"
[ $RC = 0 ] && echo "$OUT" | grep -q '^ok: connected.*certificate NOT verified' ||
        fail "trust_server_certificate: $OUT"
echo "$OUT" | grep -q 'WARN.*trust_server_certificate = true.*not verified' ||
        fail "no warning for trust_server_certificate: $OUT"
check "$PORT_good" "trust_server_certificate = true; ca_file = \"$T/ca.pem\";"
[ $RC != 0 ] && echo "$OUT" | grep -q 'contradict' || fail "ca_file with trust: $OUT"
ok "trust_server_certificate = true connects with a warning; with ca_file it is refused"
