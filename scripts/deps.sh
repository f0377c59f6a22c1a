#!/usr/bin/env bash
# Installs what retl's build, tests and demo need and are missing, on Debian 12.
#   scripts/deps.sh            build + test dependencies (Debian packages, the Kafka broker jars,
#                              clang for `make fuzz`, the mssql-jdbc driver jar, the console
#                              test's puppeteer-core from npm, pinned)
#   scripts/deps.sh --runtime  only what `make demo` needs (build + runtime libraries)
# Uses sudo when not root. Idempotent: prints nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PKGS="build-essential pkg-config librdkafka-dev libavro-dev libconfig-dev
libcurl4-openssl-dev libjansson-dev freetds-dev freetds-bin libsybdb5 libmicrohttpd-dev
libsqlite3-dev sqlite3 libssl-dev"
FUZZ_PKGS="clang"
TEST_PKGS="libcmocka-dev kcat default-jdk-headless maven curl python3 python3-avro python3-jsonschema netcat-openbsd procps openssl
chromium nodejs npm"

want="$BUILD_PKGS"
[ "${1:-}" = "--runtime" ] || want="$want $TEST_PKGS $FUZZ_PKGS"

missing=()
for p in $want; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# java, javac and mvn may come from elsewhere on a developer machine (e.g. a JDK in /usr/lib/jvm).
if command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1; then
        missing=("${missing[@]/default-jdk-headless}")
fi
if command -v mvn >/dev/null 2>&1; then
        missing=("${missing[@]/maven}")
fi
# node and npm too (e.g. Node.js from its own packages, npm inside them).
if command -v node >/dev/null 2>&1; then
        missing=("${missing[@]/nodejs}")
fi
if command -v npm >/dev/null 2>&1; then
        missing=("${missing[@]/npm}")
fi
pkgs=()
for p in "${missing[@]}"; do [ -n "$p" ] && pkgs+=("$p"); done

if [ ${#pkgs[@]} -gt 0 ]; then
        SUDO=""
        [ "$(id -u)" = 0 ] || SUDO="sudo"
        echo "deps: installing Debian packages: ${pkgs[*]}"
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

if [ "${1:-}" != "--runtime" ]; then
        tests/kafka/broker.sh fetch
        tests/jdbc/driver.sh fetch
        # The browser test's driver (tests/it/0701): puppeteer-core as its lock file
        # pins it, into .cache; it drives Debian's chromium and downloads no browser.
        mods=.cache/console-test
        if ! cmp -s tests/console/package-lock.json "$mods/package-lock.json" ||
                [ ! -d "$mods/node_modules/puppeteer-core" ]; then
                echo "deps: npm ci of tests/console (puppeteer-core) into $mods"
                rm -rf "$mods"; mkdir -p "$mods"
                cp tests/console/package.json tests/console/package-lock.json tests/console/.npmrc "$mods/"
                (cd "$mods" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
        fi
fi
