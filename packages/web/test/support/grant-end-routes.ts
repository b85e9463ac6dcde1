import type { ServerResponse } from 'node:http';
import type { GrantEnd } from '../../src/admin/grant-ends-api.js';

/**
 * `/admin/agents/grant-ends` (list, retry, release) and `/admin/users` for the todo server, with
 * the answers `packages/api/src/agents/admin-routes.ts` gives for each thing the identity
 * provider can do: end the grant, hold none, refuse (502; 409 for a release), be unreachable
 * (503) or have no admin API for the issuer (501; 409 for a release). A release carrying
 * `"confirm": "ended-at-provider"` settles the hold whatever the provider says.
 */
export type ProviderAnswer = 'ends' | 'no_grant' | 'refuses' | 'unreachable' | 'no_admin_api';

export interface GrantEndState {
  grantEnds: GrantEnd[];
  /** What the identity provider does with the next attempts. */
  provider: ProviderAnswer;
  /** `/admin/users`: whom the admin screens can name. */
  people: { issuer: string; sub: string; username: string }[];
}

export function newGrantEndState(): GrantEndState {
  return { grantEnds: [], provider: 'refuses', people: [] };
}

/** The provider's own words on a refusal: hostile on purpose (markup, controls, length). */
export const PROVIDER_REFUSAL = `403 Forbidden: <b>manage-users</b> missing\u202e\u0007 ${'x'.repeat(400)}`;

/** Sends a JSON answer; true, so that a route can `return send(…)`. */
const send = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
  res.writeHead(status, { 'Content-Type': type });
  res.end(JSON.stringify(body));
  return true;
};

const problem = (res: ServerResponse, status: number, code: string, detail: string) =>
  send(
    res,
    status,
    { type: 'about:blank', title: code, status, code, detail },
    'application/problem+json',
  );

interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

/** Answers an admin route; false when `request` is not one of them. */
export function grantEndRoutes(
  state: GrantEndState,
  isAdmin: boolean,
  request: Request,
  res: ServerResponse,
): boolean {
  const { method, path } = request;
  const routes = ['/admin/users', '/admin/agents/grant-ends'];
  if (!routes.some((route) => path.startsWith(route))) return false;
  // `/admin/users` also answers `users:manage`, as the API does; the grant ends, admins only.
  if (!isAdmin && path !== '/admin/users') {
    problem(res, 403, 'forbidden', 'This needs the admin role');
    return true;
  }
  if (path === '/admin/users' && method === 'GET') {
    const items = state.people.map((p) => ({
      ...p,
      email: null,
      department: null,
      todos: 0,
      completed: 0,
    }));
    send(res, 200, { items });
  } else if (path === '/admin/agents/grant-ends' && method === 'GET') {
    const limit = Number(request.query.get('limit') ?? 20);
    const start = Number(request.query.get('cursor') ?? 0);
    const items = state.grantEnds.slice(start, start + limit);
    const more = start + limit < state.grantEnds.length;
    send(res, 200, { items, nextCursor: more ? String(start + limit) : null });
  } else if (path === '/admin/agents/grant-ends/retry' && method === 'POST') {
    settle(state, 'retry', request.body as Key, res);
  } else if (path === '/admin/agents/grant-ends/release' && method === 'POST') {
    settle(state, 'release', request.body as Key & { confirm?: string }, res);
  } else {
    problem(res, 404, 'not_found', 'No such route');
  }
  return true;
}

type Key = { issuer: string; sub: string; clientId: string };

function settle(
  state: GrantEndState,
  action: 'retry' | 'release',
  body: Key & { confirm?: string },
  res: ServerResponse,
): boolean {
  const index = state.grantEnds.findIndex(
    (r) => r.issuer === body.issuer && r.sub === body.sub && r.clientId === body.clientId,
  );
  const row = state.grantEnds[index];
  if (!row) return problem(res, 404, 'not_found', 'No agent grant end is pending for this key');
  const { provider } = state;
  const refusedUntil = '2026-12-05T08:10:00.000Z';
  const done = (outcome: 'ended' | 'no_grant' | 'released', detail: string) => {
    state.grantEnds.splice(index, 1);
    return send(res, 200, { ...body, confirm: undefined, outcome, refusedUntil, detail });
  };
  if (provider === 'ends' || provider === 'no_grant')
    return done(provider === 'ends' ? 'ended' : 'no_grant', `Provider said ${provider}.`);
  const [status, code, reason] =
    provider === 'unreachable'
      ? [503, 'idp_unavailable', 'The identity provider cannot be reached']
      : provider === 'no_admin_api'
        ? [501, 'not_implemented', 'The API has no admin API configured']
        : [502, 'idp_refused', PROVIDER_REFUSAL];
  if (action === 'release' && body.confirm === 'ended-at-provider')
    return done('released', `Released on your confirmation (${reason}).`);
  row.attempts += 1;
  row.attemptedAt = new Date().toISOString();
  row.lastError = reason;
  if (action === 'retry') return problem(res, status, code, reason);
  if (status === 503) return problem(res, 503, code, `${reason}. Nothing was released`);
  return problem(res, 409, 'conflict', `The identity provider did not end the grant (${reason})`);
}
