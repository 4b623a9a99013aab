/**
 * docs/tools.md is generated from what the services advertise on tools/list:
 * this test regenerates it and fails when the committed file is out of date.
 * It also fails when a service advertises tools that differ from its
 * tools.snapshot.json (a change no release recorded in its CHANGELOG).
 */
import * as fs from 'node:fs';
import { ListedTool, TOOL_REFERENCE, listFleetTools, renderToolReference } from '../src/tool-reference';
import { releaseProblems } from '../src/release';
import { FLEET } from '../src/services';
import { ROOT, repoPath } from './repo';

/** What every service advertises, listed once for both checks (each service is started once). */
let tools: Record<string, ListedTool[]>;
beforeAll(async () => {
  tools = await listFleetTools();
}, 120_000);

describe('tool reference (docs/tools.md)', () => {
  it('is up to date with what every service advertises (run `npm run docs` when this fails)', () => {
    expect(Object.keys(tools)).toEqual(FLEET.map((s) => s.name));
    for (const name of Object.keys(tools)) expect(tools[name].length).toBeGreaterThan(0);
    const committed = fs.readFileSync(repoPath(TOOL_REFERENCE), 'utf8');
    expect(renderToolReference(tools)).toBe(committed);
  });

  it('documents each tool with its scope, arguments and schemas', () => {
    const text = renderToolReference({
      demo: [
        {
          name: 'get_widget',
          title: 'Get a widget',
          description: 'Looks a widget up.\n\nRequires the OAuth scope "widget:read".',
          inputSchema: { type: 'object', properties: { widget_id: { type: 'string', description: 'Widget id', pattern: '^wid_' } }, required: ['widget_id'] },
          outputSchema: { type: 'object' },
          annotations: { readOnlyHint: true, openWorldHint: false },
        },
      ],
    });
    expect(text).toContain('| [`get_widget`](#demo-get-widget) | Get a widget | `widget:read` | readOnlyHint: true, openWorldHint: false |');
    expect(text).toContain('| `widget_id` | string | yes | Widget id; pattern `^wid_` |');
    expect(text).not.toContain('Requires the OAuth scope');
  });

  it('refuses a tool that does not name its scope', () => {
    expect(() => renderToolReference({ demo: [{ name: 'x', description: 'no scope here', inputSchema: {} }] })).toThrow(/x does not name the scope/);
  });
});

describe('release records (services/<svc>/tools.snapshot.json and CHANGELOG.md)', () => {
  it('record what every service advertises: a tool change needs a release entry (run `npm run release -- <service>` when this fails)', () => {
    expect(FLEET.flatMap((s) => releaseProblems(ROOT, s.name, tools[s.name]))).toEqual([]);
  });
});
