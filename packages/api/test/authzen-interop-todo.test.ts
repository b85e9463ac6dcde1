import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, type Facts, type Policy, type Rule } from '../src/authzen/engine.js';
import { useDecisionPoint } from './support/decision-point.js';

/**
 * The OpenID AuthZEN interop "Todo" scenario (openid/authzen, `interop/authzen-todo-backend`):
 * its harness's own decision file, sent as it is to the API's access evaluation and access
 * evaluations endpoints, with the scenario's policy loaded as data into the API's engine. The
 * policy: everyone reads users and todos; admins and editors create todos; admins update and
 * delete any todo, editors only their own (`ownerID`), viewers none. The people and their roles
 * are the scenario's directory, keyed by the subject ids its identity provider issues.
 */

const DIRECTORY = [
  ['CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs', 'rick@the-citadel.com', 'admin'],
  [
    'CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs',
    'morty@the-citadel.com',
    'editor',
  ],
  [
    'CiRmZDI2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs',
    'summer@the-smiths.com',
    'editor',
  ],
  ['CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs', 'beth@the-smiths.com', 'viewer'],
  [
    'CiRmZDQ2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs',
    'jerry@the-smiths.com',
    'viewer',
  ],
] as const;

const CHANGE = { name: ['can_update_todo', 'can_delete_todo'] };

const POLICY: Policy = {
  rules: [
    {
      effect: 'permit',
      subject: { type: 'user' },
      action: { name: ['can_read_user', 'can_read_todos'] },
    },
    ...(['admin', 'editor'] as const).map(
      (role): Rule => ({
        effect: 'permit',
        subject: { type: 'user', properties: { role } },
        action: { name: 'can_create_todo' },
      }),
    ),
    {
      effect: 'permit',
      subject: { type: 'user', properties: { role: 'admin' } },
      action: CHANGE,
      resource: { type: 'todo' },
    },
    // An editor changes the todos they own: one rule per editor of the directory.
    ...DIRECTORY.filter(([, , role]) => role === 'editor').map(
      ([id, email]): Rule => ({
        effect: 'permit',
        subject: { type: 'user', id },
        action: CHANGE,
        resource: { type: 'todo', properties: { ownerID: email } },
      }),
    ),
  ],
  actions: {},
};

const FACTS: Facts = {
  async properties(entity) {
    const person = DIRECTORY.find(([id]) => entity.type === 'user' && id === entity.id);
    return person && { email: person[1], role: person[2] };
  },
  check: () => ({ allowed: true, reason: 'allowed' }),
  subjects: async () => [],
  resources: async () => [],
};

interface Decisions {
  evaluation: { request: object; expected: boolean }[];
  evaluations: { request: object; expected: { decision: boolean }[] }[];
}
const decisions = JSON.parse(
  readFileSync(
    new URL(
      './fixtures/authzen-interop-todo/decisions-authorization-api-1_0-02.json',
      import.meta.url,
    ),
    'utf8',
  ),
) as Decisions;

const pdp = useDecisionPoint({
  engine: () => createEngine(POLICY, FACTS),
  pep: { sub: 'interop-pep', roles: [], permissions: ['authz:evaluate'] },
});

const post = (endpoint: 'evaluation' | 'evaluations', body: object) =>
  pdp.post(`/access/v1/${endpoint}`, body);

describe('AuthZEN interop Todo scenario: the harness’s decision file', () => {
  it('holds the cases the scenario publishes', () => {
    expect(decisions.evaluation).toHaveLength(40);
    expect(decisions.evaluations).toHaveLength(3);
  });

  it.each(decisions.evaluation.map((c, i) => [i, c] as const))(
    'evaluation %i',
    async (_i, { request, expected }) => {
      const res = await post('evaluation', request);
      expect(res.statusCode).toBe(200);
      expect(res.json().decision).toBe(expected);
    },
  );

  it.each(decisions.evaluations.map((c, i) => [i, c] as const))(
    'evaluations %i: defaults inherited, one decision per item in order',
    async (_i, { request, expected }) => {
      const res = await post('evaluations', request);
      expect(res.statusCode).toBe(200);
      const answer = res.json() as { evaluations: { decision: boolean }[] };
      expect(answer.evaluations.map((e) => ({ decision: e.decision }))).toEqual(expected);
    },
  );
});
