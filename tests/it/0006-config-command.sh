#!/usr/bin/env bash
# 0006: `retl config` finds, before anything runs, what the loader alone
# would let through: queries the extractor would refuse (not read-only, two
# statements, an unknown template) and a workspace whose syncs' state would
# not fit in a Kafka commit, each named at its setting's line; integers read
# as written; a directory named as such; a good file passes; --for reads
# only one daemon's secrets.
set -euo pipefail
T=$RETL_TEST_TMP
fail() { echo "FAIL: $*"; exit 1; }
export RETL_T_KEY=k RETL_T_PW=p
head_cfg() {
        cat <<X
kafka = { brokers = "127.0.0.1:9"; };
workspaces = ( { name = "acme"; site_id = "s"; api_key_env = "RETL_T_KEY"; } );
databases = ( { name = "crm"; host = "db"; database = "crm"; user = "u"; password_env = "RETL_T_PW"; } );
X
}
sync() { printf '{ name = "%s"; workspace = "acme"; database = "crm"; import = "people"; interval = "1h";\n  query = "%s"; }' "$1" "$2"; }

{ head_cfg; echo "syncs = ( $(sync good 'SELECT id, email FROM people WHERE u > {{ last_sync_time }}') );"; } > "$T/good.cfg"
"$RETL" config -c "$T/good.cfg" | grep -q ': ok (1 workspaces, 1 databases, 1 syncs)' || fail "good file"

{ head_cfg; echo "syncs = ( $(sync w 'INSERT INTO people(id) VALUES (1)'),"
  echo " $(sync two 'SELECT id FROM a; SELECT id FROM b'),"
  echo " $(sync tpl 'SELECT id FROM a WHERE u > {{last_synctime}}') );"; } > "$T/bad.cfg"
set +e; "$RETL" config -c "$T/bad.cfg" 2> "$T/bad.err"; rc=$?; set -e
cat "$T/bad.err"
[ $rc = 1 ] || fail "bad queries: exit $rc"
# each message names the line of the query setting (the sync's second line)
grep -q "bad.cfg:5: syncs\[0\] 'w'.query: line 1 of the query: .*read-only" "$T/bad.err" || fail "INSERT not named"
grep -q "syncs\[1\] 'two'.query: " "$T/bad.err" || fail "two statements not named"
grep -q "syncs\[2\] 'tpl'.query: .*last_synctime" "$T/bad.err" || fail "unknown template not named"

# a relationship query's error names its own line, and the line inside the query
{ head_cfg; cat <<'X'
syncs = ( { name = "people"; workspace = "acme"; database = "crm"; import = "people";
  interval = "1h";
  query = "SELECT id FROM people";
  relationship_query = "SELECT id, company_id AS object_id\n"
                       " FROM m WHERE u > {{last_synctime}}"; } );
X
} > "$T/rel.cfg"
set +e; "$RETL" config -c "$T/rel.cfg" 2> "$T/rel.err"; rc=$?; set -e
[ $rc = 1 ] || fail "bad relationship query: exit $rc"
grep -q "rel.cfg:7: syncs\[0\] 'people'.relationship_query: line 2 of the query: unknown template {{last_synctime}}" "$T/rel.err" || { cat "$T/rel.err"; fail "relationship query's line"; }

# integers are read as written (libconfig 1.5 wraps them at 32 bits without L)
{ head_cfg | sed 's/brokers = "127.0.0.1:9";/brokers = "127.0.0.1:9"; retention_ms = 4295067296;/'
  echo "syncs = ( $(sync good 'SELECT id FROM people') );"; } > "$T/int.cfg"
"$RETL" config -c "$T/int.cfg" --dump | grep -q 'retention_ms = 4295067296L;' || fail "retention_ms not read whole"
sed -i 's/retention_ms = 4295067296;/replication_factor = 4294967297;/' "$T/int.cfg"
set +e; "$RETL" config -c "$T/int.cfg" 2> "$T/int.err"; rc=$?; set -e
[ $rc = 1 ] && grep -q "int.cfg:1: kafka.replication_factor: 4294967297 is out of range (1 to 32)" "$T/int.err" || { cat "$T/int.err"; fail "replication_factor = 4294967297 not refused"; }

# a directory is not "No such file or directory"
set +e; "$RETL" config -c "$T" 2> "$T/dir.err"; rc=$?; set -e
[ $rc = 1 ] && grep -q "is a directory" "$T/dir.err" || { cat "$T/dir.err"; fail "directory"; }

{ head_cfg; printf 'syncs = ('
  for i in $(seq 1 120); do
          [ "$i" = 1 ] || printf ','
          sync "a-rather-long-sync-name-for-a-workspace-number-$i" 'SELECT id FROM people'
  done; echo ');'; } > "$T/many.cfg"
set +e; "$RETL" config -c "$T/many.cfg" 2> "$T/many.err"; rc=$?; set -e
[ $rc = 1 ] || fail "too many syncs: exit $rc"
grep -q "workspaces\[0\] 'acme': its 120 syncs' state does not fit in a Kafka commit" "$T/many.err" || { cat "$T/many.err"; fail "checkpoint size"; }

# the dump is a configuration file itself, defaults filled in, secrets by reference
"$RETL" config -c "$T/good.cfg" --dump > "$T/dumped.cfg"
grep -q 'api_key_env = "RETL_T_KEY";' "$T/dumped.cfg" || fail "dump hides the secret's reference"
! grep -q '= "k"' "$T/dumped.cfg" || fail "dump shows a secret's value"
"$RETL" config -c "$T/dumped.cfg" > /dev/null || fail "the dump does not load back"

unset RETL_T_KEY
"$RETL" config -c "$T/good.cfg" --for extract > /dev/null || fail "--for extract needs no API key"
set +e; "$RETL" config -c "$T/good.cfg" --for upload 2> "$T/upload.err"; rc=$?; set -e
[ $rc = 1 ] && grep -q "RETL_T_KEY' is not set" "$T/upload.err" || fail "--for upload must need the API key"
echo "   ok: queries, checkpoint size and per-daemon secrets checked by retl config"
