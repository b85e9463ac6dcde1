import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DecisionPointUnavailableError, remotePdp } from '../src/authz/remote-pdp.js';
import { listQuestion } from './support/remote-pdp.js';

/**
 * The external decision point client against real HTTP servers on 127.0.0.1 answering as an
 * AuthZEN 1.0 decision point would, and as a broken or hostile one would: whatever is not a
 * 200 with one boolean decision per evaluation asked fails closed.
 */
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface Recorded {
  readonly url: string | undefined;
  readonly authorization: string | undefined;
  readonly body: string;
}

async function serve() {
  let handler: Handler = (_req, res) => res.end();
  const seen: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ url: req.url, authorization: req.headers.authorization, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    on(next: Handler) {
      handler = next;
      seen.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const TOKEN = 'pdp-secret-token-value';

const question = (id = '6f1c1b1e-7d4f-4a57-9d7e-2b1a3c4d5e6f') => listQuestion(id, 'can_update');

const json = (res: ServerResponse, value: unknown, status = 200) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof value === 'string' ? value : JSON.stringify(value));
};

describe('the external decision point client over HTTP', () => {
  let pdp: Awaited<ReturnType<typeof serve>>;
  let elsewhere: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    pdp = await serve();
    elsewhere = await serve();
  });
  afterAll(async () => {
    await pdp?.close();
    await elsewhere?.close();
  });
  afterEach(() => {
    elsewhere.on((_req, res) =>
      json(res, { evaluations: [{ decision: true }, { decision: true }] }),
    );
  });

  const client = (timeoutMs = 1000) => remotePdp({ url: `${pdp.url}/`, token: TOKEN, timeoutMs });

  it('sends an AuthZEN 1.0 evaluations request with its bearer token (§7.1, §5)', async () => {
    pdp.on((_req, res) => json(res, { evaluations: [{ decision: false }, { decision: true }] }));
    expect(await client().decide(question())).toBe('forbidden');
    const [asked] = pdp.seen;
    expect(asked?.url).toBe('/access/v1/evaluations');
    expect(asked?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(asked?.body ?? '')).toEqual({
      subject: {
        type: 'user',
        id: 'bob',
        properties: { issuer: 'https://idp.test', permissions: ['todos:read'], roles: [] },
      },
      resource: { type: 'list', id: '6f1c1b1e-7d4f-4a57-9d7e-2b1a3c4d5e6f' },
      evaluations: [{ action: { name: 'can_update' } }, { action: { name: 'can_read' } }],
    });
  });

  it('asks a long batch in requests of at most 50, each answer matched by position (§7.2)', async () => {
    pdp.on((_req, res, body) => {
      const asked = JSON.parse(body) as { evaluations: { resource: { id: string } }[] };
      json(res, {
        evaluations: asked.evaluations.map((e) => ({ decision: Number(e.resource.id) % 3 === 0 })),
      });
    });
    const items = Array.from({ length: 120 }, (_, i) => ({
      type: 'list' as const,
      id: String(i),
      action: 'can_read' as const,
    }));
    const decided = await client().decideAll(question(), items);
    expect(decided).toEqual(items.map((_, i) => i % 3 === 0));
    expect(pdp.seen.map((r) => JSON.parse(r.body).evaluations.length)).toEqual([50, 50, 20]);
  });

  it('ignores members it does not know, in the answer and in each decision (§10.1.1)', async () => {
    pdp.on((_req, res) =>
      json(res, {
        decision: false,
        extra: { nested: [1, 2] },
        evaluations: [
          { decision: true, context: { reason: 'editor' }, extra: 1 },
          { decision: true },
        ],
      }),
    );
    expect(await client().decide(question())).toBe('allowed');
  });

  it.each<[string, Handler]>([
    ['no decision', (_q, res) => json(res, { evaluations: [{}, { decision: true }] })],
    [
      'the string "true"',
      (_q, res) => json(res, { evaluations: [{ decision: 'true' }, { decision: true }] }),
    ],
    ['a single decision', (_q, res) => json(res, { decision: true })],
    ['fewer decisions', (_q, res) => json(res, { evaluations: [{ decision: true }] })],
    [
      'more decisions than asked',
      (_q, res) =>
        json(res, { evaluations: [{ decision: true }, { decision: true }, { decision: false }] }),
    ],
    ['bare booleans', (_q, res) => json(res, { evaluations: [true, true] })],
    ['JSON null', (_q, res) => json(res, 'null')],
    ['a JSON array', (_q, res) => json(res, '[{"decision":true},{"decision":true}]')],
    ['a JSON string', (_q, res) => json(res, '"evaluations"')],
    [
      'an HTML page',
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>Sign in</body></html>');
      },
    ],
    ['an empty body', (_q, res) => json(res, '')],
    ['403', (_q, res) => json(res, { evaluations: [{ decision: true }, { decision: true }] }, 403)],
    ['401', (_q, res) => json(res, 'unauthorized', 401)],
    ['500', (_q, res) => json(res, 'oops', 500)],
    [
      '204',
      (_q, res) => {
        res.writeHead(204);
        res.end();
      },
    ],
  ])('fails closed on an answer with %s', async (_name, handler) => {
    pdp.on(handler);
    await expect(client().decide(question())).rejects.toBeInstanceOf(DecisionPointUnavailableError);
    await expect(
      client().decideAll(question(), [
        { type: 'list', id: 'a', action: 'can_read' },
        { type: 'list', id: 'b', action: 'can_read' },
      ]),
    ).rejects.toBeInstanceOf(DecisionPointUnavailableError);
  });

  it.each([301, 302, 303, 307, 308])(
    'follows no redirect (%i): the decision and the token stay with AUTHZ_PDP_URL',
    async (status) => {
      pdp.on((_req, res) => {
        res.writeHead(status, { location: `${elsewhere.url}/access/v1/evaluations` });
        res.end();
      });
      elsewhere.on((_req, res) =>
        json(res, { evaluations: [{ decision: true }, { decision: true }] }),
      );
      await expect(client().decide(question())).rejects.toBeInstanceOf(
        DecisionPointUnavailableError,
      );
      expect(elsewhere.seen).toEqual([]);
    },
  );

  it('fails closed on a huge answer without reading it all', async () => {
    // A valid answer padded to 8 MiB: a decision point's answer is a few bytes per evaluation.
    pdp.on((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"evaluations":[{"decision":true},{"decision":true}],"pad":"');
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 128; i++) res.write(chunk);
      res.end('"}');
    });
    await expect(client().decide(question())).rejects.toBeInstanceOf(DecisionPointUnavailableError);
  });

  it('bounds a decision point that answers slowly, before or during the body', async () => {
    const timers: NodeJS.Timeout[] = [];
    try {
      pdp.on(() => {});
      let started = Date.now();
      await expect(client(300).decide(question())).rejects.toBeInstanceOf(
        DecisionPointUnavailableError,
      );
      expect(Date.now() - started).toBeLessThan(2000);
      // Headers at once, then a byte every 50 ms that never completes the answer.
      pdp.on((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"evaluations":[{"decision":true},{"decision":true}]');
        timers.push(setInterval(() => res.write(' '), 50));
      });
      started = Date.now();
      await expect(client(300).decide(question())).rejects.toBeInstanceOf(
        DecisionPointUnavailableError,
      );
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      for (const timer of timers) clearInterval(timer);
    }
  });

  it('fails closed when nothing listens or the decision point speaks no TLS', async () => {
    const closed = remotePdp({ url: 'http://127.0.0.1:1', token: TOKEN });
    await expect(closed.decide(question())).rejects.toBeInstanceOf(DecisionPointUnavailableError);
    // An https URL answered by a plain HTTP server: the TLS handshake fails.
    const tls = remotePdp({
      url: pdp.url.replace('http:', 'https:'),
      token: TOKEN,
      timeoutMs: 1000,
    });
    await expect(tls.decide(question())).rejects.toBeInstanceOf(DecisionPointUnavailableError);
  });
});
