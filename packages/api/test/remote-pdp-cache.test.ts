import { describe, expect, it } from 'vitest';
import { DecisionPointUnavailableError, remotePdp } from '../src/authz/remote-pdp.js';
import { listQuestion } from './support/remote-pdp.js';

const question = (id: string) => listQuestion(id, 'can_read');

/** A decision point answering `decisions` and counting the questions it was asked. */
function fakePdp(decisions: unknown, status = 200) {
  const asked: unknown[] = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    asked.push(JSON.parse(String(init.body)));
    return new Response(JSON.stringify({ evaluations: decisions }), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  }) as unknown as typeof globalThis.fetch;
  return { asked, fetch };
}

describe('the external decision point client', () => {
  it('asks the action and can_read in one batch and tells 403 from 404', async () => {
    const forbidden = fakePdp([{ decision: false }, { decision: true }]);
    const pdp = remotePdp({ url: 'http://pdp.test/', fetch: forbidden.fetch });
    expect(await pdp.decide(question('l1'))).toBe('forbidden');
    expect(forbidden.asked[0]).toMatchObject({
      subject: { type: 'user', id: 'bob', properties: { issuer: 'https://idp.test' } },
      resource: { type: 'list', id: 'l1' },
      evaluations: [{ action: { name: 'can_read' } }, { action: { name: 'can_read' } }],
    });
    const hidden = fakePdp([{ decision: false }, { decision: false }]);
    expect(
      await remotePdp({ url: 'http://pdp.test', fetch: hidden.fetch }).decide(question('x')),
    ).toBe('hidden');
  });

  it('keeps decisions for the TTL and at most cacheSize of them', async () => {
    let now = 0;
    const fake = fakePdp([{ decision: true }, { decision: true }]);
    const pdp = remotePdp({
      url: 'http://pdp.test',
      fetch: fake.fetch,
      cacheTtlMs: 1000,
      cacheSize: 2,
      now: () => now,
    });
    await pdp.decide(question('a'));
    await pdp.decide(question('a'));
    expect(fake.asked).toHaveLength(1);
    await pdp.decide(question('b'));
    await pdp.decide(question('c'));
    expect(pdp.cached).toBe(2);
    await pdp.decide(question('a')); // evicted as the oldest: asked again
    expect(fake.asked).toHaveLength(4);
    now = 1500;
    await pdp.decide(question('a')); // expired: asked again
    expect(fake.asked).toHaveLength(5);
  });

  it.each([
    ['a non-200 answer', fakePdp([], 500)],
    ['an answer without decisions', fakePdp([{ decision: 'yes' }])],
  ])('fails closed on %s', async (_name, fake) => {
    const pdp = remotePdp({ url: 'http://pdp.test', fetch: fake.fetch });
    await expect(pdp.decide(question('a'))).rejects.toBeInstanceOf(DecisionPointUnavailableError);
  });
});
