#!/usr/bin/env bash
# 0603: a slice of the fault matrix (tests/chaos/, `make chaos`): seed 65, twelve
# faults — the extractor (SIGTERM, -9), an uploader (SIGTERM, -9), the broker
# (-9 and restarted), the database (-9 and restarted), the sandbox's 429, 5xx,
# dropped connections and partial 207s, connections reset and timed out by
# Toxiproxy — while the source keeps changing; then every row of the source is
# checked in the sandboxes, every run's final import report counted once, and
# last_sync_time sampled against the rows it passed. --self-test then changes
# one row behind the pipeline's back, which the checker must report lost (and
# nothing else). The matrix runs its own
# broker (it kills it); without Toxiproxy (the Go module proxy unreachable) it
# runs without network faults and says so.
set -euo pipefail
exec python3 "$RETL_ROOT/tests/chaos/chaos.py" --seed 65 --faults 12 --settle 180 --skip uploader-freeze,uploader-freeze-after-report --self-test \
        --workdir "$RETL_TEST_TMP"
