import { InProcessService, startInProcess } from '@fedmcp/testing';
import { defineTool, z } from '../src';
import { toolService, ToolService } from './fixtures/tool-service';

// A tool's time budget: the call answers TIMEOUT when it runs out, and the
// handler's signal is aborted then, whether the handler took its signal
// before the budget ran out or only afterwards (the wrapper creates the
// signal when a handler first asks for it).
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const seen: Record<string, { aborted: boolean; reason?: string }> = {};

// Records whether its signal was aborted after sleeping `sleepMs` against a 100 ms budget.
const recorder = (name: string, sleepMs: number, takeSignalFirst: boolean) =>
  defineTool({
    name,
    title: name,
    description: `Sleeps ${sleepMs} ms against its 100 ms budget and records whether its signal was aborted.`,
    input: z.object({ tag: z.string() }),
    output: z.object({ tag: z.string() }),
    annotations: { readOnlyHint: true },
    scope: 'kit:read',
    timeoutMs: 100,
    handler: async ({ tag }, ctx) => {
      const early = takeSignalFirst ? ctx.signal : undefined;
      if (sleepMs > 0) await sleep(sleepMs);
      const signal = early ?? ctx.signal;
      seen[tag] = { aborted: signal.aborted, ...(signal.aborted ? { reason: (signal.reason as Error | undefined)?.name } : {}) };
      return { tag };
    },
  });

const createBudgetService = toolService('kit', [recorder('slow_early_signal', 250, true), recorder('slow_late_signal', 250, false), recorder('quick', 0, false)]);

describe('tool time budget', () => {
  let svc: InProcessService<ToolService>;
  beforeAll(async () => {
    svc = await startInProcess('kit', createBudgetService);
  }, 60_000);
  afterAll(() => svc?.stop());

  const settled = async (tag: string) => {
    for (let i = 0; i < 50 && !seen[tag]; i++) await sleep(20);
    return seen[tag];
  };

  it.each(['slow_early_signal', 'slow_late_signal'])('%s: answers TIMEOUT and the handler sees its signal aborted', async (tool) => {
    const tag = `${tool}-1`;
    expect((await svc.client.call(tool, { tag })).error?.code).toBe('TIMEOUT');
    expect(await settled(tag)).toMatchObject({ aborted: true, reason: 'AbortError' });
  });

  it('leaves the signal of a call within its budget alone', async () => {
    expect((await svc.client.call('quick', { tag: 'quick-1' })).isError).toBe(false);
    expect(seen['quick-1']).toEqual({ aborted: false });
  });
});
