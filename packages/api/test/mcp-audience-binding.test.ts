import { Agent, request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { alice } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { sqliteDriver, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, startHarness } from './support/harness.js';
import { useListeningHarness } from './support/mcp.js';

/**
 * RFC 8707 §2 audiences and RFC 9728 §7.3 resource identifiers, MCP authorization "Token
 * Audience Binding and Validation": the audiences the API accepts are never chosen by the
 * request. A token the same identity provider issued for another resource server (a malicious
 * MCP server holding a person's token for `https://evil.example/mcp`) replayed here with that
 * server's name in `Host` or `X-Forwarded-Host` is refused, at `/mcp` and on the REST routes,
 * and the metadata names no such resource. Without `API_PUBLIC_URL` the API takes the origin
 * a request came to for its own only on the loopback interface and its own port (`npm start`
 * on a laptop), which keeps working with the SDK's client.
 */
const LIST = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
const ACCEPT = 'application/json, text/event-stream';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A raw request to 127.0.0.1:`port` with exactly these headers (`Host` included); `agent`: the
 * connections to send it on (by default Node's global agent).
 */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
  agent?: Agent,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, method, path, headers, ...(agent && { agent }) };
    const req = httpRequest(options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('audiences without API_PUBLIC_URL, no trusted proxy', () => {
  const { h, server } = useListeningHarness();
  const mcp = async (headers: Record<string, string>, aud: string) => {
    const token = await h.idp.accessToken(alice, { claims: { aud, azp: 'agent-client' } });
    return send(
      server.port,
      'POST',
      '/mcp',
      {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: ACCEPT,
        ...headers,
      },
      JSON.stringify(LIST),
    );
  };
  const me = async (headers: Record<string, string>, aud: string) => {
    const token = await h.idp.accessToken(alice, { claims: { aud } });
    return send(server.port, 'GET', '/me', { authorization: `Bearer ${token}`, ...headers });
  };

  it('refuses at /mcp a token for another server sent with that server as Host', async () => {
    const res = await mcp({ host: 'evil.example' }, 'http://evil.example/mcp');
    expect(res.status).toBe(503);
    const problem = JSON.parse(res.body);
    expect(problem).toMatchObject({ status: 503, code: 'unavailable' });
    expect(problem.detail).toContain('API_PUBLIC_URL');
    expect(res.body).not.toContain('tools');
    // Without a token too: no challenge sends a client to sign in for a resource nobody accepts.
    const anonymous = await send(server.port, 'POST', '/mcp', { host: 'evil.example' }, '{}');
    expect(anonymous.status).toBe(503);
    expect(anonymous.headers['www-authenticate']).toBeUndefined();
  });

  it('refuses a token for another loopback server, by its port', async () => {
    const other = server.port === 65535 ? server.port - 1 : server.port + 1;
    const res = await mcp({ host: `localhost:${other}` }, `http://localhost:${other}/mcp`);
    expect(res.status).toBe(503);
  });

  it('ignores X-Forwarded-Host from a proxy it does not trust', async () => {
    const forwarded = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
    const res = await mcp(
      { host: `127.0.0.1:${server.port}`, ...forwarded },
      'https://evil.example/mcp',
    );
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'audience_mismatch' });
  });

  it('refuses on the REST routes the other server identifiers, and still accepts its own audience', async () => {
    for (const aud of ['http://evil.example', 'http://evil.example/mcp']) {
      const res = await me({ host: 'evil.example' }, aud);
      expect(res.status, aud).toBe(401);
      expect(JSON.parse(res.body), aud).toMatchObject({ code: 'audience_mismatch' });
      // No metadata URL built from Host in the challenge.
      expect(String(res.headers['www-authenticate']), aud).not.toContain('resource_metadata');
    }
    expect((await me({ host: 'evil.example' }, 'todo-api')).status).toBe(200);
  });

  it('serves no metadata naming the other server as the resource', async () => {
    for (const path of ['', '/mcp']) {
      const res = await send(server.port, 'GET', `/.well-known/oauth-protected-resource${path}`, {
        host: 'evil.example',
      });
      expect(res.status, path).toBe(503);
      expect(res.body, path).not.toContain('evil.example');
      expect(JSON.parse(res.body).detail, path).toContain('API_PUBLIC_URL');
    }
  });

  it('serves the laptop at localhost and 127.0.0.1: metadata, challenge and tools', async () => {
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`]) {
      const base = `http://${host}`;
      const doc = await send(server.port, 'GET', '/.well-known/oauth-protected-resource/mcp', {
        host,
      });
      expect(JSON.parse(doc.body).resource, host).toBe(`${base}/mcp`);
      const anonymous = await send(server.port, 'POST', '/mcp', { host }, '{}');
      expect(anonymous.status, host).toBe(401);
      expect(anonymous.headers['www-authenticate'], host).toContain(
        `resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
      );
      expect((await mcp({ host }, `${base}/mcp`)).status, host).toBe(200);
      expect((await me({ host }, base)).status, host).toBe(200);
    }
  });

  it('works with the SDK client from nothing but the loopback URL', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const token = await h.idp.accessToken(alice, {
      claims: { aud: `${base}/mcp`, azp: 'agent-client' },
    });
    const client = new Client({ name: 'laptop-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', base), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('list_todos');
    } finally {
      await client.close();
    }
  });
});

/**
 * AuthZEN 1.0 §9 metadata: `policy_decision_point` and the endpoints are where a client sends its
 * evaluations (and its token): an https URL from configuration, or the loopback address of the
 * laptop, never a name the request wrote in `Host`.
 */
describe('the AuthZEN metadata without API_PUBLIC_URL', () => {
  const { server } = useListeningHarness({ TRUST_PROXY: '127.0.0.1' });
  const get = (headers: Record<string, string>) =>
    send(server.port, 'GET', '/.well-known/authzen-configuration', headers);

  it('names no decision point from Host or a forwarded host', async () => {
    for (const headers of [
      { host: 'evil.example' } as Record<string, string>,
      { host: `127.0.0.1:${server.port}`, 'x-forwarded-host': 'evil.example' },
    ]) {
      const res = await get(headers);
      expect(res.status, JSON.stringify(headers)).toBe(503);
      expect(res.body).not.toContain('evil.example');
      expect(JSON.parse(res.body).detail).toContain('API_PUBLIC_URL');
    }
  });

  it('names the loopback address it is called at on a laptop', async () => {
    const res = await get({ host: `localhost:${server.port}` });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).policy_decision_point).toBe(`http://localhost:${server.port}`);
  });
});

describe('audiences without API_PUBLIC_URL behind a trusted proxy', () => {
  const { h, server } = useListeningHarness({ TRUST_PROXY: '127.0.0.1' });
  const forwarded = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };

  it('refuses a token for the forwarded host at /mcp and on the REST routes', async () => {
    const agent = await h.idp.accessToken(alice, {
      claims: { aud: 'https://evil.example/mcp', azp: 'agent-client' },
    });
    const res = await send(
      server.port,
      'POST',
      '/mcp',
      {
        host: `127.0.0.1:${server.port}`,
        ...forwarded,
        authorization: `Bearer ${agent}`,
        'content-type': 'application/json',
        accept: ACCEPT,
      },
      JSON.stringify(LIST),
    );
    expect(res.status).toBe(503);
    for (const aud of ['https://evil.example', 'https://evil.example/mcp']) {
      const token = await h.idp.accessToken(alice, { claims: { aud } });
      const rest = await send(server.port, 'GET', '/me', {
        host: `127.0.0.1:${server.port}`,
        ...forwarded,
        authorization: `Bearer ${token}`,
      });
      expect(rest.status, aud).toBe(401);
    }
    const doc = await send(server.port, 'GET', '/.well-known/oauth-protected-resource/mcp', {
      host: `127.0.0.1:${server.port}`,
      ...forwarded,
    });
    expect(doc.status).toBe(503);
  });
});

describe('audiences of the requests of one connection', () => {
  const { h, server } = useListeningHarness({ TRUST_PROXY: '127.0.0.1' });

  it("decides each request's audiences by its own Host and forwarding headers", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const own = `127.0.0.1:${server.port}`;
    const ports = new Set<number | undefined>();
    agent.on('free', (socket) => ports.add(socket.localPort));
    const me = async (aud: string, headers: Record<string, string>) => {
      const token = await h.idp.accessToken(alice, { claims: { aud } });
      const res = await send(
        server.port,
        'GET',
        '/me',
        { authorization: `Bearer ${token}`, ...headers },
        undefined,
        agent,
      );
      return res.status;
    };
    try {
      expect(await me(`http://${own}`, { host: own })).toBe(200);
      // The same connection, another Host: the loopback origin of the request before is not its.
      expect(await me(`http://${own}`, { host: 'evil.example' })).toBe(401);
      expect(await me('http://evil.example', { host: 'evil.example' })).toBe(401);
      // The same Host forwarded by the trusted proxy for another host: the forwarded one counts.
      const forwarded = { host: own, 'x-forwarded-host': 'evil.example' };
      expect(await me(`http://${own}`, forwarded)).toBe(401);
      expect(await me('http://evil.example', forwarded)).toBe(401);
      const proto = { host: own, 'x-forwarded-proto': 'https' };
      expect(await me(`http://${own}`, proto)).toBe(401);
      expect(await me(`http://${own}`, { host: own })).toBe(200);
      expect(await me(`http://localhost:${server.port}`, { host: own })).toBe(401);
      expect(
        await me(`http://localhost:${server.port}`, { host: `localhost:${server.port}` }),
      ).toBe(200);
      // All of them on one connection.
      expect(ports.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});

describe('audiences with API_PUBLIC_URL', () => {
  const { h, server } = useListeningHarness({ API_PUBLIC_URL: 'https://todo.example.com' });

  it('accepts the configured resource whatever Host says, and no other', async () => {
    const call = async (aud: string, host: string) => {
      const token = await h.idp.accessToken(alice, { claims: { aud, azp: 'agent-client' } });
      return send(
        server.port,
        'POST',
        '/mcp',
        {
          host,
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: ACCEPT,
        },
        JSON.stringify(LIST),
      );
    };
    expect((await call('https://todo.example.com/mcp', 'internal:8000')).status).toBe(200);
    expect((await call('http://evil.example/mcp', 'evil.example')).status).toBe(401);
    expect(
      (await call(`http://localhost:${server.port}/mcp`, `localhost:${server.port}`)).status,
    ).toBe(401);
  });
});

describe('audiences of an injected request from [::1]', () => {
  const database = useTestDatabase(sqliteDriver);
  const h: Harness = suiteFixture(
    false,
    () => startHarness(database.config),
    (x) => x.close(),
  );

  it('takes [::1] for a loopback host, from a loopback peer only', async () => {
    const doc = await h.app.inject({
      url: '/.well-known/oauth-protected-resource/mcp',
      headers: { host: '[::1]:8000' },
      remoteAddress: '::1',
    });
    expect(doc.json().resource).toBe('http://[::1]:8000/mcp');
    const remote = await h.app.inject({
      url: '/.well-known/oauth-protected-resource/mcp',
      headers: { host: '[::1]:8000' },
      remoteAddress: '203.0.113.7',
    });
    expect(remote.statusCode).toBe(503);
    // A dual-stack server sees an IPv4 loopback peer as an IPv4-mapped address.
    const mapped = await h.app.inject({
      url: '/.well-known/oauth-protected-resource/mcp',
      headers: { host: 'localhost:8000' },
      remoteAddress: '::ffff:127.0.0.1',
    });
    expect(mapped.json().resource).toBe('http://localhost:8000/mcp');
  });
});
