import type { ResolvedIssuer } from '../config.js';
import type { AuthError } from '../errors.js';
import { PROFILES } from '../profiles/index.js';
import { hasAccessClaim } from '../token/access-token-type.js';
import type { DecodedToken } from '../token/decode.js';
import { describeValue } from '../token/describe-value.js';
import { typNames } from '../token/media-type.js';
import { audiencesOf } from '../token/validate-claims.js';
import { closestIssuer, issuerFinding } from './issuer-difference.js';
import { otherRefusal } from './other-refusals.js';
import type { Finding, SettingName } from './types.js';

type Claims = Readonly<Record<string, unknown>>;

const variables: SettingName = (_field, variable) => variable;

/** The setting names for `issuer`: its OIDC_ISSUERS entry's fields when `listed`. */
export function settingNames(
  listed: boolean,
  trusted: readonly ResolvedIssuer[],
  issuer: string | undefined,
): SettingName {
  const index = trusted.findIndex((i) => i.issuer === issuer);
  if (!listed) return variables;
  return (field) => `OIDC_ISSUERS[${index < 0 ? 'i' : index}].${field}`;
}

/**
 * Keycloak's lightweight access tokens (client setting "Always use lightweight access token")
 * keep only `iss`, `sub`, `exp`, `iat`, `jti`, `typ`, `azp`, `sid` and `scope`: no audience,
 * no roles and no profile claims unless each mapper opts in.
 */
export function isLightweight(issuer: ResolvedIssuer | undefined, claims: Claims): boolean {
  if (issuer !== undefined && !PROFILES[issuer.profile].lightweightAccessTokens) return false;
  const full = ['realm_access', 'resource_access', 'preferred_username', 'email', 'name'];
  return (
    typeof claims.azp === 'string' &&
    typeof claims.sid === 'string' &&
    full.every((name) => claims[name] === undefined)
  );
}

const show = (value: unknown) => (value === undefined ? '(absent)' : describeValue(value));

/** The finding for a Keycloak lightweight access token. */
export function lightweightFinding(
  issuer: string,
  apiCode: Finding['apiCode'],
  name: SettingName = variables,
): Finding {
  return {
    code: 'lightweight_access_token',
    check: 'token',
    issuer,
    ...(apiCode === undefined ? {} : { apiCode }),
    summary:
      'This is a Keycloak lightweight access token: it carries no audience, roles or profile claims, so the API cannot authorise it.',
    expected: 'aud, realm_access.roles and resource_access in the access token',
    received: 'only iss, sub, azp, sid, scope and the time claims',
    fix: {
      keycloak:
        'Clients → <client> → Advanced → "Always use lightweight access token": Off (client attribute client.use.lightweight.access.token.enabled=false); or turn on "Add to lightweight access token" on the audience and roles mappers.',
      authentik: 'Authentik issues no lightweight tokens; check the provider’s scope mappings.',
      config: `Or verify by introspection, which answers the full claims: ${name('verify', 'OIDC_VERIFY')}=introspect with ${name('clientId', 'OIDC_CLIENT_ID')} and ${name('clientSecret', 'OIDC_CLIENT_SECRET')}.`,
    },
  };
}

function audienceFinding(issuer: ResolvedIssuer, claims: Claims, name: SettingName): Finding {
  const audience = name('audience', 'OIDC_AUDIENCE');
  const received = audiencesOf(claims);
  const expected = issuer.audiences.join(' or ');
  const base = {
    check: 'token' as const,
    issuer: issuer.issuer,
    apiCode: 'audience_mismatch' as const,
    expected,
    received: received.length === 0 ? '(absent)' : received.join(', '),
  };
  if (PROFILES[issuer.profile].audienceIsClientId)
    return {
      ...base,
      code: 'audience_mismatch',
      summary: `Authentik puts the requesting client's id in aud (${base.received}), and the API does not accept it.`,
      fix: {
        authentik: `Authentik cannot add an audience: list the client ids whose tokens reach the API in ${audience}.`,
        keycloak: `Add an Audience mapper including ${issuer.audiences[0]} to the client.`,
        config: `${audience}=${[...issuer.audiences, ...received].join(',')} if that client is meant for this API.`,
      },
    };
  // Audiences other than Keycloak's "account": the token is meant for some API, perhaps this one
  // under another name than the configured audience gives it.
  const named = received.filter((a) => a !== 'account');
  return {
    ...base,
    code: 'audience_mapper_missing',
    summary:
      named.length > 0
        ? `The token's audience is ${base.received}, not ${expected}: either ${audience} names this API differently from the provider, or the client has no audience mapper for ${expected}.`
        : `The token's audience is ${base.received}, not ${expected}: the client has no audience mapper for the API${received.includes('account') ? ' ("account" comes from Keycloak’s default roles scope)' : ''}.`,
    fix: {
      keycloak: `Clients → <client> → Client scopes → <client>-dedicated → Add mapper → By configuration → Audience: Included Client Audience = ${issuer.audiences[0]}, Add to access token = On.`,
      authentik: `Authentik always sets aud to the client id: list the client ids in ${audience} (e.g. todo-ui,todo-cli).`,
      config:
        named.length > 0
          ? `If ${named.join(' or ')} is this API, set ${audience}=${named[0]} (or add it: ${audience}=${[...issuer.audiences, named[0]].join(',')}).`
          : `Do not add "account" to ${audience}: every token of the realm carries it.`,
    },
  };
}

/**
 * An access token an issuer with `requireAtJwtTyp` signed without RFC 9068's `typ: at+jwt`:
 * Keycloak's default (`JWT`), unless the client asks for `at+jwt`.
 */
function atJwtFinding(issuer: ResolvedIssuer, token: DecodedToken, name: SettingName): Finding {
  const setting = name('requireAtJwtTyp', 'requireAtJwtTyp');
  return {
    code: 'at_jwt_typ_required',
    check: 'token',
    issuer: issuer.issuer,
    apiCode: 'token_type_invalid',
    summary: `The API accepts only RFC 9068 at+jwt access tokens from this issuer (${setting}), and this one's header typ is ${show(token.header.typ)}.`,
    expected: 'header typ at+jwt',
    received: `header typ ${show(token.header.typ)}`,
    fix: {
      keycloak:
        'Clients → <client> → Advanced → "Use at+jwt as access token header type": On (client attribute access.token.header.type.rfc9068=true), on every client whose tokens reach the API.',
      authentik: `Authentik signs its access tokens with typ JWT: leave ${setting} unset for it.`,
      config: `Or accept this issuer's JWT-typed tokens: remove ${setting}.`,
    },
  };
}

/** Keycloak's `typ` claim of an access token (`Bearer`, `DPoP`), or none. */
const accessTypClaim = (typ: unknown) =>
  typ === undefined || (typeof typ === 'string' && ['bearer', 'dpop'].includes(typ.toLowerCase()));

function typeFinding(
  issuer: ResolvedIssuer | undefined,
  token: DecodedToken,
  name: SettingName,
): Finding {
  const { payload } = token;
  const profile = issuer === undefined ? undefined : PROFILES[issuer.profile];
  const clientAudience = profile?.audienceIsClientId === true;
  // What access-token-type.ts takes for an ID token: no access-token marker and no client apart
  // from its audiences (OpenID Connect Core §2), or Authentik's token without azp/uid.
  const { azp } = payload;
  const unmarked =
    (token.header.typ === undefined || typNames(token.header.typ, 'jwt')) &&
    payload.typ === undefined &&
    payload.events === undefined &&
    !hasAccessClaim(payload);
  const idMarkers =
    (payload.nonce !== undefined && profile?.nonceInAccessTokens !== true) ||
    payload.at_hash !== undefined ||
    (typeof payload.typ === 'string' && payload.typ.toLowerCase() === 'id') ||
    (clientAudience && azp === undefined && payload.uid === undefined) ||
    (!clientAudience &&
      unmarked &&
      (typeof azp !== 'string' || audiencesOf(payload).includes(azp)));
  const base = {
    check: 'token' as const,
    ...(issuer === undefined ? {} : { issuer: issuer.issuer }),
    apiCode: 'token_type_invalid' as const,
  };
  if (idMarkers)
    return {
      ...base,
      code: 'id_token',
      summary:
        'This is an ID token, not an access token: it tells the client who signed in and must never open an API.',
      expected: 'the access_token of the token response',
      received: `an ID token (aud ${show(payload.aud)})`,
      fix: {
        keycloak:
          'Send access_token from the token response (keycloak-js: keycloak.token, not keycloak.idToken).',
        authentik: 'Send access_token from the token response, not id_token.',
      },
    };
  // A strict issuer's typ check comes before the claims' (access-token-type.ts): an access token
  // otherwise good, typed JWT or not at all.
  if (
    issuer?.requireAtJwtTyp &&
    (token.header.typ === undefined || typNames(token.header.typ, 'jwt')) &&
    accessTypClaim(payload.typ) &&
    payload.events === undefined
  )
    return atJwtFinding(issuer, token, name);
  return {
    ...base,
    code: 'token_type_invalid',
    summary: `This is not an access token (header typ ${show(token.header.typ)}, typ claim ${show(payload.typ)}).`,
    expected: 'an access token (typ "Bearer" for Keycloak, "at+jwt" per RFC 9068)',
    received: `typ ${show(payload.typ)}`,
    fix: {
      keycloak: 'Send access_token, never refresh_token, from the token response.',
      authentik: 'Send access_token, never refresh_token, from the token response.',
    },
  };
}

/**
 * Explains the authenticator's refusal of a token with the token's own claims: expected versus
 * received values and the fix. `issuer` is the trusted issuer the token was routed to, if any;
 * `listed`: the API reads its issuers from OIDC_ISSUERS, so fixes name the entry's fields.
 */
export function explainRefusal(
  error: AuthError,
  token: DecodedToken | undefined,
  issuer: ResolvedIssuer | undefined,
  trusted: readonly ResolvedIssuer[],
  nowSec: number,
  listed = false,
): Finding[] {
  const name = settingNames(listed, trusted, issuer?.issuer);
  const payload = token?.payload ?? {};
  const iss = typeof payload.iss === 'string' ? payload.iss : undefined;
  const closest = iss === undefined ? undefined : closestIssuer(trusted, iss);
  if (error.code === 'issuer_unknown' && iss !== undefined && closest !== undefined)
    return [
      issuerFinding(closest.issuer, iss, 'token', settingNames(listed, trusted, closest.issuer)),
    ];
  if (error.code === 'audience_mismatch' && token !== undefined && isLightweight(issuer, payload))
    return [lightweightFinding(issuer?.issuer ?? '', 'audience_mismatch', name)];
  if (error.code === 'audience_mismatch' && issuer !== undefined)
    return [audienceFinding(issuer, payload, name)];
  if (error.code === 'token_type_invalid' && token !== undefined)
    return [typeFinding(issuer, token, name)];
  return [otherRefusal(error, token, issuer, nowSec, name)];
}
