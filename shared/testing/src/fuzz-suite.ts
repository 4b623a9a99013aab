import type * as JestGlobals from '@jest/globals';
import { fc, advertisedInputs, callChecked, fuzzParameters, hostileArguments, hostileValue, JsonSchema, validValue } from './fuzz';
import type { TestClient } from './clients';

export interface ToolFuzzOptions {
  /** The tools to fuzz (the service's exported tool names: test names are fixed before tools/list is read). */
  tools: readonly string[];
  client: () => TestClient;
  /** Runs per tool for valid arguments, and again for hostile ones. */
  runs: number;
  /** A snapshot of the service's state (e.g. `tableCounts`): must not change when a call is refused. */
  state?: () => Promise<unknown>;
  timeoutMs?: number;
}

/**
 * Registers, for every tool, two property tests driven by its advertised
 * input schema: valid/boundary arguments and hostile arguments. Both assert
 * the universal properties (never INTERNAL, never a protocol error or 5xx,
 * no stack or SQL in messages); the hostile one also that a refused call
 * changes nothing. The run count is in each test's name; a failure prints
 * fast-check's seed (rerun with FUZZ_SEED=<seed>).
 */
/**
 * jest's globals, loaded when a suite is defined (inside jest): @jest/globals
 * throws when imported anywhere else, and this module is re-exported by the
 * package index that the bench and `npm run token` load outside jest.
 */
function jestGlobals(): typeof JestGlobals {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@jest/globals') as typeof JestGlobals;
}

export function fuzzEveryTool(options: ToolFuzzOptions): void {
  const { beforeAll, expect, it } = jestGlobals();
  let schemas: Map<string, JsonSchema>;
  const schemaOf = (tool: string) => {
    const schema = schemas.get(tool);
    if (!schema) throw new Error(`${tool} is not advertised on tools/list`);
    return schema;
  };
  beforeAll(async () => {
    schemas = await advertisedInputs(options.client());
  });
  const timeout = options.timeoutMs ?? 120_000;
  for (const tool of options.tools) {
    it(`${tool}: ${options.runs} runs of valid and boundary arguments from its advertised input schema`, async () => {
      const property = fc.asyncProperty(validValue(schemaOf(tool)) as fc.Arbitrary<Record<string, unknown>>, async (args) => {
        await callChecked(options.client(), tool, args);
      });
      await fc.assert(property, fuzzParameters(options.runs));
    }, timeout);

    it(`${tool}: ${options.runs} runs of hostile arguments (a refused call changes nothing)`, async () => {
      const property = fc.asyncProperty(hostileArguments(schemaOf(tool)), async (args) => {
        const before = options.state ? await options.state() : undefined;
        const outcome = await callChecked(options.client(), tool, args);
        if (options.state && outcome.isError) expect(await options.state()).toEqual(before);
      });
      await fc.assert(property, fuzzParameters(options.runs));
    }, timeout);
  }
}

const METHODS = ['initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'resources/read', 'resources/templates/list', 'prompts/list', 'prompts/get', 'logging/setLevel', 'completion/complete', 'notifications/initialized', 'nonexistent/method'];
const PROTOCOL_VERSIONS = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '1999-01-01', ''];

/** JSON-RPC-ish messages: right shapes with hostile parts, wrong shapes, odd batches. */
const envelopeMessage: fc.Arbitrary<unknown> = fc.record(
  {
    jsonrpc: fc.oneof({ weight: 4, arbitrary: fc.constant('2.0') }, { weight: 1, arbitrary: hostileValue }),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), hostileValue),
    method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: hostileValue }),
    params: fc.oneof(
      { weight: 3, arbitrary: fc.record({ name: fc.oneof(fc.constantFrom('get_customer', 'create_order', 'nope'), hostileValue), arguments: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), hostileValue, { maxKeys: 3 }), hostileValue), uri: fc.oneof(fc.constantFrom('customer://cus_1', 'schema://customers', 'customer://%00'), hostileValue), _meta: fc.oneof(fc.constant({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }), hostileValue), protocolVersion: fc.constantFrom(...PROTOCOL_VERSIONS) }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: hostileValue },
    ),
  },
  { requiredKeys: [] },
);

const envelopeBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 5, arbitrary: envelopeMessage.map((m) => Buffer.from(JSON.stringify(m) ?? 'null')) },
  { weight: 1, arbitrary: fc.array(envelopeMessage, { maxLength: 4 }).map((m) => Buffer.from(JSON.stringify(m))) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
  { weight: 1, arbitrary: envelopeMessage.chain((m) => { const text = JSON.stringify(m) ?? ''; return fc.nat(text.length).map((cut) => Buffer.from(text.slice(0, cut))); }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from('\uFEFF{"jsonrpc":"2.0","id":1,"method":"ping"}'), Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}', 'utf16le'), Buffer.from([0xc3, 0x28]), Buffer.from(`${'['.repeat(100)}${']'.repeat(100)}`)) },
).map((b) => new Uint8Array(b));

const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-16', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'text/html', '', 'application/json;;;', 'APPLICATION/JSON');

/**
 * A fuzzer for the raw HTTP/JSON-RPC envelope of `/mcp`: any body, content
 * type and protocol header gets a 2xx answer or a 4xx JSON-RPC error, never a
 * 5xx, never HTML, never a stack trace.
 */
export function fuzzEnvelope(mcpUrl: () => string, runs: number): void {
  const { it } = jestGlobals();
  it(`POST /mcp: ${runs} runs of generated envelopes, bodies and content types`, async () => {
    const property = fc.asyncProperty(envelopeBody, contentType, fc.constantFrom(...PROTOCOL_VERSIONS, undefined), async (body, type, version) => {
      const headers: Record<string, string> = { accept: 'application/json, text/event-stream', 'content-type': type };
      if (version !== undefined) headers['mcp-protocol-version'] = version;
      const response = await fetch(mcpUrl(), { method: 'POST', headers, body: body as unknown as BodyInit, signal: AbortSignal.timeout(10_000) });
      const text = await response.text();
      const describe = `status ${response.status}, body ${JSON.stringify(Buffer.from(body).toString('latin1').slice(0, 300))}, content-type ${type}, answer ${text.slice(0, 300)}`;
      if (response.status >= 500) throw new Error(`5xx answer: ${describe}`);
      if (/<html|<!DOCTYPE/i.test(text) || /\n\s+at /.test(text)) throw new Error(`HTML or stack trace in the answer: ${describe}`);
      if (response.status >= 400) {
        let parsed: { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown } };
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new Error(`a 4xx answer that is not JSON: ${describe}`);
        }
        if (parsed.jsonrpc !== '2.0' || typeof parsed.error?.code !== 'number' || typeof parsed.error?.message !== 'string') throw new Error(`a 4xx answer that is not a JSON-RPC error: ${describe}`);
      }
    });
    await fc.assert(property, fuzzParameters(runs));
  }, 120_000);
}
