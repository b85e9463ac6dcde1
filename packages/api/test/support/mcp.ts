import { alice } from '@todo-sso/auth/testing';
import { expect } from 'vitest';
import type { Harness, Instance } from './harness.js';

let nextId = 0;

/**
 * A JSON-RPC `message` POSTed to `app`'s `/mcp` with `token`, as a Streamable HTTP client sends
 * it (JSON, accepting JSON or an event stream).
 */
export function postMcp(app: Instance['app'], token: string, message: object) {
  return app.inject({
    method: 'POST',
    url: '/mcp',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    payload: message,
  });
}

/**
 * Calls MCP tool `name` with `args` at `app`'s `/mcp` with `token` (an agent's, for the `/mcp`
 * resource); returns whether the tool answered an error and its JSON text parsed (as `any`, read
 * by each test as it expects).
 */
export async function callTool(app: Instance['app'], token: string, name: string, args: object) {
  const res = await postMcp(app, token, {
    jsonrpc: '2.0',
    id: ++nextId,
    method: 'tools/call',
    params: { name, arguments: args },
  });
  expect(res.statusCode, res.body).toBe(200);
  const answer = res.json().result as { isError?: boolean; content: { text: string }[] };
  return { isError: answer.isError === true, body: JSON.parse(answer.content[0]?.text ?? 'null') };
}

/** `callTool` as alice's agent (a token for the `/mcp` resource) over the harness's `/mcp`. */
export async function callMcpTool(h: Harness, base: string, name: string, args: object) {
  const token = await h.idp.accessToken(alice, {
    claims: { aud: `${base}/mcp`, azp: 'agent-client' },
  });
  return callTool(h.app, token, name, args);
}
