# Shared by the extractor's integration tests (tests/it/03NN-*.sh); sourced,
# not run (its name has no number). Needs the env tests/run.sh sets: RETL,
# RETL_MSSQL_STANDIN, RETL_KAFKA_BROKERS, RETL_TEST_TMP, RETL_ROOT.
set -euo pipefail
T=$RETL_TEST_TMP
HELPER_COMMIT=$RETL_ROOT/build/asan/it/helper-commit
export RETL_TEST_DB_PASSWORD='s3cret-Pw'
export RETL_TEST_API_KEY=unused
STANDIN_PID=
DAEMON_PID=
SBX_PID=
EXTRA_PIDS=             # more daemons a test starts, killed at its end

cleanup() {
        for pid in $DAEMON_PID $EXTRA_PIDS $SBX_PID $STANDIN_PID; do
                kill "$pid" 2>/dev/null || true
        done
        wait 2>/dev/null || true
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "   ok: $*"; }

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
        local what=$1 secs=$2 end; shift 2
        end=$(( $(date +%s) + secs ))
        until "$@" >/dev/null 2>&1; do
                [ "$(date +%s)" -lt "$end" ] || fail "timed out after ${secs}s waiting for $what"
                sleep 0.1
        done
}

# start_standin SQLFILE: a fresh SQLite database from SQLFILE behind the
# stand-in (database crm, user retl); sets PORT.
start_standin() {
        rm -f "$T/src.sqlite" "$T/standin.port"
        sqlite3 "$T/src.sqlite" < "$1"
        "$RETL_MSSQL_STANDIN" --listen 127.0.0.1:0 --db "$T/src.sqlite" --database crm \
                --user retl --password-env RETL_TEST_DB_PASSWORD --port-file "$T/standin.port" \
                > "$T/standin.log" 2>&1 &
        STANDIN_PID=$!
        wait_for "the stand-in's port file" 30 test -s "$T/standin.port"
        PORT=$(cat "$T/standin.port")
}

# start_big_standin: the stand-in over a people table of 1,000,000 rows, long
# enough to stop a run in the middle of.
start_big_standin() {
        cat > "$T/src.sql" <<'X'
CREATE TABLE people(id INT, email NVARCHAR(100), note NVARCHAR(100));
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000)
 INSERT INTO people SELECT x, 'p' || x || '@x.io', 'some text for row ' || x FROM c;
X
        start_standin "$T/src.sql"
}

# start_sandbox SITE [FLAGS...]: `retl sandbox` on a free port for site id
# SITE (API key $RETL_TEST_API_KEY, people identified by id); sets SBX (its
# URL) and SBX_PID.
start_sandbox() {
        local site=$1
        shift
        "$RETL" sandbox --listen 127.0.0.1:0 --port-file "$T/sbx.port" --site-id "$site" \
                --api-key-env RETL_TEST_API_KEY --identifiers id "$@" > "$T/sbx.log" 2>&1 &
        SBX_PID=$!
        wait_for "the sandbox" 30 test -s "$T/sbx.port"
        SBX=http://127.0.0.1:$(cat "$T/sbx.port")
}

# pipeline_cfg SITE SYNCS: $T/retl.cfg for the whole pipeline, checked by
# `retl config`: topics and group named after $PREFIX, the stand-in as
# database src, workspace acme in the sandbox (site SITE), then SYNCS (the
# groups of the syncs list, libconfig text).
pipeline_cfg() {
        cat > "$T/retl.cfg" <<X
log_level = "info";
kafka = { brokers = "$RETL_KAFKA_BROKERS"; replication_factor = 1; topic_prefix = "$PREFIX.";
          state_topic_prefix = "$PREFIX-state."; group = "g-$PREFIX";
          imports_topic = "$PREFIX.imports"; failures_topic = "$PREFIX.failures";
          properties = { }; };
databases = ({ name = "src"; host = "127.0.0.1"; port = $PORT; database = "crm"; user = "retl";
               password_env = "RETL_TEST_DB_PASSWORD"; encryption = "off"; login_timeout = 5; });
workspaces = ({ name = "acme"; api_url = "$SBX"; site_id = "$1"; api_key_env = "RETL_TEST_API_KEY"; });
syncs = ($2);
X
        "$RETL" config -c "$T/retl.cfg" > /dev/null || fail "test configuration"
}

# import_of RUN FIELD: a field of run RUN's import in `retl status --json`
# (status, rows, imported, unchanged, deleted, failed, error), of any sync.
import_of() {
        "$RETL" status -c "$T/retl.cfg" --json > "$T/status.json" 2>/dev/null || return 1
        python3 -c 'import json,sys; print([i for s in json.load(open(sys.argv[1]))["syncs"] for i in s["imports"] if i["run"] == sys.argv[2]][0].get(sys.argv[3], ""))' "$T/status.json" "$1" "$2"
}
# import_is RUN STATUS: run RUN's import has that status
import_is() { [ "$(import_of "$1" status 2>/dev/null)" = "$2" ]; }
# run_once SYNC: one `retl extract --once` run of SYNC, its log in
# $T/run.log; sets RUN (its id) and RUN_RC (the exit status).
run_once() {
        set +e
        "$RETL" extract -c "$T/retl.cfg" --once "$1" > "$T/run.log" 2>&1
        RUN_RC=$?
        set -e
        RUN=$(grep -o -m1 'run=[^:]*' "$T/run.log" | cut -d= -f2)
        [ -n "$RUN" ] || { cat "$T/run.log"; fail "no run id in the extractor's log"; }
}

# src_sql SQL: a statement on the source database while the stand-in has it
# open: waits for the stand-in's locks (up to 30 s) instead of failing
# "database is locked" when a query is reading.
src_sql() { sqlite3 -cmd ".timeout 30000" "$T/src.sqlite" "$@"; }

# high TOPIC: the topic's high watermark (end offset).
high() { kcat -b "$RETL_KAFKA_BROKERS" -Q -t "$1:0:-1" 2>/dev/null | awk '{print $NF}'; }

# write_cfg PREFIX SYNCS [DATABASE-EXTRA]: the test configuration in $T/retl.cfg.
write_cfg() {
        cat > "$T/retl.cfg" <<X
log_level = "info";
kafka = { brokers = "$RETL_KAFKA_BROKERS"; replication_factor = 1; topic_prefix = "$1."; state_topic_prefix = "$1-state.";
          group = "g-$1"; imports_topic = "$1.imports"; failures_topic = "$1.failures";
          properties = { }; };
databases = ({ name = "src"; host = "127.0.0.1"; port = $PORT; database = "crm"; user = "retl";
               password_env = "RETL_TEST_DB_PASSWORD"; encryption = "off"; login_timeout = 5;
               ${3:-} });
workspaces = ({ name = "acme"; api_url = "http://127.0.0.1:9"; site_id = "x";
                api_key_env = "RETL_TEST_API_KEY"; });
syncs = ( $2 );
X
}

# dump [ARGS...]: the workspace topic from the beginning, JSON lines, in $T/dump.jsonl
dump() {
        "$RETL" dump -c "$T/retl.cfg" acme --from-beginning --json "$@" > "$T/dump.jsonl"
}

# commit_all SYNC STARTED_AT_S: the uploader group commits everything, with
# SYNC's last_sync_time = STARTED_AT_S.
commit_all() {
        "$HELPER_COMMIT" "$RETL_KAFKA_BROKERS" "g-$PREFIX" "$PREFIX.acme" high \
                "retl1 s=$1:$2" > /dev/null
}
