import {
  AuthError,
  authErrorResponse,
  authorize,
  type Challenge,
  DENIAL_REASONS,
  type Decision,
  type DecisionReason,
  decide,
  decideAll,
  denialError,
  type Principal,
  requirementProblems,
  scopeToAttribute,
} from '@todo-sso/auth';
import { describe, expect, test } from 'vitest';

const NOW = 1_800_000_000;
const LEVELS = ['pwd', 'mfa'] as const;
const context = { now: NOW, acrLevels: LEVELS };

function principal(overrides: Partial<Principal> = {}): Principal {
  return {
    issuer: 'https://idp',
    subject: 'alice',
    roles: ['user'],
    permissions: ['todos:read', 'todos:write'],
    scopes: [],
    attributes: { department: 'engineering' },
    claims: {},
    expiresAt: NOW + 300,
    isAdmin: false,
    ...overrides,
  };
}

const alice = principal();
const admin = principal({ subject: 'admin', roles: ['admin'], permissions: [], isAdmin: true });

function refused(decision: Decision): Extract<Decision, { allowed: false }> {
  if (decision.allowed) throw new Error('expected a refusal');
  return decision;
}

const header = (decision: Decision) =>
  authErrorResponse(denialError(refused(decision)), { realm: 'todo-api' }).headers[
    'www-authenticate'
  ];

describe('decide: every requirement kind', () => {
  test('an empty requirement allows any principal', () => {
    expect(decide(alice, {}, undefined, context)).toEqual({ allowed: true, reason: 'allowed' });
  });

  test('permission: all listed are needed; every missing one is named in a 403 insufficient_scope', () => {
    expect(decide(alice, { permission: 'todos:read' }, undefined, context).allowed).toBe(true);
    const d = refused(
      decide(
        alice,
        { permission: ['todos:read', 'reports:generate', 'users:manage'] },
        undefined,
        context,
      ),
    );
    expect(d.reason).toBe('permission_missing');
    expect(d.missing).toEqual(['reports:generate', 'users:manage']);
    expect(d.challenge).toEqual<Challenge>({
      scheme: 'Bearer',
      status: 403,
      error: 'insufficient_scope',
      description: 'Missing permission: reports:generate, users:manage',
      scope: ['reports:generate', 'users:manage'],
    });
    expect(header(d)).toBe(
      'Bearer realm="todo-api", error="insufficient_scope", error_description="Missing permission: reports:generate, users:manage", scope="reports:generate users:manage"',
    );
  });

  test('permission: the admin role bypasses it', () => {
    expect(decide(admin, { permission: 'users:manage' }, undefined, context).allowed).toBe(true);
  });

  test('role: needed unless admin; refusal role_missing', () => {
    expect(decide(alice, { role: 'user' }, undefined, context).allowed).toBe(true);
    expect(decide(admin, { role: 'auditor' }, undefined, context).allowed).toBe(true);
    const d = refused(decide(alice, { role: 'auditor' }, undefined, context));
    expect(d).toMatchObject({ reason: 'role_missing', missing: ['auditor'] });
    expect(d.challenge.status).toBe(403);
  });

  test('admin: only the admin role; refusal admin_required names admin', () => {
    expect(decide(admin, { admin: true }, undefined, context).allowed).toBe(true);
    const d = refused(decide(alice, { admin: true }, undefined, context));
    expect(d).toMatchObject({ reason: 'admin_required', missing: ['admin'] });
    expect(header(d)).toBe(
      'Bearer realm="todo-api", error="insufficient_scope", error_description="Administrators only", scope="admin"',
    );
  });

  test('relation: owner comes from the resource owner, others from the app-supplied relations', () => {
    const own = { type: 'list', owner: { issuer: 'https://idp', subject: 'alice' } };
    expect(decide(alice, { relation: 'owner' }, own, context).allowed).toBe(true);
    const shared = { type: 'list', relations: ['editor'] };
    expect(decide(alice, { relation: ['owner', 'editor'] }, shared, context).allowed).toBe(true);
    const d = refused(decide(alice, { relation: 'owner' }, shared, context));
    expect(d).toMatchObject({
      reason: 'relation_missing',
      missing: ['relation:owner'],
      description: 'Needs to be owner of this list',
    });
    expect(d.challenge).toMatchObject({ status: 403, error: 'insufficient_scope' });
  });

  test('relation: same subject at another issuer is not the owner', () => {
    const other = { owner: { issuer: 'https://other', subject: 'alice' } };
    expect(refused(decide(alice, { relation: 'owner' }, other, context)).reason).toBe(
      'relation_missing',
    );
  });

  test('relation: the admin role does not bypass it', () => {
    const d = refused(decide(admin, { relation: 'owner' }, { relations: [] }, context));
    expect(d.reason).toBe('relation_missing');
  });

  test('relation: a refusal is hidden only when the caller holds no relation at all', () => {
    const viewer = { type: 'list', relations: ['viewer'] };
    expect(refused(decide(alice, { relation: 'owner' }, viewer, context)).hidden).toBeUndefined();
    const stranger = { type: 'list', relations: [] };
    expect(refused(decide(alice, { relation: 'owner' }, stranger, context))).toMatchObject({
      reason: 'relation_missing',
      hidden: true,
    });
    // Whatever refuses first, a resource the caller is nothing to stays hidden.
    const reader = principal({ permissions: ['todos:read'] });
    const write = { permission: 'todos:write', relation: ['owner', 'editor'] };
    expect(refused(decide(reader, write, stranger, context))).toMatchObject({
      reason: 'permission_missing',
      hidden: true,
    });
    expect(refused(decide(reader, write, viewer, context)).hidden).toBeUndefined();
    // Without a relation requirement nothing is hidden.
    expect(refused(decide(reader, { permission: 'todos:write' }, stranger, context)).hidden).toBe(
      undefined,
    );
  });

  test('decideAll: one call answers every question in order, by the rules of decide', () => {
    const owned = { type: 'list', id: 'a', relations: ['owner'] };
    const viewed = { type: 'list', id: 'b', relations: ['viewer'] };
    const share = { permission: 'todos:write', relation: 'owner' } as const;
    const read = { relation: ['owner', 'editor', 'viewer'] };
    const questions = [
      { requirement: share, resource: owned },
      { requirement: share, resource: viewed },
      { requirement: read, resource: viewed },
      { requirement: { acr: 'mfa' } },
    ];
    const decisions = decideAll(alice, questions, context);
    expect(decisions.map((d) => d.allowed)).toEqual([true, false, true, false]);
    expect(decisions.map((d) => d.reason)).toEqual(
      questions.map((q) => decide(alice, q.requirement, q.resource, context).reason),
    );
    expect(decideAll(alice, [], context)).toEqual([]);
  });

  test('attribute: only the caller’s own value; admins span every value', () => {
    const sales = { attributes: { department: 'sales' } };
    const engineering = { attributes: { department: 'engineering' } };
    expect(decide(alice, { attribute: 'department' }, engineering, context).allowed).toBe(true);
    expect(decide(admin, { attribute: 'department' }, sales, context).allowed).toBe(true);
    expect(decide(admin, { attribute: 'department' }, {}, context).allowed).toBe(true);
    const d = refused(decide(alice, { attribute: 'department' }, sales, context));
    expect(d).toMatchObject({
      reason: 'attribute_out_of_scope',
      missing: ['department:sales'],
      description: 'Only your own department is allowed',
    });
    // No value on the resource means every value: not for a non-admin.
    expect(refused(decide(alice, { attribute: 'department' }, {}, context)).reason).toBe(
      'attribute_out_of_scope',
    );
  });

  test('attribute: a caller without the attribute gets attribute_unassigned', () => {
    const d = refused(
      decide(principal({ attributes: {} }), { attribute: 'department' }, {}, context),
    );
    expect(d).toMatchObject({
      reason: 'attribute_unassigned',
      missing: ['department'],
      description: 'No department is assigned to this account',
    });
  });

  test('attribute: an empty value is no value, in whatever principal it comes', () => {
    const blank = { attributes: { department: '' } };
    for (const department of ['', [''], ['', '']]) {
      const who = principal({ attributes: { department } });
      expect(refused(decide(who, { attribute: 'department' }, blank, context)).reason).toBe(
        'attribute_unassigned',
      );
      expect(() => scopeToAttribute(who, 'department', undefined)).toThrow(
        'No department is assigned to this account',
      );
    }
    const listed = principal({ attributes: { department: ['', 'sales'] } });
    expect(decide(listed, { attribute: 'department' }, blank, context).allowed).toBe(false);
    expect(scopeToAttribute(listed, 'department', undefined)).toBe('sales');
  });

  test('acr: at least the level, by configured order, not by string comparison', () => {
    const mfa = principal({ acr: 'mfa', authTime: NOW - 10 });
    expect(decide(mfa, { acr: 'pwd' }, undefined, context).allowed).toBe(true);
    expect(decide(mfa, { acr: 'mfa' }, undefined, context).allowed).toBe(true);
    // 'pwd' > 'mfa' as strings; the order comes from the levels.
    const pwd = principal({ acr: 'pwd' });
    const d = refused(decide(pwd, { acr: 'mfa' }, undefined, context));
    expect(d.reason).toBe('authentication_too_weak');
    expect(d.challenge).toMatchObject({
      scheme: 'Bearer',
      status: 401,
      error: 'insufficient_user_authentication',
      acrValues: ['mfa'],
    });
    // Reversed levels reverse the answer.
    expect(
      decide(pwd, { acr: 'mfa' }, undefined, { now: NOW, acrLevels: ['mfa', 'pwd'] }).allowed,
    ).toBe(true);
  });

  test('acr: a token without acr, or with one outside the levels, is below every level', () => {
    expect(refused(decide(alice, { acr: 'pwd' }, undefined, context)).reason).toBe(
      'authentication_too_weak',
    );
    const odd = principal({ acr: 'urn:example:gold' });
    expect(refused(decide(odd, { acr: 'pwd' }, undefined, context)).reason).toBe(
      'authentication_too_weak',
    );
    // A required level that is not configured fails closed too.
    const mfa = principal({ acr: 'mfa' });
    expect(refused(decide(mfa, { acr: 'mfa' }, undefined, { now: NOW })).reason).toBe(
      'authentication_too_weak',
    );
  });

  test('maxAge: auth_time within the limit; older or unknown is authentication_too_old', () => {
    const fresh = principal({ authTime: NOW - 899 });
    expect(decide(fresh, { maxAge: 900 }, undefined, context).allowed).toBe(true);
    const old = principal({ authTime: NOW - 901 });
    const d = refused(decide(old, { maxAge: 900 }, undefined, context));
    expect(d.reason).toBe('authentication_too_old');
    expect(d.challenge).toMatchObject({ status: 401, maxAge: 900 });
    expect(refused(decide(alice, { maxAge: 900 }, undefined, context)).reason).toBe(
      'authentication_too_old',
    );
  });

  test('acr and maxAge together: the RFC 9470 §3 challenge carries acr_values and max_age', () => {
    const d = refused(
      decide(
        principal({ acr: 'pwd', authTime: NOW }),
        { acr: 'mfa', maxAge: 900 },
        undefined,
        context,
      ),
    );
    const response = authErrorResponse(denialError(d), { realm: 'todo-api' });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('authentication_too_weak');
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="todo-api", error="insufficient_user_authentication", error_description="This needs a stronger sign-in (mfa)", acr_values="mfa", max_age="900"',
    );
  });

  test('the admin role does not bypass authentication strength', () => {
    expect(refused(decide(admin, { admin: true, acr: 'mfa' }, undefined, context)).reason).toBe(
      'authentication_too_weak',
    );
  });

  test('senderConstrained: an unbound token gets a DPoP challenge, sender_constraint_missing', () => {
    const d = refused(
      decide(alice, { senderConstrained: 'dpop' }, undefined, {
        ...context,
        dpopAlgorithms: ['ES256', 'EdDSA'],
      }),
    );
    expect(d.reason).toBe('sender_constraint_missing');
    expect(header(d)).toBe(
      'DPoP realm="todo-api", error="invalid_token", error_description="This resource needs a DPoP-bound access token", algs="ES256 EdDSA"',
    );
  });

  test('senderConstrained: the proof key must be the bound one', () => {
    const bound = principal({ confirmation: { jkt: 'thumb-1' } });
    const rule = { senderConstrained: 'dpop' } as const;
    expect(decide(bound, rule, undefined, { ...context, proof: { jkt: 'thumb-1' } }).allowed).toBe(
      true,
    );
    const wrong = refused(
      decide(bound, rule, undefined, { ...context, proof: { jkt: 'thumb-2' } }),
    );
    expect(wrong.reason).toBe('sender_constraint_mismatch');
    expect(refused(decide(bound, rule, undefined, context)).reason).toBe(
      'sender_constraint_mismatch',
    );
    expect(wrong.challenge).toMatchObject({ scheme: 'DPoP', status: 401 });
  });

  test('firstParty: a token of a client the context counts as an agent is refused, even an admin’s', () => {
    const agents = { ...context, isAgent: (client: string | undefined) => client === 'mcp-agent' };
    const rule = { firstParty: true, admin: true } as const;
    const own = principal({ ...admin, clientId: 'todo-ui' });
    expect(decide(own, rule, undefined, agents).allowed).toBe(true);
    const d = refused(
      decide(principal({ ...admin, clientId: 'mcp-agent' }), rule, undefined, agents),
    );
    expect(d.reason).toBe('agent_not_allowed');
    expect(d.missing).toBeUndefined();
    // RFC 6750 §3.1: 403 insufficient_scope; no scope is named, since none would help.
    expect(d.challenge).toMatchObject({ status: 403, error: 'insufficient_scope' });
    expect(d.challenge.scope).toBeUndefined();
    expect(denialError(d)).toMatchObject({ code: 'forbidden', status: 403 });
    expect(header(d)).toBe(
      `Bearer realm="todo-api", error="insufficient_scope", error_description="${d.description}"`,
    );
  });

  test('firstParty: a token that names no client (no azp, no client_id) is refused, even an admin’s', () => {
    // The classifier would call it no agent's; nothing tells it from one (RFC 9068 §2.2).
    const agents = { ...context, isAgent: (client: string | undefined) => client === 'mcp-agent' };
    const rule = { firstParty: true, admin: true, acr: 'mfa' } as const;
    expect(admin.clientId).toBeUndefined();
    const d = refused(decide(admin, rule, undefined, agents));
    expect(d.reason).toBe('agent_not_allowed');
    expect(d.description).toMatch(
      /names no client \(none of azp, client_id, cid or appid; RFC 9068 section 2\.2\)/,
    );
    expect(d.challenge).toMatchObject({ status: 403, error: 'insufficient_scope' });
    expect(d.challenge.scope).toBeUndefined();
    expect(denialError(d)).toMatchObject({ code: 'forbidden', status: 403 });
    // The agent's own refusal says it is an agent's, not that no client is named.
    const agent = refused(
      decide(principal({ ...admin, clientId: 'mcp-agent' }), rule, undefined, agents),
    );
    expect(agent.description).not.toMatch(/names no client/);
    // Without firstParty the same token is decided on its grants alone.
    expect(decide(admin, { admin: true }, undefined, agents).allowed).toBe(true);
  });

  test('firstParty: without a classifier in the context every client is refused (fail closed)', () => {
    const rule = { firstParty: true } as const;
    expect(
      refused(decide(principal({ clientId: 'todo-ui' }), rule, undefined, context)).reason,
    ).toBe('agent_not_allowed');
    expect(refused(decide(alice, rule, undefined, context)).reason).toBe('agent_not_allowed');
  });

  test('order: an agent is refused before its grants or a step-up are weighed (neither would help)', () => {
    const agents = { ...context, isAgent: () => true };
    const rule = { firstParty: true, admin: true, acr: 'mfa', maxAge: 60 } as const;
    expect(refused(decide(alice, rule, undefined, agents)).reason).toBe('agent_not_allowed');
  });

  test('order: a permission refusal wins over a step-up, so a step-up is asked only when it helps', () => {
    const d = refused(decide(alice, { admin: true, acr: 'mfa' }, undefined, context));
    expect(d.reason).toBe('admin_required');
  });
});

describe('every refusal reason', () => {
  const cases: Record<Exclude<DecisionReason, 'allowed'>, () => Decision> = {
    admin_required: () => decide(alice, { admin: true }, undefined, context),
    agent_not_allowed: () =>
      decide(alice, { firstParty: true }, undefined, { ...context, isAgent: () => true }),
    role_missing: () => decide(alice, { role: 'x' }, undefined, context),
    permission_missing: () => decide(alice, { permission: 'x:y' }, undefined, context),
    attribute_unassigned: () =>
      decide(principal({ attributes: {} }), { attribute: 'department' }, {}, context),
    attribute_out_of_scope: () =>
      decide(alice, { attribute: 'department' }, { attributes: { department: 's' } }, context),
    relation_missing: () => decide(alice, { relation: 'owner' }, {}, context),
    authentication_too_weak: () => decide(alice, { acr: 'mfa' }, undefined, context),
    authentication_too_old: () => decide(alice, { maxAge: 1 }, undefined, context),
    sender_constraint_missing: () =>
      decide(alice, { senderConstrained: 'dpop' }, undefined, context),
    sender_constraint_mismatch: () =>
      decide(
        principal({ confirmation: { jkt: 'a' } }),
        { senderConstrained: 'dpop' },
        undefined,
        context,
      ),
  };

  test('the list of reasons is exactly the refusals decide() produces', () => {
    expect([...DENIAL_REASONS].sort()).toEqual(Object.keys(cases).sort());
  });

  test.each(Object.entries(cases))(
    '%s: its refusal maps to an AuthError with the challenge’s status',
    (reason, run) => {
      const d = refused(run());
      expect(d.reason).toBe(reason);
      const error = denialError(d);
      expect(error).toBeInstanceOf(AuthError);
      expect(error.status).toBe(d.challenge.status);
    },
  );
});

describe('authorize: decide, throwing the refusal', () => {
  test('returns on an allowed decision and throws the AuthError with its challenge otherwise', () => {
    expect(() => authorize(alice, { permission: 'todos:read' }, undefined, context)).not.toThrow();
    let caught: unknown;
    try {
      authorize(alice, { relation: 'owner' }, { type: 'todo', relations: ['viewer'] }, context);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthError);
    expect(caught).toMatchObject({
      code: 'insufficient_permission',
      status: 403,
      missing: ['relation:owner'],
      challenge: { error: 'insufficient_scope' },
    });
  });
});

describe('requirementProblems: checked when a route is declared', () => {
  const vocabulary = { permissions: ['todos:read'], acrLevels: ['pwd', 'mfa'] };
  test('accepts a well-formed requirement', () => {
    expect(
      requirementProblems({ permission: 'todos:read', acr: 'mfa', maxAge: 900 }, vocabulary),
    ).toEqual([]);
  });
  test('names a permission outside the table, an unknown acr, a bad maxAge and a typo', () => {
    expect(
      requirementProblems(
        { permission: 'todos:delete', acr: 'gold', maxAge: -1, permision: 'x' } as never,
        vocabulary,
      ),
    ).toEqual([
      'unknown member permision',
      'permission todos:delete is not in the permission table',
      'acr gold is not one of the configured levels',
      'maxAge must be a whole number of seconds ≥ 0',
    ]);
  });
});
