import { randomUUID } from 'node:crypto';
import type { ResolvedIssuer } from '../config.js';
import { clientBasicAuth } from '../http/client-basic-auth.js';
import { metadataUrl, rewriteEndpoint } from '../jwks/discovery.js';
import { PROFILES } from '../profiles/index.js';
import type { Finding, SettingName } from './types.js';

type Http = { readonly fetch: typeof fetch; readonly timeoutMs: number };

/** One form POST with the API's client credentials; `undefined` when nothing answered. */
async function post(
  endpoint: string,
  form: Record<string, string>,
  credentials: { clientId: string; clientSecret: string },
  http: Http,
): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const response = await http.fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: clientBasicAuth(credentials.clientId, credentials.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(http.timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as unknown;
    const members = typeof body === 'object' && body !== null ? body : {};
    return { status: response.status, body: members as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/** A string no provider issued: the probes ask about no one's token. */
const sentinel = () => `todo-doctor-probe-${randomUUID()}`;

/**
 * RFC 7662 §2.1 requires client authentication at the introspection endpoint; a refusal is 401
 * or 403 (Keycloak 26.0–26.6 words a failed authentication as 401 `invalid_request`, 26.7 as
 * `invalid_client`; a public client gets 403), or 400 `invalid_client` (RFC 6749 §5.2). The
 * HTTP status and error code, never the body's text.
 */
function refusal(answer: { status: number; body: Record<string, unknown> }): string | undefined {
  const error = typeof answer.body.error === 'string' ? answer.body.error : undefined;
  const described = `HTTP ${answer.status}${error === undefined ? '' : ` ${error}`}`;
  if (answer.status === 401 || answer.status === 403) return described;
  if (answer.status === 400 && (error === 'invalid_client' || error === 'unauthorized_client'))
    return described;
  return undefined;
}

/**
 * Authentik answers introspection by a client it does not authenticate `{"active": false}`, as
 * for an unknown token (authentik providers/oauth2/views/introspection.py, `authenticate_provider`),
 * so the credentials are checked at its token endpoint instead: a refresh token grant with a
 * sentinel refresh token compares the secret first (token.py, `TokenParams.__post_init__`:
 * 400 `invalid_client`) and only then looks the token up (`invalid_grant`). Nothing is issued.
 */
async function tokenEndpointVerdict(
  issuer: ResolvedIssuer & { clientId: string; clientSecret: string },
  metadata: Record<string, unknown>,
  http: Http,
): Promise<string | undefined> {
  if (typeof metadata.token_endpoint !== 'string') return undefined;
  const endpoint = rewriteEndpoint(issuer, metadata.token_endpoint);
  if (metadataUrl(issuer).startsWith('https:') && !endpoint.startsWith('https:')) return undefined;
  const form = { grant_type: 'refresh_token', refresh_token: sentinel() };
  const answer = await post(endpoint, form, issuer, http);
  // RFC 6749 §5.2: `invalid_grant` and `unauthorized_client` come after the client authenticated.
  return answer?.body.error === 'invalid_client' ? 'invalid_client' : undefined;
}

/**
 * With OIDC_VERIFY=introspect, whether the provider accepts the API's own client at its
 * introspection endpoint: one introspection of a sentinel string (no one's token) with the API's
 * credentials, as the API sends them. A refusal makes every request with a token 503; Authentik
 * answers a refused client as an inactive token, so its token endpoint is asked as well, as the
 * API's readiness does (introspection/hidden-refusal.ts). Nothing is reported when an endpoint cannot be reached
 * (discovery reports that) or the answer says nothing about the client; the secret is never shown.
 */
export async function introspectionClientFinding(
  issuer: ResolvedIssuer,
  metadata: Record<string, unknown>,
  introspectionEndpoint: string | undefined,
  http: Http,
  name: SettingName,
): Promise<Finding | undefined> {
  const { clientId, clientSecret } = issuer;
  if (issuer.verify !== 'introspect' || introspectionEndpoint === undefined) return undefined;
  if (clientId === undefined || clientSecret === undefined) return undefined;
  // RFC 6749 §2.3.1: the secret travels over TLS only (the API's introspection refuses the same).
  if (metadataUrl(issuer).startsWith('https:') && !introspectionEndpoint.startsWith('https:'))
    return undefined;
  const credentials = { ...issuer, clientId, clientSecret };
  const answer = await post(introspectionEndpoint, { token: sentinel() }, credentials, http);
  if (answer === undefined) return undefined;
  const refused = refusal(answer);
  if (refused !== undefined) return finding(issuer, credentials, refused, false, name);
  if (answer.status !== 200 || answer.body.active !== false) return undefined;
  if (!PROFILES[issuer.profile].introspectionHidesRefusedClient) return undefined;
  const hidden = await tokenEndpointVerdict(credentials, metadata, http);
  return hidden === undefined ? undefined : finding(issuer, credentials, hidden, true, name);
}

function finding(
  issuer: ResolvedIssuer,
  { clientId }: { clientId: string },
  received: string,
  hidden: boolean,
  name: SettingName,
): Finding {
  const id = name('clientId', 'OIDC_CLIENT_ID');
  const secret = name('clientSecret', 'OIDC_CLIENT_SECRET');
  const verify = name('verify', 'OIDC_VERIFY');
  const publicClient = received.startsWith('HTTP 403');
  return {
    code: 'introspection_client_refused',
    check: 'config',
    issuer: issuer.issuer,
    apiCode: 'idp_unavailable',
    summary: hidden
      ? `The provider does not authenticate the API's own client ${clientId} (${id} / ${secret}): its introspection answers every token {"active": false}, and its token endpoint refuses the client with ${received}. The API starts, but every request with a token is refused with 503 and /readyz reports the issuer unavailable.`
      : `The provider's introspection endpoint refuses the API's own client ${clientId} (${id} / ${secret}) with ${received}: the API starts, but every request with a token is refused with 503 and /readyz reports the issuer unavailable.`,
    expected: hidden
      ? 'invalid_grant for a refresh token no one holds (the client authenticated)'
      : 'an introspection answer with a boolean "active" (RFC 7662 §2.2)',
    received: hidden
      ? `${received} at the token endpoint; introspection: {"active": false}`
      : received,
    fix: {
      config: `Set ${id} and ${secret} to the confidential client of the API exactly as the provider has them (the secret is per environment: copy it again after an import or a rotation); or verify JWTs locally: ${verify}=jwt.`,
      keycloak: publicClient
        ? `Clients → ${clientId} → Settings → Capability config: Client authentication On (a public client may not introspect); then Credentials: copy the Client Secret into ${secret}.`
        : `Clients → ${clientId} → Credentials: Client Authenticator "Client Id and Secret"; copy the Client Secret into ${secret}.`,
      authentik: `Applications → Providers → the API's OAuth2/OpenID provider → Edit: Client type Confidential; copy its Client ID into ${id} and its Client Secret into ${secret}.`,
    },
  };
}
