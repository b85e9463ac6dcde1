/**
 * A back-channel logout the client's receiver does not take leaves that session's access tokens
 * accepted until they expire, so the warning the IdP logs must say where it sent the logout
 * token and why it failed: a wrong `backchannel.logout.url` (the API on another port) is then
 * found from the log alone.
 */
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
