import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createAuthenticator, MemoryDpopReplayCache } from '@todo-sso/auth';
import { authPlugin, createAuthErrorHandler } from '@todo-sso/auth/fastify';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProofBatch } from '../src/fastify/proof-batch.js';

describe('ProofBatch: the proof checks of one turn, back to back', () => {
  test('runs every check queued in one turn before any continuation, each with its own outcome', async () => {
    const batch = new ProofBatch<number>();
    const events: string[] = [];
    const outcomes = await new Promise<string[]>((resolve) => {
      const seen: string[] = [];
      const then = (name: string) => (error: unknown, result?: number) => {
        events.push(`then ${name}`);
        seen.push(
          error === undefined ? `${name}=${result}` : `${name}!${(error as Error).message}`,
        );
        if (seen.length === 3) resolve(seen);
      };
      batch.add(() => {
        events.push('check a');
        return 1;
      }, then('a'));
      batch.add(() => {
        events.push('check b');
        throw new Error('refused');
      }, then('b'));
      batch.add(() => {
        events.push('check c');
        return 3;
      }, then('c'));
      // Nothing runs in the turn that queued the checks.
      expect(events).toEqual([]);
    });
    expect(events).toEqual(['check a', 'check b', 'check c', 'then a', 'then b', 'then c']);
    expect(outcomes).toEqual(['a=1', 'b!refused', 'c=3']);
  });

  test('a check that throws undefined is still a refusal', async () => {
    const batch = new ProofBatch<number>();
    const error = await new Promise<unknown>((resolve) => {
      batch.add(
        () => {
          throw undefined;
        },
        (e) => resolve(e),
      );
    });
    expect(error).toBeInstanceOf(Error);
  });

  test('a later turn starts a new batch', async () => {
    const batch = new ProofBatch<number>();
    const first = await new Promise<number | undefined>((resolve) =>
      batch.add(
        () => 1,
        (_e, r) => resolve(r),
      ),
    );
    const second = await new Promise<number | undefined>((resolve) =>
      batch.add(
        () => 2,
        (_e, r) => resolve(r),
      ),
    );
    expect([first, second]).toEqual([1, 2]);
  });
});

interface Holder {
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, unknown>;
  readonly jkt: string;
}

async function holder(): Promise<Holder> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = (await exportJWK(pair.publicKey)) as Record<string, unknown>;
  return { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk as never) };
}

describe('DPoP requests arriving together (RFC 9449 §4.3, §11.1)', () => {
  let idp: TestIssuer;
  let app: FastifyInstance;
  let address: string;
  let key: Holder;
  let bound: string;
  let htu: string;

  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    const authenticator = createAuthenticator({
      issuers: [idp.issuerOptions({ dpop: 'allowed' })],
      dpop: { replay: new MemoryDpopReplayCache() },
    });
    app = Fastify();
    app.setErrorHandler(
      createAuthErrorHandler({ realm: 'todo-api', dpopAlgorithms: authenticator.dpopAlgorithms }),
    );
    app.register(async (api) => {
      await api.register(authPlugin, { authenticator });
      api.get('/todos/', async (request) => ({ jkt: request.dpopProof?.jkt ?? null }));
    });
    address = await app.listen({ host: '127.0.0.1', port: 0 });
    htu = `${address}/todos/`;
    key = await holder();
    bound = await idp.accessToken(alice, { claims: { cnf: { jkt: key.jkt } } });
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
  });

  const proof = (who: Holder, claims: Record<string, unknown> = {}) =>
    new SignJWT({
      jti: crypto.randomUUID(),
      htm: 'GET',
      htu,
      iat: Math.floor(Date.now() / 1000),
      ath: createHash('sha256').update(bound).digest('base64url'),
      ...claims,
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: who.jwk as never })
      .sign(who.privateKey);

  const send = async (dpop: string) => {
    const res = await fetch(htu, { headers: { authorization: `DPoP ${bound}`, dpop } });
    const body = (await res.json()) as { jkt?: string; code?: string; detail?: string };
    return { status: res.status, body };
  };

  test('each request gets the answer to its own proof, a proof used twice is accepted once', async () => {
    // The token verified (and cached) first, so the requests below take the warm path.
    expect((await send(await proof(key))).status).toBe(200);
    const mallory = await holder();
    const valid = await Promise.all(Array.from({ length: 6 }, () => proof(key)));
    const twice = await proof(key);
    const forged = `${valid[0]?.slice(0, valid[0].lastIndexOf('.'))}.${'A'.repeat(86)}`;
    const proofs = [
      ...valid,
      twice,
      twice,
      forged,
      await proof(key, { htm: 'POST' }),
      await proof(mallory),
    ];
    const answers = await Promise.all(proofs.map(send));
    for (const answer of answers.slice(0, 6))
      expect(answer).toEqual({ status: 200, body: { jkt: key.jkt } });
    const [first, second] = answers.slice(6, 8);
    expect([first?.status, second?.status].sort()).toEqual([200, 401]);
    expect([first, second].find((a) => a?.status === 401)?.body).toMatchObject({
      code: 'dpop_proof_invalid',
      detail: 'The DPoP proof was already used',
    });
    expect(answers[8]).toMatchObject({
      status: 401,
      body: { code: 'dpop_proof_invalid', detail: 'The DPoP proof signature is invalid' },
    });
    expect(answers[9]).toMatchObject({
      status: 401,
      body: {
        code: 'dpop_proof_invalid',
        detail: 'The DPoP proof htm does not match the request method',
      },
    });
    expect(answers[10]).toMatchObject({ status: 401, body: { code: 'token_binding_mismatch' } });
  });
});
