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
