import { gzipSync } from 'node:zlib';
import { admin, alice } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, rowCount, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, mfaClaims, startHarness } from './support/harness.js';

const BASE = 'https://todo.example.com';

/**
 * RFC 9110 §8.4: `Content-Encoding` says how the body was encoded, and the API decodes none
 * (§8.4.1, §15.5.16: 415 for a content coding it does not accept). A JSON body sent with
 * one is refused with 415 before anything is read or stored, rather than read as if it were
 * not encoded: a gzip body is not "invalid UTF-8", and a plain body labelled gzip must not be
 * acted on as plain while a proxy, a log reader or a firewall decoding it reads another
 * request. `identity` (no coding) is accepted.
 */
describe.each(drivers)('a JSON body with a content coding, on $driver', (driver) => {
  const { skip } = driver;
  const database = useTestDatabase(driver);
  const h = suiteFixture(
    skip,
    () =>
      startHarness(database.config, {
        API_PUBLIC_URL: BASE,
        STEP_UP_ACR: 'mfa',
        STEP_UP_MAX_AGE_SECONDS: '900',
      }),
    (x: Harness) => x.close(),
  );
  let url = '';
  beforeAll(async () => {
    if (!skip) url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    if (!skip) await h.app.close();
  });

  const send = async (
    token: string,
    path: string,
    body: string | Buffer,
    headers: Record<string, string>,
  ) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await res.text();
    return {
      status: res.status,
      acceptEncoding: res.headers.get('accept-encoding'),
      json: text === '' ? {} : JSON.parse(text),
    };
  };
  const todo = JSON.stringify({ title: 'coded' });

  it.skipIf(skip)(
    'refuses gzip, a plain body labelled gzip and any other coding with 415, storing nothing',
    async () => {
      const token = await h.idp.accessToken(alice, {});
      const before = await rowCount(h.context.db, 'todos');
      for (const [coding, body] of [
        ['gzip', gzipSync(todo)],
        ['gzip', todo],
        ['br', todo],
        ['identity, gzip', todo],
        ['x-anything', todo],
      ] as const) {
        const res = await send(token, '/todos/', body, { 'content-encoding': coding });
        expect(res.status, coding).toBe(415);
        expect(res.json, coding).toMatchObject({ status: 415, code: 'unsupported_media_type' });
        // RFC 9110 §12.5.3, §15.5.16: the codings that would have been accepted, so the client
        // tells a refused coding from a refused media type.
        expect(res.acceptEncoding, coding).toBe('identity');
      }
      // A media type no parser reads, not coded: 415 without Accept-Encoding.
      const text = await send(token, '/todos/', todo, { 'content-type': 'text/plain' });
      expect(text.status).toBe(415);
      expect(text.acceptEncoding).toBeNull();
      expect(await rowCount(h.context.db, 'todos')).toBe(before);
      // No coding, said or not, is the body as it is.
      for (const headers of [
        {} as Record<string, string>,
        { 'content-encoding': 'identity' },
        { 'content-encoding': 'Identity' },
      ])
        expect((await send(token, '/todos/', todo, headers)).status).toBe(201);
    },
  );

  it.skipIf(skip)(
    'refuses a logout token form with a content coding (400 per §2.8, an OAuth error), ending nothing',
    async () => {
      const sid = 'coded-session';
      const session = await h.idp.accessToken(alice, { sessionId: sid });
      const me = () =>
        fetch(`${url}/me`, { headers: { authorization: `Bearer ${session}` } }).then(
          (r) => r.status,
        );
      expect(await me()).toBe(200);
      const form = new URLSearchParams({
        logout_token: await h.idp.logoutToken({ sub: alice.sub, sid }),
      }).toString();
      const post = (headers: Record<string, string>) =>
        fetch(`${url}/auth/backchannel-logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: form,
        });
      const before = await rowCount(h.context.db, 'revocations');
      const coded = await post({ 'content-encoding': 'gzip' });
      // Back-Channel Logout 1.0 §2.8 names 400 for any failed logout request (not RFC 9110's
      // 415); Accept-Encoding still says which coding the receiver takes.
      expect(coded.status).toBe(400);
      expect(coded.headers.get('accept-encoding')).toBe('identity');
      expect(await coded.json()).toMatchObject({ error: 'invalid_request' });
      expect(await rowCount(h.context.db, 'revocations')).toBe(before);
      expect(await me()).toBe(200);
      // The same form without a coding ends the session.
      expect((await post({})).status).toBe(200);
      expect(await me()).toBe(401);
    },
  );

  it.skipIf(skip)('refuses a coded body at /mcp and the AuthZEN API alike', async () => {
    const agent = await h.idp.accessToken(alice, { claims: { aud: `${BASE}/mcp`, azp: 'agent' } });
    const rpc = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const accept = { accept: 'application/json, text/event-stream' };
    const mcp = await send(agent, '/mcp', rpc, { ...accept, 'content-encoding': 'gzip' });
    expect(mcp.status).toBe(415);
    expect(mcp.acceptEncoding).toBe('identity');
    expect((await send(agent, '/mcp', rpc, accept)).status).toBe(200);
    const pdp = await h.idp.accessToken(admin, { claims: mfaClaims() });
    const evaluation = JSON.stringify({
      subject: { type: 'user', id: alice.sub },
      action: { name: 'can_read' },
      resource: { type: 'list', id: '00000000-0000-4000-8000-000000000000' },
    });
    const coded = await send(pdp, '/access/v1/evaluation', evaluation, {
      'content-encoding': 'gzip',
    });
    expect(coded.status).toBe(415);
    expect(coded.acceptEncoding).toBe('identity');
    expect((await send(pdp, '/access/v1/evaluation', evaluation, {})).status).toBe(200);
  });
});
