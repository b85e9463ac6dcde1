import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  clientCredentials,
  type EndpointPaths,
  readBody,
  sendJson,
  type TestEndpoint,
  type TestFault,
} from './endpoints.js';

/** What the HTTP side of the test issuer serves; owned and mutated by `startTestIssuer`. */
export interface IssuerServerState {
  readonly paths: EndpointPaths;
  readonly counters: Record<TestEndpoint, number>;
  fault(): { kind: TestFault; endpoints: readonly TestEndpoint[]; delayMs: number } | undefined;
  jwks(): unknown;
  metadata(origin: string): unknown;
  checkClient(id: string | undefined, secret: string | undefined): boolean;
  /** Claims of an active token, or `undefined` when it is not active. */
  introspect(token: string): Promise<Record<string, unknown> | undefined>;
}

/** A running HTTP server of the test issuer. */
export interface IssuerServer {
  readonly origin: string;
  close(): Promise<void>;
}

/** OIDC Discovery metadata of the test issuer (Keycloak-style endpoint names). */
export function metadataFor(issuer: string, origin: string, paths: EndpointPaths, alg: string) {
  const base = issuer.replace(/\/$/, '');
  return {
    issuer,
    jwks_uri: origin + paths.jwks,
    introspection_endpoint: origin + paths.introspection,
    authorization_endpoint: `${base}/protocol/openid-connect/auth`,
    token_endpoint: `${base}/protocol/openid-connect/token`,
    id_token_signing_alg_values_supported: [alg],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
  };
}

/** Serves discovery, JWKS and RFC 7662 introspection on 127.0.0.1:0, with fault injection. */
export async function startIssuerServer(state: IssuerServerState): Promise<IssuerServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let origin = '';

  const endpointOf = (pathname: string): TestEndpoint | undefined => {
    const { paths } = state;
    if (pathname === paths.discovery) return 'discovery';
    if (pathname === paths.jwks) return 'jwks';
    if (pathname === paths.introspection) return 'introspection';
    return undefined;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const endpoint = endpointOf(new URL(req.url ?? '/', origin).pathname);
    if (endpoint === undefined) return sendJson(res, 404, { error: 'not_found' });
    state.counters[endpoint] += 1;
    const fault = state.fault();
    if (fault?.endpoints.includes(endpoint)) {
      if (fault.kind === 'reset') return void req.socket.destroy();
      if (fault.kind === 'down') return sendJson(res, 503, { error: 'temporarily_unavailable' });
      if (fault.kind === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('<html>this is not json');
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, fault.delayMs);
        timers.add(t);
      });
    }
    if (endpoint === 'discovery') return sendJson(res, 200, state.metadata(origin));
    if (endpoint === 'jwks') return sendJson(res, 200, state.jwks());
    // RFC 7662 §2.1: POST, form-encoded, client authenticated.
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request' });
    const form = new URLSearchParams(await readBody(req));
    const creds = clientCredentials(req, form);
    if (!state.checkClient(creds.id, creds.secret))
      return sendJson(res, 401, { error: 'invalid_client' });
    const token = form.get('token');
    if (!token) return sendJson(res, 400, { error: 'invalid_request' });
    const claims = await state.introspect(token);
    if (claims === undefined) return sendJson(res, 200, { active: false });
    const username =
      typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined;
    // A token's own `token_type` claim (a test override) wins over the default `Bearer`.
    return sendJson(res, 200, {
      token_type: 'Bearer',
      ...claims,
      active: true,
      ...(username === undefined ? {} : { username }),
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
