import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ProviderProfile, providerProfile } from '../profiles/index.js';

/** Endpoints of the test issuer that faults can target. */
export type TestEndpoint = 'discovery' | 'jwks' | 'introspection';

/**
 * A fault: `down` answers 503, `reset` destroys the connection, `slow` answers after
 * `delayMs`, `garbage` answers 200 with a body that is not JSON.
 */
export type TestFault = 'down' | 'reset' | 'slow' | 'garbage';

/** Paths of the endpoints per profile. */
export interface EndpointPaths {
  readonly discovery: string;
  readonly jwks: string;
  readonly introspection: string;
}

/** The endpoints the test issuer serves, where the profile's provider serves them. */
export function endpointPaths(profile: ProviderProfile, issuerPath: string): EndpointPaths {
  const { discovery, jwks, introspection } = providerProfile(profile).endpoints(issuerPath);
  return { discovery, jwks, introspection };
}

/** Sends a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Reads a request body (bounded). */
export async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Client credentials from HTTP Basic (RFC 6749 §2.3.1) or the form body (`client_secret_post`). */
export function clientCredentials(
  req: IncomingMessage,
  form: URLSearchParams,
): { id?: string; secret?: string } {
  const header = req.headers.authorization;
  if (header?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return {};
    const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: dec(decoded.slice(0, colon)), secret: dec(decoded.slice(colon + 1)) };
  }
  const id = form.get('client_id') ?? undefined;
  const secret = form.get('client_secret') ?? undefined;
  return { ...(id === undefined ? {} : { id }), ...(secret === undefined ? {} : { secret }) };
}
