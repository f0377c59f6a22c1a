#!/usr/bin/env bash
# 0005: the README documents every configuration setting and every command
# that `retl` knows (the reference comes from the loader's own table), and
# every link in the docs (*.md) resolves inside the repository: a relative
# link must name a file of the checkout; a link or a path in the text that
# leaves it (an absolute link, ../ above the top, ../shared/..., /work/...)
# fails, since a clone of the repository alone has nothing there.
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
top=$(pwd -P)
docs=$(find . \( -path ./.git -o -path ./.cache -o -path ./build -o -path ./bin -o -path ./tests/.run \) \
        -prune -o -name '*.md' -print | sort)
for md in $docs; do
        while IFS= read -r target; do
                target=${target%% *}            # a link title follows a space
                target=${target%%#*}            # an anchor
                case "$target" in ''|http://*|https://*|mailto:*) continue ;; esac
                real=$(realpath -m "$(dirname "$md")/$target")
                case "$target:$real/" in
                /*) echo "FAIL: $md links to $target, an absolute path"; fail=1 ;;
                *:"$top"/*) [ -e "$real" ] || { echo "FAIL: $md links to $target, which does not exist"; fail=1; } ;;
                *) echo "FAIL: $md links to $target, outside the repository"; fail=1 ;;
                esac
        done < <(grep -oE '\]\([^)]+\)' "$md" | sed -E 's/^\]\((.*)\)$/\1/')
        # paths in the text (`code` included, links checked above) that lead out
        if sed -E 's/\]\([^)]*\)/]()/g' "$md" | grep -nE '(^|[^A-Za-z0-9_.-])(\.\./|/work/)[A-Za-z0-9_.]|(^|[^A-Za-z0-9_./-])shared/reference/'; then
                echo "FAIL: $md names a path outside the repository (lines above)"; fail=1
        fi
done
[ -n "$docs" ] || { echo "FAIL: no *.md found"; fail=1; }
# The module maps match the tree: every source file is named in the README's
# Development section or in its own folder's README; and no layer reaches up
# (lib/ includes neither side nor cli/, the sides never include cli/).
dev=$(sed -n '/^## Development/,$p' README.md)
for f in lib/*.c producer/*.c consumer/*.c cli/*.c sandbox/track/*.c sandbox/mssql/*.c; do
        b=$(basename "$f")
        grep -qF "$b" <<< "$dev" && continue
        grep -qF "\`$b\`" "$(dirname "$f")/README.md" 2>/dev/null && continue
        echo "FAIL: $f is in no module map (README.md Development, $(dirname "$f")/README.md)"; fail=1
done
if grep -nE '#include "(producer|consumer|cli|sandbox)/' lib/*.[ch]; then
        echo "FAIL: lib/ includes a layer above it (lines above)"; fail=1
fi
if grep -nE '#include "cli/' producer/*.[ch] consumer/*.[ch] sandbox/*/*.[ch]; then
        echo "FAIL: a side includes cli/ (lines above)"; fail=1
fi
grep -q '^make demo' README.md && grep -q '^make test' README.md || { echo "FAIL: first screen"; fail=1; }
[ $fail = 0 ] && echo "   ok: every setting and command is documented; --help works; usage errors exit 2;" \
        "the links of $(echo $docs | wc -w) *.md files resolve inside the repository;" \
        "every source file is in a module map; no layer includes one above it"
exit $fail
