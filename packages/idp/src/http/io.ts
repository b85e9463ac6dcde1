import type { IncomingMessage, ServerResponse } from 'node:http';

/** The largest request body any endpoint reads; a bigger one is answered 413. */
export const BODY_LIMIT = 64 * 1024;

/** A request body over {@link BODY_LIMIT}. */
export class PayloadTooLargeError extends Error {
  constructor() {
    super(`request body over ${BODY_LIMIT} bytes`);
    this.name = 'PayloadTooLargeError';
  }
}

/** A request whose body has been read once; oidc-provider takes a pre-read `req.body` as is. */
type ReadRequest = IncomingMessage & { body?: Buffer };

/**
 * Reads a small request body (forms), once: later calls (and oidc-provider) get the same bytes.
 * Refuses anything over 64 KiB, by its stated length before reading a byte or while reading.
 */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const read = req as ReadRequest;
  if (read.body instanceof Buffer) return read.body;
  if (Number(req.headers['content-length'] ?? 0) > BODY_LIMIT) throw new PayloadTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw new PayloadTooLargeError();
    chunks.push(chunk as Buffer);
  }
  read.body = Buffer.concat(chunks);
  return read.body;
}

/** Replaces the body that {@link readBody} read (after rewriting the form). */
export function replaceBody(req: IncomingMessage, form: URLSearchParams): void {
  (req as ReadRequest).body = Buffer.from(form.toString(), 'utf8');
}

export function isForm(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  if (!isForm(req)) return new URLSearchParams();
  return new URLSearchParams((await readBody(req)).toString('utf8'));
}

export function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/html; charset=utf-8',
  { frameable = false } = {},
): void {
  // Every response forbids framing (see security-headers.ts) except keycloak-js's helper
  // pages, which exist to be framed by the application.
  if (frameable) {
    res.removeHeader('x-frame-options');
    res.removeHeader('content-security-policy');
  }
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    ...(frameable ? {} : { 'x-frame-options': 'DENY' }),
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}

/** An OAuth error response (RFC 6749 §5.2 shape). */
export function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
): void {
  sendJson(res, status, { error, error_description: description });
}
