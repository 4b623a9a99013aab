import { validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';
import type { RequestGuard } from './mcp-http';

type Validation = { ok: true } | { ok: false; message: string };

/** Header values seen per check; a client sends the same Host and Origin with every request. */
const MEMO_LIMIT = 256;

function memoized(validate: (value: string | undefined) => Validation): (value: string | undefined) => Validation {
  const seen = new Map<string | undefined, Validation>();
  return (value) => {
    let result = seen.get(value);
    if (!result) {
      result = validate(value);
      // Many distinct values (a scan) only cost the validation again, never memory.
      if (seen.size >= MEMO_LIMIT) seen.clear();
      seen.set(value, result);
    }
    return result;
  };
}

/**
 * DNS-rebinding protection: the `Host` and `Origin` checks of the SDK's
 * `hostHeaderValidation` and `originValidation` express middlewares
 * (`validateHostHeader`, `validateOriginHeader`), in one check that
 * remembers each header value's verdict instead of parsing it as a URL on
 * every request. It answers with the SDK's message; the /mcp handler sends it
 * as the SDK middlewares do (403, JSON-RPC error -32000, id null).
 */
export function dnsRebindingGuard(allowedHostnames: string[]): RequestGuard {
  const host = memoized((value) => validateHostHeader(value, allowedHostnames));
  const origin = memoized((value) => validateOriginHeader(value, allowedHostnames));
  return (req) => {
    let result = host(req.headers.host);
    if (result.ok) result = origin(req.headers.origin);
    return result.ok ? undefined : result.message;
  };
}
