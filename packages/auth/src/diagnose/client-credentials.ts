import type { ResolvedIssuer } from '../config.js';
import { clientBasicAuth } from '../http/client-basic-auth.js';
import { metadataUrl, rewriteEndpoint } from '../jwks/discovery.js';
import { PROFILES } from '../profiles/index.js';
import type { Finding, SettingName } from './types.js';

/**
 * What refused client credentials do to the running API. Verifying by introspection, the same
 * credentials authenticate every introspection call (RFC 7662 §2.1): a wrong id or secret
 * (`invalid_client`) refuses every token with 503; a client only barred from the client
 * credentials grant (`unauthorized_client`) may still introspect.
 */
function consequence(issuer: ResolvedIssuer, disabled: boolean): string {
  const admin =
    "the Admin screen's people management answers 502, and revoking a person or an agent cannot end their sessions or grant at the provider.";
  if (issuer.verify === 'introspect' && !disabled)
    return `the API starts, but its introspection is refused as well, so every request with a token is refused with 503 and /readyz reports the issuer unavailable once a token was introspected; ${admin}`;
  return `the API starts, but ${admin}`;
}

/**
 * The API's own client (`OIDC_CLIENT_ID` / `OIDC_CLIENT_SECRET`) against a provider whose admin
 * API the API calls (Keycloak): one client credentials grant (RFC 6749 §4.4) at the token
 * endpoint, as the API makes before each admin call. Refused credentials start the API without
 * a word and fail later, on the Admin screen (502) and when a revocation should end sessions at
 * the provider; the doctor says so before. Nothing is reported when the endpoint cannot be
 * reached (discovery already reports that), the credentials are accepted, or the answer says
 * nothing about them. The token obtained
 * is discarded; the secret is never shown.
 */
export async function clientCredentialsFinding(
  issuer: ResolvedIssuer,
  metadata: Record<string, unknown>,
  http: { readonly fetch: typeof fetch; readonly timeoutMs: number },
  name: SettingName,
): Promise<Finding | undefined> {
  const { clientId, clientSecret } = issuer;
  if (!PROFILES[issuer.profile].keycloakAdminApi) return undefined;
  if (clientId === undefined || clientSecret === undefined) return undefined;
  if (typeof metadata.token_endpoint !== 'string') return undefined;
  const endpoint = rewriteEndpoint(issuer, metadata.token_endpoint);
  // RFC 6749 §2.3.1 and §3.2: the client secret goes to the token endpoint over TLS only. Metadata
  // fetched over TLS that advertises it in the clear gets no secret (the API's introspection
  // refuses such an endpoint as well); a plain-HTTP alias (`discoveryUrl`) is the operator's choice.
  if (metadataUrl(issuer).startsWith('https:') && !endpoint.startsWith('https:')) return undefined;
  let response: Response;
  try {
    response = await http.fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: clientBasicAuth(clientId, clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
      redirect: 'manual',
      signal: AbortSignal.timeout(http.timeoutMs),
    });
  } catch {
    return undefined;
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok && typeof body.access_token === 'string') return undefined;
  // RFC 6749 §5.2: only these two say the client itself is refused; any other answer (a grant
  // the endpoint does not serve, an outage) decides nothing about the credentials.
  const error = body.error;
  if (error !== 'invalid_client' && error !== 'unauthorized_client') return undefined;
  const disabled = error === 'unauthorized_client';
  const id = name('clientId', 'OIDC_CLIENT_ID');
  const secret = name('clientSecret', 'OIDC_CLIENT_SECRET');
  return {
    code: 'client_credentials_refused',
    check: 'config',
    issuer: issuer.issuer,
    summary: `The provider refuses the API's own client ${clientId} (${id} / ${secret}) with ${error}: ${consequence(issuer, disabled)}`,
    expected: 'an access token for the client credentials grant',
    received: error,
    fix: {
      config: disabled
        ? `${id}=${clientId} is known but may not use the client credentials grant: turn on its service account at the provider.`
        : `Set ${id} and ${secret} to the confidential client of the API exactly as the provider has them (the secret is per environment: copy it again after a realm import or a rotation).`,
      keycloak: disabled
        ? `Clients → ${clientId} → Settings → Capability config: Client authentication On and Service accounts roles On; then Service accounts roles → Assign role → realm-management view-users, manage-users, query-groups and view-clients.`
        : `Clients → ${clientId} → Credentials: Client Authenticator "Client Id and Secret"; copy the Client Secret into ${secret}.`,
      authentik: `Authentik has no admin API the API calls: ${id} / ${secret} serve introspection only (${name('verify', 'OIDC_VERIFY')}=introspect).`,
    },
  };
}
