import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  type AuthErrorCode,
  createDpopNonces,
  createDpopVerifier,
  type DpopVerifier,
  isAuthError,
  jwkThumbprint,
  MemoryDpopReplayCache,
  normaliseHtu,
} from '@todo-sso/auth';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { beforeEach, describe, expect, test } from 'vitest';
import { b64, frozenClock } from './support.js';

const URL_ = 'https://api.example.com/todos/';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const athOf = (token: string) => createHash('sha256').update(token).digest('base64url');

interface Holder {
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, unknown>;
  readonly jkt: string;
}

async function holder(type: 'ec' | 'rsa' | 'ed25519' = 'ec'): Promise<Holder> {
  const pair =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519');
  const jwk = (await exportJWK(pair.publicKey)) as Record<string, unknown>;
  return { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk as never) };
}

describe('DPoP proofs (RFC 9449 §4.3)', () => {
  const clock = frozenClock();
  let alice: Holder;
  let replay: MemoryDpopReplayCache;
  let verify: DpopVerifier;

  beforeEach(async () => {
    alice ??= await holder();
    replay = new MemoryDpopReplayCache(1000, clock.now);
    verify = createDpopVerifier({ replay, now: clock.now });
  });

  /** A proof signed by `who`, with claims and header overridable. */
  async function proof(
    who: Holder,
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
    alg = who.jwk.kty === 'EC' ? 'ES256' : who.jwk.kty === 'RSA' ? 'PS256' : 'EdDSA',
  ): Promise<string> {
    return new SignJWT({
      jti: crypto.randomUUID(),
      htm: 'GET',
      htu: URL_,
      iat: Math.floor(clock.now() / 1000),
      ath: athOf(TOKEN),
      ...claims,
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk: who.jwk as never, ...header })
      .sign(who.privateKey);
  }

  /** The proof with its header's `alg` replaced, the signature left as it was. */
  const relabel = (p: string, alg: string) => {
    const [h, c, sig] = p.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    return `${b64({ ...header, alg })}.${c}.${sig}`;
  };

  const input = (p: string | string[] | undefined, over: Record<string, unknown> = {}) => ({
    proof: p,
    method: 'GET',
    url: URL_,
    accessTokenHash: athOf(TOKEN),
    boundJkt: alice.jkt,
    ...over,
  });

  async function refused(promise: Promise<unknown>, code: AuthErrorCode, detail: RegExp) {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAuthError(error), 'expected an AuthError').toBe(true);
    if (!isAuthError(error)) return;
    expect(error.code).toBe(code);
    expect(error.status).toBe(401);
    expect(error.description).toMatch(detail);
  }

  test('accepts a fresh proof signed by the bound key, for ES256, PS256 and EdDSA', async () => {
    await expect(verify(input(await proof(alice)))).resolves.toBeUndefined();
    for (const type of ['rsa', 'ed25519'] as const) {
      const other = await holder(type);
      await expect(
        verify(input(await proof(other), { boundJkt: other.jkt })),
      ).resolves.toBeUndefined();
    }
  });

  test('accepts Ed25519, the fully-specified name of EdDSA (RFC 9864 §2), only for an Ed25519 key', async () => {
    const ed = await holder('ed25519');
    const bound = { boundJkt: ed.jkt };
    await expect(verify(input(await proof(ed, {}, {}, 'Ed25519'), bound))).resolves.toBeUndefined();
    await refused(
      verify(input(await proof(alice, {}, {}, 'ES256').then((p) => relabel(p, 'Ed25519')))),
      'dpop_proof_invalid',
      /does not fit Ed25519/,
    );
    const strict = createDpopVerifier({ replay, now: clock.now, algorithms: ['ES256', 'EdDSA'] });
    await refused(
      strict(input(await proof(ed, {}, {}, 'Ed25519'), bound)),
      'dpop_proof_invalid',
      /algorithm is not one of ES256 EdDSA/,
    );
  });

  test('refuses the same proof a second time (jti replay)', async () => {
    const p = await proof(alice);
    await verify(input(p));
    await refused(verify(input(p)), 'dpop_proof_invalid', /already used/);
  });

  test('refuses a replay up to the last millisecond the proof itself is accepted', async () => {
    const p = await proof(alice);
    await verify(input(p));
    // iat + 60 s (max age) + 5 s (tolerance): the proof is still recent enough at this instant.
    clock.advance(65);
    await refused(verify(input(p)), 'dpop_proof_invalid', /already used/);
    clock.advance(0.001);
    await refused(verify(input(p)), 'dpop_proof_invalid', /too old/);
  });

  test('a refused proof does not take its jti: the valid use later still passes', async () => {
    const p = await proof(alice);
    await refused(verify(input(p, { method: 'POST' })), 'dpop_proof_invalid', /htm/);
    expect(replay.size).toBe(0);
    await expect(verify(input(p))).resolves.toBeUndefined();
  });

  test('refuses a proof for another method or URI; the query and fragment are ignored', async () => {
    await refused(
      verify(input(await proof(alice), { method: 'DELETE' })),
      'dpop_proof_invalid',
      /htm/,
    );
    for (const htu of [
      'https://api.example.com/lists/',
      'https://evil.example.com/todos/',
      'http://api.example.com/todos/',
      'https://api.example.com:8443/todos/',
    ]) {
      await refused(verify(input(await proof(alice, { htu }))), 'dpop_proof_invalid', /htu/);
    }
    const withQuery = await proof(alice, { htu: `${URL_}?completed=true#x` });
    await expect(verify(input(withQuery, { url: `${URL_}?limit=5` }))).resolves.toBeUndefined();
  });

  test('compares htu after RFC 3986 normalisation (case, default port, %-encoding)', async () => {
    const htu = 'HTTPS://API.Example.COM:443/todos/%7euser/%2f';
    const p = await proof(alice, { htu });
    await expect(
      verify(input(p, { url: 'https://api.example.com/todos/~user/%2F?x=1' })),
    ).resolves.toBeUndefined();
    expect(normaliseHtu('http://h:80')).toBe('http://h/');
    expect(normaliseHtu('ftp://h/x')).toBeUndefined();
    expect(normaliseHtu('https://user:pw@h/x')).toBeUndefined();
    expect(normaliseHtu('/relative')).toBeUndefined();
  });

  test('never matches a request URI the router reads differently from RFC 3986 (dot segments, backslashes)', async () => {
    // The router matches these paths as written (`/lists/L/members/..` runs the member route
    // with `..` as the username), while normalising them would resolve them to another
    // resource (`/lists/L`): a proof for that resource must not be accepted on them.
    for (const [htu, url] of [
      ['https://api.example.com/lists/L', 'https://api.example.com/lists/L/members/..'],
      ['https://api.example.com/lists/L', 'https://api.example.com/lists/L/members/%2E%2e'],
      ['https://api.example.com/todos/', 'https://api.example.com/todos/x/..?limit=5'],
      ['https://api.example.com/todos/', 'https://api.example.com/todos/.'],
      ['https://api.example.com/todos/', 'https://api.example.com/todos/./'],
      ['https://api.example.com/lists/L/members/', 'https://api.example.com/lists/L/members/x\\..'],
      ['https://api.example.com/todos/', 'https://api.example.com/todos\\'],
    ]) {
      const p = await proof(alice, { htu });
      await refused(verify(input(p, { url })), 'dpop_proof_invalid', /htu/);
      // Not even a proof naming that exact URI: no client addresses a resource so.
      await refused(
        verify(input(await proof(alice, { htu: url }), { url })),
        'dpop_proof_invalid',
        /htu/,
      );
    }
    // Nor a proof whose own htu holds a dot segment (percent-encoded too) or a backslash: as
    // written it names another resource than the path it resolves to.
    for (const [htu, url] of [
      [
        'https://api.example.com/lists/L/x/%2e%2e/members',
        'https://api.example.com/lists/L/members',
      ],
      [
        'https://api.example.com/lists/L/x/%2E%2E/members',
        'https://api.example.com/lists/L/members',
      ],
      ['https://api.example.com/lists/L/x/../members', 'https://api.example.com/lists/L/members'],
      ['https://api.example.com/lists/L/members/%2e%2e', 'https://api.example.com/lists/L/'],
      ['https://api.example.com/todos/x/%2e%2e/', 'https://api.example.com/todos/'],
      ['https://api.example.com/a/../todos/', 'https://api.example.com/todos/'],
      ['https://api.example.com/todos/./', 'https://api.example.com/todos/'],
      ['https://api.example.com/todos/%2e/', 'https://api.example.com/todos/?limit=5'],
      ['https://api.example.com/todos/x\\..\\', 'https://api.example.com/todos/'],
    ] as const) {
      expect(normaliseHtu(htu)).toBe(normaliseHtu(url.split('?')[0] as string));
      const p = await proof(alice, { htu });
      await refused(verify(input(p, { url })), 'dpop_proof_invalid', /htu/);
    }
    // Dots inside a segment, and in the query, are ordinary characters.
    for (const url of [
      'https://api.example.com/todos/a..b',
      'https://api.example.com/todos/.well',
      'https://api.example.com/todos/?q=/../x',
    ]) {
      await expect(
        verify(input(await proof(alice, { htu: url }), { url })),
      ).resolves.toBeUndefined();
    }
  });

  test('refuses a dot-segment request URI every time, however often it and others are asked', async () => {
    // The comparable form of a URI is remembered (the last one, and a bounded map): a URI that
    // matches nothing must be remembered as matching nothing, the router check included.
    const clean = 'https://api.example.com/lists/L';
    const dotted = 'https://api.example.com/lists/L/members/%2e%2e';
    for (const url of [dotted, dotted, clean, dotted, clean, clean, dotted]) {
      const check = verify(input(await proof(alice, { htu: url }), { url }));
      if (url === clean) await expect(check).resolves.toBeUndefined();
      else await refused(check, 'dpop_proof_invalid', /htu/);
      // A proof naming the clean URI is no good on the dotted one either, and the other way.
      await refused(
        verify(input(await proof(alice, { htu: url === clean ? dotted : clean }), { url })),
        'dpop_proof_invalid',
        /htu/,
      );
    }
  });

  test('never matches a proof whose htu hides a dot segment behind a tab, line break or space', async () => {
    // The WHATWG parser drops tabs and line breaks anywhere and trims spaces at either end, so
    // these resolved to /lists/L/members once parsed, with no dot segment seen as written. No
    // URI holds such a character (RFC 3986 §2): the htu is refused, not normalised.
    const url = 'https://api.example.com/lists/L/members';
    for (const htu of [
      'https://api.example.com/lists/L/x/.\t./members',
      'https://api.example.com/lists/L/x/..\n/members',
      'https://api.example.com/lists/L/x/%2e\r%2e/members',
      'https://api.example.com/lists/L/x/\t../members',
      ' https://api.example.com/lists/L/members',
      'https://api.example.com/lists/L/members\n',
    ]) {
      expect(normaliseHtu(htu)).toBeUndefined();
      await refused(
        verify(input(await proof(alice, { htu }), { url })),
        'dpop_proof_invalid',
        /htu/,
      );
    }
    // The same URI without them still matches.
    await expect(
      verify(input(await proof(alice, { htu: url }), { url: `${url}?x=1` })),
    ).resolves.toBeUndefined();
  });

  test('refuses a stale or future iat, and a missing one', async () => {
    const now = Math.floor(clock.now() / 1000);
    await refused(
      verify(input(await proof(alice, { iat: now - 120 }))),
      'dpop_proof_invalid',
      /too old/,
    );
    await refused(
      verify(input(await proof(alice, { iat: now + 60 }))),
      'dpop_proof_invalid',
      /future/,
    );
    await refused(
      verify(input(await proof(alice, { iat: undefined }))),
      'dpop_proof_invalid',
      /iat/,
    );
    await expect(verify(input(await proof(alice, { iat: now - 60 })))).resolves.toBeUndefined();
  });

  test('honours an exp or nbf the proof carries (RFC 7519 §4.1.4, §4.1.5), beyond the clock tolerance', async () => {
    const now = Math.floor(clock.now() / 1000);
    await refused(
      verify(input(await proof(alice, { exp: now - 10 }))),
      'dpop_proof_invalid',
      /expired/,
    );
    await refused(
      verify(input(await proof(alice, { nbf: now + 60 }))),
      'dpop_proof_invalid',
      /not valid yet/,
    );
    for (const claims of [{ exp: String(now + 60) }, { nbf: 'soon' }])
      await refused(verify(input(await proof(alice, claims))), 'dpop_proof_invalid', /NumericDate/);
    // Within the tolerance, or ahead, they pass.
    for (const claims of [{ exp: now + 60 }, { exp: now - 2 }, { nbf: now + 2 }, { nbf: now - 1 }])
      await expect(verify(input(await proof(alice, claims)))).resolves.toBeUndefined();
  });

  test('refuses a missing ath and the ath of another token', async () => {
    await refused(
      verify(input(await proof(alice, { ath: undefined }))),
      'dpop_proof_invalid',
      /ath/,
    );
    const other = await proof(alice, { ath: athOf(`${TOKEN}x`) });
    await refused(verify(input(other)), 'dpop_proof_invalid', /ath/);
  });

  test('refuses a proof key other than the one the token is bound to (cnf.jkt)', async () => {
    const mallory = await holder();
    await refused(verify(input(await proof(mallory))), 'token_binding_mismatch', /another key/);
  });

  test('refuses a jwk with private members, a missing jwk and a symmetric key', async () => {
    const privateJwk = (await exportJWK(alice.privateKey)) as Record<string, unknown>;
    await refused(
      verify(input(await proof(alice, {}, { jwk: privateJwk }))),
      'dpop_proof_invalid',
      /private/,
    );
    await refused(
      verify(input(await proof(alice, {}, { jwk: undefined }))),
      'dpop_proof_invalid',
      /jwk/,
    );
    await refused(
      verify(input(await proof(alice, {}, { jwk: { kty: 'oct', k: 'c2VjcmV0' } }))),
      'dpop_proof_invalid',
      /private|public/,
    );
  });

  // RFC 7515 §4.1.9: `typ` is a media type, compared case-insensitively, `application/` optional.
  test('accepts the typ spellings of application/dpop+jwt, and refuses look-alikes', async () => {
    for (const typ of ['application/dpop+jwt', 'DPoP+JWT', 'Application/DPoP+jwt'])
      await expect(verify(input(await proof(alice, {}, { typ })))).resolves.toBeUndefined();
    for (const typ of ['dpop+jwt; x=1', ' dpop+jwt', 'text/dpop+jwt', 'dpop', 'application/jwt'])
      await refused(verify(input(await proof(alice, {}, { typ }))), 'dpop_proof_invalid', /typ/);
  });

  test('refuses alg none, HS256, an algorithm outside the allowlist and a wrong typ', async () => {
    const claims = {
      jti: 'n1',
      htm: 'GET',
      htu: URL_,
      iat: Math.floor(clock.now() / 1000),
      ath: athOf(TOKEN),
    };
    const none = `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: alice.jwk })}.${b64(claims)}.`;
    await refused(verify(input(none)), 'dpop_proof_invalid', /algorithm/);
    const hs = `${b64({ typ: 'dpop+jwt', alg: 'HS256', jwk: alice.jwk })}.${b64(claims)}.c2ln`;
    await refused(verify(input(hs)), 'dpop_proof_invalid', /algorithm/);
    await refused(
      verify(input(await proof(alice, {}, { typ: 'JWT' }))),
      'dpop_proof_invalid',
      /typ/,
    );
    const es384Only = createDpopVerifier({ replay, now: clock.now, algorithms: ['ES384'] });
    await refused(es384Only(input(await proof(alice))), 'dpop_proof_invalid', /algorithm/);
    expect(() => createDpopVerifier({ replay, algorithms: ['HS256'] })).toThrow(TypeError);
  });

  test('refuses a proof header with critical extensions (RFC 7515 §4.1.11)', async () => {
    // jose refuses to sign critical extensions it does not know, so these are signed by hand;
    // `b64: false` (RFC 7797) would even change what the signature covers.
    const signed = (extra: Record<string, unknown>) => {
      const h = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: alice.jwk, ...extra });
      const c = b64({
        jti: crypto.randomUUID(),
        htm: 'GET',
        htu: URL_,
        iat: Math.floor(clock.now() / 1000),
        ath: athOf(TOKEN),
      });
      const sig = sign('sha256', Buffer.from(`${h}.${c}`), {
        key: alice.privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      return `${h}.${c}.${sig.toString('base64url')}`;
    };
    await verify(input(signed({})));
    for (const extra of [
      { crit: ['urn:example:must'], 'urn:example:must': 1 },
      { crit: ['b64'], b64: false },
      { crit: [] },
      { crit: 'exp' },
    ])
      await refused(verify(input(signed(extra))), 'dpop_proof_invalid', /critical/);
  });

  test('refuses an alg that does not fit the key, and a bad signature', async () => {
    const p = await proof(alice);
    const [h, c] = p.split('.');
    await refused(verify(input(`${h}.${c}.${'A'.repeat(86)}`)), 'dpop_proof_invalid', /signature/);
    const header = JSON.parse(Buffer.from(h as string, 'base64url').toString());
    const relabelled = `${b64({ ...header, alg: 'ES384' })}.${c}.${p.split('.')[2]}`;
    await refused(verify(input(relabelled)), 'dpop_proof_invalid', /fit|signature/);
  });

  test('a header checked once still needs its own signature and well-formed segments', async () => {
    // The first proof's header (typ, alg, jwk, thumbprint, key) is cached by its segment.
    const first = await proof(alice);
    await verify(input(first));
    const [h, , sig] = first.split('.') as [string, string, string];
    const second = await proof(alice);
    expect(second.split('.')[0]).toBe(h);
    const [, c2, sig2] = second.split('.') as [string, string, string];
    await refused(verify(input(`${h}.${c2}.${sig}`)), 'dpop_proof_invalid', /signature/);
    await refused(verify(input(`${h}.${c2}`)), 'dpop_proof_invalid', /compact JWS/);
    await refused(verify(input(`${h}.${c2}*.${sig2}`)), 'dpop_proof_invalid', /compact JWS/);
    await refused(verify(input(`${h}.${c2}.${sig2}.x`)), 'dpop_proof_invalid', /compact JWS/);
    await refused(verify(input(`${h}.${c2}.`)), 'dpop_proof_invalid', /signature/);
    // Nor does the cached header stand in for the claims of the next proof.
    await refused(
      verify(input(await proof(alice, { htu: 'https://api.example.com/lists/' }))),
      'dpop_proof_invalid',
      /htu/,
    );
    await refused(
      verify(input(second, { boundJkt: (await holder()).jkt })),
      'token_binding_mismatch',
      /another key/,
    );
    await expect(verify(input(second))).resolves.toBeUndefined();
  });

  test('the in-memory replay cache refuses when full and frees room as proofs expire', () => {
    const t0 = clock.now();
    const small = new MemoryDpopReplayCache(2, clock.now);
    expect(small.claim('a', t0 + 65_000)).toBe(true);
    // Out of expiry order: b expires before a, though it came after it.
    expect(small.claim('b', t0 + 10_000)).toBe(true);
    expect(small.claim('c', t0 + 65_000)).toBe(false);
    expect(small.claim('b', t0 + 10_000)).toBe(false);
    clock.advance(11);
    // b has expired: its room goes to c; a is still remembered.
    expect(small.claim('c', t0 + 76_000)).toBe(true);
    expect(small.claim('a', t0 + 76_000)).toBe(false);
    expect(small.claim('c', t0 + 76_000)).toBe(false);
    expect(small.size).toBe(2);
  });

  test('an expired proof left behind a valid one by the quick pass is no replay', () => {
    const t0 = clock.now();
    const cache = new MemoryDpopReplayCache(100, clock.now);
    expect(cache.claim('x', t0 + 65_000)).toBe(true);
    expect(cache.claim('y', t0 + 5_000)).toBe(true);
    clock.advance(6);
    expect(cache.claim('z', t0 + 71_000)).toBe(true);
    expect(cache.claim('x', t0 + 71_000)).toBe(false);
    expect(cache.claim('y', t0 + 71_000)).toBe(true);
    expect(cache.claim('y', t0 + 71_000)).toBe(false);
    clock.advance(66);
    expect(cache.claim('w', t0 + 137_000)).toBe(true);
    expect(cache.size).toBe(1);
  });

  test('refuses two DPoP headers, none, and a header that is not one JWS', async () => {
    const p = await proof(alice);
    await refused(verify(input([p, p])), 'dpop_proof_invalid', /More than one/);
    await refused(verify(input(undefined)), 'dpop_proof_invalid', /missing/);
    await refused(verify(input(`${p}, ${p}`)), 'dpop_proof_invalid', /compact JWS/);
    await refused(verify(input('not-a-jwt')), 'dpop_proof_invalid', /compact JWS/);
  });

  test('with server nonces: asks for one (use_dpop_nonce), accepts the current and the previous', async () => {
    const nonces = createDpopNonces({ secret: 'x'.repeat(32), lifetimeSec: 60, now: clock.now });
    const strict = createDpopVerifier({ replay, nonces, now: clock.now });
    const asked = await strict(input(await proof(alice))).catch((e: unknown) => e);
    expect(isAuthError(asked) && asked.code).toBe('dpop_nonce_required');
    const nonce = isAuthError(asked) ? asked.nonce : undefined;
    expect(nonce).toBe(nonces.current());
    await expect(strict(input(await proof(alice, { nonce })))).resolves.toBeUndefined();
    clock.advance(61);
    await expect(
      strict(input(await proof(alice, { nonce, iat: Math.floor(clock.now() / 1000) }))),
    ).resolves.toBeUndefined();
    clock.advance(60);
    const stale = await proof(alice, { nonce, iat: Math.floor(clock.now() / 1000) });
    await refused(strict(input(stale)), 'dpop_nonce_required', /nonce/);
    await refused(
      strict(input(await proof(alice, { nonce: 'made-up' }))),
      'dpop_nonce_required',
      /nonce/,
    );
  });

  test('with noncesBeforeIat: asks a nonce only of a proof whose iat is earlier', async () => {
    const nonces = createDpopNonces({ secret: 'y'.repeat(32), now: clock.now });
    const startSec = clock.now() / 1000;
    const since = createDpopVerifier({
      replay,
      nonces,
      noncesBeforeIat: startSec + 5,
      now: clock.now,
    });
    // iat up to the tolerance ahead of the clock: such a proof could have been used before.
    const early = await proof(alice, { iat: Math.floor(startSec) + 4 });
    await refused(since(input(early)), 'dpop_nonce_required', /nonce/);
    const nonce = nonces.current();
    await refused(
      since(input(await proof(alice, { nonce: 'made-up' }))),
      'dpop_nonce_required',
      /nonce/,
    );
    await expect(since(input(await proof(alice, { nonce })))).resolves.toBeUndefined();
    // From the instant itself on, no nonce is asked for.
    clock.advance(5);
    await expect(
      since(input(await proof(alice, { iat: clock.now() / 1000 }))),
    ).resolves.toBeUndefined();
    clock.advance(70);
    await expect(
      since(input(await proof(alice, { iat: Math.floor(clock.now() / 1000) }))),
    ).resolves.toBeUndefined();
  });

  test('remembers a jti only until the proof would be too old anyway', async () => {
    await verify(input(await proof(alice)));
    expect(replay.size).toBe(1);
    clock.advance(70);
    await verify(input(await proof(alice, { iat: Math.floor(clock.now() / 1000) })));
    expect(replay.size).toBe(1);
  });

  test('RFC 9449 examples: the §4.1 proof, the §6.1 jkt of its key and the §7.1 ath', async () => {
    // §4.1: a proof for the token endpoint (no ath), signed by this key.
    const rfcProof =
      'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg';
    const rfcKey = {
      kty: 'EC',
      x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
      y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
      crv: 'P-256',
    };
    const jkt = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
    expect(jwkThumbprint(rfcKey)).toBe(jkt);
    // §7.1: the access token of the example and its ath.
    expect(athOf('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU')).toBe(
      'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo',
    );
    // At the example's own time, every check up to ath passes (typ, alg, jwk, the signature,
    // jti, htm, htu, iat): a resource server refuses it only because it has no ath.
    const atIat = createDpopVerifier({ replay, now: () => 1_562_262_616_000 });
    const rfcInput = {
      proof: rfcProof,
      method: 'POST',
      url: 'https://server.example.com/token',
      accessTokenHash: athOf(TOKEN),
      boundJkt: jkt,
    };
    await refused(atIat(rfcInput), 'dpop_proof_invalid', /ath/);
    const [h, c, sig] = rfcProof.split('.') as [string, string, string];
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    await refused(
      atIat({ ...rfcInput, proof: `${h}.${c}.${flipped}` }),
      'dpop_proof_invalid',
      /signature/,
    );
  });

  test('jwkThumbprint equals jose calculateJwkThumbprint (RFC 7638 §3.1 example included)', async () => {
    for (const type of ['ec', 'rsa', 'ed25519'] as const) {
      const h = await holder(type);
      expect(jwkThumbprint(h.jwk)).toBe(h.jkt);
    }
    // RFC 7638 §3.1: the example RSA key and its thumbprint.
    const rfc = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(rfc)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(jwkThumbprint({ kty: 'oct', k: 'x' })).toBeUndefined();
  });
});
