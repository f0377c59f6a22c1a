#!/usr/bin/env bash
# 0501: `retl demo` — the main job on the embedded default (stand-in, mock
# Kafka in-process, sandbox, the real extractor and uploader) — passes its
# own checks and says so. Uses the sanitizer build, like every test here.
set -euo pipefail
out=$RETL_TEST_TMP/demo.out
set +e
TMPDIR=$RETL_TEST_TMP "$RETL" demo > "$out" 2>&1
rc=$?
set -e
cat "$out"
[ $rc = 0 ] || { echo "FAIL: retl demo exited $rc"; exit 1; }
grep -q "checks, 0 failed. Everything arrived as expected." "$out" || { echo "FAIL: no success line"; exit 1; }
grep -q "some rows failed" "$out" || { echo "FAIL: the failed row is not in the history"; exit 1; }
grep -q "not-an-email" "$out" || { echo "FAIL: the error CSV lacks the failed row"; exit 1; }
# the work folder is removed after a successful run
! ls -d "$RETL_TEST_TMP"/retl-demo-* >/dev/null 2>&1 || { echo "FAIL: work folder left behind"; exit 1; }
echo "   ok: retl demo passed its checks"
