#!/usr/bin/env bash
# 0007: the commands' usage errors. A numeric option given something that is
# not a count (status --limit, preview --last-sync-time, upload's and the
# sandbox's numbers), a value that is not one the option takes, and an option
# whose value is missing (-c at the end, in every command) are usage errors:
# exit 2, a message naming the option, before any configuration is read.
set -euo pipefail
T=$RETL_TEST_TMP
fail() { echo "FAIL: $*"; exit 1; }

expect_usage() { # expect_usage PATTERN retl-arguments...
        local pattern=$1 rc
        shift
        set +e; "$RETL" "$@" > "$T/out" 2> "$T/err"; rc=$?; set -e
        [ $rc = 2 ] || { cat "$T/err"; fail "retl $*: exit $rc, not 2"; }
        grep -q -- "$pattern" "$T/err" || { cat "$T/err"; fail "retl $*: no '$pattern'"; }
        [ ! -s "$T/out" ] || fail "retl $*: printed on stdout"
}

# the file is never read: each error is found first
cfg=$T/absent.cfg
for bad in abc -5 3x '' ' 7' 99999999999999999999; do
        expect_usage "retl status: option '--limit' takes a whole number from 0 to .*, not '$bad'" \
                status -c "$cfg" --limit "$bad"
done
expect_usage "retl preview: option '--last-sync-time' takes a whole number from 0 to .*, not '12h'" \
        preview -c "$cfg" people --last-sync-time 12h

for cmd in extract preview check status errors replay dump config upload; do
        expect_usage "retl $cmd: option '-c' needs a value" "$cmd" -c
        expect_usage "retl $cmd: option '--config' needs a value" "$cmd" --config
done
expect_usage "retl status: option '--limit' needs a value" status -c "$cfg" --limit
expect_usage "retl extract: option '--once' needs a value" extract -c "$cfg" --once
expect_usage "retl extract: option '--log-level' needs a value" extract -c "$cfg" --log-level
expect_usage "retl errors: option '--output' needs a value" errors -c "$cfg" RUN --output
expect_usage "retl dump: option '--topic' needs a value" dump -c "$cfg" --topic
expect_usage "retl replay: option '--since' needs a value" replay -c "$cfg" acme --since
expect_usage "retl config: option '--for' needs a value" config -c "$cfg" --for
expect_usage "retl upload: option '--batch-bytes' needs a value" upload -c "$cfg" --batch-bytes
expect_usage "retl upload: option '--client-id' needs a value" upload -c "$cfg" --client-id
for bad in abc 39999 512001 -5 ' 50000'; do
        expect_usage "retl upload: option '--batch-bytes' takes a whole number from 40000 to 512000, not '$bad'" \
                upload -c "$cfg" --batch-bytes "$bad"
done
for opt in --checkpoint-rows --checkpoint-interval --auth-retry --drain-timeout; do
        expect_usage "retl upload: option '$opt' takes a whole number from 1 to .*, not '0'" \
                upload -c "$cfg" "$opt" 0
        expect_usage "retl upload: option '$opt' takes a whole number from 1 to .*, not '5s'" \
                upload -c "$cfg" "$opt" 5s
done
expect_usage "retl upload: unknown option '--nope'" upload -c "$cfg" --nope
expect_usage "retl upload: -c FILE is required" upload --status

for opt in --listen --port-file --threads --seed --suppress --identifiers --log-level; do
        expect_usage "retl sandbox: option '$opt' needs a value" sandbox "$opt"
done
expect_usage "retl sandbox: option '--threads' takes a whole number from 0 to 256, not 'abc'" \
        sandbox --threads abc
expect_usage "retl sandbox: option '--error-status' takes a whole number from 500 to 599, not '404'" \
        sandbox --error-status 404
expect_usage "retl sandbox: option '--latency-ms' takes a whole number from 0 to 600000, not '-1'" \
        sandbox --latency-ms -1
expect_usage "retl sandbox: option '--error-rate' takes a share from 0 to 1, not '1.5'" \
        sandbox --error-rate 1.5
expect_usage "retl sandbox: option '--identifiers' takes id, email or both, not 'name'" \
        sandbox --identifiers name
expect_usage "retl sandbox: option '--suppress' takes id:X or email:X, not 'x'" sandbox --suppress x
expect_usage "retl sandbox: option '--object-types' takes ids from 1 separated by commas, not '1,,2'" \
        sandbox --object-types 1,,2
expect_usage "retl sandbox: unknown option '--nope'" sandbox --nope
expect_usage "retl sandbox: unexpected argument 'extra'" sandbox extra
# still told apart: an option no command has, an argument too many
expect_usage "retl extract: unknown option '--nope'" extract -c "$cfg" --nope
expect_usage "retl check: unexpected argument 'two'" check -c "$cfg" one two

# a valid count still reaches the configuration (which is absent here)
set +e; "$RETL" status -c "$cfg" --limit 0 2> "$T/err"; rc=$?; set -e
[ $rc = 1 ] && grep -q "absent.cfg" "$T/err" || { cat "$T/err"; fail "--limit 0 refused (exit $rc)"; }
set +e; "$RETL" upload -c "$cfg" --batch-bytes 40000 --checkpoint-rows 1 --drain-timeout 86400 \
        2> "$T/err"; rc=$?; set -e
[ $rc = 1 ] && grep -q "absent.cfg" "$T/err" || { cat "$T/err"; fail "upload's bounds refused (exit $rc)"; }
echo "   ok: counts checked, missing values named, in every command"
