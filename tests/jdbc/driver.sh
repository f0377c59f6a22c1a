#!/usr/bin/env bash
# Microsoft's JDBC driver for SQL Server (mssql-jdbc), pinned, for the
# stand-in's client-we-did-not-write test (tests/it/0107).
#   driver.sh fetch   fetch the jar from Maven Central into .cache/, check its sha256
#   driver.sh path    print the jar's path (after fetch)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MSSQL_JDBC_VERSION=13.6.2.jre11
MSSQL_JDBC_SHA256=5fbc0a70fe4d1d563d431a41b23f493d68807571f0bb49db0bb1737e83e9161f
CACHE=${RETL_MSSQL_JDBC_CACHE:-$ROOT/.cache/mssql-jdbc-$MSSQL_JDBC_VERSION}
JAR=$CACHE/mssql-jdbc-$MSSQL_JDBC_VERSION.jar

fetch() {
        if [ ! -f "$JAR" ]; then
                command -v mvn >/dev/null || { echo "driver.sh: mvn is missing (scripts/deps.sh installs it)" >&2; exit 1; }
                mkdir -p "$CACHE"
                echo "driver.sh: fetching mssql-jdbc $MSSQL_JDBC_VERSION from Maven Central" >&2
                mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
                        -Dartifact="com.microsoft.sqlserver:mssql-jdbc:$MSSQL_JDBC_VERSION" \
                        -DoutputDirectory="$CACHE" >&2
        fi
        echo "$MSSQL_JDBC_SHA256  $JAR" | sha256sum -c --quiet - >&2 || {
                echo "driver.sh: $JAR does not have the pinned sha256" >&2
                rm -f "$JAR"
                exit 1
        }
}

case "${1:-}" in
fetch) fetch ;;
path) echo "$JAR" ;;
*) echo "usage: driver.sh fetch|path" >&2; exit 2 ;;
esac
