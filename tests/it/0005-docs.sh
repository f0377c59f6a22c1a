#!/usr/bin/env bash
# 0005: the README documents every configuration setting and every command
# that `retl` knows (the reference comes from the loader's own table).
set -euo pipefail
cd "$RETL_ROOT"
fail=0
for key in $("$RETL" config --reference | awk '/^  [a-z_]+ / {print $1}' | sort -u); do
        grep -q "| \`$key\` |" README.md || { echo "FAIL: setting '$key' is not in README.md"; fail=1; }
done
for cmd in $("$RETL" --help | awk '/^  [a-z]+ / {print $1}'); do
        grep -q "\`retl $cmd" README.md || { echo "FAIL: command '$cmd' is not in README.md"; fail=1; }
        "$RETL" "$cmd" --help > /dev/null || { echo "FAIL: retl $cmd --help"; fail=1; }
done
set +e
"$RETL" no-such-command > /dev/null 2>&1; [ $? = 2 ] || { echo "FAIL: unknown command exit"; fail=1; }
"$RETL" status --no-such-option > /dev/null 2>&1; [ $? = 2 ] || { echo "FAIL: unknown option exit"; fail=1; }
set -e
grep -q '^make demo' README.md && grep -q '^make test' README.md || { echo "FAIL: first screen"; fail=1; }
[ $fail = 0 ] && echo "   ok: every setting and command is documented; --help works; usage errors exit 2"
exit $fail
