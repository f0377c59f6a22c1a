#!/usr/bin/env bash
# Benchmark of `retl upload`: N people rows (default 100000) from a workspace
# topic into a `retl sandbox`, release build, real broker started here.
#   tests/bench/upload.sh [N]      (RETL_SANDBOX=path if bin/retl has no sandbox;
#                                   BENCH_METRICS=1: with the metrics listener on)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd); cd "$ROOT"
make -s bin/retl
cc -D_GNU_SOURCE -I. -Ilib -O2 -std=c11 -o build/upload_bench tests/bench/upload_bench.c \
   build/rel/lib/*.o build/rel/build/gen/schemas.o \
   $(pkg-config --libs rdkafka avro-c libcurl jansson libconfig libmicrohttpd sqlite3) -lsybdb -lm
RUN=$ROOT/tests/.run; mkdir -p "$RUN/bench"
trap 'tests/kafka/broker.sh stop "$RUN/kafka" >/dev/null 2>&1 || true' EXIT
addr=$(tests/kafka/broker.sh start "$RUN/kafka")
RETL=$ROOT/bin/retl RETL_KAFKA_BROKERS=$addr RETL_TEST_TMP=$RUN/bench build/upload_bench "${1:-100000}"
