#!/usr/bin/env node
/**
 * What grew between two V8 heap snapshots, by node type and name:
 * `node bench/heap-diff.js before.heapsnapshot after.heapsnapshot [rows]`.
 * Prints count and self-size deltas, largest first. Take the snapshots of a
 * service after a forced GC and a fixed number of calls apart
 * (`writeHeapSnapshot` of @fedmcp/testing on a service spawned with
 * HEAP_PROBE_ARGS, or `--heapsnapshot-signal`): a leak shows as objects or
 * strings that grow with the calls; optimised code shows as `code:` rows.
 * Self size, not retained size: enough to name what is kept; open the
 * snapshots in Chrome DevTools (Memory → Comparison) to see who retains it.
 */
const fs = require('node:fs');

function countByName(file) {
  const snapshot = JSON.parse(fs.readFileSync(file, 'utf8'));
  const meta = snapshot.snapshot.meta;
  const width = meta.node_fields.length;
  const typeNames = meta.node_types[0];
  const [typeField, nameField, sizeField] = ['type', 'name', 'self_size'].map((f) => meta.node_fields.indexOf(f));
  const nodes = snapshot.nodes;
  const counts = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const key = `${typeNames[nodes[i + typeField]]}:${String(snapshot.strings[nodes[i + nameField]]).slice(0, 60)}`;
    const entry = counts.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + sizeField];
    counts.set(key, entry);
  }
  return counts;
}

if (require.main === module) {
  const [before, after, rows = '40'] = process.argv.slice(2);
  if (!before || !after) {
    console.error('usage: node bench/heap-diff.js before.heapsnapshot after.heapsnapshot [rows]');
    process.exit(2);
  }
  const a = countByName(before);
  const b = countByName(after);
  const deltas = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? { count: 0, bytes: 0 };
    const y = b.get(key) ?? { count: 0, bytes: 0 };
    if (y.count !== x.count || y.bytes !== x.bytes) deltas.push({ key, count: y.count - x.count, bytes: y.bytes - x.bytes });
  }
  deltas.sort((p, q) => q.bytes - p.bytes);
  console.log('count\tbytes\ttype:name');
  for (const d of deltas.slice(0, Number(rows))) console.log(`${d.count}\t${d.bytes}\t${d.key}`);
  const total = deltas.reduce((sum, d) => sum + d.bytes, 0);
  console.log(`total self-size change: ${total} bytes`);
}

module.exports = { countByName };
