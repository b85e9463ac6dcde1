import type { AddressInfo } from 'node:net';
import { alice } from '@todo-sso/auth/testing';
import { beforeAll, expect } from 'vitest';
import { sqliteDriver, useTestDatabase } from './databases.js';
import { suiteFixture } from './fixture.js';
import { type Harness, type Instance, startHarness } from './harness.js';

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

/**
 * A harness on a fresh SQLite file (configured with `env`) listening on a real port of
 * 127.0.0.1, for the enclosing suite: what `inject` cannot show (the `Host` a request really
 * came with, the peer address, the SDK's client). `server` has the port and base URL once the
 * suite's tests run.
 */
export function useListeningHarness(env: Record<string, string> = {}) {
  const database = useTestDatabase(sqliteDriver);
  const h: Harness = suiteFixture(
    false,
    () => startHarness(database.config, env),
    (x) => x.close(),
  );
  const server = { base: '', port: 0 };
  beforeAll(async () => {
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    server.port = (h.app.server.address() as AddressInfo).port;
    server.base = `http://127.0.0.1:${server.port}`;
  });
  return { h, server };
}
