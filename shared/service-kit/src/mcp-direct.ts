import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { MODERN_PROTOCOL_VERSION } from './mcp-client';

/**
 * A 2026-07-28 `tools/call` that can be answered without the SDK's exchange
 * machinery: what is left of it once the SDK's own classifier and the checks
 * below have passed it.
 */
export interface DirectToolCall {
  id: string | number;
  name: string;
  arguments: unknown;
  meta: Record<string, unknown>;
}

/** The standard MCP headers of the request, as received. */
export interface StandardHeaders {
  protocolVersion?: string;
  method?: string;
  name?: string;
}

const PARAM_KEYS = new Set(['name', 'arguments', '_meta']);

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Optional whitespace around a header value (RFC 9110), which the SDK strips the same way. */
const stripOws = (value: string) => value.replace(/^[\t ]+|[\t ]+$/g, '');

/**
 * Whether `message` is the common case of a modern `tools/call`, exactly as a
 * conforming client sends it, naming a tool of this server: the case the SDK
 * answers with nothing but the tool's result. Anything else, including every
 * request the SDK would refuse or treat in any other way, is left to the SDK
 * (`undefined`):
 *
 * - the SDK's own classifier must route it to the 2026-07-28 era as a request
 *   (this validates the `_meta` envelope with the SDK's schema and checks the
 *   `MCP-Protocol-Version` and `Mcp-Method` headers against the body);
 * - the three standard headers must all be present, and `Mcp-Name` must name
 *   the tool in plain text (no Base64 form, which the SDK would decode);
 * - params carry only `name`, `arguments` (an object, or absent) and `_meta`.
 *
 * The answer must then be the SDK's, byte for byte: the differential test in
 * `test/mcp-direct.test.ts` sends the same requests, canonical and mutated,
 * to a server with and one without this path and compares the answers.
 */
export function directToolCall(message: unknown, headers: StandardHeaders, isTool: (name: string) => boolean): DirectToolCall | undefined {
  if (!isPlainObject(message) || message.method !== 'tools/call') return undefined;
  const { id, params } = message;
  if ((typeof id !== 'string' && typeof id !== 'number') || !isPlainObject(params)) return undefined;
  const { name, arguments: args, _meta: meta } = params;
  if (typeof name !== 'string' || !isTool(name) || !isPlainObject(meta)) return undefined;
  if (args !== undefined && !isPlainObject(args)) return undefined;
  for (const key of Object.keys(params)) if (!PARAM_KEYS.has(key)) return undefined;
  if (headers.protocolVersion === undefined || headers.method === undefined || headers.name === undefined || stripOws(headers.name) !== name) return undefined;
  const route = classifyInboundRequest({ httpMethod: 'POST', body: message, protocolVersionHeader: headers.protocolVersion, mcpMethodHeader: headers.method, mcpNameHeader: headers.name });
  if (route.kind !== 'modern' || route.messageKind !== 'request' || route.classification.revision !== MODERN_PROTOCOL_VERSION) return undefined;
  return { id, name, arguments: args, meta };
}
