#!/usr/bin/env node
/**
 * Where a service's CPU went, from a `.cpuprofile` (`BENCH_CPU_PROF=<dir>`):
 * self time grouped by package (or `services/<name>`, `shared/<name>`, node
 * internals, GC) and the top functions, over the last `--seconds` of the
 * profile (default 12: one order scenario; start-up stays out) and only
 * samples that were not idle.
 *
 *   node bench/profile-summary.js /tmp/prof/CPU.*.cpuprofile [--seconds 12] [--top 25]
 *
 * `--callers <name>` answers "who pays for this function": the self time of
 * the frames named <name>, grouped by the chain of their `--depth` (default 4)
 * nearest callers.
 */
const fs = require('node:fs');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : fallback;
};
const seconds = option('seconds', 12);
const top = option('top', 25);
const depth = option('depth', 4);
const callersIndex = args.indexOf('--callers');
const callersOf = callersIndex >= 0 ? args.splice(callersIndex, 2)[1] : undefined;

/** The package a frame belongs to: `node_modules/<pkg>`, our workspaces, node internals or a V8 pseudo-frame. */
function groupOf(frame) {
  const url = frame.url || '';
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const own = /\/(services|shared)\/([^/]+)\//.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

/** A function by name, file and line. */
function frameKey(frame) {
  const file = (frame.url || '').split('/').slice(-2).join('/');
  return `${frame.functionName || '(anonymous)'} ${groupOf(frame)} ${file}:${frame.lineNumber + 1}`;
}

for (const file of args) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n);
  const end = profile.endTime;
  const from = end - seconds * 1e6;
  const selfUs = new Map();
  let t = profile.startTime;
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from) continue;
    const node = byId.get(profile.samples[i]);
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (node.callFrame.functionName === '(idle)') continue;
    busy += dt;
    selfUs.set(node, (selfUs.get(node) ?? 0) + dt);
  }
  const groups = new Map();
  const functions = new Map();
  for (const [node, us] of selfUs) {
    const g = groupOf(node.callFrame);
    groups.set(g, (groups.get(g) ?? 0) + us);
    functions.set(frameKey(node.callFrame), (functions.get(frameKey(node.callFrame)) ?? 0) + us);
  }
  // Inclusive: each sample counts once for every distinct frame on its stack.
  const inclusive = new Map();
  for (const [node, us] of selfUs) {
    const seen = new Set();
    for (let n = node; n; n = parents.get(n.id)) seen.add(frameKey(n.callFrame));
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
  const pct = (us) => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)}%`;
  console.log(`\n${file}: ${(busy / 1e6).toFixed(2)} s busy in the last ${seconds} s`);
  for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${g}`);
  console.log('  top functions (self):');
  for (const [f, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${f}`);
  console.log('  top functions (inclusive):');
  for (const [f, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top * 2)) console.log(`  ${pct(us)}  ${f}`);
  if (callersOf === undefined) continue;
  const chains = new Map();
  for (const [node, us] of selfUs) {
    if (node.callFrame.functionName !== callersOf) continue;
    const chain = [];
    for (let n = parents.get(node.id); n && chain.length < depth; n = parents.get(n.id)) chain.push(frameKey(n.callFrame));
    const key = chain.join('\n           < ');
    chains.set(key, (chains.get(key) ?? 0) + us);
  }
  console.log(`  callers of ${callersOf}:`);
  for (const [chain, us] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  < ${chain}`);
}
