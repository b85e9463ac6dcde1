import { alice } from '@todo-sso/auth/testing';
import { expect } from 'vitest';
import type { Harness } from './harness.js';

let nextId = 0;

/**
 * Calls an MCP tool as alice's agent (a token for the `/mcp` resource) over the harness's
 * `/mcp` endpoint; returns whether the tool answered an error and its JSON text parsed (as `any`, read by each
 * test as it expects).
 */
export async function callMcpTool(h: Harness, base: string, name: string, args: object) {
  const token = await h.idp.accessToken(alice, {
    claims: { aud: `${base}/mcp`, azp: 'agent-client' },
  });
  const res = await h.app.inject({
    method: 'POST',
    url: '/mcp',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    payload: {
      jsonrpc: '2.0',
      id: ++nextId,
      method: 'tools/call',
      params: { name, arguments: args },
    },
  });
  expect(res.statusCode, res.body).toBe(200);
  const answer = res.json().result as { isError?: boolean; content: { text: string }[] };
  return { isError: answer.isError === true, body: JSON.parse(answer.content[0]?.text ?? 'null') };
}
