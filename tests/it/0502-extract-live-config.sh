#!/usr/bin/env bash
# 0502: the extractor daemon picks up configuration changes without a
# restart, when the file changes (replaced by rename, as a Kubernetes
# ConfigMap does) and on SIGHUP: a sync added, updated, paused, resumed and
# deleted; a file that does not load is refused and the running
# configuration stays. Its metrics and health endpoints answer.
. "$(dirname "$0")/extract-lib.sh"
PREFIX=t0502

cat > "$T/src.sql" <<'X'
CREATE TABLE people(id INT, email NVARCHAR(100));
INSERT INTO people VALUES (1, 'a@x.io'), (2, 'b@x.io'), (3, 'c@x.io');
X
start_standin "$T/src.sql"
MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# a runs at start then hourly; b every second (one import per workspace at a
# time: a frequent a would keep b skipped)
SYNC_A='{ name = "a"; workspace = "acme"; database = "src"; import = "people"; interval = "1h";
          query = "SELECT id, email FROM people WHERE id = 1"; }'
SYNC_B='{ name = "b"; workspace = "acme"; database = "src"; import = "people"; interval = "1s";
          query = "SELECT id, email FROM people WHERE id = 2"; }'
SYNC_B2='{ name = "b"; workspace = "acme"; database = "src"; import = "people"; interval = "1s";
          query = "SELECT id, email FROM people WHERE id = 3"; }'
PAUSED_A='{ name = "a"; workspace = "acme"; database = "src"; import = "people"; interval = "1h";
          paused = true; query = "SELECT id, email FROM people WHERE id = 1"; }'

# config SYNCS: writes the file beside and renames it over, like a ConfigMap.
config() {
        write_cfg $PREFIX "$1"
        printf 'metrics = { listen = "127.0.0.1:%s"; };\n' "$MPORT" >> "$T/retl.cfg"
        cp "$T/retl.cfg" "$T/dump.cfg"          # for reading the topic, whatever live.cfg holds
        mv "$T/retl.cfg" "$T/live.cfg.new" && mv "$T/live.cfg.new" "$T/live.cfg"
}

# Stands in for the uploaders: commits whatever is on the topic, so the
# next run is not skipped.
committer() { while :; do commit_all a 0 2>/dev/null || true; sleep 0.2; done; }

# started SYNC [QUERY-FRAGMENT]: a RunStarted of SYNC after the mark offset.
mark=0
started() {
        "$RETL" dump -c "$T/dump.cfg" acme --from-beginning --json 2>/dev/null |
                python3 -c '
import json, sys
mark, sync, frag = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ok = any(r["type"] == "RunStarted" and r["sync"] == sync and r["offset"] >= mark and
         frag in r["settings"]["query"] for r in map(json.loads, sys.stdin))
sys.exit(0 if ok else 1)' "$mark" "$1" "${2:-}"
}
set_mark() { mark=$(kcat -b "$RETL_KAFKA_BROKERS" -Q -t "$PREFIX.acme:0:-1" 2>/dev/null | awk '{print $NF}'); mark=${mark:-0}; }
logged() { grep -q "$1" "$T/daemon.log"; }

config "$SYNC_A"
committer &
COMMITTER=$!
trap 'kill $COMMITTER 2>/dev/null || true; cleanup' EXIT
"$RETL" extract -c "$T/live.cfg" 2> "$T/daemon.log" &
DAEMON_PID=$!
wait_for "a run of a" 60 started a
ok "daemon runs sync a"

# metrics and health
wait_for "/readyz" 30 curl -fsS "http://127.0.0.1:$MPORT/readyz"
curl -fsS "http://127.0.0.1:$MPORT/healthz" | grep -q ok || fail "/healthz"
runs_ok() { curl -fsS "http://127.0.0.1:$MPORT/metrics" | grep -Eq '^retl_runs_total\{sync="a",result="ok"\} [1-9]'; }
wait_for "retl_runs_total for a" 30 runs_ok
curl -fsS "http://127.0.0.1:$MPORT/metrics" > "$T/metrics.txt"
grep -q '^# TYPE retl_rows_extracted_total counter' "$T/metrics.txt" || fail "rows metric missing"
grep -Eq '^retl_rows_extracted_total\{sync="a"\} [1-9]' "$T/metrics.txt" || fail "rows of a not counted"
grep -Eq '^retl_last_successful_run_timestamp_seconds\{sync="a"\} 1[0-9]{9}' "$T/metrics.txt" || fail "last run time"
grep -q 'retl_run_duration_seconds_bucket{sync="a",le="+Inf"}' "$T/metrics.txt" || fail "duration histogram"
ok "/metrics, /healthz and /readyz answer with the runs counted"

# add b
set_mark
config "$SYNC_A, $SYNC_B"
wait_for "sync b added" 30 logged "sync b added"
wait_for "a run of b" 60 started b "id = 2"
ok "sync b added: it runs without a restart"

# update b's query
set_mark
config "$SYNC_A, $SYNC_B2"
wait_for "b rescheduled or reloaded" 30 logged "configuration reloaded"
wait_for "a run of b with the new query" 60 started b "id = 3"
ok "sync b updated: its next run uses the new query"

# a broken file is refused; the daemon goes on with what it had
printf 'kafka = { brokers = ;\n' > "$T/broken.cfg" && mv "$T/broken.cfg" "$T/live.cfg"
wait_for "the refusal" 30 logged "configuration not reloaded, the running one stays"
grep "configuration not reloaded" "$T/daemon.log" | grep -q "live.cfg:1: syntax error" || fail "refusal lacks file:line"
set_mark
wait_for "runs going on after the refusal" 60 started b "id = 3"
kill -0 "$DAEMON_PID" || fail "daemon died on a broken file"
ok "a broken file is refused with its error; runs go on"

# pause a (SIGHUP this time: the file is rewritten in place, same size)
config "$PAUSED_A, $SYNC_B2"
kill -HUP "$DAEMON_PID"
wait_for "sync a paused" 30 logged "sync a paused"
sleep_until=$(( $(date +%s) + 3 ))
set_mark
while [ "$(date +%s)" -lt "$sleep_until" ]; do
        ! started a || fail "paused sync a ran"
        sleep 0.5
done
started b "id = 3" || fail "b stopped running while a is paused"
ok "sync a paused: it does not run, b goes on"

# resume a, delete b
set_mark
config "$SYNC_A"
wait_for "sync a resumed" 30 logged "sync a resumed"
wait_for "sync b deleted" 30 logged "sync b deleted"
# resumed at its next interval (an hour after its last slot), not at once
next_in() { sed -n '/sync a resumed/,$p' "$T/daemon.log" | grep -Eo 'sync a: every 3600s, next run at [0-9]+ \(in [0-9]+s\)' | head -1 | grep -Eo 'in [0-9]+' | grep -Eo '[0-9]+'; }
wait_for "a's next slot after resuming" 30 next_in
[ "$(next_in)" -gt 3000 ] || fail "resumed sync a is due in $(next_in)s, want its next interval"
set_mark
sleep 3
! started b || fail "deleted sync b ran"
! started a || fail "resumed sync a ran before its next interval"
ok "sync a resumed (at its next interval), sync b deleted"

kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=
[ $rc = 0 ] || fail "daemon exit $rc"
