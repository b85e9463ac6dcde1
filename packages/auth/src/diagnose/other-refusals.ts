import type { ResolvedIssuer } from '../config.js';
import type { AuthError } from '../errors.js';
import { refusesClient } from '../introspection/introspect.js';
import type { DecodedToken } from '../token/decode.js';
import { describeValue } from '../token/describe-value.js';
import type { Finding, SettingName } from './types.js';

const NTP =
  'Synchronise the clocks of the identity provider and API hosts with NTP (timedatectl set-ntp true, or chrony); containers use their host’s clock.';

const SIGN_IN_AGAIN = 'Sign in again and send the access token as "Authorization: Bearer <token>".';

const show = (value: unknown) => (value === undefined ? '(absent)' : describeValue(value));

type Base = Pick<Finding, 'check' | 'issuer' | 'apiCode'>;

function algorithm(base: Base, token: DecodedToken | undefined, issuer?: ResolvedIssuer): Finding {
  return {
    ...base,
    code: 'algorithm_not_allowed',
    summary: `The token is signed with ${show(token?.header.alg)}, which the API does not accept.`,
    expected: (issuer?.algorithms ?? []).join(', '),
    received: show(token?.header.alg),
    fix: {
      keycloak:
        'Realm settings → Tokens → Default signature algorithm: RS256 (or the client’s Advanced → Access token signature algorithm).',
      authentik: 'Provider → Signing Key: an RSA certificate (RS256) or an EC P-256 one (ES256).',
    },
  };
}

function time(base: Base, future: boolean, payload: Record<string, unknown>, nowSec: number) {
  const skew = typeof payload.iat === 'number' ? payload.iat - nowSec : undefined;
  const refresh = 'Refresh the token (sign in again). If tokens expire at once, check both clocks.';
  return {
    ...base,
    code: future ? 'clock_skew' : 'token_expired',
    summary: future
      ? `The token was issued ${skew ?? '?'} s in the future by this host's clock: the provider's clock runs ahead.`
      : 'The token has expired.',
    expected: future ? 'iat and nbf not after now (with the leeway)' : 'exp after now',
    received: future ? `iat ${show(payload.iat)}` : `exp ${show(payload.exp)}`,
    fix: future ? { keycloak: NTP, authentik: NTP } : { keycloak: refresh, authentik: refresh },
  } satisfies Finding;
}

function key(base: Base, error: AuthError, token?: DecodedToken, issuer?: ResolvedIssuer): Finding {
  return {
    ...base,
    code: error.code === 'key_unknown' ? 'key_unknown' : 'signature_invalid',
    summary: `${error.description}: the token was not signed by a key of ${issuer?.issuer ?? 'the issuer'}.`,
    received: `kid ${show(token?.header.kid)}`,
    fix: {
      keycloak:
        'Get tokens from the realm the API trusts; after a key rotation the old key must stay in the realm (Passive) until its tokens expire.',
      authentik: 'Get tokens from the provider the API trusts (same signing key).',
    },
  };
}

/**
 * An introspection call without a usable answer (RFC 7662): the provider refused the API's own
 * client authentication (§2.1: 401 or 403, or 400 `invalid_client`), or could not be asked. Either way the token itself
 * may be fine, so the fix is the API's credentials or its route to the provider, not a new sign-in.
 */
function introspection(base: Base, error: AuthError, name: SettingName): Finding {
  const [id, secret] = [
    name('clientId', 'OIDC_CLIENT_ID'),
    name('clientSecret', 'OIDC_CLIENT_SECRET'),
  ];
  const verify = name('verify', 'OIDC_VERIFY');
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  // 401, 403, or 400 invalid_client (RFC 6749 §5.2): the introspection call's own verdict.
  const refused = refusesClient(error.cause);
  return {
    ...base,
    code: 'token_refused',
    summary: refused
      ? "The provider's introspection endpoint refused the API's client credentials, so no token can be checked."
      : `The API cannot ask the provider about the token: ${error.description}.`,
    expected: 'an introspection answer with a boolean "active" (RFC 7662 §2.2)',
    received: cause ?? error.description,
    fix: refused
      ? {
          config: `Set ${id} and ${secret} to a confidential client of this provider that may introspect tokens (or verify JWTs locally: ${verify}=jwt).`,
          keycloak: `Clients → <the API’s client> → Credentials: Client Authenticator "Client Id and Secret"; copy the Client Secret into ${secret}.`,
          authentik: `Providers → <the API’s provider> → Edit: client type Confidential; copy its Client ID and Client Secret into ${id} and ${secret}.`,
        }
      : {
          config: `When the API reaches the provider at another address than the public issuer (Docker, Kubernetes), set ${name('discoveryUrl', 'OIDC_DISCOVERY_URL')} to that address; or verify JWTs locally: ${verify}=jwt.`,
          keycloak:
            'The introspection endpoint is <issuer>/protocol/openid-connect/token/introspect; it must be reachable from the API.',
          authentik:
            'The introspection endpoint is /application/o/introspect/; it must be reachable from the API.',
        },
  };
}

/**
 * A token whose key (`kid`) the API's kept keys lack while their refetch waits out its cooldown:
 * the provider may have rotated keys since the API last fetched them, or the API is being sent
 * tokens with made-up key ids (a flood closes the refetch gate for one cooldown). The token may
 * be fine: the way on is to wait the 503's `Retry-After` (RFC 9110 §10.2.3), not to sign in.
 */
function deferred(base: Base, error: AuthError, token: DecodedToken | undefined): Finding {
  const wait =
    error.retryAfterSec === undefined ? 'Retry-After' : `${error.retryAfterSec} s (Retry-After)`;
  const advice = `Nothing to change and no need to sign in again: send the same token after ${wait}, once the API may fetch the provider's keys again. If it keeps happening, the API is being sent tokens with unknown key ids: see auth_failures_total{code="key_refetch_deferred"} and jwks_fetches_total{reason="unknown_kid"} in its /metrics.`;
  return {
    ...base,
    code: 'key_refetch_deferred',
    summary: `The API cannot decide the token yet: its key may have been rotated in at the provider after the API fetched the keys, which it fetches again at most once per cooldown (tokens with unknown key ids close it). Try again after ${wait}.`,
    expected:
      'a key id (kid) of the keys the API holds, or keys fetched after the token was issued',
    received: `kid ${show(token?.header.kid)}`,
    fix: { keycloak: advice, authentik: advice },
  };
}

/** Findings for refusals that need no claim analysis: algorithm, time, key and the rest. */
export function otherRefusal(
  error: AuthError,
  token: DecodedToken | undefined,
  issuer: ResolvedIssuer | undefined,
  nowSec: number,
  name: SettingName = (_field, variable) => variable,
): Finding {
  const base: Base = {
    check: 'token',
    ...(issuer === undefined ? {} : { issuer: issuer.issuer }),
    apiCode: error.code,
  };
  if (error.code === 'alg_not_allowed') return algorithm(base, token, issuer);
  if (error.code === 'token_not_yet_valid' || error.code === 'token_expired')
    return time(base, error.code === 'token_not_yet_valid', token?.payload ?? {}, nowSec);
  if (error.code === 'key_unknown' || error.code === 'signature_invalid')
    return key(base, error, token, issuer);
  if (error.code === 'key_refetch_deferred') return deferred(base, error, token);
  if (error.code === 'idp_unavailable' && issuer?.verify === 'introspect')
    return introspection(base, error, name);
  return {
    ...base,
    code: error.code === 'token_malformed' ? 'token_malformed' : 'token_refused',
    summary: `The API refuses the token: ${error.description}.`,
    fix: { keycloak: SIGN_IN_AGAIN, authentik: SIGN_IN_AGAIN },
  };
}
