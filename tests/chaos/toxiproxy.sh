#!/usr/bin/env bash
# Builds the pinned Toxiproxy server (Shopify's fault-injection TCP proxy) from
# the Go module proxy into .cache and prints its path; exit 1 with the reason
# when it cannot (no Go toolchain, the proxy refused), so the caller can go on
# without network faults.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=v2.9.0
DIR=$ROOT/.cache/toxiproxy-${VERSION#v}
BIN=$DIR/bin/server
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
[ -x "$GO" ] || { echo "toxiproxy.sh: no Go toolchain (go, /usr/local/go/bin/go)" >&2; exit 1; }
mkdir -p "$DIR"
echo "toxiproxy.sh: building github.com/Shopify/toxiproxy/v2 $VERSION with $GO" >&2
if ! GOBIN=$DIR/bin GOPATH=$DIR/gopath GOMODCACHE=$DIR/mod GOCACHE=$DIR/gocache GOFLAGS=-modcacherw \
        "$GO" install "github.com/Shopify/toxiproxy/v2/cmd/server@$VERSION" >&2; then
        echo "toxiproxy.sh: go install failed (is the Go module proxy reachable?)" >&2
        exit 1
fi
rm -rf "$DIR/gopath" "$DIR/gocache"
echo "$BIN"
