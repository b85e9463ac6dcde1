import Fastify from 'fastify';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createContext } from '../src/context.js';
import { createLogger } from '../src/http/logger.js';
import { apiSerializers, sharedSerializers } from '../src/http/serializers.js';
import { validatorCompiler } from '../src/http/validator.js';
import { sqliteDatabase } from './support/databases.js';
import { testConfig } from './support/harness.js';

const route = (schema: unknown, url = '/a', httpStatus = '200') => ({
  schema,
  url,
  method: 'GET',
  httpStatus,
});

const Problem = {
  $id: 'Problem',
  type: 'object',
  properties: { title: { type: 'string' }, status: { type: 'integer' } },
};

describe('response serializers shared by schema', () => {
  it('compiles one serializer for a schema used by several routes and statuses', () => {
    const factory = sharedSerializers();
    const ref = { $ref: 'Problem' };
    const compile = factory({ Problem });
    const a = compile(route(ref, '/a', '400'));
    const b = compile(route(ref, '/b', '404'));
    expect(b).toBe(a);
    // A context that rebuilt its compiler with the same shared schemas finds the same one.
    expect(factory({ Problem })(route(ref, '/c', '401'))).toBe(a);
    expect(a({ title: 'Not found', status: 404, secret: 'x' })).toBe(
      '{"title":"Not found","status":404}',
    );
  });

  it('finds it again under a copy of the same shared schemas, as each app adds its own', () => {
    const factory = sharedSerializers();
    const ref = { $ref: 'Problem' };
    const a = factory({ Problem })(route(ref));
    // Fastify keeps a clone of every addSchema schema: another app's Problem is equal, not same.
    expect(factory({ Problem: structuredClone(Problem) })(route(ref))).toBe(a);
    expect(factory.compiledCount).toBe(1);
  });

  it('compiles for an app built after another only the schemas that app made itself', async () => {
    const database = sqliteDatabase();
    const config = testConfig(
      { issuer: 'https://sso.example.com/realms/todo-app' },
      database.config,
    );
    const built = async () => {
      const before = apiSerializers.compiledCount;
      const context = await createContext(config, { logger: createLogger('silent') });
      const app = await buildApp(context);
      await app.close();
      await context.close();
      return apiSerializers.compiledCount - before;
    };
    try {
      const first = await built();
      const second = await built();
      // The apps compile by the process's one factory; the second reuses every serializer of a
      // module-level schema (about 30 of its 43), compiling those of schemas its routes build.
      expect(second).toBeGreaterThan(0);
      expect(second).toBeLessThanOrEqual(first);
      expect(await built()).toBe(second);
    } finally {
      await database.drop();
    }
  });

  it('compiles again for another schema object, other shared schemas or other options', () => {
    const factory = sharedSerializers();
    const ref = { $ref: 'Problem' };
    const a = factory({ Problem })(route(ref));
    expect(factory({ Problem })(route({ $ref: 'Problem' }))).not.toBe(a);
    // The same reference under another `Problem` serializes by that one.
    const Other = { $id: 'Problem', type: 'object', properties: { detail: { type: 'string' } } };
    const other = factory({ Problem: Other })(route(ref));
    expect(other).not.toBe(a);
    expect(other({ title: 'T', detail: 'D' })).toBe('{"detail":"D"}');
    expect(factory({ Problem }, { rounding: 'floor' })(route(ref))).not.toBe(a);
  });

  it('compiles a schema with its own $id every time', () => {
    const compile = sharedSerializers()({});
    const schema = { $id: 'Thing', type: 'object', properties: { n: { type: 'integer' } } };
    expect(compile(route(schema, '/a'))).not.toBe(compile(route(schema, '/b')));
  });

  it('serializes each route by its own schema in an app', async () => {
    const app = Fastify({
      schemaController: { compilersFactory: { buildSerializer: sharedSerializers() } },
    });
    app.addSchema(Problem);
    const problem = { $ref: 'Problem' };
    const item = { type: 'object', properties: { id: { type: 'string' } } };
    for (const path of ['/one', '/two']) {
      app.get(path, { schema: { response: { 200: item, 404: problem } } }, async (req, reply) =>
        req.query && (req.query as { missing?: string }).missing
          ? reply.code(404).send({ title: `no ${path}`, status: 404, stack: 'hidden' })
          : { id: path, extra: 'hidden' },
      );
    }
    for (const path of ['/one', '/two']) {
      expect((await app.inject({ url: path })).body).toBe(`{"id":"${path}"}`);
      expect((await app.inject({ url: `${path}?missing=1` })).body).toBe(
        `{"title":"no ${path}","status":404}`,
      );
      // The implicit HEAD route answers with the same headers and no body.
      const head = await app.inject({ method: 'HEAD', url: path });
      expect(head.statusCode).toBe(200);
      expect(head.body).toBe('');
    }
    await app.close();
  });
});

describe('request validators shared by schema and part', () => {
  const query = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1 })) });
  const at = (httpPart: string, url = '/a') => ({ schema: query, method: 'GET', url, httpPart });

  it('compiles one validator per schema and request part', () => {
    const a = validatorCompiler(at('querystring', '/a'));
    expect(validatorCompiler(at('querystring', '/b'))).toBe(a);
    expect(validatorCompiler(at('body'))).not.toBe(a);
    // The shared one still refuses an integer not spelled in decimal digits, and converts one.
    expect(a({ limit: '0x10' })).toHaveProperty('error');
    expect(a({ limit: '16' })).toEqual({ value: { limit: 16 } });
    // A body is JSON and never converted.
    expect(validatorCompiler(at('body'))({ limit: '16' })).toHaveProperty('error');
  });

  it('answers a query string without parameters from the check alone, and still refuses one', () => {
    const empty = {};
    expect(validatorCompiler(at('querystring', '/c'))(empty)).toEqual({ value: empty });
    const required = Type.Object({ q: Type.String() }, { additionalProperties: false });
    const validate = validatorCompiler({ ...at('querystring'), schema: required });
    // No parameter where one is required: the full validator says which.
    expect(validate({})).toMatchObject({ error: [expect.objectContaining({})] });
    expect(validate({ q: 'x' })).toEqual({ value: { q: 'x' } });
    // An unknown parameter is no empty query: refused as before.
    const closed = Type.Object(
      { n: Type.Optional(Type.Integer()) },
      { additionalProperties: false },
    );
    const strict = validatorCompiler({ ...at('querystring'), schema: closed });
    expect(strict({ other: '1' })).toHaveProperty('error');
    expect(strict({})).toEqual({ value: {} });
  });
});
