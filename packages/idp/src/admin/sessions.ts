import { sessionAddress } from '../sessions/address.js';
import { endSession } from '../sessions/end.js';
import type { AdminCall, AdminContext } from './context.js';
import { clientUuid } from './representations.js';
import { userOf } from './users.js';

interface StoredSession {
  uid?: string;
  accountId?: string;
  loginTs?: number;
  iat?: number;
  authorizations?: Record<string, { sid?: string; grantId?: string }>;
}

function sessionsOf(ctx: AdminContext, accountId: string): [string, StoredSession][] {
  return [...ctx.store.entries('Session:')].filter(
    ([, s]) => (s as StoredSession).accountId === accountId,
  ) as [string, StoredSession][];
}

/**
 * `GET /users/{id}/sessions`: Keycloak's `UserSessionRepresentation`s (`start` and `lastAccess`
 * in epoch milliseconds, `clients` keyed by the clients' internal ids).
 */
export function listSessions(ctx: AdminContext, call: AdminCall) {
  const user = userOf(ctx, call.params[0]);
  return sessionsOf(ctx, user.id).map(([, session]) => ({
    id: session.uid,
    username: user.username,
    userId: user.id,
    ipAddress: sessionAddress(ctx.store, session.uid),
    start: (session.loginTs ?? 0) * 1000,
    lastAccess: (session.iat ?? session.loginTs ?? 0) * 1000,
    rememberMe: false,
    clients: Object.fromEntries(
      Object.keys(session.authorizations ?? {}).map((clientId) => [clientUuid(clientId), clientId]),
    ),
    transientUser: false,
  }));
}

/**
 * `POST /users/{id}/logout`: ends every session of the user as a sign-out does — its grants,
 * refresh and access tokens are revoked and each client with a back-channel logout URL gets a
 * logout token.
 */
export async function logoutUser(ctx: AdminContext, call: AdminCall): Promise<void> {
  const user = userOf(ctx, call.params[0]);
  const adapter = ctx.provider.Session.adapter;
  await Promise.all(
    sessionsOf(ctx, user.id).map(async ([id, session]) => {
      await adapter.destroy(id);
      await endSession(ctx.provider, session, ctx.report);
    }),
  );
}
