#!/usr/bin/env node
// The things about retl's manifests that matter, asserted on rendered output.
//
//   node deploy/validate/checks.mjs --modules DIR --name NAME --rendered FILE
//        --secrets deploy/examples/secrets.example.yaml [--overlay]
//
// FILE is `kubectl kustomize` output of the base or of an overlay (--overlay adds the
// checks only an overlay must pass: namespace, pinned image, maxReplicaCount equal to
// the number of workspaces). Prints one line per check; exits 1 if any fails.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const opt = { overlay: false };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i++) {
  if (a[i] === "--overlay") opt.overlay = true;
  else if (a[i].startsWith("--")) opt[a[i].slice(2)] = a[++i];
}
if (!opt.modules || !opt.rendered || !opt.secrets || !opt.name) {
  console.error("usage: checks.mjs --modules DIR --name NAME --rendered FILE --secrets FILE [--overlay]");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(opt.modules), "..", "index.js"));
const yaml = require("js-yaml");
const objs = yaml.loadAll(readFileSync(opt.rendered, "utf8")).filter(Boolean);
const exampleSecrets = yaml.loadAll(readFileSync(opt.secrets, "utf8")).filter(Boolean);

let failed = 0, passed = 0;
function check(what, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} [${opt.name}] ${what}${!ok && detail ? ": " + detail : ""}`);
}
const find = (kind, pred = () => true) => objs.filter((o) => o.kind === kind && pred(o));
const byName = (kind, name) => objs.find((o) => o.kind === kind && o.metadata?.name === name);

// ---- retl.cfg from the ConfigMap ---------------------------------------------------------
const cms = find("ConfigMap", (o) => o.data && "retl.cfg" in o.data);
check("exactly one ConfigMap holds retl.cfg", cms.length === 1, `found ${cms.length}`);
const cm = cms[0] || { metadata: { name: "" }, data: { "retl.cfg": "" } };
const cfg = cm.data["retl.cfg"];
check("the ConfigMap is generated (name carries the content hash)",
  /^retl-config-[a-z0-9]{10}$/.test(cm.metadata.name), cm.metadata.name);

// libconfig text without comments (strings kept), enough to read a few settings.
function stripComments(t) {
  let out = "", i = 0;
  while (i < t.length) {
    const c = t[i];
    if (c === '"') {
      let j = i + 1;
      while (j < t.length && t[j] !== '"') j += t[j] === "\\" ? 2 : 1;
      out += t.slice(i, j + 1);
      i = j + 1;
    } else if (c === "#" || (c === "/" && t[i + 1] === "/")) {
      while (i < t.length && t[i] !== "\n") i++;
    } else if (c === "/" && t[i + 1] === "*") {
      const j = t.indexOf("*/", i + 2);
      i = j < 0 ? t.length : j + 2;
    } else out += t[i++];
  }
  return out;
}
const code = stripComments(cfg);
// Counts the groups { } directly inside the list `name = ( ... )`.
function listGroups(name) {
  const m = new RegExp(`(^|[;\\s])${name}\\s*[=:]\\s*\\(`).exec(code);
  if (!m) return -1;
  let depth = 0, groups = 0, inStr = false;
  for (let i = m.index + m[0].length; i < code.length; i++) {
    const c = code[i];
    if (inStr) { if (c === "\\") i++; else if (c === '"') inStr = false; continue; }
    if (c === '"') inStr = true;
    else if (c === "{") { if (depth === 0) groups++; depth++; }
    else if (c === "}") depth--;
    else if (c === ")" && depth === 0) return groups;
  }
  return -1;
}
const setting = (name) => {
  const m = new RegExp(`(^|[;{\\s])${name}\\s*[=:]\\s*"([^"]*)"`).exec(code);
  return m ? m[2] : null;
};
const nWorkspaces = listGroups("workspaces");
check("retl.cfg lists workspaces", nWorkspaces > 0, `workspaces = ( ... ) not found`);
check("retl.cfg writes no secret literally (no password =, api_key =, *_password =, *secret* =)",
  !/(^|[;{\s])[A-Za-z0-9_]*(password|api_key|secret)\s*[=:]/im.test(code),
  (/(^|[;{\s])([A-Za-z0-9_]*(password|api_key|secret))\s*[=:]/im.exec(code) || [])[2]);
check("retl.cfg: metrics.listen is 0.0.0.0:9400", setting("listen") === "0.0.0.0:9400", setting("listen"));
check('retl.cfg: databases use encryption = "require"',
  [...code.matchAll(/encryption\s*[=:]\s*"([^"]*)"/g)].every((m) => m[1] === "require") &&
  /encryption\s*[=:]/.test(code));
const envRe = /(^|[;{(,\s])([A-Za-z0-9_]+)_env\s*[=:]\s*"([^"]+)"/g;
const envNames = [...code.matchAll(envRe)].map((m) => m[3]);
// The text between the brackets of `name = { ... }` / `name = ( ... )` (strings skipped),
// searched in `within` (default: the whole file); "" when there is no such setting.
function block(name, within = code) {
  const m = new RegExp(`(^|[;{(,\\s])${name}\\s*[=:]\\s*([{(])`).exec(within);
  if (!m) return "";
  const start = m.index + m[0].length;
  let depth = 1, inStr = false;
  for (let i = start; i < within.length; i++) {
    const c = within[i];
    if (inStr) { if (c === "\\") i++; else if (c === '"') inStr = false; continue; }
    if (c === '"') inStr = true;
    else if (c === "{" || c === "(") depth++;
    else if ((c === "}" || c === ")") && --depth === 0) return within.slice(start, i);
  }
  return "";
}
const envsIn = (text, setting = "[A-Za-z0-9_]+") =>
  [...text.matchAll(new RegExp(`(^|[;{(,\\s])(${setting})_env\\s*[=:]\\s*"([^"]+)"`, "g"))].map((m) => m[3]);
// Which secrets each daemon reads (lib/cfg.c, retl_cfg_load_secrets; `retl config --for`):
// the extractor Kafka + databases[].password, an uploader Kafka + workspaces[].api_key.
const kafkaEnvs = envsIn(block("properties", block("kafka")));
const dbEnvs = envsIn(block("databases"), "password");
const wsEnvs = envsIn(block("workspaces"), "api_key");
const daemonEnvs = {
  extract: new Set([...kafkaEnvs, ...dbEnvs]),
  upload: new Set([...kafkaEnvs, ...wsEnvs]),
};
const known = new Set([...kafkaEnvs, ...dbEnvs, ...wsEnvs]);
check("retl.cfg: every *_env setting is a secret one daemon reads (kafka.properties, " +
  "databases[].password_env, workspaces[].api_key_env)",
  envNames.every((n) => known.has(n)), envNames.filter((n) => !known.has(n)).join(", "));
check("retl.cfg: the extractor and the uploaders each read secrets of their own",
  dbEnvs.length > 0 && wsEnvs.length > 0 && kafkaEnvs.length > 0,
  `kafka ${kafkaEnvs.length}, databases ${dbEnvs.length}, workspaces ${wsEnvs.length}`);
const fileNames = [...code.matchAll(/[A-Za-z0-9_]+_file\s*[=:]\s*"([^"]+)"/g)].map((m) => m[1]);
check("retl.cfg names its secrets as *_env", envNames.length > 0);
const brokers = setting("brokers");
const group = setting("group") ?? "retl-uploaders";

// ---- workloads --------------------------------------------------------------------------
const podSpecOf = (w) => w.spec?.template?.spec;
const workloads = [...find("Deployment"), ...find("StatefulSet"), ...find("DaemonSet")];
const isExtractor = (w) => podSpecOf(w)?.containers?.some((c) => (c.args || [])[0] === "extract");
const isUploader = (w) => podSpecOf(w)?.containers?.some((c) => (c.args || [])[0] === "upload");
const isConsole = (w) => podSpecOf(w)?.containers?.some((c) => (c.args || [])[0] === "console");
const extractors = workloads.filter(isExtractor);
const uploaders = workloads.filter(isUploader);
check("exactly one extractor workload", extractors.length === 1, `found ${extractors.length}`);
check("exactly one uploader workload", uploaders.length === 1, `found ${uploaders.length}`);
const ext = extractors[0], upl = uploaders[0];
if (ext) {
  const okKind = ext.kind === "StatefulSet" ||
    (ext.kind === "Deployment" && ext.spec?.strategy?.type === "Recreate");
  check("extractor is a StatefulSet (or a Deployment with strategy Recreate)", okKind,
    `${ext.kind} ${ext.spec?.strategy?.type ?? ""}`);
  check("extractor replicas == 1", ext.spec?.replicas === 1, `replicas ${ext.spec?.replicas}`);
  if (ext.kind === "StatefulSet")
    check("extractor StatefulSet's serviceName is a Service here", !!byName("Service", ext.spec.serviceName),
      ext.spec.serviceName);
  const scalers = [...find("ScaledObject"), ...find("HorizontalPodAutoscaler")]
    .filter((s) => s.spec?.scaleTargetRef?.name === ext.metadata.name);
  check("nothing autoscales the extractor", scalers.length === 0);
}
if (upl) {
  check("uploader is a Deployment without spec.replicas (KEDA owns the count)",
    upl.kind === "Deployment" && upl.spec?.replicas === undefined, `replicas ${upl.spec?.replicas}`);
  const g = podSpecOf(upl)?.terminationGracePeriodSeconds;
  check("uploader terminationGracePeriodSeconds >= 120", g >= 120, `${g}`);
}
if (ext) {
  const g = podSpecOf(ext)?.terminationGracePeriodSeconds;
  check("extractor terminationGracePeriodSeconds set (>= 30)", g >= 30, `${g}`);
}
if (ext && upl)
  check("a ServiceAccount per daemon",
    podSpecOf(ext).serviceAccountName && podSpecOf(upl).serviceAccountName &&
    podSpecOf(ext).serviceAccountName !== podSpecOf(upl).serviceAccountName &&
    byName("ServiceAccount", podSpecOf(ext).serviceAccountName) &&
    byName("ServiceAccount", podSpecOf(upl).serviceAccountName),
    `${podSpecOf(ext).serviceAccountName} / ${podSpecOf(upl).serviceAccountName}`);

const secretKeys = new Map(); // example Secret name -> keys
for (const s of exampleSecrets)
  if (s.kind === "Secret") secretKeys.set(s.metadata.name, new Set(Object.keys({ ...s.data, ...s.stringData })));

for (const w of workloads) {
  const who = `${w.kind}/${w.metadata.name}`;
  const ps = podSpecOf(w) || {};
  const tl = w.spec?.template?.metadata?.labels || {};
  const sel = w.spec?.selector?.matchLabels || {};
  check(`${who}: selector matches its pod labels`,
    Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => tl[k] === v));
  const ann = w.spec?.template?.metadata?.annotations || {};
  if (isConsole(w)) {
    // components/console: a web page, no /metrics; off loopback it needs its token
    const args = podSpecOf(w).containers[0].args || [];
    const listen = args[args.indexOf("--listen") + 1] || "127.0.0.1:8480";
    check(`${who}: the console requires a token when it listens beyond loopback`,
      listen.startsWith("127.") || args.includes("--token-file"), args.join(" "));
  } else {
    check(`${who}: prometheus.io scrape annotations (scrape, port 9400, path /metrics)`,
      ann["prometheus.io/scrape"] === "true" && ann["prometheus.io/port"] === "9400" &&
      ann["prometheus.io/path"] === "/metrics");
  }
  const psc = ps.securityContext || {};
  check(`${who}: pod runs as non-root (runAsNonRoot, runAsUser 10001)`,
    psc.runAsNonRoot === true && psc.runAsUser === 10001, JSON.stringify(psc));
  check(`${who}: automountServiceAccountToken false`, ps.automountServiceAccountToken === false);
  const all = [...(ps.initContainers || []), ...(ps.containers || [])];
  for (const c of all) {
    const cw = `${who} container ${c.name}`;
    const r = c.resources || {};
    check(`${cw}: resources requests and limits (cpu, memory)`,
      r.requests?.cpu && r.requests?.memory && r.limits?.cpu && r.limits?.memory, JSON.stringify(r));
    const sc = c.securityContext || {};
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    check(`${cw}: securityContext (non-root, read-only root fs, no privilege escalation, drop ALL, seccomp RuntimeDefault)`,
      (sc.runAsNonRoot ?? psc.runAsNonRoot) === true && sc.readOnlyRootFilesystem === true &&
      sc.allowPrivilegeEscalation === false && (sc.capabilities?.drop || []).includes("ALL") &&
      !(sc.capabilities?.add || []).length && seccomp === "RuntimeDefault" && sc.privileged !== true &&
      (sc.runAsUser ?? psc.runAsUser) !== 0, JSON.stringify(sc));
    if (opt.overlay)
      check(`${cw}: image pinned to a tag (not latest)`,
        /^[^:@]+(:[^:@/]+|@sha256:[0-9a-f]{64})$/.test(c.image) && !/:latest$/.test(c.image), c.image);
    for (const e of c.env || []) {
      if (/PASSWORD|API_KEY|SECRET|TOKEN|CREDENTIAL/i.test(e.name))
        check(`${cw}: env ${e.name} comes from a Secret (secretKeyRef)`,
          e.value === undefined && !!e.valueFrom?.secretKeyRef);
      const ref = e.valueFrom?.secretKeyRef;
      if (ref)
        check(`${cw}: env ${e.name} -> Secret ${ref.name}/${ref.key} is in the example Secrets`,
          secretKeys.get(ref.name)?.has(ref.key));
    }
  }
  for (const v of ps.volumes || [])
    if (v.secret)
      check(`${who}: volume ${v.name} -> Secret ${v.secret.secretName} is in the example Secrets`,
        secretKeys.has(v.secret.secretName));
  // The daemon's own container.
  const d = all.find((c) => ["extract", "upload"].includes((c.args || [])[0]));
  if (!d) continue;
  const dw = `${who} (${d.args[0]})`;
  check(`${dw}: args = ${d.args[0]} -c /etc/retl/retl.cfg`,
    d.args.length === 3 && d.args[1] === "-c" && d.args[2] === "/etc/retl/retl.cfg", JSON.stringify(d.args));
  const port = (d.ports || []).find((p) => p.name === "metrics");
  check(`${dw}: container port "metrics" = 9400`, port?.containerPort === 9400);
  const probe = (p, want) => p?.httpGet?.path === want && p.httpGet.port === "metrics";
  check(`${dw}: livenessProbe HTTP GET /healthz on port metrics`, probe(d.livenessProbe, "/healthz"));
  check(`${dw}: readinessProbe HTTP GET /readyz on port metrics`, probe(d.readinessProbe, "/readyz"));
  const vm = (d.volumeMounts || []).find((m) => m.mountPath === "/etc/retl");
  const vol = vm && (ps.volumes || []).find((v) => v.name === vm.name);
  check(`${dw}: /etc/retl is the generated ConfigMap ${cm.metadata.name}`,
    vol?.configMap?.name === cm.metadata.name, JSON.stringify(vol));
  // Exactly the secrets this daemon reads: all of them, and no other variable retl.cfg
  // names nor any other Secret value (the extractor gets no API key, an uploader no
  // database password).
  const want = daemonEnvs[d.args[0]];
  const names = new Set((d.env || []).map((e) => e.name));
  const missing = [...want].filter((n) => !names.has(n));
  check(`${dw}: sets every *_env variable its daemon reads (${[...want].join(", ")})`,
    missing.length === 0, `missing ${missing.join(", ")}`);
  const extra = (d.env || []).filter((e) => !want.has(e.name) &&
    (envNames.includes(e.name) || e.valueFrom?.secretKeyRef)).map((e) => e.name);
  check(`${dw}: sets no other secret (no *_env variable of the other daemon, no other secretKeyRef)`,
    extra.length === 0, `extra ${extra.join(", ")}`);
  const envFrom = (d.envFrom || []).filter((e) => e.secretRef).map((e) => e.secretRef.name);
  check(`${dw}: no envFrom of a whole Secret`, envFrom.length === 0, envFrom.join(", "));
  const mounted = (d.volumeMounts || []).map((m) => m.mountPath);
  const unmounted = [...fileNames, setting("ssl_ca_location")].filter(Boolean)
    .filter((f) => f.startsWith("/") && !mounted.some((m) => f.startsWith(m + "/")));
  check(`${dw}: every file retl.cfg names lies in a mounted volume`, unmounted.length === 0,
    unmounted.join(", "));
  check(`${dw}: /tmp is writable (emptyDir) under the read-only root`,
    (d.volumeMounts || []).some((m) => m.mountPath === "/tmp"));
}

// ---- secrets: none rendered -----------------------------------------------------------------
check("no Secret objects in the rendered manifests", find("Secret").length === 0,
  find("Secret").map((s) => s.metadata.name).join(", "));
const text = readFileSync(opt.rendered, "utf8");
const leaked = [];
for (const s of exampleSecrets)
  for (const [k, v] of Object.entries(s.stringData || {}))
    if (k !== "username" && typeof v === "string" && text.includes(v.trim())) leaked.push(`${s.metadata.name}/${k}`);
check("no example secret value appears in the rendered manifests", leaked.length === 0, leaked.join(", "));

// ---- uploader autoscaling -------------------------------------------------------------------
const sos = find("ScaledObject");
check("one KEDA ScaledObject", sos.length === 1, `found ${sos.length}`);
const so = sos[0];
if (so && upl) {
  check("ScaledObject targets the uploader Deployment",
    so.spec.scaleTargetRef?.name === upl.metadata.name && (so.spec.scaleTargetRef.kind ?? "Deployment") === "Deployment");
  check("ScaledObject minReplicaCount == 1", so.spec.minReplicaCount === 1, `${so.spec.minReplicaCount}`);
  const max = so.spec.maxReplicaCount;
  check("ScaledObject maxReplicaCount is set", Number.isInteger(max) && max >= 1, `${max}`);
  check(`ScaledObject maxReplicaCount <= workspaces in retl.cfg (${nWorkspaces})`, max <= nWorkspaces, `${max}`);
  if (opt.overlay)
    check(`overlay sets maxReplicaCount = workspace topics (${nWorkspaces})`, max === nWorkspaces, `${max}`);
  const t = (so.spec.triggers || []).find((x) => x.type === "kafka");
  check("ScaledObject has a kafka trigger", !!t);
  const m = t?.metadata || {};
  check("kafka trigger lagThreshold is a positive integer", /^[1-9][0-9]*$/.test(String(m.lagThreshold ?? "")), m.lagThreshold);
  check(`kafka trigger consumerGroup == kafka.group of retl.cfg (${group})`, m.consumerGroup === group, m.consumerGroup);
  check(`kafka trigger bootstrapServers == kafka.brokers of retl.cfg (${brokers})`, m.bootstrapServers === brokers, m.bootstrapServers);
  check("kafka trigger does not allow idle consumers", String(m.allowIdleConsumers ?? "false") === "false");
  const ta = t?.authenticationRef && byName("TriggerAuthentication", t.authenticationRef.name);
  check("kafka trigger's TriggerAuthentication is here", !!ta, t?.authenticationRef?.name);
  for (const r of ta?.spec?.secretTargetRef || [])
    check(`TriggerAuthentication ${r.parameter} -> Secret ${r.name}/${r.key} is in the example Secrets`,
      secretKeys.get(r.name)?.has(r.key));
}

// ---- disruption budget, services ------------------------------------------------------------
const pdbs = find("PodDisruptionBudget");
const uplLabels = upl?.spec?.template?.metadata?.labels || {};
const selects = (sel, labels) => Object.keys(sel || {}).length > 0 &&
  Object.entries(sel).every(([k, v]) => labels[k] === v);
check("a PodDisruptionBudget selects the uploaders",
  pdbs.some((p) => selects(p.spec?.selector?.matchLabels, uplLabels)));
check("no PodDisruptionBudget covers the extractor (it would block node drains)",
  !pdbs.some((p) => selects(p.spec?.selector?.matchLabels, ext?.spec?.template?.metadata?.labels || {})));
for (const s of find("Service")) {
  const of = workloads.filter((w) => selects(s.spec?.selector, w.spec?.template?.metadata?.labels || {}));
  if (of.length && of.every(isConsole))
    check(`Service/${s.metadata.name} selects the console, port http, not exposed (ClusterIP)`,
      (s.spec?.type ?? "ClusterIP") === "ClusterIP" &&
      (s.spec?.ports || []).some((p) => p.name === "http"));
  else
    check(`Service/${s.metadata.name} selects pods of a workload and names port metrics`,
      of.length > 0 && (s.spec?.ports || []).some((p) => p.name === "metrics" && p.port === 9400));
}
for (const sm of find("ServiceMonitor"))
  check(`ServiceMonitor/${sm.metadata.name} scrapes /metrics on port metrics of a Service`,
    find("Service").some((s) => selects(sm.spec?.selector?.matchLabels, s.metadata.labels || {})) &&
    (sm.spec?.endpoints || []).every((e) => e.port === "metrics" && e.path === "/metrics"));

// ---- overlay: namespace ---------------------------------------------------------------------
if (opt.overlay) {
  const ns = new Set(objs.map((o) => o.metadata?.namespace));
  check("every object is in one namespace set by the overlay", ns.size === 1 && !ns.has(undefined),
    [...ns].join(", "));
}

console.log(`[${opt.name}] ${passed} checks passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
