#!/usr/bin/env bash
# Avro codec: Row records encoded and decoded per second (release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s bin/bench/codec_bench >/dev/null
bin/bench/codec_bench 500000
