#!/usr/bin/env node
// Validates rendered Kubernetes manifests against the Kubernetes OpenAPI
// schemas shipped in the npm package kubernetes-models (a devDependency of
// @fedmcp/fleet), offline:
//
//   kubectl kustomize infra/k8s/overlays/fleet | node infra/k8s/check-schema.mjs
//
// Exits 1 on any invalid or unknown object and prints what it checked.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const text = readFileSync(process.argv[2] ?? 0, 'utf8');
const docs = parseAllDocuments(text)
  .map((d) => d.toJS())
  .filter((d) => d && typeof d === 'object');

let failed = 0;
for (const doc of docs) {
  const { apiVersion, kind } = doc;
  const name = `${kind}/${doc.metadata?.name ?? '?'} (${apiVersion})`;
  const group = apiVersion.includes('/') ? apiVersion : `v1`;
  const modulePath = `kubernetes-models/${group}/${kind}`;
  let Model;
  try {
    Model = (await import(modulePath))[kind];
  } catch (err) {
    console.error(`FAIL ${name}: no schema for ${apiVersion} ${kind} (${err.code ?? err.message})`);
    failed++;
    continue;
  }
  try {
    new Model(doc).validate();
    console.log(`ok   ${name}`);
  } catch (err) {
    failed++;
    console.error(`FAIL ${name}: ${err.message}`);
  }
}
if (docs.length === 0) {
  console.error('FAIL no Kubernetes objects in the input');
  process.exit(1);
}
console.log(`${docs.length - failed} valid, ${failed} invalid`);
process.exit(failed ? 1 : 0);
