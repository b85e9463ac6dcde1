import { request } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS, setSecurityHeaders } from '../src/http/security-headers.js';

/**
 * The security headers hook on a bare Fastify app, over real HTTP: every response carries the
 * headers, in their order and before any header set later, whether the reply's header object
 * was empty (the hook gives it a new one holding them) or already held a header (set one by one,
 * and the earlier header kept).
 */
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The response's header lines in the order they were sent, names lower-cased. */
async function headerLines(build: (app: FastifyInstance) => void): Promise<[string, string][]> {
  app = Fastify();
  build(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  // node:http keeps the order the lines came in (fetch sorts its Headers).
  return new Promise((resolve, reject) => {
    request(`${url}/x`, (answer) => {
      if (answer.statusCode !== 200) reject(new Error(`status ${answer.statusCode}`));
      answer.resume();
      const raw = answer.rawHeaders;
      const lines: [string, string][] = [];
      for (let i = 0; i < raw.length; i += 2)
        lines.push([String(raw[i]).toLowerCase(), String(raw[i + 1])]);
      answer.on('end', () => resolve(lines));
    })
      .on('error', reject)
      .end();
  });
}

const expected = Object.entries(SECURITY_HEADERS);

describe('security headers hook', () => {
  it('sends every security header first, in order, then the headers set later', async () => {
    const lines = await headerLines((a) => {
      a.addHook('onRequest', setSecurityHeaders);
      // More headers than V8 keeps as fast properties of an object built one header at a time.
      a.get('/x', (_request, reply) => {
        for (let i = 0; i < 12; i++) reply.header(`x-extra-${i}`, String(i));
        reply.header('Cache-Control', 'max-age=60');
        return { ok: true };
      });
    });
    const names = lines.map(([name]) => name);
    expect(names.slice(0, expected.length)).toEqual(expected.map(([name]) => name));
    const sent = new Map(lines);
    for (const [name, value] of expected)
      if (name !== 'cache-control') expect(sent.get(name)).toBe(value);
    // A route's own value replaces the default in place.
    expect(sent.get('cache-control')).toBe('max-age=60');
    for (let i = 0; i < 12; i++) expect(sent.get(`x-extra-${i}`)).toBe(String(i));
  });

  it('keeps a header set before it, and adds every security header', async () => {
    const lines = await headerLines((a) => {
      a.addHook('onRequest', (_request, reply, done) => {
        reply.header('X-Earlier', 'kept');
        done();
      });
      a.addHook('onRequest', setSecurityHeaders);
      a.get('/x', async () => ({ ok: true }));
    });
    const sent = new Map(lines);
    expect(sent.get('x-earlier')).toBe('kept');
    for (const [name, value] of expected) expect(sent.get(name)).toBe(value);
    expect(lines[0]?.[0]).toBe('x-earlier');
  });

  it('gives each reply its own header object', async () => {
    app = Fastify();
    app.addHook('onRequest', setSecurityHeaders);
    let calls = 0;
    app.get('/x', (_request, reply) => {
      // The first answer's own header must not reach the second.
      if (calls++ === 0) reply.header('x-first-only', '1');
      return { n: calls };
    });
    const first = await app.inject({ url: '/x' });
    const second = await app.inject({ url: '/x' });
    expect(first.headers['x-first-only']).toBe('1');
    expect(second.headers['x-first-only']).toBeUndefined();
    expect(second.headers['x-frame-options']).toBe(SECURITY_HEADERS['x-frame-options']);
    expect(Object.isFrozen(SECURITY_HEADERS)).toBe(true);
  });
});
