#!/usr/bin/env node
// Validates Kubernetes objects offline against their schemas.
//
//   node deploy/validate/validate.mjs --modules DIR FILE.yaml [FILE.yaml ...]
//
// DIR is the node_modules folder where deploy/validate/package.json was installed
// (tests/it/0601-deploy-validate.sh uses .cache/k8s-validate/node_modules). Each file may
// hold several YAML documents; each object is validated with the model of its
// apiVersion/kind from kubernetes-models (core and built-in APIs),
// @kubernetes-models/keda (ScaledObject, TriggerAuthentication) or
// @kubernetes-models/prometheus-operator (ServiceMonitor). Strimzi's KafkaTopic and
// KafkaUser have no published models: their required fields are checked here.
// An object of any other kind is an error: nothing passes unchecked.
//
// Prints one line per object and exits 1 if any object is invalid.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
let modules = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--modules") modules = args[++i];
  else files.push(args[i]);
}
if (!modules || files.length === 0) {
  console.error("usage: validate.mjs --modules NODE_MODULES_DIR FILE.yaml...");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modules), "..", "index.js"));
const yaml = require("js-yaml");

// apiVersion -> package path prefix of its models.
function modelPath(apiVersion, kind) {
  if (/[^A-Za-z0-9]/.test(kind)) return null;
  if (apiVersion === "v1") return `kubernetes-models/v1/${kind}`;
  const [group, version] = apiVersion.split("/");
  if (!group || !version || /[^a-z0-9.]/.test(group) || /[^a-z0-9]/.test(version)) return null;
  if (group === "keda.sh") return `@kubernetes-models/keda/${group}/${version}/${kind}`;
  if (group === "monitoring.coreos.com")
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (group.includes(".") && !group.endsWith(".k8s.io")) return null; // unknown CRD group
  return `kubernetes-models/${group}/${version}/${kind}`;
}

// Strimzi CRs (kafka.strimzi.io/v1beta2): the fields its CRDs require, and types.
function strimziErrors(o) {
  const errs = [];
  const s = o.spec;
  if (!o.metadata?.labels?.["strimzi.io/cluster"])
    errs.push("metadata.labels[strimzi.io/cluster] is required");
  if (!s || typeof s !== "object") return [...errs, "spec is required"];
  if (o.kind === "KafkaTopic") {
    if (!Number.isInteger(s.partitions) || s.partitions < 1) errs.push("spec.partitions must be an integer >= 1");
    if (!Number.isInteger(s.replicas) || s.replicas < 1) errs.push("spec.replicas must be an integer >= 1");
    if (s.topicName !== undefined && typeof s.topicName !== "string") errs.push("spec.topicName must be a string");
    if (s.config !== undefined && (typeof s.config !== "object" || Array.isArray(s.config)))
      errs.push("spec.config must be an object");
  } else if (o.kind === "KafkaUser") {
    const t = s.authentication?.type;
    if (!["tls", "tls-external", "scram-sha-512"].includes(t))
      errs.push("spec.authentication.type must be tls, tls-external or scram-sha-512");
    const acls = s.authorization?.acls;
    if (s.authorization && s.authorization.type !== "simple") errs.push("spec.authorization.type must be simple");
    for (const [i, a] of (acls || []).entries()) {
      const r = a.resource || {};
      if (!["topic", "group", "cluster", "transactionalId"].includes(r.type))
        errs.push(`spec.authorization.acls[${i}].resource.type is invalid`);
      if (r.type !== "cluster" && typeof r.name !== "string")
        errs.push(`spec.authorization.acls[${i}].resource.name is required`);
      if (r.patternType && !["literal", "prefix"].includes(r.patternType))
        errs.push(`spec.authorization.acls[${i}].resource.patternType must be literal or prefix`);
      const ops = a.operations || (a.operation ? [a.operation] : []);
      const known = ["Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction",
        "AlterConfigs", "DescribeConfigs", "IdempotentWrite", "All"];
      if (ops.length === 0 || ops.some((op) => !known.includes(op)))
        errs.push(`spec.authorization.acls[${i}].operations must be Kafka operations`);
    }
  } else {
    errs.push(`no check for kind ${o.kind}`);
  }
  return errs;
}

let bad = 0, n = 0;
for (const file of files) {
  let docs;
  try {
    docs = yaml.loadAll(readFileSync(file, "utf8"));
  } catch (e) {
    console.log(`FAIL ${file}: not YAML: ${e.message}`);
    bad++;
    continue;
  }
  for (const o of docs) {
    if (o === null || o === undefined) continue;
    n++;
    const id = `${file}: ${o.apiVersion}/${o.kind} ${o.metadata?.name ?? "(no name)"}`;
    if (typeof o !== "object" || typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
      console.log(`FAIL ${id}: not a Kubernetes object (apiVersion and kind are required)`);
      bad++;
      continue;
    }
    if (!o.metadata?.name) {
      console.log(`FAIL ${id}: metadata.name is required`);
      bad++;
      continue;
    }
    if (o.apiVersion === "kafka.strimzi.io/v1beta2") {
      const errs = strimziErrors(o);
      if (errs.length) {
        bad++;
        console.log(`FAIL ${id}: ${errs.join("; ")}`);
      } else console.log(`ok   ${id} (Strimzi fields checked)`);
      continue;
    }
    const mp = modelPath(o.apiVersion, o.kind);
    let Model;
    try {
      Model = mp && require(mp)[o.kind];
    } catch {
      Model = null;
    }
    if (!Model) {
      console.log(`FAIL ${id}: no schema for ${o.apiVersion} ${o.kind}`);
      bad++;
      continue;
    }
    try {
      new Model(o).validate();
      console.log(`ok   ${id}`);
    } catch (e) {
      bad++;
      const details = (e.errors || [])
        .map((x) => `${x.instancePath || "/"} ${x.message}${x.params ? " " + JSON.stringify(x.params) : ""}`)
        .join("; ");
      console.log(`FAIL ${id}: ${details || e.message}`);
    }
  }
}
console.log(`${n} objects, ${bad} invalid`);
process.exit(bad || n === 0 ? 1 : 0);
