import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How the fake Keycloak admin API answers a consent deletion:
 * - `ok`: 204, the `user client` pair recorded in `ended`;
 * - `gone`: 404 with Keycloak's JSON (no such consent);
 * - `refuse`: 403 with Keycloak's body (the service account lost `manage-users`);
 * - `bad`: 400 with Keycloak's `errorMessage`;
 * - `down`: 503;
 * - `hang`: no answer at all (a provider that accepts and stalls), the response kept in `hung`;
 * - `reply`: `status` with `body` of media type `type`, whatever they are set to.
 */
export type ConsentMode = 'ok' | 'gone' | 'refuse' | 'bad' | 'down' | 'hang' | 'reply';

export type FakeKeycloakAdmin = Awaited<ReturnType<typeof fakeKeycloakAdmin>>;

/**
 * A Keycloak admin API over HTTP for the realm `todo-app`: the client-credentials token, and the
 * consent deletion (`DELETE /admin/realms/todo-app/users/{id}/consents/{client}`) answered as
 * `state.mode` says (see {@link ConsentMode}); anything else is a 404. `state.calls` counts the
 * consent deletions asked for, answered or not. The API's `IDP_ADMIN_URL` is
 * `${url}/admin/realms/todo-app`.
 */
export async function fakeKeycloakAdmin(
  initial: { mode?: ConsentMode; status?: number; type?: string; body?: string } = {},
) {
  const state = {
    mode: 'down' as ConsentMode,
    status: 200,
    type: 'application/json',
    body: '',
    ...initial,
    hung: [] as ServerResponse[],
    ended: [] as string[],
    calls: 0,
  };
  const json = (res: ServerResponse, status: number, body: object) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.endsWith('/protocol/openid-connect/token')) {
        json(res, 200, { access_token: 'admin-token', expires_in: 300 });
        return;
      }
      const consent = /^\/admin\/realms\/todo-app\/users\/([^/]+)\/consents\/([^/]+)$/.exec(
        req.url ?? '',
      );
      if (req.method !== 'DELETE' || !consent) {
        res.writeHead(404).end();
        return;
      }
      state.calls++;
      switch (state.mode) {
        case 'ok':
          state.ended.push(`${decodeURIComponent(consent[1] ?? '')} ${consent[2]}`);
          res.writeHead(204).end();
          return;
        case 'gone':
          json(res, 404, { error: 'Consent nor offline token not found' });
          return;
        case 'refuse':
          json(res, 403, { error: 'HTTP 403 Forbidden' });
          return;
        case 'bad':
          json(res, 400, { errorMessage: 'unknown_error' });
          return;
        case 'down':
          res.writeHead(503).end();
          return;
        case 'hang':
          state.hung.push(res);
          return;
        case 'reply':
          res.writeHead(state.status, { 'content-type': state.type }).end(state.body);
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    for (const res of state.hung.splice(0)) res.destroy();
    return new Promise((resolve) => server.close(resolve));
  };
  return { state, url, close };
}
