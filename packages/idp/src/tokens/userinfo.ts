import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createDpopVerifier, type DpopVerifier, MemoryDpopReplayCache } from '@todo-sso/auth';
import { readForm, sendJson } from '../http/io.js';
import type { IdpProfile } from '../profiles/profile.js';
import type { Realm } from '../realm/types.js';
import type { AccessTokenRegistry } from './access-tokens.js';
import { mappedAttributes, profileClaims } from './claims.js';
import { DPOP_SIGNING_ALGS } from './dpop.js';

const SCOPE_CLAIMS: Record<string, string[]> = {
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email', 'email_verified'],
};

function unauthorized(
  res: ServerResponse,
  description: string,
  scheme: 'Bearer' | 'DPoP' = 'Bearer',
  error = 'invalid_token',
): void {
  // RFC 6750 §3 and RFC 9449 §7.1: the resource server's challenge, in the scheme presented.
  const algs = scheme === 'DPoP' ? ` algs="${DPOP_SIGNING_ALGS.join(' ')}",` : '';
  res.setHeader(
    'www-authenticate',
    `${scheme}${algs} error="${error}", error_description="${description.replace(/"/g, "'")}"`,
  );
  sendJson(res, 401, { error, error_description: description });
}

/** How the userinfo endpoint checks DPoP proofs (RFC 9449 §7), where the profile speaks DPoP. */
export interface UserinfoDpop {
  verify: DpopVerifier;
  /** The endpoint's public URL, what a proof's `htu` names. */
  url: string;
}

/**
 * A proof checker for the userinfo endpoint at `path` under the public URL (as discovery writes
 * it): the algorithms discovery lists, proofs remembered (by key and `jti`) against replay for
 * their lifetime.
 */
export function userinfoDpop(publicUrl: URL, path: string): UserinfoDpop {
  const url = `${publicUrl.href.replace(/\/+$/, '')}${path}`;
  const replay = new MemoryDpopReplayCache(100_000);
  return { verify: createDpopVerifier({ algorithms: DPOP_SIGNING_ALGS, replay }), url };
}

/**
 * RFC 9449 §7.1: a DPoP-bound token comes with the `DPoP` scheme and a proof for this request,
 * signed by the bound key and naming the token (`ath`); a token presented with the `DPoP` scheme
 * must be bound. Answers the refusal itself and returns false.
 */
async function proofAccepted(
  dpop: UserinfoDpop | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  presented: { scheme: string; token: string; jkt: unknown },
): Promise<boolean> {
  const { scheme, token, jkt } = presented;
  const viaDpop = scheme.toLowerCase() === 'dpop';
  if (jkt === undefined && !viaDpop) return true;
  if (!dpop) {
    // §7.2: a bound token is not a bearer token; without DPoP here it is refused.
    unauthorized(res, 'the token is DPoP-bound; this server does not speak DPoP');
    return false;
  }
  if (typeof jkt !== 'string' || !viaDpop) {
    const why = viaDpop
      ? 'the token is not DPoP-bound'
      : 'a DPoP-bound token needs the DPoP scheme';
    unauthorized(res, why, 'DPoP');
    return false;
  }
  try {
    await dpop.verify({
      proof: req.headers.dpop,
      method: req.method ?? 'GET',
      url: dpop.url,
      accessTokenHash: createHash('sha256').update(token).digest('base64url'),
      boundJkt: jkt,
    });
    return true;
  } catch (error) {
    const description = error instanceof Error ? error.message : 'invalid DPoP proof';
    unauthorized(res, description, 'DPoP', 'invalid_dpop_proof');
    return false;
  }
}

/**
 * The UserInfo endpoint (OpenID Connect Core §5.3). Keycloak answers it for its audience-bound
 * access tokens; oidc-provider's own endpoint refuses tokens that carry an `aud`, so the dev IdP
 * serves it itself from the stored token.
 */
export async function handleUserinfo(
  registry: AccessTokenRegistry,
  realm: Realm,
  profile: IdpProfile,
  req: IncomingMessage,
  res: ServerResponse,
  dpop?: UserinfoDpop,
): Promise<void> {
  const header = /^(Bearer|DPoP)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  let scheme = header?.[1] ?? 'Bearer';
  let value = header?.[2];
  // RFC 6750 §2.2: the form-encoded body parameter.
  if (!value && req.method === 'POST') {
    value = (await readForm(req)).get('access_token') ?? '';
    scheme = 'Bearer';
  }
  if (!value) {
    res.setHeader('www-authenticate', 'Bearer realm="userinfo"');
    sendJson(res, 401, { error: 'invalid_request', error_description: 'missing access token' });
    return;
  }
  const found = await registry.verify(value);
  const token = found?.record;
  if (!token?.accountId) {
    unauthorized(res, 'token is invalid, expired, revoked or its session has ended');
    return;
  }
  const jkt = (found?.claims.cnf as { jkt?: unknown } | undefined)?.jkt;
  if (!(await proofAccepted(dpop, req, res, { scheme, token: value, jkt }))) return;
  const scopes = new Set(String(token.scope ?? '').split(' '));
  if (!scopes.has('openid')) {
    sendJson(res, 403, { error: 'insufficient_scope', error_description: 'missing openid scope' });
    return;
  }
  const user = [...realm.users.values()].find((u) => u.id === token.accountId);
  if (!user?.enabled) {
    unauthorized(res, 'user not found or disabled');
    return;
  }
  const all = profileClaims(user);
  const claims: Record<string, unknown> = { sub: user.id };
  for (const [scope, names] of Object.entries(SCOPE_CLAIMS)) {
    if (!scopes.has(scope)) continue;
    for (const name of names) if (all[name] !== undefined) claims[name] = all[name];
  }
  Object.assign(
    claims,
    mappedAttributes(user, realm.clients.get(token.clientId ?? ''), 'userinfo'),
  );
  Object.assign(claims, profile.userinfoClaims(user));
  sendJson(res, 200, claims);
}
