import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the API takes for the identity provider's server when `IDP_ADMIN_URL` points here: the
 * realm's token endpoint is passed on to the real provider (so the API's service account gets
 * its token), and every Admin REST API call is refused with 403 and Keycloak's JSON error, as
 * when the service account lost `manage-users`. Nothing depends on timing: every attempt, the
 * operator's and the API's background ones alike, is refused the same way.
 */
export interface RefusingAdmin {
  /** `IDP_ADMIN_URL` for `realm`. */
  adminUrl(realm: string): string;
  /** The provider's origin that token requests are passed on to. */
  forwardTo(origin: string): void;
  /** How many Admin REST API calls were refused. */
  readonly refused: number;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function refusingAdmin(): Promise<RefusingAdmin> {
  let origin: string | undefined;
  let refused = 0;
  const server = createServer(async (req, res) => {
    const path = req.url ?? '/';
    if (path.startsWith('/realms/') && origin) {
      const body = await bodyOf(req);
      const answer = await fetch(`${origin}${path}`, {
        method: req.method ?? 'GET',
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/octet-stream',
          // The client's credentials (client_secret_basic, RFC 6749 §2.3.1).
          ...(req.headers.authorization && { authorization: req.headers.authorization }),
        },
        ...(body.length > 0 && { body }),
      });
      res.writeHead(answer.status, {
        'content-type': answer.headers.get('content-type') ?? 'application/json',
      });
      res.end(Buffer.from(await answer.arrayBuffer()));
      return;
    }
    refused++;
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'HTTP 403 Forbidden' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    adminUrl: (realm) => `http://127.0.0.1:${port}/admin/realms/${realm}`,
    forwardTo(value) {
      origin = value;
    },
    get refused() {
      return refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
