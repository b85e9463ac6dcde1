import { routePolicies } from '@todo-sso/api';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { TodoModel } from './model.js';

/** A caller of the fuzzed requests: a valid token and the subject it writes as. */
export interface FuzzCaller {
  readonly sub: string;
  readonly token: string;
}

/** One generated request and the caller it claims to be (undefined: no valid token). */
export interface FuzzRequest {
  readonly options: InjectOptions;
  readonly caller?: FuzzCaller;
  readonly route: string;
}

/** Every route of the API: the policy table plus the public ones worth fuzzing. */
export const ALL_ROUTES: readonly string[] = [
  ...Object.keys(await routePolicies()),
  'GET /healthz',
  'GET /readyz',
  'POST /auth/backchannel-logout',
];

const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '../../etc/passwd',
  "' OR 1=1 --",
  '%00',
  '__proto__',
  'constructor',
  '\u202e\u0041',
  '𝕿𝖔𝖉𝖔',
  'null',
  'true',
  '-1',
  '1e309',
  'NaN',
  '9'.repeat(40),
  'x'.repeat(300),
);

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  nasty,
);

/** Field values of every JSON type, valid ones included so that writes really happen. */
const fieldValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 210 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.array(fc.string(), { maxLength: 2 }) },
  { weight: 1, arbitrary: fc.object({ maxDepth: 1 }) },
  { weight: 1, arbitrary: nasty },
);

const todoFields = {
  title: fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 200 }) },
    fieldValue,
  ),
  description: fc.oneof(fc.string({ maxLength: 2100 }), fc.constant(null), fieldValue),
  completed: fc.oneof({ weight: 12, arbitrary: fc.boolean() }, fieldValue),
};
const todoBody = fc.record(todoFields, { requiredKeys: [] });
/** Mass-assignment and prototype-pollution attempts next to the todo fields. */
const pollutedBody = fc
  .record(
    { ...todoFields, owner: text, id: fc.uuid(), sub: text, createdAt: text },
    { requiredKeys: [] },
  )
  .map((b) => JSON.stringify(b).replace(/^\{/, '{"__proto__":{"isAdmin":true},'));

/** A body: mostly todo-shaped, otherwise any JSON, broken JSON, or an oversized document. */
export const bodyArb = fc.oneof(
  { weight: 8, arbitrary: todoBody.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: pollutedBody },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('{', '{"title":', '[]', 'null', '{"title":"a"}}', '\uFEFF{}'),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 15_000, max: 40_000 })
      .map((n) => JSON.stringify({ title: 'x'.repeat(n) })),
  },
);

const contentType = fc.oneof(
  { weight: 14, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    'application/json; charset=utf-8',
    'application/JSON',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/merge-patch+json',
    'application/json; charset=utf-16',
    '',
    '*/*',
  ),
);

const queryKey = fc.oneof(
  fc.constantFrom('completed', 'limit', 'cursor', 'department', 'owner', 'access_token', 'issuer'),
  fc.stringMatching(/^[a-z_]{1,8}$/),
);
const queryValue = fc.oneof(
  fc.constantFrom('true', 'false', '0', '1', '100', '101', '-5', 'abc', 'eyJ4IjoxfQ'),
  fc.integer().map(String),
  text,
);
export const queryArb = fc
  .array(fc.tuple(queryKey, queryValue), { maxLength: 4 })
  .map((pairs) =>
    pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'),
  );

const headerName = fc.stringMatching(/^x-[a-z0-9-]{1,16}$/);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
export const extraHeadersArb = fc.dictionary(
  fc.oneof(
    headerName,
    fc.constantFrom(
      'x-request-id',
      'accept',
      'accept-encoding',
      'origin',
      'x-forwarded-for',
      'cookie',
    ),
  ),
  headerValue,
  { maxKeys: 4 },
);

/**
 * A random request against any route: the caller (a valid token, garbage or nothing), the
 * method and path of a route or a random one, ids that exist or not, and any query, headers
 * and body. `ids` gives ids the model knows so that writes hit real rows.
 */
export function requestArb(
  callers: readonly FuzzCaller[],
  ids: () => readonly string[],
  routes: readonly string[] = ALL_ROUTES,
) {
  const callerArb = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.constantFrom(...callers).map((c) => ({ caller: c, auth: `Bearer ${c.token}` })),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constant(undefined),
          fc.string({ maxLength: 30 }).map((s) => `Bearer ${s}`),
          fc.stringMatching(/^[\x21-\x7e]{0,40}$/),
          fc.constantFrom('Basic YWxpY2U6YWxpY2U=', 'Bearer', 'bearer  a.b.c', 'Bearer a.b.c d'),
        )
        .map((auth) => ({ caller: undefined, auth })),
    },
  );
  const idArb = fc.oneof(
    { weight: 5, arbitrary: fc.nat().map((n) => ids()[n % Math.max(1, ids().length)] ?? 'none') },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: text },
  );
  const routeArb = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...routes) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), fc.webPath())
        .map(([m, p]) => `${m} ${p || '/'}`),
    },
  );
  return fc
    .record({
      route: routeArb,
      who: callerArb,
      id: idArb,
      query: queryArb,
      headers: extraHeadersArb,
      type: contentType,
      body: fc.option(bodyArb, { freq: 4 }),
    })
    .map(({ route, who, id, query, headers, type, body }): FuzzRequest => {
      const [method = 'GET', path = '/'] = route.split(' ');
      let url = path.replace(':id', encodeURIComponent(id));
      if (query) url += `${url.includes('?') ? '&' : '?'}${query}`;
      const all: Record<string, string> = { ...headers };
      if (who.auth !== undefined) all.authorization = who.auth;
      if (body !== null && type !== '') all['content-type'] = type;
      const options: InjectOptions = {
        method: method as InjectOptions['method'],
        url,
        headers: all,
        ...(body === null || method === 'GET' ? {} : { payload: body }),
      };
      return { options, route, ...(who.caller ? { caller: who.caller } : {}) };
    });
}

/**
 * The one 5xx that is an answer, not a failure: the identity-provider admin routes of an API
 * without service-account credentials say 501 `not_implemented` and where to manage people.
 */
function isDocumentedNotImplemented(path: string, status: number, body: string): boolean {
  return (
    status === 501 &&
    path.startsWith('/admin/idp/') &&
    (JSON.parse(body) as { code?: string }).code === 'not_implemented'
  );
}

/**
 * Sends one generated request and folds a successful answer into the model. Throws (a failed
 * property) on any other 5xx; records contradictions in `model.violations`.
 */
export async function sendAndRecord(
  app: FastifyInstance,
  model: TodoModel,
  request: FuzzRequest,
): Promise<number> {
  const res = await app.inject(request.options);
  const path = String(request.options.url).split('?')[0] ?? '';
  if (res.statusCode >= 500 && !isDocumentedNotImplemented(path, res.statusCode, res.body))
    throw new Error(
      `${res.statusCode} for ${request.options.method} ${request.options.url}: ${res.body}`,
    );
  const caller = request.caller;
  if (caller === undefined || res.statusCode >= 300) return res.statusCode;
  // Classified by the path Fastify routed, not by the template: a random path can hit a route too.
  const method = request.options.method;
  const segments = new URL(String(request.options.url), 'http://api').pathname.split('/');
  if (
    segments[1] !== 'todos' ||
    segments.length > 4 ||
    (segments.length === 4 && segments[3] !== '')
  )
    return res.statusCode;
  const id = segments[2] ? decodeURIComponent(segments[2]) : undefined;
  if (id === undefined) {
    if (method === 'POST' && res.statusCode === 201) model.created(caller.sub, res.json());
    if (method === 'GET') for (const item of res.json().items) model.read(caller.sub, item);
  } else if (method === 'PUT' || method === 'PATCH') model.updated(caller.sub, res.json());
  else if (method === 'DELETE') model.deleted(caller.sub, id);
  else if (method === 'GET') model.read(caller.sub, res.json());
  return res.statusCode;
}
