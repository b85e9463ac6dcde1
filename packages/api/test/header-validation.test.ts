import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyKeyHeaders } from '../src/http/idempotency-key.js';
import { validatorCompiler } from '../src/http/validator.js';

const KEY = '5336fef0-edf9-4583-a732-5c2eb5f2a9d9';

describe('request header validation', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.post('/keyed', { schema: { headers: IdempotencyKeyHeaders } }, async (request) => ({
      parsed: request.headers === request.raw.headers,
      key: request.headers['idempotency-key'] ?? null,
    }));
    const Counted = Type.Object({ 'x-count': Type.Optional(Type.Integer({ minimum: 1 })) });
    app.get('/counted', { schema: { headers: Counted } }, async (request) => ({
      count: (request.headers as { 'x-count'?: unknown })['x-count'] ?? null,
    }));
    await app.ready();
  });
  afterAll(() => app.close());

  it('leaves the headers as parsed when every field of the schema is a string', async () => {
    for (const headers of [{}, { 'idempotency-key': KEY }, { 'idempotency-key': `"${KEY}"` }]) {
      const res = await app.inject({ method: 'POST', url: '/keyed', headers });
      expect(res.statusCode).toBe(200);
      // A copy kept beside them would make every later read of `request.headers` a new object.
      expect(res.json()).toEqual({ parsed: true, key: headers['idempotency-key'] ?? null });
    }
  });

  it('refuses an invalid string header with the schema error', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/keyed',
      headers: { 'idempotency-key': 'not a key' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^headers\/idempotency-key must match pattern/);
  });

  it('still converts a header the schema reads as another type', async () => {
    const ok = await app.inject({ url: '/counted', headers: { 'x-count': '3' } });
    expect(ok.json()).toEqual({ count: 3 });
    const bad = await app.inject({ url: '/counted', headers: { 'x-count': '0' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/^headers\/x-count must be >= 1/);
  });
});
