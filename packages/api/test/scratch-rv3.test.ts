import type { AddressInfo } from 'node:net';
import { alice } from '@todo-sso/auth/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { sqliteDriver, useTestDatabase } from './support/databases.js';
import { dpopKey } from './support/dpop.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, startHarness } from './support/harness.js';

describe('scratch dpop mcp', () => {
  const database = useTestDatabase(sqliteDriver);
  const h: Harness = suiteFixture(false, () => startHarness(database.config), (x) => x.close());
  let base = '';
  beforeAll(async () => {
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  it('probes', async () => {
    const key = await dpopKey();
    const token = await h.idp.accessToken(alice, { claims: { aud: `${base}/mcp`, azp: 'agent-client', cnf: { jkt: key.jkt } } });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_lists', arguments: {} } });
    const send = async (label: string, path: string, auth: string, proof?: string) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: auth, ...(proof && { dpop: proof }), 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body });
      console.log('R', label, res.status, res.headers.get('www-authenticate')?.slice(0, 160), (await res.text()).slice(0, 160));
    };
    const p1 = await key.proof({ htm: 'POST', htu: `${base}/mcp`, token });
    await send('good', '/mcp', `DPoP ${token}`, p1);
    await send('replay', '/mcp', `DPoP ${token}`, p1);
    await send('bearer', '/mcp', `Bearer ${token}`);
    await send('wrong-htu', '/mcp', `DPoP ${token}`, await key.proof({ htm: 'POST', htu: `${base}/todos/`, token }));
    await send('encoded path', '/%6Dcp', `DPoP ${token}`, await key.proof({ htm: 'POST', htu: `${base}/mcp`, token }));
    await send('query', '/mcp?x=1', `DPoP ${token}`, await key.proof({ htm: 'POST', htu: `${base}/mcp`, token }));
    await send('trailing slash', '/mcp/', `DPoP ${token}`, await key.proof({ htm: 'POST', htu: `${base}/mcp/`, token }));
    const other = await dpopKey();
    await send('other key', '/mcp', `DPoP ${token}`, await other.proof({ htm: 'POST', htu: `${base}/mcp`, token }));
    expect(1).toBe(1);
  });
});
