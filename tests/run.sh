#!/usr/bin/env bash
# Runs retl's tests and prints a summary; exits non-zero on any failure.
#   tests/run.sh            unit tests (ASan+UBSan), then integration tests
#   tests/run.sh unit       unit tests (and the fuzz corpora replayed) only
#   tests/run.sh it [NNNN]  integration tests only (those whose name starts with NNNN)
#
# Integration tests are tests/it/NNNN-name.sh scripts and tests/it/NNNN-name.c
# programs (built into build/asan/it/), run in number order against a real
# Kafka broker started here and stopped on exit, whatever happens. They get:
#   RETL_ROOT            the checkout
#   RETL                 the retl binary (sanitizer build)
#   RETL_MSSQL_STANDIN   the SQL Server stand-in (sanitizer build)
#   RETL_KAFKA_BROKERS   the broker's address
#   RETL_TEST_TMP        a scratch folder of their own, emptied before each test
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
what=${1:-all}
filter=${2:-}
RUN=$ROOT/tests/.run
mkdir -p "$RUN"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0; failed=0; failures=()

record() { # record NAME RC
        if [ "$2" = 0 ]; then
                passed=$((passed + 1)); echo "ok   $1"
        else
                failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1 (exit $2)"
        fi
}

run_unit() {
        echo "== unit tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
        local t rc
        for t in build/asan/tests/test_*; do
                [ -x "$t" ] || continue
                "$t"
                rc=$? # before the $(basename) below, which resets $?
                record "unit/$(basename "$t")" $rc
        done
}

# Each tests/fuzz/corpus/<target>/ through build/asan/fuzz/replay_<target>:
# every input that ever crashed a parser, and the seeds, under the sanitizers.
run_fuzz_replay() {
        echo "== fuzz corpora replayed (AddressSanitizer + UndefinedBehaviorSanitizer)"
        local d name
        for d in tests/fuzz/corpus/*/; do
                name=$(basename "$d")
                build/asan/fuzz/replay_"$name" "${d%/}"
                record "fuzz-replay/$name" $?
        done
}

broker_stop() { tests/kafka/broker.sh stop "$RUN/kafka" >/dev/null 2>&1 || true; }

run_it() {
        echo "== integration tests (real Kafka broker, real HTTP, real TDS)"
        trap broker_stop EXIT
        trap 'broker_stop; exit 130' INT TERM
        local addr
        if ! addr=$(tests/kafka/broker.sh start "$RUN/kafka"); then
                record "it/kafka-broker-start" 1
                return
        fi
        echo "   Kafka broker at $addr"
        export RETL_ROOT=$ROOT RETL=$ROOT/build/asan/bin/retl
        export RETL_MSSQL_STANDIN=$ROOT/build/asan/bin/retl-mssql-standin
        export RETL_KAFKA_BROKERS=$addr
        local names name f rc
        names=$( (ls tests/it/ | grep -E '^[0-9]{4}-.*\.(sh|c)$' | sed -E 's/\.(sh|c)$//') | sort -u)
        for name in $names; do
                case "$name" in "$filter"*) ;; *) continue ;; esac
                export RETL_TEST_TMP=$RUN/it/$name
                rm -rf "$RETL_TEST_TMP"; mkdir -p "$RETL_TEST_TMP"
                echo "-- $name"
                if [ -f "tests/it/$name.sh" ]; then
                        f=(bash "tests/it/$name.sh")
                else
                        f=("build/asan/it/$name")
                fi
                timeout --foreground -k 10 900 "${f[@]}"
                rc=$?
                record "it/$name" $rc
        done
        broker_stop
        trap - EXIT INT TERM
}

case "$what" in
unit) run_unit; run_fuzz_replay ;;
it) run_it ;;
all) run_unit; run_fuzz_replay; run_it ;;
*) echo "usage: tests/run.sh [unit|it [NNNN]]" >&2; exit 2 ;;
esac

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
