import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Realm, RealmClient } from '../realm/types.js';

/**
 * RFC 6749 §2.3.1: the client id and secret inside Basic credentials are encoded with the
 * `application/x-www-form-urlencoded` algorithm (Appendix B), so `+` is a space. A malformed
 * escape (`%ZZ`) is no credential at all: `undefined`, answered 401 invalid_client, never 500.
 */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/** The client id and secret of a `Basic` Authorization header; `null` when there is none. */
export function basicCredentials(
  req: IncomingMessage,
): { clientId: string; secret: string } | undefined | null {
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!basic) return null;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (clientId === undefined || secret === undefined) return undefined;
  return { clientId, secret };
}

function presented(req: IncomingMessage, form: URLSearchParams) {
  const basic = basicCredentials(req);
  if (basic !== null) return basic;
  const clientId = form.get('client_id');
  return clientId ? { clientId, secret: form.get('client_secret') ?? undefined } : undefined;
}

/**
 * Client authentication for the endpoints the dev IdP serves itself (introspection, revocation,
 * Keycloak's refresh-token logout): `client_secret_basic` or `client_secret_post` for
 * confidential clients, `client_id` alone for public ones, as Keycloak accepts.
 */
export function authenticateClient(
  realm: Realm,
  req: IncomingMessage,
  form: URLSearchParams,
): RealmClient | undefined {
  const creds = presented(req, form);
  const client = creds ? realm.clients.get(creds.clientId) : undefined;
  if (!creds || !client) return undefined;
  if (client.publicClient) return client;
  const expected = Buffer.from(client.secret ?? '');
  const given = Buffer.from(creds.secret ?? '');
  return expected.length === given.length && timingSafeEqual(expected, given) ? client : undefined;
}

/** RFC 6749 Appendix B: form-encoding, the inverse of {@link formDecode}. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replaceAll('%20', '+');
}

/**
 * Brings client authentication at oidc-provider's endpoints (token, device authorization) to the
 * one form oidc-provider expects of each realm client, accepting what Keycloak accepts:
 *
 * - a public client may present its id in a `Basic` header, with an empty or any secret
 *   (Keycloak's client authenticator succeeds for public clients on the id alone): the header
 *   becomes `client_id` in the body;
 * - a confidential client may send its secret in the body (`client_secret_post`, RFC 6749
 *   §2.3.1) as well as in the header: the body credentials become a `Basic` header.
 *
 * Returns the rewritten form, `undefined` when nothing changed, or `'invalid'` for a confidential
 * client with an empty secret (RFC 6749 §5.2: 401 `invalid_client`). Other secrets are checked
 * by oidc-provider, in constant time.
 */
export function normalizeClientAuth(
  realm: Realm,
  req: IncomingMessage,
  form: URLSearchParams,
): URLSearchParams | undefined | 'invalid' {
  const basic = basicCredentials(req);
  if (basic) {
    const client = realm.clients.get(basic.clientId);
    if (client && !client.publicClient && basic.secret === '') return 'invalid';
    if (!client?.publicClient) return undefined;
    const inBody = form.get('client_id');
    if (inBody !== null && inBody !== basic.clientId) return undefined;
    delete req.headers.authorization;
    const out = new URLSearchParams(form);
    out.set('client_id', basic.clientId);
    out.delete('client_secret');
    return out;
  }
  if (basic === undefined) return undefined;
  const clientId = form.get('client_id');
  const client = clientId === null ? undefined : realm.clients.get(clientId);
  if (!client || !form.has('client_secret')) return undefined;
  const out = new URLSearchParams(form);
  out.delete('client_secret');
  if (client.publicClient) return out;
  const secret = form.get('client_secret') ?? '';
  req.headers.authorization = `Basic ${Buffer.from(
    `${formEncode(client.clientId)}:${formEncode(secret)}`,
  ).toString('base64')}`;
  out.delete('client_id');
  return out;
}
