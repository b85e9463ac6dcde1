import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from '../http/io.js';
import { hostTrusted, type RegistrationPolicy } from './policy.js';

const GRANTS = ['authorization_code', 'refresh_token'];
/** The schemes under which a trusted host is where the browser goes. */
const WEB_SCHEMES = new Set(['http:', 'https:']);
/** Metadata naming URLs the IdP would fetch or post to: refused (no requests on a stranger's word). */
const FETCHED = [
  'jwks_uri',
  'sector_identifier_uri',
  'request_uris',
  'backchannel_logout_uri',
  'frontchannel_logout_uri',
  'initiate_login_uri',
];

function refuse(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description });
}

/**
 * Checks an anonymous registration request (RFC 7591 §3.1) against the realm's policy before
 * oidc-provider registers the client, and shapes what it may register: a public client
 * (`token_endpoint_auth_method` `none`) of the authorization code flow, which the dev IdP then
 * holds to PKCE. Answers the refusal itself (RFC 7591 §3.2.2 errors; 403 for an untrusted
 * host, as Keycloak's Trusted Hosts policy does) and returns `undefined`; otherwise returns the
 * body to hand to oidc-provider.
 */
export async function screenRegistration(
  policy: RegistrationPolicy,
  registered: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Buffer | undefined> {
  const address = req.socket.remoteAddress ?? '';
  if (policy.hostMustMatch && !hostTrusted(policy, address)) {
    refuse(
      res,
      403,
      'insufficient_scope',
      'Policy "Trusted Hosts" rejected the request: host not trusted',
    );
    return undefined;
  }
  if (registered >= policy.maxClients) {
    refuse(res, 403, 'insufficient_scope', 'Policy "Max Clients Limit" rejected the request');
    return undefined;
  }
  let metadata: Record<string, unknown>;
  try {
    metadata = JSON.parse((await readBody(req)).toString('utf8'));
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
      throw new Error();
  } catch {
    refuse(res, 400, 'invalid_client_metadata', 'the registration request must be a JSON object');
    return undefined;
  }
  const uriError = uriRefusal(policy, metadata);
  if (uriError) {
    refuse(res, 400, uriError.error, uriError.description);
    return undefined;
  }
  const fetched = FETCHED.find((field) => metadata[field] !== undefined);
  if (fetched) {
    refuse(
      res,
      400,
      'invalid_client_metadata',
      `${fetched} is not accepted from an anonymous registration`,
    );
    return undefined;
  }
  const method = metadata.token_endpoint_auth_method ?? 'none';
  if (method !== 'none') {
    refuse(
      res,
      400,
      'invalid_client_metadata',
      'only public clients may register: token_endpoint_auth_method must be "none"',
    );
    return undefined;
  }
  const grants = (metadata.grant_types as unknown[] | undefined) ?? ['authorization_code'];
  if (!Array.isArray(grants) || grants.some((g) => !GRANTS.includes(String(g)))) {
    refuse(res, 400, 'invalid_client_metadata', `grant_types may only be ${GRANTS.join(' and ')}`);
    return undefined;
  }
  const shaped = {
    ...metadata,
    token_endpoint_auth_method: 'none',
    grant_types: [...new Set([...grants.map(String), 'refresh_token'])],
    response_types: ['code'],
    application_type: metadata.application_type ?? 'native',
  };
  return Buffer.from(JSON.stringify(shaped));
}

/**
 * Where the IdP may send a browser for this client: every redirect URI and post-logout redirect
 * URI on a trusted host (Keycloak's "client URIs must match"). The refusal, or `undefined`.
 */
function uriRefusal(
  policy: RegistrationPolicy,
  metadata: Record<string, unknown>,
): { error: string; description: string } | undefined {
  const uris = metadata.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0 || !uris.every((u) => typeof u === 'string'))
    return {
      error: 'invalid_redirect_uri',
      description: 'redirect_uris must be a non-empty list of URIs',
    };
  // The host is what a browser goes to under http(s) alone: under another scheme (`evil://
  // localhost/cb`) the system hands the URI to whichever app claims the scheme (RFC 8252 §7.1, §8.6),
  // whatever host it names, so the policy's hosts say nothing about where the code goes.
  const untrusted = (uri: string) => {
    const url = URL.canParse(uri) ? new URL(uri) : undefined;
    if (!url?.hostname) return true;
    if (!policy.urisMustMatch) return false;
    return !WEB_SCHEMES.has(url.protocol) || !hostTrusted(policy, url.hostname);
  };
  const redirect = (uris as string[]).find(untrusted);
  if (redirect !== undefined)
    return {
      error: 'invalid_redirect_uri',
      description: `redirect URI ${redirect} does not point at a trusted host`,
    };
  // OpenID Connect RP-Initiated Logout 1.0 §3.1 and §3: the end-session endpoint sends the
  // browser to one of these, so they are redirect URIs as much as `redirect_uris` are, under
  // the same trusted hosts; an anonymous registration could otherwise make the IdP an open
  // redirector (RFC 9700 §4.11.2).
  const afterLogout = metadata.post_logout_redirect_uris ?? [];
  if (
    !Array.isArray(afterLogout) ||
    !afterLogout.every((u) => typeof u === 'string') ||
    afterLogout.some(untrusted)
  )
    return {
      error: 'invalid_client_metadata',
      description: 'post_logout_redirect_uris must be a list of URIs that point at a trusted host',
    };
  return undefined;
}
