import type { ServerResponse } from 'node:http';
import { JSON_UTF8 } from '../http/content-type.js';
import { problemResponse } from '../schemas/common.js';

/**
 * A JSON-RPC 2.0 error response (JSON-RPC 2.0 §5, §5.1), as the SDK's transport writes it when
 * it cannot serve the request at all: not JSON-RPC, a batch, an unsupported
 * `MCP-Protocol-Version` (400), an `Accept` without both JSON and an event stream (406).
 */
const JsonRpcError = {
  type: 'object',
  required: ['jsonrpc', 'error', 'id'],
  properties: {
    jsonrpc: { type: 'string', const: '2.0' },
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'integer' }, message: { type: 'string' }, data: {} },
    },
    id: { type: ['string', 'number', 'null'] },
  },
} as const;

/**
 * A 400 or 406 of `/mcp`: problem details from the API's own layers (the token, the body's
 * size, media type and JSON), or a JSON-RPC error from the MCP transport (MCP 2025-06-18, Basic ›
 * Transports), each under its own media type.
 */
export function transportRefusal(description: string) {
  return {
    description,
    content: {
      ...problemResponse.content,
      'application/json': { schema: JsonRpcError },
    },
  };
}

/**
 * The SDK's transport answers JSON as bare `application/json`, every other JSON answer of the API
 * as `application/json; charset=utf-8`. RFC 8259 §11 defines no charset parameter for JSON (its
 * text is UTF-8, §8.1), so this changes nothing for a conforming reader; it keeps the API's
 * answers alike for clients and proxies that look for one. Only that exact type is rewritten, in
 * the headers `writeHead` is given or those set before it.
 */
export function withJsonCharset(res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const last = args.length - 1;
    const headers = args[last];
    if (last > 0 && typeof headers === 'object' && headers !== null && !Array.isArray(headers)) {
      const record = { ...(headers as Record<string, unknown>) };
      for (const name of Object.keys(record))
        if (name.toLowerCase() === 'content-type' && record[name] === 'application/json')
          record[name] = JSON_UTF8;
      args[last] = record;
    }
    if (this.getHeader('content-type') === 'application/json')
      this.setHeader('content-type', JSON_UTF8);
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}
