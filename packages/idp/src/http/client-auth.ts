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

function presented(req: IncomingMessage, form: URLSearchParams) {
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (clientId === undefined || secret === undefined) return undefined;
    return { clientId, secret };
  }
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
