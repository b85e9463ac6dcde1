import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import fc from 'fast-check';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { drivers, sqliteDriver, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';
import { adminOtp } from './support/otp.js';

/**
 * One authorization core, two ways to ask it: the AuthZEN decision API
 * (`POST /access/v1/evaluation`, asked by a PEP, the API's own service account) and the REST
 * routes themselves. A small world is built over real HTTP with the dev IdP's real tokens:
 * people of two departments, lists shared at every relation, todos in them, a person holding
 * `todos:read` only, the administrator signed in with and without a second factor. Then every
 * (subject, action, resource) of that world is asked both ways, and the answers must agree:
 * `decision: true` exactly when the REST call succeeds (2xx), `decision: false` exactly when it
 * is refused 403 or 404, never a 2xx. A write is made on a fresh copy of the resource (same
 * owner, same members, same relations), so no triple changes what a later one is decided on.
 *
 * What AuthZEN does not decide is checked for what it is: resource types outside its
 * vocabulary (reports, admin work) are denied, fail closed; how a token is presented (DPoP, a
 * step-up) is the PEP's authentication of its caller, before any decision.
 */

type Relation = 'owner' | 'editor' | 'viewer';
type Person = 'alice' | 'bob' | 'carol' | 'dana' | 'admin';
/** Who asks: a person's token; `adminPwd` is the administrator signed in with a password only. */
type Subject = Person | 'adminPwd';

const SUBJECTS: readonly Subject[] = ['alice', 'bob', 'carol', 'dana', 'admin', 'adminPwd'];

/** The shared lists of the world: an owner and the others' relations. */
const LISTS: Record<string, { owner: Person; members: Partial<Record<Person, Relation>> }> = {
  // alice's team list: an editor, a viewer, and an editor who may only read (dana).
  team: { owner: 'alice', members: { bob: 'editor', carol: 'viewer', dana: 'editor' } },
  // bob's sales list, read by alice and dana.
  sales: { owner: 'bob', members: { alice: 'viewer', dana: 'viewer' } },
  // carol's list, edited by the administrator (who holds no todos:* permission of their own).
  ops: { owner: 'carol', members: { admin: 'editor' } },
};

const LIST_ACTIONS = ['can_read', 'can_update', 'can_delete', 'can_share', 'can_create_todo'];
const TODO_ACTIONS = ['can_read', 'can_update', 'can_delete'];

/** A DPoP key pair (RFC 9449) and its proofs: for the token endpoint, or for a resource. */
interface DpopKey {
  readonly sign: (claims: Record<string, unknown>) => Promise<string>;
}

async function dpopKey(): Promise<DpopKey> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = await exportJWK(pair.publicKey);
  return {
    sign: (claims) =>
      new SignJWT({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
        .sign(pair.privateKey),
  };
}

/** RFC 9449 §4.2: a proof for the token request (no `ath`: no token yet). */
const tokenProof = (key: DpopKey, htu: string) => key.sign({ htm: 'POST', htu });

/** RFC 9449 §4.2: a proof for a resource request, bound to `token` by `ath`, with a nonce (§8). */
const resourceProof = (key: DpopKey, htu: string, token: string, nonce?: string) =>
  key.sign({
    htm: 'GET',
    htu,
    ath: createHash('sha256').update(token).digest('base64url'),
    ...(nonce && { nonce }),
  });

/**
 * A token request at the dev IdP's `tokenEndpoint` (RFC 6749 §3.2), with a DPoP proof when given
 * (RFC 9449 §5): the token response, which must be a 200.
 */
async function tokenRequest(tokenEndpoint: string, form: Record<string, string>, dpop?: string) {
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(dpop === undefined ? {} : { dpop }),
    },
    body: new URLSearchParams(form),
  });
  const body = (await res.json()) as Record<string, string>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** The direct grant's form (RFC 6749 §4.3.2) for `username`, with a one-time code when given. */
const passwordForm = (username: string, password = username, otp?: string) => ({
  grant_type: 'password',
  client_id: 'todo-cli',
  username,
  password,
  ...(otp && { otp }),
});

/** The client credentials grant (RFC 6749 §4.4.2) of the API's own service account, the PEP. */
const PEP_FORM = {
  grant_type: 'client_credentials',
  client_id: 'todo-api',
  client_secret: 'todo-api-secret',
};

interface Answer {
  status: number;
  body: Record<string, unknown> | undefined;
}

describe.each(drivers)('AuthZEN decisions and the REST API agree on $driver', (driver) => {
  let idp: RunningIdp;
  let idpData: string;
  let database: TestDatabase;
  let api: Instance & { url: string };
  let tokenEndpoint: string;
  const tokens = {} as Record<Subject | 'pep' | 'testuser', string>;
  /** Each subject as AuthZEN names it: `sub`, with the token's permissions and roles. */
  const entities = {} as Record<Subject, Record<string, unknown>>;
  const listIds: Record<string, string> = {};
  const todoIds: Record<string, string> = {};
  let aliceDefault = '';

  const grant = (form: Record<string, string>, dpop?: string) =>
    tokenRequest(tokenEndpoint, form, dpop);
  const signIn = async (username: string, password: string, otp?: string) =>
    (await grant(passwordForm(username, password, otp))).access_token as string;

  const call = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    base = api.url,
    scheme = 'Bearer',
    extra: Record<string, string> = {},
  ): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `${scheme} ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...extra,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const as = (who: Subject | 'pep' | 'testuser', method: string, path: string, body?: unknown) =>
    call(method, path, tokens[who], body);

  /** The AuthZEN decision about `subject` taking `action` on the resource, asked by the PEP. */
  const decision = async (subject: Subject, type: string, id: string, action: string) => {
    const res = await as('pep', 'POST', '/access/v1/evaluation', {
      subject: entities[subject],
      action: { name: action },
      resource: { type, id },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body?.decision as boolean;
  };

  /** A list of `owner` shared with `members`, holding one todo: the world's list, or a copy. */
  const makeList = async (name: string, spec: (typeof LISTS)[string]) => {
    const list = await as(spec.owner, 'POST', '/lists/', { name });
    expect(list.status, JSON.stringify(list.body)).toBe(201);
    const id = list.body?.id as string;
    for (const [member, relation] of Object.entries(spec.members)) {
      const shared = await as(spec.owner, 'PUT', `/lists/${id}/members/${member}`, { relation });
      expect(shared.status, JSON.stringify(shared.body)).toBe(200);
    }
    const todo = await as(spec.owner, 'POST', `/lists/${id}/todos/`, { title: `${name} todo` });
    expect(todo.status, JSON.stringify(todo.body)).toBe(201);
    return { list: id, todo: todo.body?.id as string };
  };

  /** The REST call that takes `action` on the resource, as `subject`. */
  const perform = (subject: Subject, type: 'list' | 'todo', id: string, action: string) => {
    const path = `/${type}s/${id}`;
    switch (`${type}.${action}`) {
      case 'list.can_read':
        return as(subject, 'GET', path);
      case 'list.can_update':
        return as(subject, 'PATCH', path, { name: 'renamed' });
      case 'list.can_delete':
        return as(subject, 'DELETE', path);
      case 'list.can_share':
        return as(subject, 'PUT', `${path}/members/testuser`, { relation: 'viewer' });
      case 'list.can_create_todo':
        return as(subject, 'POST', `${path}/todos/`, { title: 'added' });
      case 'todo.can_read':
        return as(subject, 'GET', path);
      case 'todo.can_update':
        return as(subject, 'PATCH', path, { completed: true });
      case 'todo.can_delete':
        return as(subject, 'DELETE', path);
      default:
        throw new Error(`no REST call for ${type}.${action}`);
    }
  };

  const READS = new Set(['can_read']);

  beforeAll(async () => {
    if (driver.skip) return;
    idpData = mkdtempSync(join(tmpdir(), 'idp-agreement-'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData) });
    const discovery = (await (
      await fetch(`${idp.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    tokenEndpoint = discovery.token_endpoint ?? '';
    database = await driver.create();
    const instance = await startInstance(
      testConfig(idp, database.config, {
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
      }),
    );
    const url = await instance.app.listen({ host: '127.0.0.1', port: 0 });
    api = Object.assign(instance, { url });

    tokens.admin = await signIn('admin', 'admin', adminOtp());
    tokens.adminPwd = await signIn('admin', 'admin');
    // dana, of sales, may read todos and nothing more: made at the IdP through the API.
    const dana = await as('admin', 'POST', '/admin/idp/users', {
      username: 'dana',
      email: 'dana@example.com',
      department: 'sales',
      password: 'dana-secret',
      temporaryPassword: false,
    });
    expect(dana.status, JSON.stringify(dana.body)).toBe(201);
    const granted = await as('admin', 'PUT', `/admin/idp/users/${dana.body?.id}/roles/todos:read`);
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    for (const name of ['alice', 'bob', 'carol', 'dana', 'testuser'] as const) {
      tokens[name] = await signIn(name, name === 'dana' ? 'dana-secret' : name);
    }
    tokens.pep = (await grant(PEP_FORM)).access_token as string;

    for (const subject of SUBJECTS) {
      const me = await as(subject, 'GET', '/me');
      expect(me.status).toBe(200);
      const roles = ((me.body?.roles ?? []) as string[]).filter((role) => role !== 'admin');
      entities[subject] = {
        type: 'user',
        id: me.body?.sub,
        properties: {
          permissions: me.body?.permissions,
          roles: me.body?.isAdmin ? [...roles, 'admin'] : roles,
        },
      };
    }
    expect(entities.dana.properties).toMatchObject({ permissions: ['todos:read'] });
    // Everyone is known to the API (sharing names people who have used it once).
    for (const who of [...SUBJECTS, 'testuser'] as const) {
      if (who === 'adminPwd') continue;
      expect((await as(who, 'GET', '/lists/')).status, who).toBe(200);
    }
    const lists = await as('alice', 'GET', '/lists/');
    aliceDefault = (lists.body as unknown as { id: string; isDefault: boolean }[]).find(
      (l) => l.isDefault,
    )?.id as string;
    for (const [name, spec] of Object.entries(LISTS)) {
      const made = await makeList(name, spec);
      listIds[name] = made.list;
      todoIds[name] = made.todo;
    }
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await idp?.close();
    await database?.drop();
    if (idpData) rmSync(idpData, { recursive: true, force: true });
  });

  it.skipIf(driver.skip)(
    'decides every subject, action and resource of the world as the REST call ends',
    async () => {
      const disagreements: string[] = [];
      let asked = 0;
      const compare = async (
        subject: Subject,
        type: 'list' | 'todo',
        action: string,
        name: string,
      ) => {
        // A write goes to a fresh copy of the resource, removed afterwards by its owner.
        const spec = LISTS[name];
        const copy =
          READS.has(action) || spec === undefined ? undefined : await makeList(`${name}*`, spec);
        const id =
          copy === undefined
            ? type === 'list'
              ? (listIds[name] ?? aliceDefault)
              : (todoIds[name] as string)
            : type === 'list'
              ? copy.list
              : copy.todo;
        const allowed = await decision(subject, type, id, action);
        // RFC 9562 §4: a UUID's hex digits are case-insensitive on input, to both of them.
        if (READS.has(action)) {
          expect(await decision(subject, type, id.toUpperCase(), action)).toBe(allowed);
        }
        const rest = await perform(subject, type, id, action);
        asked += 1;
        const agrees = allowed
          ? rest.status >= 200 && rest.status < 300
          : rest.status === 403 || rest.status === 404;
        if (!agrees) {
          disagreements.push(
            `${subject} ${type}.${action} on ${name}: decision ${allowed}, REST ${rest.status} ${JSON.stringify(rest.body)}`,
          );
        }
        if (copy && spec) {
          const gone = await as(spec.owner, 'DELETE', `/lists/${copy.list}`);
          expect([204, 404]).toContain(gone.status);
        }
      };
      for (const subject of SUBJECTS) {
        for (const name of Object.keys(LISTS)) {
          for (const action of LIST_ACTIONS) await compare(subject, 'list', action, name);
          for (const action of TODO_ACTIONS) await compare(subject, 'todo', action, name);
        }
        // alice's default list, read only (its deletion is a 409 for its owner, see below).
        await compare(subject, 'list', 'can_read', 'default');
      }
      expect(disagreements).toEqual([]);
      expect(asked).toBe(SUBJECTS.length * (3 * 8 + 1));
    },
    120_000,
  );

  it.skipIf(driver.skip || driver.driver !== 'sqlite')(
    'keeps agreeing while a list is shared, narrowed, widened and unshared (fast-check)',
    async () => {
      const people: Person[] = ['bob', 'carol', 'dana', 'admin'];
      const change = fc.record({
        person: fc.constantFrom(...people),
        relation: fc.constantFrom<Relation | undefined>('editor', 'viewer', undefined),
      });
      // Actions that leave the list and its members as they are (deletion is covered above).
      const asked: [type: 'list' | 'todo', action: string][] = [
        ['list', 'can_read'],
        ['list', 'can_update'],
        ['list', 'can_create_todo'],
        ['todo', 'can_read'],
        ['todo', 'can_update'],
      ];
      await fc.assert(
        fc.asyncProperty(fc.array(change, { minLength: 1, maxLength: 5 }), async (changes) => {
          const made = await makeList('changing', { owner: 'alice', members: {} });
          for (const { person, relation } of changes) {
            const path = `/lists/${made.list}/members/${person}`;
            const res =
              relation === undefined
                ? await as('alice', 'DELETE', path)
                : await as('alice', 'PUT', path, { relation });
            expect([200, 204, 404]).toContain(res.status);
          }
          for (const subject of SUBJECTS) {
            for (const [type, action] of asked) {
              const id = type === 'list' ? made.list : made.todo;
              const allowed = await decision(subject, type, id, action);
              const rest = await perform(subject, type, id, action);
              const agrees = allowed
                ? rest.status >= 200 && rest.status < 300
                : rest.status === 403 || rest.status === 404;
              expect(agrees, `${subject} ${type}.${action}: ${allowed}, ${rest.status}`).toBe(true);
            }
          }
          expect((await as('alice', 'DELETE', `/lists/${made.list}`)).status).toBe(204);
        }),
        { numRuns: 8 },
      );
    },
    120_000,
  );

  it.skipIf(driver.skip)(
    'refuses the REST write the decision refuses, and leaves the world as it was',
    async () => {
      // dana is an editor of the team list but holds no todos:write: both say no.
      expect(await decision('dana', 'todo', todoIds.team as string, 'can_update')).toBe(false);
      expect((await perform('dana', 'todo', todoIds.team as string, 'can_update')).status).toBe(
        403,
      );
      const members = await as('alice', 'GET', `/lists/${listIds.team}/members`);
      expect(
        (members.body as unknown as { username: string; relation: string }[])
          .map((m) => [m.username, m.relation])
          .sort(),
      ).toEqual([
        ['alice', 'owner'],
        ['bob', 'editor'],
        ['carol', 'viewer'],
        ['dana', 'editor'],
      ]);
    },
  );
});

/**
 * What lies outside the decision API's vocabulary, or before any decision, on one database:
 * the owner's default list (a 409, not a refusal), reports and admin work (no AuthZEN type:
 * denied, whatever REST allows), a DPoP-required instance and a step-up.
 */
describe('where AuthZEN and REST part, by design', () => {
  let idp: RunningIdp;
  let idpData: string;
  let database: TestDatabase;
  let api: Instance;
  let apiUrl = '';
  let requiredUrl = '';
  let required: Instance;
  let tokenEndpoint = '';
  let key: DpopKey;
  const tokens: Record<string, string> = {};
  const subs: Record<string, string> = {};

  const grant = (form: Record<string, string>, dpop?: string) =>
    tokenRequest(tokenEndpoint, form, dpop);
  const call = async (
    base: string,
    method: string,
    path: string,
    authorization: string,
    body?: unknown,
    dpop?: string,
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization,
        ...(dpop === undefined ? {} : { dpop }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const nonce = res.headers.get('dpop-nonce') ?? undefined;
    return { status: res.status, body: text ? JSON.parse(text) : undefined, nonce };
  };
  const evaluate = async (sub: string, props: object, type: string, id: string, name: string) => {
    const res = await call(apiUrl, 'POST', '/access/v1/evaluation', `Bearer ${tokens.pep}`, {
      subject: { type: 'user', id: sub, properties: props },
      action: { name },
      resource: { type, id },
    });
    expect(res.status).toBe(200);
    return res.body.decision as boolean;
  };

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-agreement-'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData) });
    const discovery = (await (
      await fetch(`${idp.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    tokenEndpoint = discovery.token_endpoint ?? '';
    database = await sqliteDriver.create();
    // The PEP is the API's own service account (OIDC_CLIENT_ID), as in every shipped setup: the
    // AuthZEN API answers no other client unless FIRST_PARTY_CLIENTS lists it.
    const pep = { OIDC_CLIENT_ID: 'todo-api', OIDC_CLIENT_SECRET: 'todo-api-secret' };
    api = await startInstance(testConfig(idp, database.config, pep));
    apiUrl = await api.app.listen({ host: '127.0.0.1', port: 0 });
    required = await startInstance(
      testConfig(idp, database.config, { ...pep, OIDC_DPOP: 'required' }),
    );
    requiredUrl = await required.app.listen({ host: '127.0.0.1', port: 0 });
    key = await dpopKey();
    for (const name of ['alice', 'carol', 'bob']) {
      tokens[name] = (await grant(passwordForm(name))).access_token as string;
    }
    tokens.admin = (await grant(passwordForm('admin', 'admin', adminOtp()))).access_token as string;
    tokens.adminPwd = (await grant(passwordForm('admin'))).access_token as string;
    const bound = await grant(passwordForm('alice'), await tokenProof(key, tokenEndpoint));
    expect(bound.token_type).toBe('DPoP');
    tokens.aliceBound = bound.access_token as string;
    tokens.pep = (await grant(PEP_FORM)).access_token as string;
    for (const name of ['alice', 'carol', 'bob', 'admin']) {
      const me = await call(apiUrl, 'GET', '/me', `Bearer ${tokens[name]}`);
      subs[name] = me.body.sub;
    }
  }, 120_000);

  afterAll(async () => {
    await required?.close();
    await api?.close();
    await idp?.close();
    await database?.drop();
    if (idpData) rmSync(idpData, { recursive: true, force: true });
  });

  it('allows the owner to delete their default list, which REST keeps (409, not a refusal)', async () => {
    const lists = await call(apiUrl, 'GET', '/lists/', `Bearer ${tokens.alice}`);
    const own = lists.body.find((l: { isDefault: boolean }) => l.isDefault);
    const props = { permissions: ['todos:read', 'todos:write'], roles: ['user'] };
    expect(await evaluate(subs.alice as string, props, 'list', own.id, 'can_delete')).toBe(true);
    const deleted = await call(apiUrl, 'DELETE', `/lists/${own.id}`, `Bearer ${tokens.alice}`);
    expect(deleted.status).toBe(409);
  });

  it('denies reports and admin work, which AuthZEN has no type for, whatever REST allows', async () => {
    const carol = { permissions: ['todos:read', 'todos:write', 'reports:generate'] };
    for (const [type, id, name] of [
      ['department', 'engineering', 'can_report'],
      ['report', 'engineering', 'can_read'],
      ['admin', 'audit', 'can_read'],
    ] as const) {
      expect(await evaluate(subs.carol as string, carol, type, id, name)).toBe(false);
      expect(await evaluate(subs.admin as string, { roles: ['admin'] }, type, id, name)).toBe(
        false,
      );
    }
    const report = '/reports/summary?department=engineering';
    expect((await call(apiUrl, 'GET', report, `Bearer ${tokens.carol}`)).status).toBe(200);
    expect((await call(apiUrl, 'GET', report, `Bearer ${tokens.bob}`)).status).toBe(403);
    expect((await call(apiUrl, 'GET', '/admin/audit', `Bearer ${tokens.admin}`)).status).toBe(200);
    // Without a recent second factor the administrator is asked to step up (401), not refused.
    const stale = await call(apiUrl, 'GET', '/admin/audit', `Bearer ${tokens.adminPwd}`);
    expect(stale.status).toBe(401);
    expect(stale.body).toMatchObject({ code: 'authentication_too_weak' });
  });

  it('decides for the subject; DPoP is how the PEP authenticates the token', async () => {
    const props = { permissions: ['todos:read', 'todos:write'], roles: ['user'] };
    const lists = await call(apiUrl, 'GET', '/lists/', `Bearer ${tokens.alice}`);
    const own = lists.body.find((l: { isDefault: boolean }) => l.isDefault);
    expect(await evaluate(subs.alice as string, props, 'list', own.id, 'can_read')).toBe(true);
    const path = `/lists/${own.id}`;
    const boundRead = async (nonce?: string) => {
      const token = tokens.aliceBound as string;
      const proof = await resourceProof(key, `${requiredUrl}${path}`, token, nonce);
      return call(requiredUrl, 'GET', path, `DPoP ${token}`, undefined, proof);
    };
    // A second process on the SQLite file asks a proof that could predate its start for a nonce
    // (RFC 9449 §8, §9): a client retries once with it.
    let bound = await boundRead();
    if (bound.status === 401 && bound.body?.code === 'dpop_nonce_required')
      bound = await boundRead(bound.nonce);
    expect(bound.status).toBe(200);
    // A Bearer token where DPoP is required is refused before any decision (401, RFC 9449 §7.1).
    const bearer = await call(requiredUrl, 'GET', path, `Bearer ${tokens.alice}`);
    expect(bearer.status).toBe(401);
    // Not a decision: bob's bound-less token is refused alike on a list he cannot read.
    expect((await call(requiredUrl, 'GET', path, `Bearer ${tokens.bob}`)).status).toBe(401);
  });
});
