import type { RequestHandler } from 'express';
import { validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';

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
 * (`validateHostHeader`, `validateOriginHeader`), with the same 403 answers,
 * in one layer that remembers each header value's verdict instead of parsing
 * it as a URL on every request.
 */
export function dnsRebindingGuard(allowedHostnames: string[]): RequestHandler {
  const host = memoized((value) => validateHostHeader(value, allowedHostnames));
  const origin = memoized((value) => validateOriginHeader(value, allowedHostnames));
  return (req, res, next) => {
    let result = host(req.headers.host);
    if (result.ok) result = origin(req.headers.origin);
    if (!result.ok) {
      res.status(403).json({ jsonrpc: '2.0', error: { code: -32000, message: result.message }, id: null });
      return;
    }
    next();
  };
}
