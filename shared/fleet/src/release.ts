/**
 * `npm run release -- <service> [patch|minor|major]`: releases one service.
 * It lists the tools the service advertises now (the built service, started
 * alone on an in-memory database, as `npm run docs` does), compares them with
 * `services/<svc>/tools.snapshot.json` (what it advertised at its last
 * release) using @fedmcp/contracts' differ, refuses a bump smaller than the
 * changes need (breaking → major, compatible → minor, wording → patch),
 * refuses a release that breaks a consumer's contract, then bumps the
 * version (package.json, the lockfile and workspace packages that pin it),
 * prepends the entry to `services/<svc>/CHANGELOG.md` and rewrites the
 * snapshot. Without a level, or with `--dry-run`, it prints the entry and
 * the level needed and writes nothing. `--init` records the current tools as
 * the baseline of the current version (a service without a snapshot).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Bump, ConsumerImpact, RequiredBump, SnapshotTool, ToolChange, ToolsSnapshot, bumpSuffices, consumerContractsFor, consumerImpact, contractFile, describeViolation, diffTools, requiredBump } from '@fedmcp/contracts';
import { FLEET, repoRoot } from './services';
import { ListedTool, SCOPE_SENTENCE, listFleetTools, scopeOf } from './tool-reference';

export const RELEASE_USAGE = `usage: npm run release -- <service> [patch|minor|major] [--dry-run] [--date YYYY-MM-DD] [--allow-broken-consumers]
       npm run release -- <service> --init
       npm run release -- <service> --check   (exit 1 when its tools differ from its last release: CI)
services: ${FLEET.map((s) => s.name).join(', ')}
Without a level (or with --dry-run) it prints what changed and the smallest level allowed, and writes nothing.`;

/** Why a release was refused; the message says what to do instead. */
export class ReleaseRefused extends Error {}

export const snapshotPath = (root: string, service: string) => path.join(root, 'services', service, 'tools.snapshot.json');
export const changelogPath = (root: string, service: string) => path.join(root, 'services', service, 'CHANGELOG.md');
const packagePath = (root: string, service: string) => path.join(root, 'services', service, 'package.json');

/** A listed tool as the snapshot records it: the scope apart from the description. */
export function toSnapshotTool(tool: ListedTool): SnapshotTool {
  return {
    name: tool.name,
    title: tool.title,
    scope: scopeOf(tool),
    description: (tool.description ?? '').replace(SCOPE_SENTENCE, '').trim(),
    annotations: tool.annotations,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
  };
}

export function makeSnapshot(service: string, version: string, tools: ListedTool[]): ToolsSnapshot {
  return { service, version, tools: tools.map(toSnapshotTool).sort((a, b) => a.name.localeCompare(b.name)) };
}

export const snapshotJson = (snapshot: ToolsSnapshot) => `${JSON.stringify(snapshot, null, 2)}\n`;

export function readSnapshot(root: string, service: string): ToolsSnapshot | undefined {
  const file = snapshotPath(root, service);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ToolsSnapshot) : undefined;
}

export function packageVersion(root: string, service: string): string {
  return (JSON.parse(fs.readFileSync(packagePath(root, service), 'utf8')) as { version: string }).version;
}

export function nextVersion(version: string, bump: Bump): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) throw new ReleaseRefused(`version ${version} is not MAJOR.MINOR.PATCH`);
  const [major, minor, patch] = m.slice(1).map(Number);
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

export interface ReleasePlan {
  service: string;
  from: string;
  to: string;
  required: RequiredBump;
  changes: ToolChange[];
  consumers: ConsumerImpact[];
  snapshot: ToolsSnapshot;
  /** The CHANGELOG section (markdown, starting with `## <version>`). */
  entry: string;
}

export interface ReleaseOptions {
  root: string;
  service: string;
  /** What the service advertises now (tools/list). */
  tools: ListedTool[];
  /** Undefined: the smallest level the changes allow (for a dry run). */
  level?: Bump;
  date?: string;
  allowBrokenConsumers?: boolean;
}

const today = () => new Date().toISOString().slice(0, 10);
const rel = (root: string, file: string) => path.relative(root, file).split(path.sep).join('/');

/** Works out a release without writing anything; throws ReleaseRefused when it must not happen. */
export function planRelease(options: ReleaseOptions): ReleasePlan {
  const { root, service, tools } = options;
  const last = readSnapshot(root, service);
  if (!last) throw new ReleaseRefused(`${service} has no ${rel(root, snapshotPath(root, service))} yet: record its baseline first with npm run release -- ${service} --init`);
  const from = packageVersion(root, service);
  if (last.version !== from) throw new ReleaseRefused(`${service}'s package.json says ${from} but its last release (tools.snapshot.json) is ${last.version}: versions are bumped by npm run release only; put package.json back to ${last.version}`);
  const current = tools.map(toSnapshotTool);
  const changes = diffTools(last.tools, current);
  const required = requiredBump(changes);
  const level = options.level ?? (required === 'none' ? 'patch' : required);
  if (!bumpSuffices(required, level)) {
    throw new ReleaseRefused(`${service}: a ${level} release is too small for these changes; it needs ${required === 'major' ? 'a major' : `at least a ${required}`} release:\n${changes.map((c) => `  ${c.impact}: ${c.tool} ${c.message}`).join('\n')}`);
  }
  const consumers = consumerImpact(consumerContractsFor(root, service), changes, current);
  const broken = consumers.filter((c) => c.violations.length > 0);
  if (broken.length && !options.allowBrokenConsumers) {
    throw new ReleaseRefused(
      `${service}: this release breaks ${broken.map((c) => `${c.consumer}'s contract`).join(' and ')} — release the consumer first so it no longer depends on what changes (then update its contract file), or pass --allow-broken-consumers if that consumer is being retired:\n${broken
        .flatMap((c) => c.violations.map((v) => `  ${describeViolation(v)}`))
        .join('\n')}`,
    );
  }
  const to = nextVersion(from, level);
  const entry = renderEntry(root, { service, from, to, required, changes, consumers, date: options.date ?? today() });
  return { service, from, to, required, changes, consumers, snapshot: makeSnapshot(service, to, tools), entry };
}

const code = (s: string) => `\`${s}\``;

function renderEntry(root: string, r: { service: string; from: string; to: string; required: RequiredBump; changes: ToolChange[]; consumers: ConsumerImpact[]; date: string }): string {
  const out = [`## ${r.to} — ${r.date}`, ''];
  if (r.changes.length === 0) out.push(`No change to the tools since ${r.from}: what they advertise is the same (a release of the implementation only).`, '');
  else out.push(`Tool changes since ${r.from} (these need ${r.required === 'major' ? 'a major' : `a ${r.required}`} release).`, '');
  const groups: [string, ToolChange['impact']][] = [
    ['Breaking — a client that used the changed part must change before it upgrades', 'breaking'],
    ['Compatible — existing clients keep working', 'compatible'],
    ['Wording only — titles and descriptions', 'cosmetic'],
  ];
  for (const [title, impact] of groups) {
    const list = r.changes.filter((c) => c.impact === impact);
    if (list.length) out.push(`**${title}**`, '', ...list.map((c) => `- ${code(c.tool)}: ${c.message}`), '');
  }
  out.push('**Consumers in this repository**', '');
  if (r.consumers.length === 0) out.push(`- No service declares a contract on ${r.service}.`);
  for (const c of r.consumers) {
    const file = code(rel(root, contractFile(root, c.consumer, c.provider)));
    const uses = `uses ${c.uses.map(code).join(', ')}`;
    if (c.violations.length) out.push(`- **${c.consumer}** (${file}) ${uses}: **its contract is broken** — ${c.violations.map((v) => `${code(v.tool)} ${v.message}`).join('; ')}.`);
    else if (c.changed.length) out.push(`- ${c.consumer} (${file}) ${uses}: ${c.changed.map(code).join(', ')} changed; its contract still holds.`);
    else out.push(`- ${c.consumer} (${file}) ${uses}: none of them changed; not affected.`);
  }
  return `${out.join('\n').trimEnd()}\n`;
}

const CHANGELOG_HEADER = (service: string) =>
  `# ${service} service — changelog\n\nWhat changed in the tools the ${service} service advertises, release by release: written by \`npm run release\` from the difference between what the service advertises and \`tools.snapshot.json\` (its tools at the last release). Breaking changes need a major version, compatible additions a minor one. See [Releasing a service](../../docs/releasing.md).\n`;

/** The changelog with `entry` as its newest section (the file is created with its header if missing). */
export function prependEntry(changelog: string | undefined, service: string, entry: string): string {
  const text = changelog ?? CHANGELOG_HEADER(service);
  const at = text.search(/^## /m);
  if (at < 0) return `${text.trimEnd()}\n\n${entry}`;
  return `${text.slice(0, at)}${entry}\n${text.slice(at)}`;
}

/** Sets the service's version in its package.json, in the lockfile, and wherever a workspace package pins the old version. */
function setVersion(root: string, service: string, from: string, to: string): string[] {
  const touched: string[] = [];
  const name = (JSON.parse(fs.readFileSync(packagePath(root, service), 'utf8')) as { name: string }).name;
  const write = (file: string, json: unknown) => {
    fs.writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
    touched.push(rel(root, file));
  };
  const repin = (deps: Record<string, string> | undefined) => {
    let changed = false;
    if (deps && deps[name] === from) {
      deps[name] = to;
      changed = true;
    }
    return changed;
  };
  for (const group of ['services', 'shared']) {
    const dir = path.join(root, group);
    if (!fs.existsSync(dir)) continue;
    for (const pkg of fs.readdirSync(dir)) {
      const file = path.join(dir, pkg, 'package.json');
      if (!fs.existsSync(file)) continue;
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      let changed = false;
      if (json.name === name) {
        json.version = to;
        changed = true;
      }
      for (const key of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) changed = repin(json[key]) || changed;
      if (changed) write(file, json);
    }
  }
  const lockFile = path.join(root, 'package-lock.json');
  if (fs.existsSync(lockFile)) {
    const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
    let changed = false;
    for (const [where, entry] of Object.entries((lock.packages ?? {}) as Record<string, Record<string, any>>)) { // eslint-disable-line @typescript-eslint/no-explicit-any
      if (where.includes('node_modules')) continue;
      if (entry.name === name && where === `services/${service}`) {
        entry.version = to;
        changed = true;
      }
      for (const key of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) changed = repin(entry[key]) || changed;
    }
    if (changed) write(lockFile, lock);
  }
  return touched;
}

/** Writes a planned release: version, changelog entry, snapshot. Returns the files it changed. */
export function applyRelease(root: string, plan: ReleasePlan): string[] {
  const touched = setVersion(root, plan.service, plan.from, plan.to);
  const changelog = changelogPath(root, plan.service);
  fs.writeFileSync(changelog, prependEntry(fs.existsSync(changelog) ? fs.readFileSync(changelog, 'utf8') : undefined, plan.service, plan.entry));
  fs.writeFileSync(snapshotPath(root, plan.service), snapshotJson(plan.snapshot));
  return [...touched, rel(root, changelog), rel(root, snapshotPath(root, plan.service))];
}

/** Records the current tools as the baseline of the current version (refused when a snapshot exists). */
export function initBaseline(options: { root: string; service: string; tools: ListedTool[]; date?: string }): string[] {
  const { root, service, tools } = options;
  if (readSnapshot(root, service)) throw new ReleaseRefused(`${service} already has ${rel(root, snapshotPath(root, service))}: release changes with npm run release -- ${service} <level>`);
  const version = packageVersion(root, service);
  const snapshot = makeSnapshot(service, version, tools);
  const entry = [
    `## ${version} — ${options.date ?? today()}`,
    '',
    `Baseline: the first version whose tools are recorded (\`tools.snapshot.json\`). Later entries list each change against it. Tools: ${snapshot.tools.map((t) => code(t.name)).join(', ')}.`,
    '',
  ].join('\n');
  const changelog = changelogPath(root, service);
  fs.writeFileSync(changelog, prependEntry(fs.existsSync(changelog) ? fs.readFileSync(changelog, 'utf8') : undefined, service, entry));
  fs.writeFileSync(snapshotPath(root, service), snapshotJson(snapshot));
  return [rel(root, changelog), rel(root, snapshotPath(root, service))];
}

/**
 * Why the repository does not record what the service advertises (empty when
 * it does): no snapshot, tools that differ from the snapshot (a change nobody
 * released), a version that differs from the snapshot's, a version without a
 * changelog entry. The fleet test runs this for every service.
 */
export function releaseProblems(root: string, service: string, tools: ListedTool[]): string[] {
  const last = readSnapshot(root, service);
  if (!last) return [`${service}: no ${rel(root, snapshotPath(root, service))}; record the baseline with npm run release -- ${service} --init`];
  const problems: string[] = [];
  const version = packageVersion(root, service);
  if (last.version !== version) problems.push(`${service}: package.json is at ${version} but tools.snapshot.json records ${last.version}; versions are bumped by npm run release`);
  const changelog = changelogPath(root, service);
  const text = fs.existsSync(changelog) ? fs.readFileSync(changelog, 'utf8') : '';
  if (!new RegExp(`^## ${version.replace(/\./g, '\\.')} `, 'm').test(text)) problems.push(`${service}: ${rel(root, changelog)} has no entry for ${version}`);
  const current = makeSnapshot(service, last.version, tools);
  const changes = diffTools(last.tools, current.tools);
  if (changes.length) {
    const level = requiredBump(changes);
    problems.push(`${service} advertises tool changes no release records; run npm run release -- ${service} ${level}:\n${changes.map((c) => `  ${c.impact}: ${c.tool} ${c.message}`).join('\n')}`);
  } else if (!isDeepStrictEqual(JSON.parse(JSON.stringify(current)), last)) {
    problems.push(`${service}: what it advertises differs from tools.snapshot.json in a way the differ does not classify; run npm run release -- ${service} patch`);
  }
  return problems;
}

function parse(argv: string[]): { service: string; level?: Bump; init: boolean; check: boolean; dryRun: boolean; date?: string; allowBrokenConsumers: boolean } {
  const args = [...argv];
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i >= 0) args.splice(i, 1);
    return i >= 0;
  };
  const init = flag('--init');
  const check = flag('--check');
  const dryRun = flag('--dry-run');
  const allowBrokenConsumers = flag('--allow-broken-consumers');
  let date: string | undefined;
  const d = args.indexOf('--date');
  if (d >= 0) {
    date = args[d + 1];
    args.splice(d, 2);
    if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new ReleaseRefused('--date needs YYYY-MM-DD');
  }
  const [service, level, ...rest] = args;
  if (!service || !FLEET.some((s) => s.name === service) || rest.length) throw new ReleaseRefused(RELEASE_USAGE);
  if (level !== undefined && !['patch', 'minor', 'major'].includes(level)) throw new ReleaseRefused(RELEASE_USAGE);
  if ((init || check) && level) throw new ReleaseRefused('--init and --check take no level');
  return { service, level: level as Bump | undefined, init, check, dryRun: dryRun || (!init && level === undefined), date, allowBrokenConsumers };
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const root = repoRoot();
  const tools = (await listFleetTools([args.service]))[args.service];
  if (args.check) {
    const problems = releaseProblems(root, args.service, tools);
    process.stdout.write(problems.length ? `${problems.join('\n')}\n` : `${args.service}: its tools are those of its last release (${packageVersion(root, args.service)})\n`);
    if (problems.length) process.exitCode = 1;
    return;
  }
  if (args.init) {
    const files = initBaseline({ root, service: args.service, tools, date: args.date });
    process.stdout.write(`recorded ${args.service}'s baseline: ${files.join(', ')}\n`);
    return;
  }
  const plan = planRelease({ root, service: args.service, tools, level: args.level, date: args.date, allowBrokenConsumers: args.allowBrokenConsumers });
  if (args.dryRun) {
    process.stdout.write(`${plan.entry}\nsmallest release allowed: ${plan.required === 'none' ? 'patch (nothing in the tools changed)' : plan.required}; nothing written (give a level to release)\n`);
    return;
  }
  const files = applyRelease(root, plan);
  process.stdout.write(`${plan.entry}\nreleased ${args.service} ${plan.from} → ${plan.to}: ${files.join(', ')}\nnext: npm run docs (docs/tools.md), then commit these files\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof ReleaseRefused ? 2 : 1);
  });
}
