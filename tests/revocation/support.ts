/** What both back-channel logout suites share: the dev realm, a free port, sign-in and sign-out at the dev IdP. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RealmRepresentation } from '@todo-sso/idp';
import { expect } from 'vitest';
import { endSession, passwordGrant, root } from '../start/support.js';

export { freePort } from '../start/support.js';

export const HOST = '127.0.0.1';

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** A fresh copy of the dev realm (deploy/keycloak/realm-todo-app.json), to adjust per suite. */
export function devRealm(): RealmRepresentation {
  return JSON.parse(
    readFileSync(join(root, 'deploy/keycloak/realm-todo-app.json'), 'utf8'),
  ) as RealmRepresentation;
}

/** `username` signed in as `todo-cli` by the password grant; the IdP must answer 200. */
export async function signIn(issuer: string, username: string): Promise<Tokens> {
  const res = await passwordGrant(issuer, username);
  expect(res.status).toBe(200);
  return (await res.json()) as Tokens;
}

/** Ends the session of `tokens` at the IdP, which then sends its back-channel logouts. */
export const signOut = (issuer: string, tokens: Tokens): Promise<Response> =>
  endSession(issuer, tokens.refresh_token);

/** The API's answer to GET /me with `token`. */
export async function me(url: string, token: string) {
  const res = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { code?: string };
  return { status: res.status, code: body.code, challenge: res.headers.get('www-authenticate') };
}
