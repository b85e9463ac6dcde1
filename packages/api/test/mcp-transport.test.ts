import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { alice } from '@todo-sso/auth/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { useListeningHarness } from './support/mcp.js';

/**
 * The Streamable HTTP transport's own rules at `/mcp` (MCP 2025-06-18 and 2025-11-25, Basic ›
 * Transports), over real HTTP with the SDK's client and with raw requests: the `Origin` check
 * against DNS rebinding.
 */
const LIST = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
const ACCEPT = 'application/json, text/event-stream';

interface OpenApiDocument {
  components: object;
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
}

/** An API on a real port that lets the app's origin in (CORS); `env` on top of the harness's. */
const useAppHarness = (env: Record<string, string> = {}) =>
  useListeningHarness({ CORS_ORIGINS: 'https://app.example.com', ...env });

describe('the Origin check of /mcp (DNS rebinding)', () => {
  const { h, server } = useAppHarness();
  const clients: Client[] = [];
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
  });
  const agentToken = () =>
    h.idp.accessToken(alice, { claims: { aud: `${server.base}/mcp`, azp: 'agent-client' } });

  /** A raw POST of `tools/list` with the agent's token and these headers. */
  const post = async (headers: Record<string, string>, path = '/mcp') =>
    fetch(`${server.base}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await agentToken()}`,
        'content-type': 'application/json',
        accept: ACCEPT,
        ...headers,
      },
      body: JSON.stringify(LIST),
    });

  /** The SDK's client, connecting with `headers` on every request. */
  const connect = async (headers: Record<string, string>) => {
    const client = new Client({ name: 'origin-probe', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', server.base), {
      requestInit: { headers: { authorization: `Bearer ${await agentToken()}`, ...headers } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  };

  it('refuses the SDK client sending a foreign Origin with 403, before anything is served', async () => {
    const error = await connect({ origin: 'http://attacker.example:8000' }).catch((e) => e);
    expect(error).toBeInstanceOf(StreamableHTTPError);
    expect((error as StreamableHTTPError).code).toBe(403);
  });

  it('serves the SDK client without an Origin (not a browser) and from a CORS origin', async () => {
    for (const headers of [{}, { origin: 'https://app.example.com' }] as Record<string, string>[]) {
      const client = await connect(headers);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('create_todo');
    }
  });

  /**
   * A POST as a browser sends it from a page of `http://<host>` that DNS rebinding pointed at
   * this server: `Host` and `Origin` name the page's host, and the agent's token names it too.
   * The Origin check answers first (403); the audience binding refuses it as well (503, the
   * API takes no resource identifier from a `Host` that is not loopback).
   */
  const rebound = async (host: string, origin: string) => {
    const token = await h.idp.accessToken(alice, {
      claims: { aud: `http://${host}/mcp`, azp: 'agent-client' },
    });
    return new Promise<{ status: number; type: string; body: string; acao: unknown }>(
      (resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: server.port,
            path: '/mcp',
            method: 'POST',
            headers: {
              host,
              ...(origin && { origin }),
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              accept: ACCEPT,
            },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => {
              body += chunk;
            });
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                type: String(res.headers['content-type']),
                body,
                acao: res.headers['access-control-allow-origin'],
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(LIST));
      },
    );
  };

  it('refuses a rebinding page, a null Origin and look-alikes with 403 problem details', async () => {
    const host = `attacker.example:${server.port}`;
    for (const origin of [
      `http://${host}`,
      'null',
      'https://app.example.com.attacker.example',
      'https://APP.example.com:443/',
      'https://app.example.com, http://attacker.example',
    ]) {
      const res = await rebound(host, origin);
      expect(res.status, origin).toBe(403);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.body)).toMatchObject({ status: 403, code: 'forbidden' });
      expect(res.acao).toBeUndefined();
    }
    // The same request without an Origin (not a browser; an empty `origin` argument sends none)
    // is not served either: a token for the page's host is for another resource.
    const plain = await rebound(host, '');
    expect(plain.status).toBe(503);
  });

  it('refuses a foreign Origin without a token too (403 before the 401), whatever the method', async () => {
    const origin = 'http://attacker.example';
    const anonymous = await fetch(`${server.base}/mcp`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', accept: ACCEPT },
      body: JSON.stringify(LIST),
    });
    expect(anonymous.status).toBe(403);
    expect(anonymous.headers.get('www-authenticate')).toBeNull();
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${server.base}/mcp`, { method, headers: { origin } });
      expect(res.status, method).toBe(403);
    }
    const preflight = await fetch(`${server.base}/mcp`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    // The same path percent-encoded, which the router serves as /mcp (RFC 3986 §6.2.2.2).
    for (const path of ['/%6Dcp', '/%6dcp/', '/%6d%63%70?x=1']) {
      const aliased = await fetch(`${server.base}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(aliased.status, path).toBe(403);
      expect((await post({ origin }, path)).status, path).toBe(403);
    }
  });

  it('serves its own origin when the host is an IP literal, and a CORS origin with CORS headers', async () => {
    const own = await post({ origin: server.base });
    expect(own.status).toBe(200);
    const body = (await own.json()) as { result: { tools: unknown[] } };
    expect(body.result.tools.length).toBe(7);
    const app = await post({ origin: 'https://app.example.com' });
    expect(app.status).toBe(200);
    expect(app.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('leaves the REST routes and the metadata to CORS', async () => {
    const origin = 'http://attacker.example';
    const rest = await fetch(`${server.base}/todos/`, {
      headers: { origin, authorization: `Bearer ${h.tokens.alice}` },
    });
    expect(rest.status).toBe(200);
    expect(rest.headers.get('access-control-allow-origin')).toBeNull();
    const metadata = await fetch(`${server.base}/.well-known/oauth-protected-resource/mcp`, {
      headers: { origin },
    });
    expect(metadata.status).toBe(200);
  });
});

describe('the Origin check of /mcp behind API_PUBLIC_URL', () => {
  const { h, server } = useAppHarness({ API_PUBLIC_URL: 'https://todo.example.com' });

  const post = async (origin: string, host?: string) =>
    fetch(`${server.base}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await h.idp.accessToken(alice, {
          claims: { aud: 'https://todo.example.com/mcp', azp: 'agent-client' },
        })}`,
        'content-type': 'application/json',
        accept: ACCEPT,
        origin,
        ...(host && { host }),
      },
      body: JSON.stringify(LIST),
    });

  it('serves the public origin and refuses a name the request itself carries', async () => {
    expect((await post('https://todo.example.com')).status).toBe(200);
    expect((await post('https://todo.example.org', 'todo.example.org')).status).toBe(403);
    expect((await post('http://todo.example.com')).status).toBe(403);
  });
});

describe('the Streamable HTTP rules of a stateless server at /mcp', () => {
  const { h, server } = useAppHarness();
  const send = async (body: unknown, headers: Record<string, string> = {}) => {
    const token = await h.idp.accessToken(alice, {
      claims: { aud: `${server.base}/mcp`, azp: 'agent-client' },
    });
    return fetch(`${server.base}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: ACCEPT,
        ...headers,
      },
      body: JSON.stringify(body),
    });
  };

  it('answers an unsupported MCP-Protocol-Version with 400 and serves a supported or absent one', async () => {
    const unsupported = await send(LIST, { 'mcp-protocol-version': '1999-01-01' });
    expect(unsupported.status).toBe(400);
    expect(await unsupported.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
    for (const version of ['2025-11-25', '2025-06-18', undefined]) {
      const res = await send(LIST, version ? { 'mcp-protocol-version': version } : {});
      expect(res.status, version).toBe(200);
    }
  });

  it('negotiates the version the client asks for, or its own latest for one it does not know', async () => {
    const initialize = (protocolVersion: string) => ({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo: { name: 'probe', version: '1' } },
    });
    const versionOf = async (asked: string) =>
      ((await (await send(initialize(asked))).json()) as { result: { protocolVersion: string } })
        .result.protocolVersion;
    expect(await versionOf('2025-06-18')).toBe('2025-06-18');
    expect(await versionOf('1999-01-01')).toBe('2025-11-25');
  });

  it('answers GET (no server-initiated stream) and DELETE (no session) with 405 Allow: POST', async () => {
    const token = await h.idp.accessToken(alice, {
      claims: { aud: `${server.base}/mcp`, azp: 'agent-client' },
    });
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${server.base}/mcp`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });

  it('answers its transport refusals (400, 406) as the OpenAPI document describes them', async () => {
    const doc = JSON.parse(
      readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'),
    ) as OpenApiDocument;
    const ajv = new Ajv2020({ strict: false });
    const responses = doc.paths['/mcp']?.post?.responses ?? {};
    const refusals = [
      [400, await send([LIST, { ...LIST, id: 2 }])],
      [400, await send({ jsonrpc: '2.0' })],
      [400, await send(LIST, { 'mcp-protocol-version': '1999-01-01' })],
      [406, await send(LIST, { accept: 'application/json' })],
    ] as const;
    for (const [status, res] of refusals) {
      expect(res.status).toBe(status);
      const media = String(res.headers.get('content-type')).split(';')[0] ?? '';
      const documented = responses[String(status)]?.content?.[media];
      expect(documented, `${status} as ${media}`).toBeDefined();
      const validate = ajv.compile({ ...documented?.schema, components: doc.components });
      expect(validate(await res.json()), ajv.errorsText(validate.errors)).toBe(true);
    }
  });

  it('accepts a notification with 202 and no body, and refuses a JSON-RPC batch with 400', async () => {
    const note = await send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(202);
    expect(await note.text()).toBe('');
    const batch = await send([LIST, { ...LIST, id: 2 }]);
    expect(batch.status).toBe(400);
  });

  it('answers a method it does not serve with the JSON-RPC error -32601, not an HTTP error', async () => {
    const res = await send({ jsonrpc: '2.0', id: 5, method: 'resources/list' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 5, error: { code: -32601 } });
  });
});

describe('the tool errors of /mcp (MCP 2025-11-25, Server › Tools › Error Handling)', () => {
  const { h, server } = useAppHarness();
  const call = async (params: unknown) => {
    const token = await h.idp.accessToken(alice, {
      claims: { aud: `${server.base}/mcp`, azp: 'agent-client' },
    });
    const res = await fetch(`${server.base}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: ACCEPT,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        ...(params !== undefined && { params }),
      }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as {
      id: number;
      error?: { code: number; message: string };
      result?: { isError?: boolean; content: { text: string }[] };
    };
  };

  it('answers an unknown tool with the JSON-RPC error -32602, not a tool result', async () => {
    const answer = await call({ name: 'drop_database', arguments: {} });
    expect(answer).toMatchObject({ id: 7, error: { code: -32602 } });
    expect(answer.error?.message).toContain('drop_database');
    expect(answer.result).toBeUndefined();
  });

  it('answers a call that is not a CallToolRequest with -32602, never an internal error', async () => {
    for (const params of [undefined, {}, { name: 42 }, { name: 'list_todos', arguments: [] }]) {
      const answer = await call(params);
      expect(answer.error?.code, JSON.stringify(params)).toBe(-32602);
    }
  });

  it('answers arguments that do not fit the tool as a validation_failed tool error in JSON', async () => {
    const answer = await call({ name: 'delete_todo', arguments: { id: 'not-a-uuid' } });
    expect(answer.result?.isError).toBe(true);
    const body = JSON.parse(answer.result?.content[0]?.text ?? 'null');
    expect(body).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(body.message).toContain('id');
  });
});
