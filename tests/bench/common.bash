# Shared by the benchmark scripts (sourced, not run: tests/bench/run.sh runs
# only *.sh): the people table of 10 columns in the SQL Server stand-in, and
# the CPU and memory figures of a running process.

# bench_table DB ROWS UPDATED: a people table of ROWS rows x 10 columns in the
# SQLite file DB, every row's `updated` (Unix seconds, indexed) = UPDATED.
bench_table() {
        sqlite3 "$1" <<X
CREATE TABLE people(id INT, email NVARCHAR(100), first_name NVARCHAR(50), last_name NVARCHAR(50),
 score DECIMAL(18,4), plan VARCHAR(20), active BIT, signed_up DATETIME2(3), visits BIGINT,
 updated INT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $2)
 INSERT INTO people SELECT x, 'person' || x || '@example.com', 'First' || x, 'Last' || x,
 (x % 100000) || '.' || (x % 10000), 'plan-' || (x % 7), x % 2, '2024-05-01 12:34:56.789',
 x * 7, $3 FROM c;
CREATE INDEX people_updated ON people(updated);
X
}

# bench_standin DB WORKDIR: starts the SQL Server stand-in on DB (database
# crm, user retl, password in RETL_BENCH_PW); sets STANDIN_PID, STANDIN_PORT.
bench_standin() {
        export RETL_BENCH_PW=bench
        bin/retl-mssql-standin --listen 127.0.0.1:0 --db "$1" --database crm --user retl \
                --password-env RETL_BENCH_PW --port-file "$2/standin.port" --log-level warn \
                > "$2/standin.log" 2>&1 &
        STANDIN_PID=$!
        for _ in $(seq 300); do [ -s "$2/standin.port" ] && break; sleep 0.1; done
        STANDIN_PORT=$(cat "$2/standin.port")
}

# proc_cpu PID: user + system CPU seconds of a running process.
proc_cpu() {
        awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}

# proc_hwm PID: its peak resident set, MiB.
proc_hwm() {
        awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"
}

# log_s FILE PATTERN: the time (Unix seconds, ms precision) of the first
# line of the retl log FILE matching PATTERN (grep -E), empty when none.
log_s() {
        local t
        t=$(grep -E -m1 -- "$2" "$1" | cut -d' ' -f1) || true
        [ -n "$t" ] && date -u -d "${t%Z}" +%s.%3N
}
