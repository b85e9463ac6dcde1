import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { type Db, openDatabase } from '../src/db/database.js';
import { SECURITY_HEADERS } from '../src/http/security-headers.js';
import { drivers, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';
import { adminTokenWithOtp, passwordGrantToken } from './support/otp.js';

/**
 * Every operation of the OpenAPI document the API serves, driven over real HTTP by requests
 * fast-check generates from the document itself: valid ones from the request schemas, and
 * hostile ones (wrong types, missing and extra properties, huge and unpaired-surrogate strings,
 * NUL and control characters, numbers at the edges of JSON, deep nesting, duplicate keys, empty
 * bodies, wrong media types and charsets, repeated query parameters, path parameters with `%2F`,
 * `..` or thousands of characters), sent with the dev IdP's real tokens of a person (alice,
 * bob), a department's report reader (carol), the administrator signed in with a second factor
 * (step-up satisfied) and alice's MCP agent (a token for `<base>/mcp`, whose tool calls are
 * generated from the tools' own input schemas). Half the requests are what a client generated
 * from the document sends, half hostile. Each answer must be one the document lists for the
 * operation, never a 5xx, with the problem-details shape when an error, the documented schema
 * when a success, and the headers the API promises (charset, security headers, `no-store` on
 * authenticated answers, a Bearer challenge on 401). After each request the stored state must
 * still add up: a refused request or a read changed no todo, list or membership and wrote no
 * audit record of a write (at most one denial); a write that changed something wrote exactly
 * one. At the end, every list has one owner and its stored todo count (SQLite) is its todos'.
 *
 * Replay a failure with the seed its message prints: `FUZZ_SEED=<seed> npx vitest run <this file>`
 * (each operation's property runs from that seed plus its index, the answers may differ only
 * where they depend on time). `FUZZ_RUNS` sets the requests per operation and store (default
 * 20: about 70 s for both stores at a load average of 15 on 2 cores); `FUZZ_STATS=1` prints how
 * often each operation answered each status.
 */
// A new seed on every local run; under CI (`CI` set) one fixed seed, so that a gate decides on
// the same requests each time and a new finding shows up where someone can replay it.
const SEED = Number(
  process.env.FUZZ_SEED ?? (process.env.CI ? 20_261_205 : Math.floor(Math.random() * 2 ** 31)),
);
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);

interface Schema {
  type?: string | string[];
  $ref?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  minProperties?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
}
interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<
    string,
    {
      content?: Record<string, { schema: object }>;
      headers?: Record<string, { required?: boolean }>;
    }
  >;
  security?: unknown[];
}
interface Document {
  components: { schemas: Record<string, Schema> };
  paths: Record<string, Record<string, Operation>>;
}

type User = 'alice' | 'bob' | 'carol' | 'admin';
/** Who calls: a demo user's real token, no token, or a token the API never issued. */
type Caller = User | 'agent' | 'anonymous' | 'forged';

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}
interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One request over a fresh TCP connection, the path sent exactly as given. */
function send(port: number, sent: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: sent.method,
        path: sent.path,
        agent: false,
        headers: {
          ...sent.headers,
          ...(sent.body !== undefined && { 'content-length': String(sent.body.length) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(sent.body);
  });
}

// ---------------------------------------------------------------------------------------------
// Values

/** Percent-encodes the UTF-8 bytes of `text` but unreserved characters (RFC 3986 §2.3). */
function encode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const codePoints = (text: string) => [...text].length;

/** A JSON text: what is sent as a body is built from these, so it may hold any token. */
type Json = { raw: string };
const json = (value: unknown): Json => ({ raw: JSON.stringify(value) ?? 'null' });

/** Strings no well-behaved client sends: unpaired surrogates, NUL, controls, bidi, BOM. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'a\ud83db',
  '\u001b[31mred',
  '\u009b2J',
  '\u0085',
  '\u2028',
  '\u202eevil',
  '\ufeff',
  '\r\n',
  '\t',
  '𝕏😀',
  'é',
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  '9007199254740993',
  'true',
  'null',
  '__proto__',
  '../../etc/passwd',
  '%2F',
  "'; drop table todos; --",
];

/** JSON number tokens at the edges: -0, overflow to Infinity, beyond 2^53, underflow. */
const EDGE_NUMBERS = [
  '-0',
  '0',
  '-1',
  '1e308',
  '1e309',
  '-1e309',
  '9007199254740993',
  '-9007199254740993',
  '1e-400',
  '1.5',
  '1E2',
  '100.0',
  '101',
  '4294967296',
];

const hostileJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS).map(json),
  fc.constantFrom(...EDGE_NUMBERS).map((raw) => ({ raw })),
  fc.constantFrom(null, true, false, [], {}, [1, 2], { a: 1 }, { $ref: '#' }).map(json),
  // Any UTF-16 code units, unpaired surrogates included.
  fc
    .string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) })
    .map(json),
  fc.string({ unit: 'binary', maxLength: 40 }).map(json),
  // Around the length limits of the schemas, and past the body limit.
  fc
    .constantFrom(99, 100, 101, 199, 200, 201, 255, 256, 319, 320, 321, 2000, 2001, 8000, 20_000)
    .chain((n) => fc.constantFrom('x', 'é', '😀', '\u0301').map((c) => json(c.repeat(n)))),
  // Deep nesting.
  fc.integer({ min: 1, max: 5000 }).chain((n) =>
    fc.constantFrom(
      { raw: `${'['.repeat(n)}${']'.repeat(n)}` },
      {
        raw: `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`,
      },
    ),
  ),
);

/** Resolves `#/components/schemas/X`. */
function resolve(doc: Document, schema: Schema): Schema {
  if (schema.$ref === undefined) return schema;
  const name = schema.$ref.split('/').pop() ?? '';
  const target = doc.components.schemas[name];
  if (target === undefined) throw new Error(`unresolved ${schema.$ref}`);
  return resolve(doc, target);
}

/** A string the schema accepts (format, pattern, lengths in code points). */
function validString(schema: Schema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 60, 60);
  const fits = (s: string) => codePoints(s) >= min && codePoints(s) <= (schema.maxLength ?? 1e9);
  switch (schema.format) {
    case 'uuid':
      return fc.uuid();
    case 'email':
      return fc.emailAddress().filter((s) => s.length <= (schema.maxLength ?? 254));
    case 'date-time':
      return fc
        .date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'uri':
      return fc.webUrl();
  }
  if (schema.pattern !== undefined) {
    const pattern = new RegExp(schema.pattern, 'u');
    return fc
      .stringMatching(pattern, { size: 'small' })
      .map((s) => [...s].slice(0, Math.max(max, min)).join(''))
      .filter((s) => fits(s) && pattern.test(s));
  }
  return fc
    .string({ unit: 'grapheme', minLength: min, maxLength: Math.max(max, min) })
    .filter(fits);
}

/** A value the schema accepts. */
function valid(doc: Document, input: Schema, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(doc, input);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => valid(doc, s, depth)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return validString(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({
        min: schema.minimum ?? -1e6,
        max: schema.maximum ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valid(doc, schema.items ?? {}, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    case 'object': {
      const properties = schema.properties ?? {};
      const record = fc.record(
        Object.fromEntries(
          Object.entries(properties).map(([k, s]) => [k, valid(doc, s, depth + 1)]),
        ),
        { requiredKeys: schema.required ?? [] },
      ) as fc.Arbitrary<Record<string, unknown>>;
      const minProperties = schema.minProperties ?? 0;
      return record.filter((r) => Object.keys(r).length >= minProperties);
    }
  }
  return depth > 2 ? fc.constant('x') : fc.jsonValue({ maxDepth: 2 });
}

/** An object's JSON text from entries, each value a JSON text: keys may repeat. */
const objectText = (entries: [string, Json][]): Json => ({
  raw: `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v.raw}`).join(',')}}`,
});

/** The JSON text of a body for `schema`: valid, or valid but for one thing, or broken. */
function bodyText(doc: Document, input: Schema): fc.Arbitrary<Json> {
  const schema = resolve(doc, input);
  const validValue = valid(doc, schema);
  const alternatives: fc.WeightedArbitrary<Json>[] = [
    { weight: 6, arbitrary: validValue.map(json) },
    { weight: 1, arbitrary: hostileJson },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '',
          ' ',
          '{',
          '{"title":',
          '{}garbage',
          '{} {}',
          '\ufeff{}',
          '[]',
          'null',
          '"\\ud800"',
          '{"__proto__":{"admin":true}}',
          '{"constructor":{"prototype":{"admin":true}}}',
          '{"a":1,}',
          "{'a':1}",
          '{"\\u0000":1}',
        )
        .map((raw) => ({ raw })),
    },
  ];
  if (schema.type === 'object' || schema.properties) {
    const properties = Object.keys(schema.properties ?? {});
    const entries = validValue.map((v) =>
      Object.entries(v as Record<string, unknown>).map(([k, x]): [string, Json] => [k, json(x)]),
    );
    const key = fc.constantFrom(...(properties.length > 0 ? properties : ['x']));
    alternatives.push(
      // One property replaced by a hostile value (its type, length, characters or number).
      {
        weight: 4,
        arbitrary: fc
          .tuple(entries, key, hostileJson)
          .map(([e, k, v]) => objectText([...e.filter(([name]) => name !== k), [k, v]])),
      },
      // A required property missing.
      {
        weight: 1,
        arbitrary: fc
          .tuple(entries, fc.constantFrom(...(schema.required ?? ['x'])))
          .map(([e, k]) => objectText(e.filter(([name]) => name !== k))),
      },
      // A property the schema does not have.
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            entries,
            fc.constantFrom('extra', 'owner', 'id', '__proto__', 'constructor', ''),
            hostileJson,
          )
          .map(([e, k, v]) => objectText([...e, [k, v]])),
      },
      // A property twice, the second value hostile (RFC 8259 §4: names SHOULD be unique).
      {
        weight: 1,
        arbitrary: fc
          .tuple(entries, key, hostileJson)
          .map(([e, k, v]) => objectText([...e, [k, json('first')], [k, v]])),
      },
    );
  }
  return fc.oneof(...alternatives);
}

/** The form body of `schema` (`application/x-www-form-urlencoded`). */
function formText(doc: Document, schema: Schema): fc.Arbitrary<Json> {
  return fc.oneof(
    valid(doc, schema).map((v) => ({
      raw: new URLSearchParams(
        Object.entries(v as Record<string, unknown>).map(([k, x]): [string, string] => [
          k,
          String(x),
        ]),
      ).toString(),
    })),
    fc
      .constantFrom(
        '',
        'logout_token=',
        'logout_token=a&logout_token=b',
        'logout_token=%ED%A0%80',
        'logout_token=%00',
        'logout_token=%',
        'logout_token=a.b.c',
        `logout_token=${'x'.repeat(20_000)}`,
        '{"logout_token":"a"}',
      )
      .map((raw) => ({ raw })),
  );
}

const CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'application/json; charset="utf-8"',
  'Application/JSON',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; foo=bar',
  'application/problem+json',
  'application/merge-patch+json',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  '',
  ';',
  'application/json, text/plain',
];

interface Body {
  contentType: string | undefined;
  bytes: Buffer | undefined;
}

/**
 * A body for `op`: valid, in the documented media type; or (`hostile`) in another media type,
 * charset or encoding, or none, or empty, and its text valid but for one thing, or broken.
 */
function bodyFor(doc: Document, op: Operation, hostile: boolean): fc.Arbitrary<Body> {
  const content = op.requestBody?.content;
  const noBody: fc.Arbitrary<Body> = fc.constant({ contentType: undefined, bytes: undefined });
  if (!content && !hostile) return noBody;
  if (!content) {
    return fc.oneof(
      { weight: 8, arbitrary: noBody },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('{}', '{"title":"x"}', 'x'.repeat(20_000))
          .map((t) => ({ contentType: 'application/json', bytes: Buffer.from(t) })),
      },
    );
  }
  const [media, { schema }] = Object.entries(content)[0] as [string, { schema: Schema }];
  if (!hostile)
    return valid(doc, schema).map((v) => ({
      contentType: media,
      bytes: Buffer.from(
        media.includes('form')
          ? new URLSearchParams(
              Object.entries(v as Record<string, unknown>).map(([k, x]): [string, string] => [
                k,
                String(x),
              ]),
            ).toString()
          : JSON.stringify(v),
      ),
    }));
  const text = media.includes('form') ? formText(doc, schema) : bodyText(doc, schema);
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant(media) },
    { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const encoding = fc.oneof(
    { weight: 10, arbitrary: fc.constant((t: string) => Buffer.from(t, 'utf8')) },
    // Not UTF-8: Latin-1 bytes, a CESU-8 surrogate, a stray continuation byte.
    { weight: 1, arbitrary: fc.constant((t: string) => Buffer.from(t, 'latin1')) },
    {
      weight: 1,
      arbitrary: fc.constant((t: string) =>
        Buffer.concat([Buffer.from(t.slice(0, -2)), Buffer.from([0xed, 0xa0, 0x80, 0x80])]),
      ),
    },
  );
  return fc
    .oneof(
      { weight: 12, arbitrary: fc.record({ contentType, text, encoding }) },
      { weight: 1, arbitrary: fc.constant(null) },
    )
    .map((r) =>
      r === null
        ? { contentType: media, bytes: Buffer.alloc(0) }
        : { contentType: r.contentType, bytes: r.encoding(r.text.raw) },
    );
}

/** A path segment as sent (already percent-encoded), or a reference into the ids seen. */
type Segment = { text: string } | { pool: number; upper: boolean };

const HOSTILE_SEGMENTS = [
  '%2F',
  'a%2Fb',
  '..',
  '.',
  '%2E%2E',
  '%00',
  '%ED%A0%80',
  '%',
  '%zz',
  '%C3%A9',
  '%20',
  '%E2%80%AE',
  '%EF%BB%BF',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '{0b7f8a3e-2f4c-4a53-9a43-1f2e3d4c5b6a}',
  '0b7f8a3e2f4c4a539a431f2e3d4c5b6a',
  'todo-cli%0D%0AX-Injected:%201',
  'alice',
  'admin',
];

/** A path parameter: an id seen, a known name, or one from its schema; or (`hostile`) anything. */
function segmentFor(doc: Document, param: Parameter, hostile: boolean): fc.Arbitrary<Segment> {
  const schema = resolve(doc, param.schema);
  const anything = fc.oneof(
    fc.constantFrom(...HOSTILE_SEGMENTS).map((text) => ({ text })),
    fc
      .constantFrom(63, 64, 65, 255, 256, 319, 320, 321, 1000, 3000)
      .map((n) => ({ text: 'a'.repeat(n) })),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map((s) => ({ text: encode(s) })),
  );
  const fromSchema = valid(doc, schema).map((v) => ({ text: encode(String(v)) }));
  const known =
    param.name === 'username'
      ? fc.constantFrom('alice', 'bob', 'carol', 'admin', 'bob@example.com', 'nobody-here')
      : param.name === 'role'
        ? fc.constantFrom('user', 'reports:generate', 'todos:read', 'todos:write', 'no-such')
        : param.name === 'clientId'
          ? fc.constantFrom('todo-ui', 'some-agent', 'mcp-inspector')
          : fc.record({ pool: fc.nat(), upper: fc.boolean() });
  const sane = fc.oneof(
    { weight: 6, arbitrary: known.map((k): Segment => (typeof k === 'string' ? { text: k } : k)) },
    { weight: 1, arbitrary: fromSchema },
  );
  return hostile ? fc.oneof(sane, anything) : sane;
}

const HOSTILE_QUERY_VALUES = [
  '',
  '-0',
  '0',
  '1e308',
  '1e2',
  '9007199254740993',
  'NaN',
  'Infinity',
  '1.5',
  '0x10',
  '%201',
  '%00',
  '%ED%A0%80',
  '%',
  '%zz',
  'TRUE',
  'yes',
  'null',
  '%C3%A9',
  '%2F',
  '..',
  'a'.repeat(5000),
];

/**
 * The query string: documented parameters with valid values; or (`hostile`) hostile values too,
 * parameters repeated, and unknown ones.
 */
function queryFor(doc: Document, op: Operation, hostile: boolean): fc.Arbitrary<string> {
  const params = (op.parameters ?? []).filter((p) => p.in === 'query');
  const each = params.map((p) => {
    const value = valid(doc, p.schema).map((v) => encode(String(v)));
    return fc.option(hostile ? fc.oneof(value, fc.constantFrom(...HOSTILE_QUERY_VALUES)) : value, {
      freq: 2,
    });
  });
  const names = [...params.map((p) => p.name), 'extra', '__proto__', 'limit[]', 'constructor'];
  const extra = fc.array(
    fc.tuple(fc.constantFrom(...names), fc.constantFrom('1', '2', '', 'x', '%00', 'true')),
    { maxLength: hostile ? 2 : 0 },
  );
  return fc.tuple(fc.tuple(...each), extra).map(([values, more]) => {
    const pairs = params.flatMap((p, i) => {
      const v = values[i];
      return v === null || v === undefined ? [] : [`${p.name}=${v}`];
    });
    pairs.push(...more.map(([k, v]) => `${encode(k)}=${v}`));
    return pairs.length > 0 ? `?${pairs.join('&')}` : '';
  });
}

interface Generated {
  caller: Caller;
  segments: Segment[];
  query: string;
  body: Body;
  ifMatch: string | null;
  accept: string | null;
  /** How the caller's `Authorization` header is written (RFC 6750 §2.1, RFC 9110 §11.1). */
  credential: (typeof CREDENTIAL_FORMS)[number];
}

/** Ways to write one bearer credential, well-formed (`as-is`, a lowercase scheme) or not. */
const CREDENTIAL_FORMS = [
  'as-is',
  'lowercase scheme',
  'two spaces',
  'trailing space',
  'twice',
  'DPoP without a proof',
  'no scheme',
  'empty',
] as const;

/** The `Authorization` header of `header` (`Bearer <token>`) written as `form`. */
function credentialAs(header: string, form: Generated['credential']): string {
  const token = header.slice('Bearer '.length);
  switch (form) {
    case 'as-is':
      return header;
    case 'lowercase scheme':
      return `bearer ${token}`;
    case 'two spaces':
      return `Bearer  ${token}`;
    case 'trailing space':
      return `${header} `;
    case 'twice':
      return `${header}, ${header}`;
    case 'DPoP without a proof':
      return `DPoP ${token}`;
    case 'no scheme':
      return token;
    case 'empty':
      return 'Bearer ';
  }
}

/** An MCP tool as `tools/list` describes it. */
interface Tool {
  name: string;
  inputSchema: Schema;
}

/**
 * A JSON-RPC message to `/mcp` (the document says no more than `jsonrpc: "2.0"`): mostly a
 * `tools/call` of a tool the server lists, its arguments valid from the tool's input schema or
 * (`hostile`) valid but for one thing or broken; otherwise another method or a notification.
 */
function mcpBody(doc: Document, tools: Tool[], hostile: boolean): fc.Arbitrary<Body> {
  const id = fc.integer({ min: 1, max: 1_000_000 });
  const call = fc
    .constantFrom(...tools)
    .chain((tool) =>
      fc.tuple(
        id,
        hostile ? bodyText(doc, tool.inputSchema) : valid(doc, tool.inputSchema).map(json),
        fc.constant(tool.name),
      ),
    )
    .map(
      ([n, args, name]): Json => ({
        raw: `{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":${args.raw}}}`,
      }),
    );
  const other = fc
    .tuple(
      id,
      fc.constantFrom(
        {
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'fuzz', version: '1' },
          },
        },
        { method: 'tools/list' },
        { method: 'ping' },
        { method: 'resources/list' },
        { method: 'no/such/method' },
        { method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } },
      ),
    )
    .map(([n, m]) => json({ jsonrpc: '2.0', id: n, ...m }));
  const notification = fc.constant(json({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return fc
    .oneof(
      { weight: 6, arbitrary: call },
      { weight: 2, arbitrary: other },
      { weight: 1, arbitrary: notification },
    )
    .map((text) => ({ contentType: 'application/json', bytes: Buffer.from(text.raw) }));
}

/** Who is likely allowed to call `path`: the admin for admin work, carol for reports. */
function callersOf(path: string): Caller[] {
  if (path === '/mcp') return ['agent'];
  if (path.startsWith('/admin/') || path.startsWith('/access/')) return ['admin'];
  if (path.startsWith('/reports/')) return ['carol', 'admin'];
  return ['alice', 'bob', 'carol', 'admin'];
}

/** Half the requests valid (as a client generated from the document sends), half hostile. */
function requestFor(
  doc: Document,
  path: string,
  op: Operation,
  tools: Tool[],
): fc.Arbitrary<Generated> {
  const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
  const hasIfMatch = (op.parameters ?? []).some((p) => p.in === 'header' && p.name === 'if-match');
  const request = (hostile: boolean) =>
    fc.record({
      caller: hostile
        ? fc.oneof(
            { weight: 10, arbitrary: fc.constantFrom(...callersOf(path)) },
            {
              weight: 3,
              arbitrary: fc.constantFrom<Caller>('alice', 'bob', 'carol', 'admin', 'agent'),
            },
            { weight: 1, arbitrary: fc.constantFrom<Caller>('anonymous', 'forged') },
          )
        : fc.constantFrom(...callersOf(path)),
      segments: fc.tuple(...pathParams.map((p) => segmentFor(doc, p, hostile))),
      query: queryFor(doc, op, hostile),
      body:
        path === '/mcp'
          ? hostile
            ? fc.oneof(mcpBody(doc, tools, true), bodyFor(doc, op, true))
            : mcpBody(doc, tools, false)
          : bodyFor(doc, op, hostile),
      ifMatch: hasIfMatch
        ? fc.option(
            hostile
              ? fc.constantFrom('"1"', '"2"', '*', 'W/"1"', '"x"', '', '"1", "2"', '1')
              : fc.constantFrom('"1"', '"2"', '*'),
            { freq: 2 },
          )
        : fc.constant(null),
      credential: hostile
        ? fc.oneof(
            { weight: 6, arbitrary: fc.constant<Generated['credential']>('as-is') },
            { weight: 1, arbitrary: fc.constantFrom(...CREDENTIAL_FORMS) },
          )
        : fc.constant<Generated['credential']>('as-is'),
      accept: hostile
        ? fc.option(
            fc.constantFrom(
              'application/json, text/event-stream',
              'application/json',
              '*/*',
              'text/html',
              'application/problem+json',
            ),
            { freq: 3 },
          )
        : // What a Streamable HTTP client sends (MCP 2025-06-18, Transports).
          fc.constant(path === '/mcp' ? 'application/json, text/event-stream' : null),
    });
  return fc.oneof(request(false), request(true));
}

// ---------------------------------------------------------------------------------------------
// The state the API keeps

interface Counts {
  todos: number;
  lists: number;
  members: number;
  success: number;
  denied: number;
  /** The sum of every todo's and list's version: grows with each change of one. */
  versions: number;
}

async function counts(db: Db): Promise<Counts> {
  const { rows } = await sql<Record<keyof Counts, string | number>>`
    select (select count(*) from todos) as todos, (select count(*) from lists) as lists,
           (select count(*) from list_members) as members,
           (select count(*) from audit_log where outcome = 'success') as success,
           (select count(*) from audit_log where outcome = 'denied') as denied,
           (select coalesce(sum(version), 0) from todos)
             + (select coalesce(sum(version), 0) from lists) as versions`.execute(db.kysely);
  const row = rows[0] ?? { todos: 0, lists: 0, members: 0, success: 0, denied: 0, versions: 0 };
  return {
    todos: Number(row.todos),
    lists: Number(row.lists),
    members: Number(row.members),
    success: Number(row.success),
    denied: Number(row.denied),
    versions: Number(row.versions),
  };
}

/** What in the stored state does not add up. */
async function storedInvariants(db: Db, driver: string): Promise<string[]> {
  const found: string[] = [];
  const owners = await sql<{ id: string; n: string | number }>`
    select l.id, (select count(*) from list_members m
                   where m.list_id = l.id and m.relation = 'owner'
                     and m.member_issuer = l.owner_issuer and m.member_sub = l.owner_sub) as n
      from lists l`.execute(db.kysely);
  for (const row of owners.rows)
    if (Number(row.n) !== 1) found.push(`list ${row.id} has ${row.n} owner memberships`);
  const orphans = await sql<{ id: string }>`
    select t.id from todos t where not exists (select 1 from lists l where l.id = t.list_id)`.execute(
    db.kysely,
  );
  for (const row of orphans.rows) found.push(`todo ${row.id} is in no list`);
  if (driver === 'sqlite') {
    const stored = await sql<{ id: string; stored: number; actual: number }>`
      select l.id, l.todo_count as stored,
             (select count(*) from todos t where t.list_id = l.id) as actual
        from lists l`.execute(db.kysely);
    for (const row of stored.rows)
      if (Number(row.stored) !== Number(row.actual))
        found.push(`list ${row.id} stores todo_count ${row.stored} for ${row.actual} todos`);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The checks of one answer

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

/** Status codes that have no body (RFC 9110 §15.3.5, §15.4.5). */
const BODILESS = new Set([204, 304]);

function answerViolations(
  doc: Document,
  validators: Map<string, ValidateFunction>,
  route: string,
  op: Operation,
  res: Answer,
): string[] {
  const found: string[] = [];
  const at = `${route} → ${res.status}`;
  if (res.status >= 500) found.push(`${at}: a server error (${res.text.slice(0, 200)})`);
  const documented = op.responses[String(res.status)];
  if (!documented) found.push(`${at}: status not documented`);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (name === 'cache-control') continue;
    if (res.headers[name] !== value) found.push(`${at}: ${name} is ${res.headers[name]}`);
  }
  // `/healthz` alone may be read by any origin: the web app's CORS-refusal probe. Nothing else
  // answers an origin that is not in CORS_ORIGINS.
  const anyOrigin = route === 'GET /healthz' ? '*' : undefined;
  if (res.headers['access-control-allow-origin'] !== anyOrigin)
    found.push(
      `${at}: access-control-allow-origin is ${res.headers['access-control-allow-origin']}`,
    );
  const authenticated = (op.security ?? []).length > 0;
  if (authenticated && res.headers['cache-control'] !== 'no-store')
    found.push(`${at}: Cache-Control ${res.headers['cache-control']} on an authenticated answer`);
  if (res.status === 401 && !/^(Bearer|DPoP) /.test(String(res.headers['www-authenticate'])))
    found.push(`${at}: no Bearer challenge`);
  const type = String(res.headers['content-type'] ?? '');
  if (BODILESS.has(res.status)) {
    if (res.text !== '') found.push(`${at}: a body on ${res.status}`);
    return found;
  }
  const media = type.split(';')[0]?.trim() ?? '';
  // `/mcp` too: the API adds the charset to the MCP SDK transport's plain `application/json`.
  if (res.text !== '' && /json|^text\//.test(type) && !/;\s*charset=utf-8/i.test(type))
    found.push(`${at}: Content-Type ${type} without charset=utf-8`);
  let body: unknown;
  if (media.endsWith('json')) {
    try {
      body = JSON.parse(res.text);
    } catch {
      found.push(`${at}: ${media} that is not JSON: ${res.text.slice(0, 100)}`);
      return found;
    }
  }
  if (res.status >= 400) {
    // Problem details, unless the document gives this answer another body (`/mcp`'s JSON-RPC).
    if (media !== 'application/problem+json') {
      if (documented?.content?.[media] === undefined)
        found.push(`${at}: error as ${type || 'nothing'}`);
    } else {
      const problem = validator(doc, validators, { $ref: '#/components/schemas/Problem' });
      if (!problem(body)) found.push(`${at}: not a problem: ${ajv.errorsText(problem.errors)}`);
      // Every problem the API writes names its stable code (`PROBLEM_STATUS`), not only some.
      else if (typeof (body as { code?: unknown }).code !== 'string')
        found.push(`${at}: a problem without code: ${res.text.slice(0, 200)}`);
      else if ((body as { status: number }).status !== res.status)
        found.push(`${at}: problem status ${(body as { status: number }).status}`);
    }
  }
  if (!documented) return found;
  // A header the document marks required comes with every answer of its status; one it lists
  // otherwise (`Idempotent-Replayed`) only sometimes, but never one it does not list.
  for (const [name, header] of Object.entries(documented.headers ?? {}))
    if (header.required === true && res.headers[name.toLowerCase()] === undefined)
      found.push(`${at}: without ${name}`);
  if (
    res.headers['idempotent-replayed'] !== undefined &&
    !documented.headers?.['Idempotent-Replayed']
  )
    found.push(`${at}: Idempotent-Replayed where the document does not list it`);
  const content = documented.content;
  if (content === undefined) {
    if (res.text !== '') found.push(`${at}: a body where none is documented`);
    return found;
  }
  const entry = content[media];
  if (entry === undefined) {
    found.push(`${at}: ${media || 'no media type'} is not one of ${Object.keys(content)}`);
    return found;
  }
  if (media.endsWith('json')) {
    const validate = validator(doc, validators, entry.schema);
    if (!validate(body))
      found.push(`${at}: body does not match the document: ${ajv.errorsText(validate.errors)}`);
  }
  return found;
}

function validator(
  doc: Document,
  validators: Map<string, ValidateFunction>,
  schema: object,
): ValidateFunction {
  // By the schema's text: the Problem reference is a new object at every call, and compiling it
  // again for each error answer cost about a tenth of the run.
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile({ ...schema, components: doc.components });
    validators.set(key, validate);
  }
  return validate;
}

// ---------------------------------------------------------------------------------------------
// The suites

let idp: RunningIdp;
let idpData: string;
const tokens = {} as Record<User, string>;

/**
 * `username`'s access token for `resource` (RFC 8707), as an MCP agent gets one: a public client
 * registered dynamically (RFC 7591), then the authorization code flow with PKCE (RFC 7636) at the
 * dev IdP, signing in on its login form and allowing the consent page. The password grant gives
 * the API's own audience only.
 */
async function resourceToken(issuer: string, resource: string, username: string) {
  const discovery = (await (
    await fetch(`${issuer}/.well-known/openid-configuration`)
  ).json()) as Record<string, string>;
  const cookies = new Map<string, string>();
  const go = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  };
  const redirectUri = 'http://127.0.0.1:47999/callback';
  const registered = await fetch(discovery.registration_endpoint ?? '', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'fuzzing agent',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  const { client_id: clientId } = (await registered.json()) as { client_id: string };
  /** Follows redirects until a page (its URL and text) or the redirect URI (its URL). */
  const follow = async (url: string, init?: RequestInit) => {
    let at = url;
    let res = await go(at, init);
    while (res.status >= 300 && res.status < 400) {
      at = new URL(res.headers.get('location') ?? '', at).href;
      if (at.startsWith(redirectUri)) return { at, page: undefined };
      res = await go(at);
    }
    return { at, page: await res.text() };
  };
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(discovery.authorization_endpoint ?? '');
  authorize.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid',
    state: 'fuzz',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource,
  }).toString();
  let step = await follow(authorize.href);
  for (let forms = 0; step.page !== undefined && forms < 3; forms++) {
    const action = /<form[^>]*action="([^"]+)"/.exec(step.page)?.[1];
    if (action === undefined) throw new Error(`no form at ${step.at}`);
    const fields: Record<string, string> = step.page.includes('kc-consent-form')
      ? { accept: 'yes' }
      : { username, password: username };
    step = await follow(new URL(action.replace(/&#38;|&amp;/g, '&'), step.at).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  }
  const code = new URL(step.at).searchParams.get('code');
  if (code === null) throw new Error(`the sign-in gave no code (${step.at})`);
  const res = await fetch(discovery.token_endpoint ?? '', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      resource,
    }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || body.access_token === undefined)
    throw new Error(`no token for ${resource}: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

beforeAll(async () => {
  idpData = mkdtempSync(join(tmpdir(), 'idp-fuzz-'));
  // Tokens for an hour, so a long run (FUZZ_RUNS) keeps them; admin work still asks for a
  // sign-in with a second factor within the step-up age (15 minutes by default).
  idp = await startIdp({
    host: '127.0.0.1',
    port: 0,
    dataDir: seedKeys(idpData),
    accessTokenLifespan: 3600,
  });
  // One admin token at acr mfa for both stores: the IdP takes each one-time code once.
  tokens.admin = await adminTokenWithOtp(idp.issuer);
  for (const user of ['alice', 'bob', 'carol'] as const)
    tokens[user] = await passwordGrantToken(idp.issuer, user);
});

afterAll(async () => {
  await idp?.close();
  if (idpData) rmSync(idpData, { recursive: true, force: true });
});

/** Operations that read by POST: their success changes nothing. */
const READS = /^POST \/access\/v1\//;

/**
 * Writes whose success is always one audit record though no todo or list changes (the IdP's
 * people, revocations, agents). Any other write that changed a todo, list or membership is one
 * record too; one that changed nothing (a member removed twice) may be none.
 */
const ALWAYS_AUDITED = /^(POST|PUT|PATCH|DELETE) \/(admin|me)\//;

/** A JSON-RPC answer that is an error, or a tool's result marked as one (MCP `isError`). */
function mcpRefused(text: string): boolean {
  try {
    const answer = JSON.parse(text) as { error?: unknown; result?: { isError?: boolean } };
    return answer.error !== undefined || answer.result?.isError === true;
  } catch {
    return text === '';
  }
}

describe.each(drivers)(
  'every operation of the served OpenAPI document, fuzzed on $driver',
  ({ driver, skip, create }) => {
    let database: TestDatabase;
    let instance: Instance;
    let db: Db;
    let port: number;

    beforeAll(async () => {
      if (skip) return;
      database = await create();
      instance = await startInstance(
        testConfig(idp, database.config, {
          OIDC_CLIENT_ID: 'todo-api',
          OIDC_CLIENT_SECRET: 'todo-api-secret',
        }),
      );
      await instance.app.listen({ host: '127.0.0.1', port: 0 });
      port = (instance.app.server.address() as AddressInfo).port;
      db = openDatabase(database.config);
    });

    afterAll(async () => {
      await db?.close();
      await instance?.close();
      await database?.drop();
    });

    it.skipIf(skip)(
      'answers as documented, and keeps the stored state consistent',
      async () => {
        const served = await send(port, { method: 'GET', path: '/openapi.json', headers: {} });
        expect(served.status).toBe(200);
        const doc = JSON.parse(served.text) as Document;
        const validators = new Map<string, ValidateFunction>();
        const pools = { todos: [] as string[], lists: [] as string[], idpUsers: [] as string[] };
        const found = new Map<string, string>();
        // alice's agent: a token for the API's MCP resource, as its metadata names it.
        const metadata = await send(port, {
          method: 'GET',
          path: '/.well-known/oauth-protected-resource/mcp',
          headers: {},
        });
        const { resource } = JSON.parse(metadata.text) as { resource: string };
        const agentToken = await resourceToken(idp.issuer, resource, 'alice');
        const authorization = (caller: Caller): Record<string, string> =>
          caller === 'anonymous'
            ? {}
            : {
                authorization: `Bearer ${
                  caller === 'forged'
                    ? 'eyJhbGciOiJub25lIn0.e30.'
                    : caller === 'agent'
                      ? agentToken
                      : tokens[caller]
                }`,
              };
        const listed = await send(port, {
          method: 'POST',
          path: '/mcp',
          headers: {
            ...authorization('agent'),
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list"}'),
        });
        expect(listed.status, listed.text).toBe(200);
        const tools = (JSON.parse(listed.text) as { result: { tools: Tool[] } }).result.tools;
        expect(tools.length).toBeGreaterThan(0);

        /** Remembers the ids of what the API answered with, for later path parameters. */
        // Of the IdP's people only those the fuzzing created: ending the sessions of the demo
        // users would revoke the very tokens the requests are sent with.
        const remember = (route: string, path: string, body: unknown) => {
          if (path.startsWith('/admin/idp/users') && route !== 'POST /admin/idp/users') return;
          const pool = path.startsWith('/admin/idp/users')
            ? pools.idpUsers
            : path.startsWith('/todos') || path === '/lists/{id}/todos/'
              ? pools.todos
              : path.startsWith('/lists')
                ? pools.lists
                : undefined;
          if (pool === undefined || body === null || typeof body !== 'object') return;
          const items = Array.isArray(body)
            ? body
            : Array.isArray((body as { items?: unknown }).items)
              ? (body as { items: unknown[] }).items
              : [body];
          for (const item of items) {
            const id = (item as { id?: unknown })?.id;
            if (typeof id === 'string' && !pool.includes(id)) pool.push(id);
          }
        };
        const poolFor = (path: string) =>
          path.startsWith('/admin/idp/users')
            ? pools.idpUsers
            : path.startsWith('/lists')
              ? pools.lists
              : pools.todos;

        // Everyone has used the API once (default lists exist), and alice shares a list.
        for (const user of ['alice', 'bob', 'carol', 'admin'] as const)
          await send(port, { method: 'GET', path: '/lists/', headers: authorization(user) });
        const shared = await send(port, {
          method: 'POST',
          path: '/lists/',
          headers: { ...authorization('alice'), 'content-type': 'application/json' },
          body: Buffer.from('{"name":"Shared"}'),
        });
        expect(shared.status).toBe(201);
        const sharedId = (JSON.parse(shared.text) as { id: string }).id;
        for (const [who, relation] of [
          ['bob', 'editor'],
          ['carol', 'viewer'],
        ] as const) {
          const res = await send(port, {
            method: 'PUT',
            path: `/lists/${sharedId}/members/${who}`,
            headers: { ...authorization('alice'), 'content-type': 'application/json' },
            body: Buffer.from(JSON.stringify({ relation })),
          });
          expect(res.status, res.text).toBe(200);
        }
        pools.lists.push(sharedId);

        const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
          Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
        );
        let runs = 0;
        const statuses = new Map<string, Map<number, number>>();
        for (const [index, { method, path, op }] of operations.entries()) {
          const route = `${method} ${path}`;
          await fc.assert(
            fc.asyncProperty(requestFor(doc, path, op, tools), async (g) => {
              runs++;
              const pool = poolFor(path);
              let i = 0;
              const url =
                path.replace(/\{\w+\}/g, () => {
                  const segment = g.segments[i++] as Segment;
                  if ('text' in segment) return segment.text;
                  const id =
                    pool.length > 0 ? (pool[segment.pool % pool.length] as string) : undefined;
                  if (id === undefined) return '0b7f8a3e-2f4c-4a53-9a43-1f2e3d4c5b6a';
                  return segment.upper ? id.toUpperCase() : id;
                }) + g.query;
              const sent: Sent = {
                method,
                path: url,
                headers: {
                  ...Object.fromEntries(
                    Object.entries(authorization(g.caller)).map(([k, v]) => [
                      k,
                      credentialAs(v, g.credential),
                    ]),
                  ),
                  ...(g.body.contentType !== undefined && { 'content-type': g.body.contentType }),
                  ...(g.ifMatch !== null && { 'if-match': g.ifMatch }),
                  ...(g.accept !== null && { accept: g.accept }),
                },
                ...(g.body.bytes !== undefined && { body: g.body.bytes }),
              };
              const before = await counts(db);
              const res = await send(port, sent);
              const after = await counts(db);
              const what = `${method} ${url.slice(0, 200)} as ${g.caller} (${g.credential}) ${JSON.stringify(sent.headers['content-type'] ?? null)} ${sent.body?.toString('utf8').slice(0, 200) ?? ''}`;
              const seen = statuses.get(route) ?? new Map<number, number>();
              statuses.set(route, seen.set(res.status, (seen.get(res.status) ?? 0) + 1));
              const problems = answerViolations(doc, validators, route, op, res);
              const changed =
                after.todos !== before.todos ||
                after.lists !== before.lists ||
                after.members !== before.members ||
                after.versions !== before.versions;
              const audited = after.success - before.success;
              if (res.status >= 400 || (path === '/mcp' && mcpRefused(res.text))) {
                if (changed || audited !== 0)
                  problems.push(
                    `${route} → ${res.status}: a refused request changed the stored state`,
                  );
                if (after.denied - before.denied > 1)
                  problems.push(`${route} → ${res.status}: more than one denial recorded`);
              } else if (method === 'GET' || READS.test(route)) {
                if (changed || audited !== 0)
                  problems.push(`${route} → ${res.status}: a read changed the stored state`);
              } else if (
                ALWAYS_AUDITED.test(route) ? audited !== 1 : changed ? audited !== 1 : audited > 1
              ) {
                problems.push(`${route} → ${res.status}: a write recorded ${audited} audit rows`);
              }
              for (const p of problems) if (!found.has(p)) found.set(p, `${p}\n    after: ${what}`);
              if (res.status < 300 && res.text !== '') {
                try {
                  remember(route, path, JSON.parse(res.text));
                } catch {}
              }
            }),
            {
              numRuns: RUNS,
              seed: SEED + index + (driver === 'sqlite' ? 0 : 1000),
              endOnFailure: true,
            },
          );
        }
        for (const p of await storedInvariants(db, driver)) found.set(p, p);
        // Each list's todoCount as the API answers it is the number of its stored todos.
        for (const user of ['alice', 'bob', 'carol', 'admin'] as const) {
          const lists = await send(port, {
            method: 'GET',
            path: '/lists/',
            headers: authorization(user),
          });
          for (const list of JSON.parse(lists.text) as { id: string; todoCount: number }[]) {
            const { rows } = await sql<{ n: string | number }>`
              select count(*) as n from todos where list_id = ${list.id}`.execute(db.kysely);
            const stored = Number(rows[0]?.n);
            if (stored !== list.todoCount)
              found.set(list.id, `list ${list.id}: todoCount ${list.todoCount}, ${stored} todos`);
          }
        }
        // Nothing above may have revoked the callers' own tokens: the runs would test only 401s.
        for (const user of ['alice', 'bob', 'carol', 'admin'] as const) {
          const me = await send(port, { method: 'GET', path: '/me', headers: authorization(user) });
          expect(me.status, `${user} still signed in`).toBe(200);
        }
        // FUZZ_STATS=1 prints how often each operation answered each status.
        if (process.env.FUZZ_STATS === '1')
          for (const [route, seen] of statuses)
            console.log(route.padEnd(48), [...seen].map(([s, n]) => `${s}×${n}`).join(' '));
        expect(runs).toBe(operations.length * RUNS);
        expect([...found.values()], `FUZZ_SEED=${SEED}`).toEqual([]);
      },
      // Per store: a timeout that grows with FUZZ_RUNS (about 1 s a run at load average 15).
      60_000 + RUNS * 5_000,
    );
  },
);
