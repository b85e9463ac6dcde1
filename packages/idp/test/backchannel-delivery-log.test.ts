/**
 * A back-channel logout the client's receiver does not take leaves that session's access tokens
 * accepted until they expire, so the warning the IdP logs must say where it sent the logout
 * token and why it failed: a wrong `backchannel.logout.url` (the API on another port) is then
 * found from the log alone.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOf, form, passwordGrant, realmJson, startTestIdp, type TestIdp } from './helpers.js';

let idp: TestIdp;
let url: string;
const warnings: string[] = [];

/**
 * A port nothing listens on: 2, below the ephemeral range and not one of the ports fetch refuses
 * outright (9 is a "bad port"). A port picked free and closed could be given to another test's
 * server before the logout is sent, which would then be answered instead of refused.
 */
const CLOSED_PORT = 2;

beforeAll(async () => {
  url = `http://127.0.0.1:${CLOSED_PORT}/auth/backchannel-logout`;
  const realm = realmJson();
  const client = clientOf(realm, 'todo-cli');
  client.attributes = { ...client.attributes, 'backchannel.logout.url': url };
  idp = await startTestIdp({
    realm,
    logger: { info: () => {}, warn: (m) => warnings.push(m), error: () => {} },
  });
});
afterAll(async () => {
  await idp.close();
});

describe('a back-channel logout that cannot be delivered', () => {
  it('is logged with the client, the URL it went to and the reason', async () => {
    const { body } = await passwordGrant(idp, 'alice');
    const res = await fetch(
      idp.discovery.end_session_endpoint as string,
      form({ client_id: 'todo-cli', refresh_token: body.refresh_token as string }),
    );
    expect(res.status).toBe(204);
    await expect.poll(() => warnings.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(warnings[0]).toBe(
      `back-channel logout to todo-cli at ${url} failed (connection refused): until they expire, the session's tokens stay accepted there; check the client's backchannel.logout.url`,
    );
  });
});

/** A receiver that refuses every logout token the way the API does (§2.8: 400, OAuth error). */
async function startRefusingReceiver(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/problem+json' }).end(
        JSON.stringify({
          status: 400,
          error: 'invalid_request',
          error_description: 'The logout token audience is not this client\u001b[2J',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('a back-channel logout the receiver refuses', () => {
  let refusing: Server;
  let refusingIdp: TestIdp;
  let refusingUrl: string;
  const refusals: string[] = [];

  beforeAll(async () => {
    refusing = await startRefusingReceiver();
    const { port } = refusing.address() as AddressInfo;
    refusingUrl = `http://127.0.0.1:${port}/auth/backchannel-logout`;
    const realm = realmJson();
    const client = clientOf(realm, 'todo-cli');
    client.attributes = { ...client.attributes, 'backchannel.logout.url': refusingUrl };
    refusingIdp = await startTestIdp({
      realm,
      logger: { info: () => {}, warn: (m) => refusals.push(m), error: () => {} },
    });
  });
  afterAll(async () => {
    await refusingIdp?.close();
    await new Promise((resolve) => refusing?.close(resolve));
  });

  it('is logged with the receiver’s own reason, without its control characters, and what to check there', async () => {
    const { body } = await passwordGrant(refusingIdp, 'alice');
    const res = await fetch(
      refusingIdp.discovery.end_session_endpoint as string,
      form({ client_id: 'todo-cli', refresh_token: body.refresh_token as string }),
    );
    expect(res.status).toBe(204);
    await expect.poll(() => refusals.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(refusals).toEqual([
      `back-channel logout to todo-cli at ${refusingUrl} was refused (400 Bad Request: invalid_request, The logout token audience is not this client?[2J): until they expire, the session's tokens stay accepted there; check that the receiver trusts this issuer and takes todo-cli as an audience (the todo-sso API: OIDC_ISSUER and OIDC_LOGOUT_AUDIENCE)`,
    ]);
  });
});
