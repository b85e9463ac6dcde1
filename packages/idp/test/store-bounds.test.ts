import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/adapter.js';

/**
 * The IdP's in-memory store keeps at most a set number of live entries of each kind a client
 * creates without anyone signing in (device codes and their user codes, interactions, pushed
 * requests): a flood of device authorization requests (RFC 8628 §3.1, open to any public
 * client) no longer grows memory until the process dies. What someone signed in for (sessions,
 * grants, tokens) is never dropped early. Driven through the adapter oidc-provider uses.
 */
describe('the dev IdP store under a flood', () => {
  let store: MemoryStore;
  afterEach(() => store.close());

  const ids = (n: number) => Array.from({ length: n }, (_, i) => `id${i}`);

  it('keeps the newest device codes of a flood, and their user codes, up to the bound', async () => {
    store = new MemoryStore(60_000, 3);
    const DeviceCode = new (store.adapterFor())('DeviceCode');
    for (const id of ids(5))
      await DeviceCode.upsert(id, { jti: id, userCode: `code-${id}`, kind: 'DeviceCode' }, 600);
    expect(await DeviceCode.find('id0')).toBeUndefined();
    expect(await DeviceCode.find('id1')).toBeUndefined();
    for (const id of ['id2', 'id3', 'id4']) expect(await DeviceCode.find(id)).toBeDefined();
    expect(await DeviceCode.findByUserCode('code-id0')).toBeUndefined();
    expect(await DeviceCode.findByUserCode('code-id4')).toMatchObject({ jti: 'id4' });
  });

  it('bounds interactions (authorization requests not yet signed in) the same way', async () => {
    store = new MemoryStore(60_000, 3);
    const Interaction = new (store.adapterFor())('Interaction');
    for (const id of ids(10)) await Interaction.upsert(id, { jti: id, kind: 'Interaction' }, 600);
    const kept = [];
    for (const id of ids(10)) if (await Interaction.find(id)) kept.push(id);
    expect(kept).toEqual(['id7', 'id8', 'id9']);
  });

  it('frees the room of a used or expired entry, and counts an update once', async () => {
    store = new MemoryStore(60_000, 3);
    const DeviceCode = new (store.adapterFor())('DeviceCode');
    for (const id of ids(3)) await DeviceCode.upsert(id, { jti: id, kind: 'DeviceCode' }, 600);
    await DeviceCode.upsert('id0', { jti: 'id0', kind: 'DeviceCode', accountId: 'a' }, 600);
    await DeviceCode.destroy('id1');
    await DeviceCode.upsert('id3', { jti: 'id3', kind: 'DeviceCode' }, 600);
    for (const id of ['id0', 'id2', 'id3']) expect(await DeviceCode.find(id)).toBeDefined();
    store.sweep(Date.now() + 601_000);
    await DeviceCode.upsert('id4', { jti: 'id4', kind: 'DeviceCode' }, 600);
    expect(await DeviceCode.find('id4')).toBeDefined();
  });

  it('never drops sessions or the tokens of a grant early, so revoking a grant still ends them all', async () => {
    store = new MemoryStore(60_000, 3);
    const Adapter = store.adapterFor();
    const Session = new Adapter('Session');
    const AccessToken = new Adapter('AccessToken');
    for (const id of ids(6)) {
      await Session.upsert(id, { jti: id, uid: `uid-${id}`, kind: 'Session' }, 600);
      await AccessToken.upsert(id, { jti: id, grantId: 'g1', kind: 'AccessToken' }, 600);
    }
    for (const id of ids(6)) {
      expect(await Session.find(id)).toBeDefined();
      expect(await AccessToken.find(id)).toBeDefined();
    }
    await AccessToken.revokeByGrantId('g1');
    for (const id of ids(6)) expect(await AccessToken.find(id)).toBeUndefined();
  });
});
