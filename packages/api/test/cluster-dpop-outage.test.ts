import { alice } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, Node } from './support/cluster.js';
import { closeRelayedPair, relayedPair, send, statusOnceBack } from './support/cluster.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { type DpopKey, dpopKey } from './support/dpop.js';
import { useIssuer } from './support/harness.js';
import type { TcpCut } from './support/tcp-cut.js';

/**
 * The shared store of used DPoP proofs (RFC 9449 §11.1) while one instance cannot reach
 * PostgreSQL: instance A through a relay that loses every connection and refuses new ones,
 * instance B directly. A proof A could not record is not served there (503, fail closed), so
 * its one use is the first one that is recorded, wherever that happens; once A is back, the
 * proof B recorded is a replay at A too.
 */
const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];
const { skip } = postgres;
const PUBLIC_ME = 'https://todo.example.com/me';
const PROXIED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'todo.example.com' };
const ENV = { TRUST_PROXY: '1', DPOP_NONCE_SECRET: 'a-secret-every-instance-shares-0123456789' };

describe.skipIf(skip)('DPoP proofs while one instance cannot reach PostgreSQL', () => {
  const database = useTestDatabase(postgres);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  let relay: TcpCut;
  let a: Node;
  let b: Node;
  let key: DpopKey;
  let token: string;

  beforeAll(async () => {
    if (skip) return;
    ({ relay, a, b } = await relayedPair(idp, database, ENV));
    key = await dpopKey();
    token = await idp.accessToken(alice, { claims: { cnf: { jkt: key.jkt } } });
  });
  afterAll(async () => {
    await closeRelayedPair({ relay, a, b });
  });

  const proof = (nonce: string) => key.proof({ htu: PUBLIC_ME, token, nonce });

  const me = (node: Node, dpop: string): Promise<Answer> =>
    send(node, 'GET', '/me', { headers: { ...PROXIED, authorization: `DPoP ${token}`, dpop } });

  /** The server nonce (§9) B asks for: every instance shares the secret. */
  async function nonce(): Promise<string> {
    const asked = await me(b, 'not-a-proof');
    return asked.headers.get('dpop-nonce') ?? (await nonceAfterProof());
  }
  async function nonceAfterProof(): Promise<string> {
    const asked = await me(b, await proof('none'));
    return asked.headers.get('dpop-nonce') as string;
  }

  it('answers 503 for a proof it cannot record, and the proof is used once across both', async () => {
    // Both instances have verified the token and its first proofs.
    expect((await me(a, await proof(await nonce()))).status).toBe(200);
    expect((await me(b, await proof(await nonce()))).status).toBe(200);
    const shared = await proof(await nonce());

    // Every connection of A is lost at its next message, and new ones refused.
    relay.loseAfter(/[\s\S]/);
    relay.cut();
    const atA = await me(a, shared);
    expect(atA.status).toBe(503);
    expect(atA.headers.get('retry-after')).toBe('5');
    expect(atA.body).toMatchObject({ code: 'unavailable' });

    // Not served at A, the proof's first recorded use is at B; the second is a replay.
    expect((await me(b, shared)).status).toBe(200);
    const again = await me(b, shared);
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({ code: 'dpop_proof_invalid' });

    // A back: it serves new proofs again, and refuses the one B recorded.
    relay.restore();
    expect(await statusOnceBack(async () => me(a, await proof(await nonce())))).toBe(200);
    const replay = await me(a, shared);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ code: 'dpop_proof_invalid' });
  }, 30_000);
});
