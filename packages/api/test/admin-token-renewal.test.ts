import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { createAdminClient } from '../src/admin-idp/connection.js';

/**
 * The API's service-account token renewal when the IdP refuses the cached token (401), with many
 * admin calls at once: the dev IdP, restarted so that the token the API holds is no longer
 * honoured, behind a relay that counts the client credentials grants and answers the refused
 * calls one after another (as they come back from a busy IdP), not all in the same instant.
 */
describe('service-account token renewal under concurrent 401s', () => {
  let idp: RunningIdp;
  let idpData: string;
  let relay: Server;
  let relayUrl = '';
  let grants = 0;
  let refused = 0;

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-renewal-'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData) });
    relay = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        if (req.url?.endsWith('/protocol/openid-connect/token')) grants += 1;
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers))
          if (typeof value === 'string' && name !== 'host' && name !== 'connection')
            headers.set(name, value);
        const answer = await fetch(`${idp.url}${req.url}`, {
          method: req.method,
          headers,
          ...(body.length > 0 && { body }),
        });
        const text = Buffer.from(await answer.arrayBuffer());
        // Each refusal comes back 40 ms after the one before it.
        if (answer.status === 401) {
          refused += 1;
          await new Promise((resolve) => setTimeout(resolve, 40 * refused));
        }
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => relay?.close(resolve));
    await idp?.close();
    rmSync(idpData, { recursive: true, force: true });
  });

  it('gets one new token for all the calls the IdP refused, not one per refusal', async () => {
    const realm = /\/realms\/([^/]+)$/.exec(idp.issuer)?.[1] ?? '';
    const client = await createAdminClient(
      {
        issuer: idp.issuer,
        server: relayUrl,
        realm,
        clientId: 'todo-api',
        clientSecret: 'todo-api-secret',
      },
      { timeoutMs: 5000, now: Date.now },
    );
    expect(await client.users.find({ max: 1 })).toHaveLength(1);
    expect(grants).toBe(1);
    // The same IdP, keys and port, restarted: the cached token is refused before it expires.
    const { port } = new URL(idp.url);
    await idp.close();
    idp = await startIdp({ host: '127.0.0.1', port: Number(port), dataDir: idpData });
    const calls = Array.from({ length: 6 }, () => client.users.find({ max: 1 }));
    for (const found of await Promise.all(calls)) expect(found).toHaveLength(1);
    expect(refused).toBe(6);
    // One renewal serves them all; a refusal of the old token arriving after it must not
    // throw the new one away and ask for yet another.
    expect(grants).toBe(2);
  });
});
