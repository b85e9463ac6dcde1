import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import type { MemoryStore } from '../adapter.js';
import { DEFAULT_RESOURCE, OIDC_SCOPES } from '../constants.js';
import type { OtpVerifier } from '../otp/verifier.js';
import type { Realm, RealmUser } from '../realm/types.js';
import { acrOf, LEVEL_OTP, LEVEL_PASSWORD } from '../sessions/acr.js';
import { recordSessionAddress } from '../sessions/address.js';
import type { LoginGuard } from '../sessions/context.js';
import { sessionTtl } from '../sessions/lifespan.js';
import { authenticate } from '../sessions/login.js';
import { mappedAttributes, profileClaims } from '../tokens/claims.js';
import { tokenRequestProof } from '../tokens/dpop.js';

/**
 * Keycloak answers bad credentials — a wrong password or OTP, an unknown user, a locked account,
 * alike — with 401 `invalid_grant` "Invalid user credentials".
 */
function invalidCredentials(): Error {
  const error = new errors.CustomOIDCProviderError('invalid_grant', 'Invalid user credentials');
  return Object.assign(error, { status: 401, statusCode: 401 });
}

type Checks = { otp: OtpVerifier; guard: LoginGuard; store: MemoryStore };
type Params = Record<string, unknown> | undefined;

/**
 * Checks the credentials as Keycloak's direct grant does: the password, then the OTP if one is
 * given (`otp`, formerly `totp`; a wrong one is a failed sign-in). Without it the sign-in is
 * password-only (level 1).
 */
function signIn(realm: Realm, checks: Checks, params: Params) {
  const username = String(params?.username ?? '');
  const password = String(params?.password ?? '');
  if (!username || !password) {
    throw new errors.InvalidRequest('missing required parameter(s) username, password');
  }
  const result = authenticate(realm, checks.guard, username, password);
  if ('error' in result && result.error === 'disabled') {
    throw new errors.CustomOIDCProviderError('invalid_grant', 'Account disabled');
  }
  if ('error' in result) throw invalidCredentials();
  const { user } = result;
  if (user.requiredActions.length > 0) {
    // Keycloak's answer while a required action (a temporary password…) is pending.
    throw new errors.CustomOIDCProviderError('invalid_grant', 'Account is not fully set up');
  }
  const otp = String(params?.otp ?? params?.totp ?? '');
  if (otp && !checks.otp.verify(user, otp)) {
    checks.guard.failed(user);
    throw invalidCredentials();
  }
  checks.guard.succeeded(user);
  const amr = otp ? ['pwd', 'otp'] : ['pwd'];
  const acr = acrOf(realm, otp ? LEVEL_OTP : LEVEL_PASSWORD);
  return { user, amr, acr };
}

/** The scopes granted: Keycloak's default client scopes always, `openid` only when asked for. */
function grantedScopes(params: Params): Set<string> {
  const requested = String(params?.scope ?? '')
    .split(' ')
    .filter(Boolean);
  const unknown = requested.filter((s) => !OIDC_SCOPES.includes(s));
  if (unknown.length > 0) throw new errors.InvalidScope('invalid scope', unknown.join(' '));
  return new Set(['profile', 'email', ...requested]);
}

/** The ID token of a password grant, with the session's claims (OpenID Connect Core §2). */
async function passwordIdToken(
  provider: Provider,
  realm: Realm,
  ctx: KoaContextWithOIDC,
  issued: { user: RealmUser; clientId: string; scope: string; sid: string; authTime: number },
  signedIn: { acr: string; amr: string[] },
): Promise<string> {
  const claims = {
    ...profileClaims(issued.user),
    ...mappedAttributes(issued.user, realm.clients.get(issued.clientId), 'idToken'),
  };
  const token = new provider.IdToken(claims, { ctx });
  // Scope-filters the profile claims (OpenID Connect Core §5.4).
  (token as unknown as { scope: string }).scope = issued.scope;
  token.set('sid', issued.sid);
  // Set outside the claims, which the scope filter would drop (OpenID Connect Core §2).
  token.set('auth_time', issued.authTime);
  token.set('acr', signedIn.acr);
  token.set('amr', signedIn.amr);
  return token.issue({ use: 'idtoken' });
}

/**
 * The grant and the user session a password sign-in opens, as Keycloak's direct grant does; the
 * session lives until its idle timeout, capped by the max lifespan from this sign-in.
 */
async function openSession(
  provider: Provider,
  realm: Realm,
  checks: Checks,
  ctx: KoaContextWithOIDC,
  signedIn: { accountId: string; clientId: string; scope: string; acr: string; amr: string[] },
) {
  const { accountId, clientId, scope, acr, amr } = signedIn;
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(scope);
  grant.addResourceScope(DEFAULT_RESOURCE, scope);
  const grantId = await grant.save();

  const session = new provider.Session();
  session.loginAccount({ accountId, acr, amr });
  session.ensureClientContainer(clientId);
  session.grantIdFor(clientId, grantId);
  const sid = session.sidFor(clientId) as string;
  await session.save(sessionTtl(realm, session.loginTs));
  const address = ctx.req.socket.remoteAddress;
  recordSessionAddress(checks.store, session.uid, address, realm.ssoSessionMaxLifespan);
  return { grantId, session, sid };
}

/** The requesting client, if the realm lets it use the direct grant. */
function directGrantClient(realm: Realm, ctx: KoaContextWithOIDC) {
  const { client } = ctx.oidc;
  if (!client) throw new errors.InvalidClient('client not found');
  if (!realm.clients.get(client.clientId)?.directAccessGrants) {
    // RFC 6749 §5.2; Keycloak's wording.
    throw new errors.CustomOIDCProviderError(
      'unauthorized_client',
      'Client not allowed for direct access grants',
    );
  }
  return client;
}

/**
 * The Resource Owner Password Credentials grant (RFC 6749 §4.3), which Keycloak keeps for clients
 * with `directAccessGrantsEnabled` and which scripts and tests use. Like Keycloak it opens a
 * user session, so tokens carry a `sid` and the session can be ended by logout or expiry.
 */
export function registerPasswordGrant(
  provider: Provider,
  realm: Realm,
  resourceServerInfo: (clientId: string) => ResourceServer,
  checks: Checks,
): void {
  provider.registerGrantType(
    'password',
    async (ctx: KoaContextWithOIDC) => {
      const { params } = ctx.oidc;
      const client = directGrantClient(realm, ctx);
      // RFC 9449 §5: the proof is checked before the credentials, as for every other grant.
      const bind = await tokenRequestProof(provider, realm, ctx);
      const signedIn = signIn(realm, checks, params);
      const { user, acr, amr } = signedIn;
      const scopes = grantedScopes(params);
      const scope = [...scopes].join(' ');

      const { grantId, session, sid } = await openSession(provider, realm, checks, ctx, {
        accountId: user.id,
        clientId: client.clientId,
        scope,
        acr,
        amr,
      });

      // What the access and the refresh token share: who, for which client, grant and session.
      const issued = {
        accountId: user.id,
        client,
        grantId,
        gty: 'password',
        scope,
        sessionUid: session.uid,
        sid,
        expiresWithSession: true,
      };
      const at = new provider.AccessToken(issued);
      const audience = resourceServerInfo(client.clientId);
      at.resourceServer = new provider.ResourceServer(DEFAULT_RESOURCE, audience);
      const rt = new provider.RefreshToken({
        ...issued,
        resource: DEFAULT_RESOURCE,
        rotations: 0,
        authTime: session.authTime(),
        acr,
        amr,
      });
      bind?.(at, rt);
      ctx.oidc.entity('AccessToken', at);
      const accessToken = await at.save();
      const refreshToken = await rt.save();
      const idToken = scopes.has('openid')
        ? await passwordIdToken(
            provider,
            realm,
            ctx,
            { user, clientId: client.clientId, scope, sid, authTime: session.authTime() as number },
            signedIn,
          )
        : undefined;

      ctx.body = {
        access_token: accessToken,
        expires_in: at.expiration,
        // ttl.RefreshToken bounds it like the session: min(idle, time left until the max).
        refresh_expires_in: rt.expiration,
        refresh_token: refreshToken,
        // `DPoP` for a token bound to the request's proof (RFC 9449 §5), else `Bearer`.
        token_type: at.tokenType,
        ...(idToken ? { id_token: idToken } : {}),
        'not-before-policy': 0,
        session_state: sid,
        scope: scope,
      };
    },
    ['username', 'password', 'scope', 'otp', 'totp'],
  );
}
