import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REALM_FILE, type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { createAdminClient } from '../src/admin-idp/connection.js';

/**
 * A secret with a space, ":", "+", "%" and "!'()": each is escaped by the form encoding (RFC 6749
 * §2.3.1). Only VSCHARs (%x20-7E): Appendix A.2 allows no others, and oidc-provider refuses them.
 */
const SECRET = "todo api:s3cret+100%!'()";

/**
 * The admin client's service-account token request authenticates with HTTP Basic as RFC 6749
 * §2.3.1 says: client id and secret form-urlencoded, then base64. The dev IdP decodes per the
 * RFC; a relay in front of it records the Authorization header the API sent.
 */
describe('admin client HTTP Basic client authentication (RFC 6749 §2.3.1)', () => {
  let idp: RunningIdp;
  let idpData: string;
  let relay: Server;
  let relayUrl = '';
  const sent: string[] = [];

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-basic-'));
    const realm = JSON.parse(readFileSync(DEFAULT_REALM_FILE, 'utf8'));
    const api = realm.clients.find((c: { clientId: string }) => c.clientId === 'todo-api');
    api.secret = SECRET;
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData), realm });
    relay = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        if (req.url?.endsWith('/protocol/openid-connect/token'))
          sent.push(req.headers.authorization ?? '');
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers))
          if (typeof value === 'string' && name !== 'host' && name !== 'connection')
            headers.set(name, value);
        const answer = await fetch(`${idp.url}${req.url}`, {
          method: req.method,
          headers,
          ...(body.length > 0 && { body }),
        });
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(Buffer.from(await answer.arrayBuffer()));
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

  it('gets a token with a secret holding a space, ":", "+", "%" and "!\'()"', async () => {
    const realm = /\/realms\/([^/]+)$/.exec(idp.issuer)?.[1] ?? '';
    const client = await createAdminClient(
      { issuer: idp.issuer, server: relayUrl, realm, clientId: 'todo-api', clientSecret: SECRET },
      { timeoutMs: 5000, now: Date.now },
    );
    expect(await client.users.find({ max: 1 })).toHaveLength(1);
    expect(sent).toHaveLength(1);
    const credentials = Buffer.from(sent[0]?.replace(/^Basic /, '') ?? '', 'base64').toString();
    // application/x-www-form-urlencoded: the space is "+", every other special byte escaped.
    expect(credentials).toBe('todo-api:todo+api%3As3cret%2B100%25%21%27%28%29');
  });
});
