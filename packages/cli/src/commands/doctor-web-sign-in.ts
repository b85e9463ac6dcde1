import { createHash, randomBytes } from 'node:crypto';
import type { Io } from '../io.js';
import { inline } from '../output/terminal.js';

/** Where the web app sends the browser back after sign-in (packages/web, `CALLBACK_PATH`). */
const CALLBACK_PATH = '/callback';

/** What the web app opened at an origin signs in with: its `/config.json`. */
export interface WebConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly apiUrl: string;
}

/** One problem of the web app's settings, against the API's configuration or the provider. */
export interface WebFinding {
  readonly code: string;
  /** What it does to the people using the web app, in a few words. */
  readonly effect: string;
  readonly problem: string;
  readonly fix: {
    readonly web?: string;
    readonly api?: string;
    readonly keycloak?: string;
    readonly authentik?: string;
  };
}

/**
 * Sends the provider the authorization request the web app sends (authorization code with PKCE
 * S256, its client id and `<origin>/callback`) and reads the answer without following it. An
 * unknown client or a redirect URI the client does not have is answered without a redirection
 * to that URI (RFC 6749 §4.1.2.1: the server MUST NOT redirect then); another refusal redirects
 * to it with `error`. Nothing is signed in: the request is left unanswered at the login page.
 */
export async function signInFinding(
  io: Io,
  origin: string,
  config: WebConfig,
): Promise<{ verdict?: 'accepted' | 'refused'; finding?: WebFinding }> {
  const redirectUri = `${origin}${CALLBACK_PATH}`;
  const endpoint = await authorizationEndpoint(io, config.issuer);
  if (endpoint === undefined) return {};
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(endpoint);
  for (const [name, value] of Object.entries({
    client_id: config.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(name, value);
  let response: Response;
  try {
    response = await io.fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
  } catch {
    return {};
  }
  const location = response.headers.get('location');
  const body = location === null ? await response.text().catch(() => '') : '';
  await response.body?.cancel().catch(() => {});
  const back =
    location !== null && URL.canParse(location, endpoint) ? new URL(location, endpoint) : undefined;
  const error =
    back !== undefined && `${back.origin}${back.pathname}` === redirectUri
      ? (back.searchParams.get('error') ?? undefined)
      : undefined;
  if (error === undefined && response.status < 400) return { verdict: 'accepted' };
  // Which of the two the provider's page names, when it names one (Keycloak, the dev IdP and
  // Authentik all do); a redirection with `error` says it itself.
  const kind =
    error !== undefined
      ? 'error'
      : /redirect[_ ]uri/i.test(body)
        ? 'redirect'
        : /client/i.test(body)
          ? 'client'
          : 'either';
  const which = {
    error: `with ${inline(error ?? '', 100)}`,
    redirect: `(HTTP ${response.status}): ${redirectUri} is not one of the client's redirect URIs`,
    client: `(HTTP ${response.status}): it has no client ${config.clientId}`,
    either: `(HTTP ${response.status}): no client ${config.clientId}, or ${redirectUri} is not one of its redirect URIs`,
  }[kind];
  return {
    verdict: 'refused',
    finding: {
      code: 'web_client_refused',
      effect: 'nobody can sign in to the web app',
      problem: `The provider refuses the web app's sign-in as ${config.clientId} with redirect URI ${redirectUri} ${which}.`,
      fix: {
        ...(kind !== 'redirect' && {
          web: `Set the web app's OIDC_CLIENT_ID to its client at the provider (todo-ui in the shipped realm and blueprint).`,
        }),
        keycloak: `Clients → ${config.clientId} (Client authentication Off, Standard flow On, PKCE S256): Valid redirect URIs ${origin}/*, Valid post logout redirect URIs ${origin}/*, Web origins ${origin}.`,
        authentik: `Providers → the web app's OAuth2 provider: Client type Public, Client ID ${config.clientId}, Redirect URIs ^${origin.replace(/\./g, '\\.')}/.*$ (a regular expression).`,
      },
    },
  };
}

/** The provider's authorization endpoint from its discovery document (OIDC Discovery §4). */
async function authorizationEndpoint(io: Io, issuer: string): Promise<string | undefined> {
  try {
    const response = await io.fetch(
      `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
      { redirect: 'manual', signal: AbortSignal.timeout(5_000) },
    );
    const metadata = (await response.json()) as { authorization_endpoint?: unknown };
    const endpoint = metadata.authorization_endpoint;
    return typeof endpoint === 'string' && URL.canParse(endpoint) ? endpoint : undefined;
  } catch {
    return undefined;
  }
}
