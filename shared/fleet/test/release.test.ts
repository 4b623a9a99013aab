/**
 * `npm run release` on a temporary copy of the repository's release files
 * (every service's package.json, tools snapshot, changelog and consumer
 * contracts, the fleet package and the lockfile): the tools "advertised now"
 * are the committed product/order snapshots with one change applied.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ToolsSnapshot } from '@fedmcp/contracts';
import { FLEET } from '../src/services';
import type { ListedTool } from '../src/tool-reference';
import { ReleaseRefused, applyRelease, initBaseline, nextVersion, planRelease, releaseProblems } from '../src/release';
import { repoPath } from './repo';

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'release-'));
  const copy = (rel: string) => {
    const to = path.join(root, rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(repoPath(rel), to, { recursive: true });
  };
  for (const svc of FLEET) for (const file of ['package.json', 'tools.snapshot.json', 'CHANGELOG.md']) copy(`services/${svc.name}/${file}`);
  copy('services/order/contracts');
  copy('shared/fleet/package.json');
  copy('package-lock.json');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
const json = (rel: string) => JSON.parse(read(rel));

/** The committed snapshot of `service` as tools/list would list it, with `change` applied. */
function advertised(service: string, change: (tools: Schema[]) => void = () => undefined): ListedTool[] {
  const snapshot = JSON.parse(fs.readFileSync(repoPath(`services/${service}/tools.snapshot.json`), 'utf8')) as ToolsSnapshot;
  const tools = snapshot.tools.map(({ scope, description, ...rest }) => ({ ...rest, description: `${description}\n\nRequires the OAuth scope "${scope}".` })) as Schema[];
  change(tools);
  return tools as ListedTool[];
}
const tool = (tools: Schema[], name: string) => tools.find((t) => t.name === name)!;
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ReleaseRefused);
    return (error as Error).message;
  }
  throw new Error('the release was not refused');
};

it('the committed snapshots match each package version and changelog', () => {
  for (const svc of FLEET) {
    const snapshot = json(`services/${svc.name}/tools.snapshot.json`) as ToolsSnapshot;
    expect(snapshot.version).toBe(json(`services/${svc.name}/package.json`).version);
    expect(read(`services/${svc.name}/CHANGELOG.md`)).toContain(`## ${snapshot.version} — `);
    expect(releaseProblems(root, svc.name, advertised(svc.name))).toEqual([]);
  }
});

it('a release with no tool change: any level, the entry says nothing changed', () => {
  const plan = planRelease({ root, service: 'product', tools: advertised('product'), level: 'patch', date: '2026-12-03' });
  expect(plan.required).toBe('none');
  expect(plan.to).toBe('0.1.1');
  expect(plan.entry).toContain('## 0.1.1 — 2026-12-03\n\nNo change to the tools since 0.1.0');
  expect(plan.entry).toContain('order (`services/order/contracts/product.json`) uses `commit_reservation`, `list_reservations`, `release_reservation`, `reserve_inventory`, `search_products`: none of them changed; not affected.');
});

it('a compatible change: a patch is refused, a minor release bumps, records and snapshots it', () => {
  const tools = advertised('product', (t) => void (tool(t, 'reserve_inventory').inputSchema.properties.hold_note = { type: 'string', maxLength: 200 }));
  expect(releaseProblems(root, 'product', tools)).toEqual(['product advertises tool changes no release records; run npm run release -- product minor:\n  compatible: reserve_inventory adds optional argument hold_note']);
  expect(refusal(() => planRelease({ root, service: 'product', tools, level: 'patch' }))).toMatch(/a patch release is too small for these changes; it needs at least a minor release:\n {2}compatible: reserve_inventory adds optional argument hold_note/);

  const plan = planRelease({ root, service: 'product', tools, level: 'minor', date: '2026-12-03' });
  const files = applyRelease(root, plan);
  expect(files.sort()).toEqual(['package-lock.json', 'services/product/CHANGELOG.md', 'services/product/package.json', 'services/product/tools.snapshot.json']);
  expect(json('services/product/package.json').version).toBe('0.2.0');
  expect(json('package-lock.json').packages['services/product'].version).toBe('0.2.0');
  expect(json('services/product/tools.snapshot.json').version).toBe('0.2.0');
  const changelog = read('services/product/CHANGELOG.md');
  expect(changelog.indexOf('## 0.2.0 — 2026-12-03')).toBeGreaterThan(0);
  expect(changelog.indexOf('## 0.2.0')).toBeLessThan(changelog.indexOf('## 0.1.0'));
  expect(changelog).toContain('**Compatible — existing clients keep working**\n\n- `reserve_inventory`: adds optional argument hold_note\n');
  expect(changelog).toContain('`reserve_inventory` changed; its contract still holds.');
  expect(changelog).not.toContain('**Breaking');
  // Recorded: the check passes with the new tools and fails with the old ones.
  expect(releaseProblems(root, 'product', tools)).toEqual([]);
  expect(releaseProblems(root, 'product', advertised('product'))[0]).toMatch(/^product advertises tool changes no release records; run npm run release -- product major:\n {2}breaking: reserve_inventory lacks argument hold_note/);
});

it('a breaking change no consumer uses: minor refused, major allowed, listed as breaking', () => {
  const tools = advertised('product', (t) => t.splice(t.indexOf(tool(t, 'adjust_stock')), 1));
  expect(refusal(() => planRelease({ root, service: 'product', tools, level: 'minor' }))).toMatch(/needs a major release:\n {2}breaking: adjust_stock is not advertised any more/);
  const plan = planRelease({ root, service: 'product', tools, level: 'major', date: '2026-12-03' });
  expect(plan.to).toBe('1.0.0');
  expect(plan.entry).toContain('**Breaking — a client that used the changed part must change before it upgrades**\n\n- `adjust_stock`: is not advertised any more\n');
  expect(plan.entry).toContain('none of them changed; not affected.');
});

it("a change that breaks order's contract on product is refused naming consumer, tool and field, unless allowed", () => {
  const tools = advertised('product', (t) => {
    const input = tool(t, 'reserve_inventory').inputSchema;
    delete input.properties.order_id;
    input.required = input.required.filter((n: string) => n !== 'order_id');
  });
  const message = refusal(() => planRelease({ root, service: 'product', tools, level: 'major' }));
  expect(message).toContain("product: this release breaks order's contract");
  expect(message).toContain('consumer order → product.reserve_inventory: lacks argument order_id');
  const plan = planRelease({ root, service: 'product', tools, level: 'major', allowBrokenConsumers: true, date: '2026-12-03' });
  expect(plan.entry).toContain('- `reserve_inventory`: lacks argument order_id');
  expect(plan.entry).toContain('**order** (`services/order/contracts/product.json`) uses `commit_reservation`, `list_reservations`, `release_reservation`, `reserve_inventory`, `search_products`: **its contract is broken** — `reserve_inventory` lacks argument order_id.');
});

it('a release of order re-pins the workspace packages that depend on its exact version', () => {
  const tools = advertised('order', (t) => void (tool(t, 'get_order').description = 'Look an order up.\n\nRequires the OAuth scope "order:read".'));
  const plan = planRelease({ root, service: 'order', tools, level: 'patch', date: '2026-12-03' });
  expect(plan.entry).toContain('**Wording only — titles and descriptions**\n\n- `get_order`: description changed');
  expect(plan.entry).toContain('- No service declares a contract on order.');
  const files = applyRelease(root, plan);
  expect(files).toContain('shared/fleet/package.json');
  expect(json('shared/fleet/package.json').dependencies['@fedmcp/order']).toBe('0.1.1');
  const lock = json('package-lock.json');
  expect(lock.packages['services/order'].version).toBe('0.1.1');
  expect(lock.packages['shared/fleet'].dependencies['@fedmcp/order']).toBe('0.1.1');
});

it('reports a version bumped by hand and a version without a changelog entry', () => {
  const pkg = json('services/payment/package.json');
  fs.writeFileSync(path.join(root, 'services/payment/package.json'), JSON.stringify({ ...pkg, version: '0.3.0' }));
  expect(releaseProblems(root, 'payment', advertised('payment'))).toEqual([
    'payment: package.json is at 0.3.0 but tools.snapshot.json records 0.1.0; versions are bumped by npm run release',
    'payment: services/payment/CHANGELOG.md has no entry for 0.3.0',
  ]);
  expect(refusal(() => planRelease({ root, service: 'payment', tools: advertised('payment'), level: 'patch' }))).toMatch(/package.json says 0.3.0 but its last release \(tools.snapshot.json\) is 0.1.0/);
});

it('records a baseline once, and asks for one when there is none', () => {
  fs.rmSync(path.join(root, 'services/customer/tools.snapshot.json'));
  fs.rmSync(path.join(root, 'services/customer/CHANGELOG.md'));
  expect(releaseProblems(root, 'customer', advertised('customer'))).toEqual(['customer: no services/customer/tools.snapshot.json; record the baseline with npm run release -- customer --init']);
  expect(refusal(() => planRelease({ root, service: 'customer', tools: advertised('customer'), level: 'patch' }))).toMatch(/--init/);
  initBaseline({ root, service: 'customer', tools: advertised('customer'), date: '2026-12-03' });
  expect(read('services/customer/CHANGELOG.md')).toMatch(/^# customer service — changelog\n[\s\S]*\n## 0\.1\.0 — 2026-12-03\n\nBaseline: /);
  expect(releaseProblems(root, 'customer', advertised('customer'))).toEqual([]);
  expect(refusal(() => initBaseline({ root, service: 'customer', tools: advertised('customer') }))).toMatch(/already has services\/customer\/tools.snapshot.json/);
});

it('counts versions as semver', () => {
  expect(nextVersion('0.1.0', 'patch')).toBe('0.1.1');
  expect(nextVersion('0.1.3', 'minor')).toBe('0.2.0');
  expect(nextVersion('1.4.2', 'major')).toBe('2.0.0');
  expect(refusal(() => nextVersion('1.0', 'patch'))).toMatch(/not MAJOR.MINOR.PATCH/);
});
