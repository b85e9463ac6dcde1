import { withDeadline } from '../deadline.js';
import { CliError } from '../errors.js';
import { whatToCheck, whyUnanswered } from '../net-failure.js';
import { inline } from '../output/terminal.js';
import { isTokenSafeUrl } from '../settings.js';
import { readJson } from './http.js';

/** The provider metadata the CLI uses (OpenID Connect Discovery 1.0 §3, RFC 8414 §2). */
export interface ProviderMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly authorization_endpoint?: string;
  /** RFC 9207 §3: the provider puts `iss` in every authorization response. */
  readonly authorization_response_iss_parameter_supported?: boolean;
  readonly device_authorization_endpoint?: string;
  readonly end_session_endpoint?: string;
  readonly revocation_endpoint?: string;
  /** RFC 9449 §5.1: the proof algorithms the token endpoint takes; absent without DPoP. */
  readonly dpop_signing_alg_values_supported?: readonly string[];
}

/**
 * Loads the provider's metadata from `<issuer>/.well-known/openid-configuration` — the only
 * URL the CLI derives, so Keycloak, Authentik and the dev IdP all work by their issuer alone.
 * OIDC Discovery §4.3: the document's `issuer` must be exactly the one asked for.
 */
export async function discover(
  fetchImpl: typeof fetch,
  issuer: string,
  signal?: AbortSignal,
): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const unreachable = (cause: unknown) =>
    new CliError(
      'idp_unreachable',
      `The identity provider at ${issuer} cannot be reached${whyUnanswered(cause)}; ${whatToCheck(cause, 'the identity provider', '--issuer (TODO_ISSUER)')}`,
      { cause },
    );
  // Within 15 s, its answer read to the end, and until `signal` aborts (the caller gave up): a
  // deadline that holds its controller (see withDeadline), so the connection is really closed.
  const answer = withDeadline(15_000, async (deadline) => {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        headers: { accept: 'application/json' },
        signal: signal === undefined ? deadline : AbortSignal.any([deadline, signal]),
      });
    } catch (cause) {
      throw unreachable(cause);
    }
    return { response, metadata: response.ok ? await readJson(response, url) : undefined };
  });
  const { response, metadata } = await answer.catch((e: unknown) => {
    throw e instanceof CliError ? e : unreachable(e);
  });
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    // A 404: the server answers, the issuer's path is not one of its issuers (a realm name that
    // differs, case included; an Authentik slug or its trailing slash).
    const hint =
      response.status === 404
        ? ': the provider has no issuer there; is --issuer (TODO_ISSUER) right? (Keycloak: <server>/realms/<realm>, the realm name exactly, case included; Authentik: <server>/application/o/<slug>/)'
        : '; is --issuer (TODO_ISSUER) right?';
    throw new CliError('idp_error', `${url} answered HTTP ${response.status}${hint}`);
  }
  if (metadata === undefined)
    throw new CliError(
      'idp_error',
      `${url} is not an OpenID Provider configuration (no JSON object); is --issuer (TODO_ISSUER) right?`,
    );
  if (metadata.issuer !== issuer) {
    const named = inline(String(metadata.issuer), 300);
    throw new CliError(
      'idp_error',
      `The provider calls itself ${named}, not ${issuer}; use --issuer ${named}`,
    );
  }
  if (typeof metadata.token_endpoint !== 'string')
    throw new CliError('idp_error', `${url} has no token_endpoint`);
  // The device code, refresh tokens, the person's password and sign-out requests go to these:
  // never in the clear to another machine (RFC 6749 §3.1 and §3.2 and RFC 8628 §3.1 require
  // TLS; RFC 7009 §2 too).
  for (const name of [
    'token_endpoint',
    'authorization_endpoint',
    'device_authorization_endpoint',
    'end_session_endpoint',
    'revocation_endpoint',
  ]) {
    const value = metadata[name];
    if (value !== undefined && !isTokenSafeUrl(value))
      throw new CliError(
        'idp_error',
        `The provider's ${name} must be https (or http on this machine only); got "${inline(String(value), 300)}"`,
      );
  }
  return metadata as unknown as ProviderMetadata;
}

/**
 * Whether the API says it accepts DPoP-bound tokens only: `dpop_bound_access_tokens_required` in
 * its protected resource metadata (RFC 9728 §2, §3). An API that cannot be asked counts as not
 * requiring them; if it does, the sign-in's check of `/me` says the token was refused.
 */
export async function apiRequiresDpop(fetchImpl: typeof fetch, apiUrl: string): Promise<boolean> {
  const url = `${apiUrl.replace(/\/+$/, '')}/.well-known/oauth-protected-resource`;
  try {
    const response = await fetchImpl(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      return false;
    }
    return (await readJson(response, url))?.dpop_bound_access_tokens_required === true;
  } catch {
    return false;
  }
}
